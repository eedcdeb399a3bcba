"""SMTP connections kept open between messages (activities/smtp.py), against the real SMTP sink
and the real register database: what is reused, what is never reused, and that no message is
lost or sent twice because a connection was kept."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from temporalio.exceptions import ApplicationError

from activities.email import EmailActivities
from infra.smtp_sink import SmtpSink
from tests.activities.email_contexts import NOTIFIER
from tests.activities.email_support import request, row, settings_for
from tests.activities.test_email_security import secure_settings


def connections(sink: SmtpSink) -> list[str]:
    return [m.connection for m in sink.messages]


async def test_messages_one_after_another_share_one_connection(
    smtp_sink: SmtpSink, db_pool: asyncpg.Pool
) -> None:
    activities = EmailActivities(settings_for(smtp_sink), db_pool)
    reqs = [request("aia_acknowledgement") for _ in range(3)]

    for req in reqs:
        await activities.send_email(req)
    await activities.aclose()

    assert len(smtp_sink.messages) == 3
    assert len(set(connections(smtp_sink))) == 1
    assert [m["Message-ID"] for m in smtp_sink.messages] == [
        (await row(db_pool, r.message_key))["message_id"] for r in reqs
    ]


async def test_without_idle_connections_each_message_has_its_own(
    smtp_sink: SmtpSink, db_pool: asyncpg.Pool
) -> None:
    activities = EmailActivities(settings_for(smtp_sink, smtp_idle_connections=0), db_pool)

    for _ in range(3):
        await activities.send_email(request("aia_acknowledgement"))

    assert len(set(connections(smtp_sink))) == 3


async def test_a_connection_the_server_closed_while_idle_is_replaced_and_the_message_sent_once(
    smtp_sink: SmtpSink, db_pool: asyncpg.Pool
) -> None:
    activities = EmailActivities(settings_for(smtp_sink), db_pool)
    first, second = request("aia_acknowledgement"), request("aia_decision")
    await activities.send_email(first)

    assert smtp_sink.drop_connections() == 1  # the server's idle timeout
    await asyncio.sleep(0.1)
    delivery = await activities.send_email(second)

    assert delivery.already_sent is False
    assert [m["Message-ID"] for m in smtp_sink.messages].count(delivery.message_id) == 1
    assert len(smtp_sink.messages) == 2
    assert len(set(connections(smtp_sink))) == 2
    stored = await row(db_pool, second.message_key)
    assert (stored["status"], stored["attempts"], stored["last_error"]) == ("sent", 1, None)


async def test_a_connection_is_not_reused_after_a_failure(
    smtp_sink: SmtpSink, db_pool: asyncpg.Pool
) -> None:
    """A refusal leaves the transaction half done on the server: the connection is closed, and
    the next message starts on a new one."""
    activities = EmailActivities(settings_for(smtp_sink), db_pool)
    refused = "nobody@example.org"
    smtp_sink.refuse(refused)
    await activities.send_email(request("aia_acknowledgement"))

    with pytest.raises(ApplicationError) as raised:
        await activities.send_email(request("aia_decision", to=refused))
    await activities.send_email(request("aia_extension"))

    assert raised.value.type == "PermanentDeliveryFailure"
    assert [m.envelope_to for m in smtp_sink.messages] == [[NOTIFIER], [NOTIFIER]]
    assert len(set(connections(smtp_sink))) == 2


async def test_an_idle_connection_is_let_go_after_its_time(
    smtp_sink: SmtpSink, db_pool: asyncpg.Pool
) -> None:
    activities = EmailActivities(settings_for(smtp_sink, smtp_idle_seconds=0.2), db_pool)
    await activities.send_email(request("aia_acknowledgement"))

    await asyncio.sleep(0.6)
    assert smtp_sink.drop_connections() == 0  # we said QUIT already
    await activities.send_email(request("aia_decision"))

    assert len(set(connections(smtp_sink))) == 2


async def test_messages_at_once_each_take_a_connection_and_keep_them_for_the_next(
    smtp_sink: SmtpSink, db_pool: asyncpg.Pool
) -> None:
    activities = EmailActivities(settings_for(smtp_sink, smtp_idle_connections=4), db_pool)
    first = [request("aia_acknowledgement") for _ in range(8)]
    second = [request("aia_decision") for _ in range(4)]

    # The server takes its time over each of the first eight, so that they are all under way
    # at once however busy the machine is.
    smtp_sink.set_slow(0.5)
    await asyncio.gather(*(activities.send_email(r) for r in first))
    smtp_sink.set_slow(0)
    opened = set(connections(smtp_sink))
    await asyncio.gather(*(activities.send_email(r) for r in second))
    await activities.aclose()

    assert len(smtp_sink.messages) == 12
    assert len(opened) == 8  # no two messages on one connection at once
    later = set(connections(smtp_sink)[8:])
    assert later <= opened and len(later) == 4  # the four kept, nothing new opened
    for r in first + second:
        assert (await row(db_pool, r.message_key))["status"] == "sent"


async def test_an_encrypted_authenticated_connection_is_reused_as_it_is(
    smtp_starttls_sink: SmtpSink, smtp_ca_file: str, db_pool: asyncpg.Pool
) -> None:
    settings = secure_settings(smtp_starttls_sink, "starttls", smtp_ca_file=smtp_ca_file)
    activities = EmailActivities(settings, db_pool)

    for _ in range(2):
        await activities.send_email(request("aia_acknowledgement"))
    await activities.aclose()

    assert len(set(connections(smtp_starttls_sink))) == 1
    for received in smtp_starttls_sink.messages:
        assert received.tls_version is not None and received.tls_version.startswith("TLSv1.")
        assert received.authenticated_as is not None
