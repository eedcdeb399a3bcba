"""Helpers for the email tests: settings pointing at the SMTP sink, a send_email request for a
template, the message's row in the register, and the phrases a letter must say."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from activities.email import EmailRequest
from activities.letters import render_email
from infra.settings import Settings
from infra.smtp_sink import SmtpSink
from tests.activities.email_contexts import COMMON, NOTIFIER, context


def settings_for(sink: SmtpSink, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "test",
        "smtp_host": "127.0.0.1",
        "smtp_port": sink.port,
        "smtp_security": "none",
        "smtp_timeout_seconds": 5.0,
        "mail_from": "noreply@gmo-authority.example.hu",
        "authority_email": "gmo@gmo-authority.example.hu",
        "authority_name": "Géntechnológiai Hatóság",
    }
    return Settings(**(values | overrides))


def request(template: str = "aia_decision", language: str = "en", **overrides: Any) -> EmailRequest:
    key = f"aia-hu-{uuid.uuid4().hex[:8]}:{template}"
    values: dict[str, Any] = {
        "message_key": key,
        "case_id": COMMON["case_id"],
        "to": NOTIFIER,
        "language": language,
        "template": template,
        "context": context(template),
    }
    return EmailRequest(**(values | overrides))


async def row(pool: asyncpg.Pool, key: str) -> asyncpg.Record:
    record = await pool.fetchrow("SELECT * FROM outgoing_messages WHERE message_key = $1", key)
    assert record is not None
    return record


def assert_phrases(
    template: str, overrides: dict[str, Any], expected_en: list[str], expected_hu: list[str]
) -> None:
    """Each phrase in the letter's subject or body, in English and in Hungarian, and no "None"
    (a context value the template printed unset)."""
    for language, expected in (("en", expected_en), ("hu", expected_hu)):
        rendered = render_email(template, language, context(template, **overrides))
        text = rendered.subject + "\n" + rendered.body
        for phrase in expected:
            assert phrase in text, (language, phrase)
        assert "None" not in text
