"""send_email when delivery fails: a server down or refusing connections is retried and then
delivers once; a permanent refusal or a broken template is not retried and is recorded failed."""

from __future__ import annotations

import socket

import asyncpg
import pytest
from temporalio.exceptions import ApplicationError

from activities.email import EmailActivities
from infra.smtp_sink import SmtpSink
from tests.activities.email_contexts import NOTIFIER, context
from tests.activities.email_support import request, row, settings_for


async def test_server_down_is_retryable_then_delivers_once(
    smtp_sink: SmtpSink, db_pool: asyncpg.Pool
) -> None:
    activities = EmailActivities(settings_for(smtp_sink), db_pool)
    req = request("aia_extension")
    smtp_sink.set_down(True)

    with pytest.raises(ApplicationError) as raised:
        await activities.send_email(req)

    assert raised.value.type == "TemporaryDeliveryFailure"
    assert raised.value.non_retryable is False
    assert "421" in str(raised.value)
    stored = await row(db_pool, req.message_key)
    assert stored["status"] == "pending"
    assert "421" in stored["last_error"]
    assert smtp_sink.messages == []

    smtp_sink.set_down(False)
    delivery = await activities.send_email(req)

    assert delivery.already_sent is False
    assert len(smtp_sink.messages) == 1
    stored = await row(db_pool, req.message_key)
    assert (stored["status"], stored["attempts"]) == ("sent", 2)


async def test_connection_refused_is_retryable(smtp_sink: SmtpSink, db_pool: asyncpg.Pool) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    activities = EmailActivities(settings_for(smtp_sink, smtp_port=closed_port), db_pool)
    req = request("deadline_reminder", to="case-officers@gmo-authority.example.hu")

    with pytest.raises(ApplicationError) as raised:
        await activities.send_email(req)

    assert raised.value.type == "TemporaryDeliveryFailure"
    assert raised.value.non_retryable is False
    stored = await row(db_pool, req.message_key)
    assert stored["status"] == "pending" and "unavailable" in stored["last_error"]


async def test_permanent_refusal_is_not_retried_and_recorded_failed(
    smtp_sink: SmtpSink, db_pool: asyncpg.Pool
) -> None:
    activities = EmailActivities(settings_for(smtp_sink), db_pool)
    req = request("aia_withdrawal", "hu")
    smtp_sink.refuse(NOTIFIER)

    with pytest.raises(ApplicationError) as raised:
        await activities.send_email(req)

    assert raised.value.type == "PermanentDeliveryFailure"
    assert raised.value.non_retryable is True
    assert smtp_sink.messages == []
    stored = await row(db_pool, req.message_key)
    assert stored["status"] == "failed"
    assert stored["server_response"].startswith("550 ")
    assert "RCPT" in stored["last_error"]


async def test_broken_template_request_is_not_retried(
    smtp_sink: SmtpSink, db_pool: asyncpg.Pool
) -> None:
    activities = EmailActivities(settings_for(smtp_sink), db_pool)
    incomplete = context("aia_decision")
    del incomplete["decided_on"]
    req = request("aia_decision", context=incomplete)

    with pytest.raises(ApplicationError) as raised:
        await activities.send_email(req)

    assert raised.value.type == "EmailTemplateError" and raised.value.non_retryable is True
    assert "decided_on" in str(raised.value)
    assert smtp_sink.messages == []
    assert (await row(db_pool, req.message_key))["status"] == "failed"

    with pytest.raises(ApplicationError) as unknown:
        await activities.send_email(request("aia_decision").model_copy(update={"template": "nope"}))
    assert unknown.value.type == "EmailTemplateError"
