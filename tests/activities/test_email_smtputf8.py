"""send_email to and from addresses that are not ASCII (RFC 6531 SMTPUTF8), against real SMTP
servers: the sink, which offers SMTPUTF8, and the same sink without it.

Through a server with SMTPUTF8 the envelope goes in UTF-8 and the address headers as raw UTF-8
(RFC 6532). Without it, a recipient that is not ASCII makes the message undeliverable (a
permanent failure, not retried); a sender address that is not ASCII is a configuration error.
"""

from __future__ import annotations

import json

import asyncpg
import pytest
from temporalio.exceptions import ApplicationError

from activities.email import EmailActivities
from infra.smtp_sink import SmtpSink
from tests.activities.email_contexts import NOTIFIER
from tests.activities.email_support import request, row, settings_for
from workflows.errors import PERMANENT_DELIVERY_FAILURE, SMTP_CONFIGURATION_ERROR

INTERNATIONAL = "józsef@példa.hu"
INTERNATIONAL_SENDER = "értesítő@géntechnológia.example.hu"


async def test_a_recipient_that_is_not_ascii_is_delivered_with_smtputf8(
    smtp_sink: SmtpSink, db_pool: asyncpg.Pool
) -> None:
    settings = settings_for(smtp_sink)
    req = request("aia_acknowledgement", "hu", to=INTERNATIONAL)

    delivery = await EmailActivities(settings, db_pool).send_email(req)

    assert delivery.already_sent is False and delivery.server_response.startswith("250 ")
    assert delivery.recipient == INTERNATIONAL
    [received] = smtp_sink.messages_to(INTERNATIONAL)
    assert received.envelope_to == [INTERNATIONAL]
    assert received.envelope_from == settings.mail_from
    assert received["To"] == INTERNATIONAL
    assert received["Subject"] == delivery.subject
    assert received["Message-ID"] == delivery.message_id
    # The address header as raw UTF-8 (RFC 6532), not an encoded word that no reader takes.
    assert received.eml_path is not None
    raw = received.eml_path.read_bytes()
    assert f"\r\nTo: {INTERNATIONAL}\r\n".encode() in raw
    assert smtp_sink.index_path is not None
    [entry] = [
        json.loads(line)
        for line in smtp_sink.index_path.read_text(encoding="utf-8").splitlines()
        if delivery.message_id in line
    ]
    assert entry["envelope_to"] == [INTERNATIONAL]
    assert entry["to"] == INTERNATIONAL
    stored = await row(db_pool, req.message_key)
    assert (stored["status"], stored["recipient"]) == ("sent", INTERNATIONAL)


async def test_an_ascii_recipient_goes_without_smtputf8_as_before(
    smtp_ascii_sink: SmtpSink, db_pool: asyncpg.Pool
) -> None:
    req = request("aia_acknowledgement")

    await EmailActivities(settings_for(smtp_ascii_sink), db_pool).send_email(req)

    [received] = smtp_ascii_sink.messages
    assert received.envelope_to == [NOTIFIER]


async def test_a_recipient_that_is_not_ascii_fails_permanently_without_smtputf8(
    smtp_ascii_sink: SmtpSink, db_pool: asyncpg.Pool
) -> None:
    activities = EmailActivities(settings_for(smtp_ascii_sink), db_pool)
    req = request("aia_decision", "hu", to=INTERNATIONAL)

    with pytest.raises(ApplicationError) as raised:
        await activities.send_email(req)

    expected = (
        f"the address '{INTERNATIONAL}' is not ASCII and SMTP server "
        f"127.0.0.1:{smtp_ascii_sink.port} does not offer SMTPUTF8 (RFC 6531), "
        "which delivering to it needs"
    )
    assert raised.value.type == PERMANENT_DELIVERY_FAILURE
    assert raised.value.non_retryable is True
    assert raised.value.message == expected
    assert smtp_ascii_sink.messages == []
    stored = await row(db_pool, req.message_key)
    assert stored["status"] == "failed"
    assert stored["last_error"] == expected
    assert stored["sent_at"] is None

    # The next message, to an ASCII address, goes through the same server.
    await activities.send_email(request("aia_decision", "hu"))
    [received] = smtp_ascii_sink.messages
    assert received.envelope_to == [NOTIFIER]


async def test_a_sender_that_is_not_ascii_is_sent_with_smtputf8(
    smtp_sink: SmtpSink, db_pool: asyncpg.Pool
) -> None:
    settings = settings_for(smtp_sink, mail_from=INTERNATIONAL_SENDER)
    req = request("aia_acknowledgement", "hu")

    delivery = await EmailActivities(settings, db_pool).send_email(req)

    [received] = smtp_sink.messages
    assert received.envelope_from == INTERNATIONAL_SENDER
    assert received.envelope_to == [NOTIFIER]
    assert str(received["From"]) == f"Géntechnológiai Hatóság <{INTERNATIONAL_SENDER}>"
    # EHLO and the Message-ID take the sender's domain as A-labels (IDNA).
    assert delivery.message_id.endswith("@xn--gntechnolgia-beb2m.example.hu>")


async def test_a_sender_that_is_not_ascii_without_smtputf8_is_a_configuration_error(
    smtp_ascii_sink: SmtpSink, db_pool: asyncpg.Pool
) -> None:
    settings = settings_for(smtp_ascii_sink, mail_from=INTERNATIONAL_SENDER)
    req = request("aia_acknowledgement", "hu")

    with pytest.raises(ApplicationError) as raised:
        await EmailActivities(settings, db_pool).send_email(req)

    assert raised.value.type == SMTP_CONFIGURATION_ERROR
    assert raised.value.non_retryable is False
    assert "BIOSAFETY_MAIL_FROM='értesítő@géntechnológia.example.hu' is not ASCII" in str(
        raised.value
    )
    assert "does not offer SMTPUTF8 (RFC 6531)" in str(raised.value)
    assert smtp_ascii_sink.messages == []
    stored = await row(db_pool, req.message_key)
    assert stored["status"] == "pending" and "SMTPUTF8" in stored["last_error"]
