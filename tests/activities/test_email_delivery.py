"""send_email delivering through the real SMTP sink and recording it in the real register
database: the headers and stable Message-ID, and one delivery per message key."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.email import EmailActivities
from activities.email_message import message_id_for
from infra.smtp_sink import SmtpSink
from tests.activities.email_contexts import COMMON, NOTIFIER, context
from tests.activities.email_support import request, row, settings_for


async def test_sends_through_the_sink_with_stable_message_id(
    smtp_sink: SmtpSink, db_pool: asyncpg.Pool
) -> None:
    settings = settings_for(smtp_sink)
    req = request("aia_decision", "hu")

    delivery = await EmailActivities(settings, db_pool).send_email(req)

    assert delivery.already_sent is False
    assert delivery.message_id == message_id_for(req.message_key, "gmo-authority.example.hu")
    assert delivery.server_response.startswith("250 ")
    [received] = smtp_sink.messages
    assert received.envelope_from == settings.mail_from
    assert received.envelope_to == [NOTIFIER]
    assert received["Message-ID"] == delivery.message_id
    assert received["To"] == NOTIFIER
    assert settings.mail_from in received["From"]
    assert received["Reply-To"] == settings.authority_email
    assert received["Subject"] == delivery.subject
    assert "10. cikk (3) bekezdés a) pont" in received["Subject"]
    assert received["Content-Language"] == "hu"
    assert received["X-Biosafety-Case"] == req.case_id
    assert received["X-Template"] == "hu/aia_decision"
    body = received.get_content()
    assert "feltételekkel hagyja jóvá" in body
    assert "2027. szeptember 20." in body
    assert received.eml_path is not None and received.eml_path.exists()
    assert smtp_sink.index_path is not None
    assert delivery.message_id in smtp_sink.index_path.read_text(encoding="utf-8")

    stored = await row(db_pool, req.message_key)
    assert stored["channel"] == "email"
    assert stored["status"] == "sent"
    assert stored["message_id"] == delivery.message_id
    assert stored["server_response"] == delivery.server_response
    assert stored["subject"] == delivery.subject
    assert (stored["template"], stored["language"], stored["attempts"]) == ("aia_decision", "hu", 1)
    assert stored["sent_at"] == delivery.sent_at


async def test_same_key_twice_delivers_once(smtp_sink: SmtpSink, db_pool: asyncpg.Pool) -> None:
    activities = EmailActivities(settings_for(smtp_sink), db_pool)
    req = request("aia_acknowledgement")

    first = await activities.send_email(req)
    second = await activities.send_email(req)

    assert len(smtp_sink.messages) == 1
    assert first.already_sent is False and second.already_sent is True
    assert second.message_id == first.message_id
    assert second.sent_at == first.sent_at
    assert second.server_response == first.server_response
    assert (await row(db_pool, req.message_key))["attempts"] == 1


async def test_concurrent_attempts_with_one_key_deliver_once(
    smtp_sink: SmtpSink, db_pool: asyncpg.Pool
) -> None:
    activities = EmailActivities(settings_for(smtp_sink), db_pool)
    req = request("aia_may_proceed")

    results = await asyncio.gather(*(activities.send_email(req) for _ in range(3)))

    assert len(smtp_sink.messages) == 1
    assert sorted(r.already_sent for r in results) == [False, True, True]


async def test_a_key_held_by_a_bch_record_is_refused_and_nothing_sent(
    smtp_sink: SmtpSink, db_pool: asyncpg.Pool
) -> None:
    activities = EmailActivities(settings_for(smtp_sink), db_pool)
    req = request("aia_decision")
    await db_pool.execute(
        "INSERT INTO outgoing_messages (message_key, case_id, channel, recipient, status) "
        "VALUES ($1, $2, 'bch', 'https://bch.example', 'pending')",
        req.message_key,
        req.case_id,
    )

    with pytest.raises(ApplicationError) as raised:
        await activities.send_email(req)

    assert raised.value.type == "MessageKeyConflict"
    assert raised.value.non_retryable is True
    assert smtp_sink.messages == []
    stored = await row(db_pool, req.message_key)
    assert (stored["channel"], stored["attempts"], stored["recipient"]) == (
        "bch",
        0,
        "https://bch.example",
    )


async def test_runs_as_an_activity(smtp_sink: SmtpSink, db_pool: asyncpg.Pool) -> None:
    activities = EmailActivities(settings_for(smtp_sink), db_pool)
    req = request("deadline_missed", to="head-of-unit@gmo-authority.example.hu")

    delivery = await ActivityEnvironment().run(activities.send_email, req)

    assert delivery.recipient == "head-of-unit@gmo-authority.example.hu"
    [received] = smtp_sink.messages_to("head-of-unit@gmo-authority.example.hu")
    assert "Article 9(4)" in received.get_content()


async def test_case_id_and_authority_default_from_the_request_and_settings(
    smtp_sink: SmtpSink, db_pool: asyncpg.Pool
) -> None:
    activities = EmailActivities(settings_for(smtp_sink), db_pool)
    ctx = context("bch_publication_waiting")
    del ctx["case_id"], ctx["authority_name"]

    delivery = await activities.send_email(request("bch_publication_waiting", context=ctx))

    assert COMMON["case_id"] in delivery.subject
    assert "Géntechnológiai Hatóság" in smtp_sink.messages[0].get_content()
