"""send_email over STARTTLS and implicit TLS with AUTH, against the real SMTP sink playing a
submission server with a certificate from a test CA (trustme), and the real register database.

The failures here are configuration errors (wrong password, untrusted certificate, TLS mode not
what the server wants): they are retryable ``SmtpConfigurationError``s that leave the message
pending with its last error, so fixing the settings delivers it, once.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from temporalio.exceptions import ApplicationError

from activities.email import EmailActivities
from infra.settings import Settings
from infra.smtp_sink import SmtpSink
from tests.activities.email_contexts import NOTIFIER
from tests.activities.email_support import request, row, settings_for
from tests.support.smtp import SMTP_LOGIN, SMTP_PASSWORD
from workflows.errors import SMTP_CONFIGURATION_ERROR


def secure_settings(sink: SmtpSink, security: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "smtp_security": security,
        "smtp_username": SMTP_LOGIN,
        "smtp_password": SMTP_PASSWORD,
    }
    return settings_for(sink, **(values | overrides))


async def assert_pending_not_sent(pool: asyncpg.Pool, key: str, *phrases: str) -> None:
    stored = await row(pool, key)
    assert stored["status"] == "pending"
    assert stored["sent_at"] is None and stored["server_response"] is None
    for phrase in phrases:
        assert phrase in stored["last_error"]


async def test_starttls_with_auth_delivers_over_an_encrypted_authenticated_session(
    smtp_starttls_sink: SmtpSink, smtp_ca_file: str, db_pool: asyncpg.Pool
) -> None:
    settings = secure_settings(smtp_starttls_sink, "starttls", smtp_ca_file=smtp_ca_file)
    req = request("aia_decision", "hu")

    delivery = await EmailActivities(settings, db_pool).send_email(req)

    assert delivery.already_sent is False and delivery.server_response.startswith("250 ")
    [received] = smtp_starttls_sink.messages
    assert received["Message-ID"] == delivery.message_id
    assert received.envelope_to == [NOTIFIER]
    assert received.tls_version is not None and received.tls_version.startswith("TLSv1.")
    assert received.authenticated_as == SMTP_LOGIN
    assert smtp_starttls_sink.auth_failures == 0
    assert (await row(db_pool, req.message_key))["status"] == "sent"


async def test_implicit_tls_delivers(
    smtp_tls_sink: SmtpSink, smtp_ca_file: str, db_pool: asyncpg.Pool
) -> None:
    settings = secure_settings(smtp_tls_sink, "tls", smtp_ca_file=smtp_ca_file)
    req = request("aia_acknowledgement")

    delivery = await EmailActivities(settings, db_pool).send_email(req)

    [received] = smtp_tls_sink.messages
    assert received["Message-ID"] == delivery.message_id
    assert received.tls_version is not None and received.tls_version.startswith("TLSv1.")
    assert received.authenticated_as == SMTP_LOGIN
    stored = await row(db_pool, req.message_key)
    assert (stored["status"], stored["attempts"]) == ("sent", 1)


async def test_wrong_password_is_retryable_and_delivers_once_the_password_is_fixed(
    smtp_starttls_sink: SmtpSink, smtp_ca_file: str, db_pool: asyncpg.Pool
) -> None:
    wrong = secure_settings(
        smtp_starttls_sink, "starttls", smtp_ca_file=smtp_ca_file, smtp_password="hunter2"
    )
    req = request("aia_extension")

    with pytest.raises(ApplicationError) as raised:
        await EmailActivities(wrong, db_pool).send_email(req)

    # A configuration error, retried (with backoff) until an operator fixes the password.
    assert raised.value.type == SMTP_CONFIGURATION_ERROR
    assert raised.value.non_retryable is False
    assert "535" in str(raised.value) and "BIOSAFETY_SMTP_PASSWORD" in str(raised.value)
    assert "hunter2" not in str(raised.value)
    assert smtp_starttls_sink.auth_failures >= 1  # aiosmtplib tries PLAIN, then LOGIN
    assert smtp_starttls_sink.messages == []
    await assert_pending_not_sent(db_pool, req.message_key, "535", SMTP_LOGIN)

    fixed = secure_settings(smtp_starttls_sink, "starttls", smtp_ca_file=smtp_ca_file)
    delivery = await EmailActivities(fixed, db_pool).send_email(req)

    assert delivery.already_sent is False
    [received] = smtp_starttls_sink.messages
    assert received["Message-ID"] == delivery.message_id
    stored = await row(db_pool, req.message_key)
    assert (stored["status"], stored["attempts"]) == ("sent", 2)


@pytest.mark.parametrize("security", ["starttls", "tls"])
async def test_untrusted_certificate_fails_clearly_and_nothing_is_sent(
    security: str,
    smtp_starttls_sink: SmtpSink,
    smtp_tls_sink: SmtpSink,
    db_pool: asyncpg.Pool,
) -> None:
    sink = smtp_starttls_sink if security == "starttls" else smtp_tls_sink
    settings = secure_settings(sink, security)  # no CA file: the system store, which lacks ours
    req = request("aia_withdrawal")

    with pytest.raises(ApplicationError) as raised:
        await EmailActivities(settings, db_pool).send_email(req)

    assert raised.value.type == SMTP_CONFIGURATION_ERROR
    assert raised.value.non_retryable is False
    message = str(raised.value)
    assert "certificate" in message and "not trusted" in message
    assert "BIOSAFETY_SMTP_CA_FILE" in message
    assert sink.messages == [] and sink.auth_failures == 0  # the password never left
    await assert_pending_not_sent(db_pool, req.message_key, "not trusted")


@pytest.mark.parametrize(
    ("credentials", "expected"),
    [
        ({}, "requires STARTTLS"),
        ({"smtp_username": SMTP_LOGIN, "smtp_password": SMTP_PASSWORD}, "AUTH"),
    ],
    ids=["anonymous", "with-credentials"],
)
async def test_server_requiring_starttls_while_settings_say_none_fails_clearly(
    credentials: dict[str, str],
    expected: str,
    smtp_starttls_sink: SmtpSink,
    db_pool: asyncpg.Pool,
) -> None:
    settings = settings_for(smtp_starttls_sink, smtp_security="none", **credentials)
    req = request("deadline_reminder", to="case-officers@gmo-authority.example.hu")

    with pytest.raises(ApplicationError) as raised:
        await EmailActivities(settings, db_pool).send_email(req)

    assert raised.value.type == SMTP_CONFIGURATION_ERROR
    assert raised.value.non_retryable is False
    message = str(raised.value)
    assert expected in message and "BIOSAFETY_SMTP_SECURITY" in message and "'none'" in message
    # The password is not offered on a plain-text connection, let alone accepted.
    assert smtp_starttls_sink.messages == [] and smtp_starttls_sink.auth_failures == 0
    await assert_pending_not_sent(db_pool, req.message_key, expected)


async def test_starttls_against_a_server_without_it_fails_clearly(
    smtp_sink: SmtpSink, smtp_ca_file: str, db_pool: asyncpg.Pool
) -> None:
    settings = settings_for(smtp_sink, smtp_security="starttls", smtp_ca_file=smtp_ca_file)
    req = request("aia_may_proceed")

    with pytest.raises(ApplicationError) as raised:
        await EmailActivities(settings, db_pool).send_email(req)

    assert raised.value.type == SMTP_CONFIGURATION_ERROR
    assert "STARTTLS" in str(raised.value)
    assert smtp_sink.messages == []  # no fallback to plain text
    await assert_pending_not_sent(db_pool, req.message_key, "STARTTLS")


async def test_unreadable_ca_file_is_a_configuration_error(
    smtp_starttls_sink: SmtpSink, tmp_path: Any, db_pool: asyncpg.Pool
) -> None:
    missing = str(tmp_path / "no-such-ca.pem")
    settings = secure_settings(smtp_starttls_sink, "starttls", smtp_ca_file=missing)
    req = request("aia_decision")

    with pytest.raises(ApplicationError) as raised:
        await EmailActivities(settings, db_pool).send_email(req)

    assert raised.value.type == SMTP_CONFIGURATION_ERROR
    assert "BIOSAFETY_SMTP_CA_FILE" in str(raised.value) and missing in str(raised.value)
    assert smtp_starttls_sink.messages == []
    await assert_pending_not_sent(db_pool, req.message_key, "CA file")
