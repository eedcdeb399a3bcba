"""send_email against the real SMTP sink and the real register database."""

from __future__ import annotations

import asyncio
import socket
import uuid
from typing import Any

import asyncpg
import jinja2
import jinja2.meta
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.email import (
    TEMPLATES,
    EmailActivities,
    EmailRequest,
    message_id_for,
    render_email,
)
from infra.settings import Settings
from infra.smtp_sink import SmtpSink

NOTIFIER = "regulatory@acme-seeds.example"

COMMON: dict[str, Any] = {
    "case_id": "AIA-HU-2027-0042",
    "authority_name": "Géntechnológiai Hatóság",
    "notifier_name": "Acme Seeds B.V.",
    "notifier_reference": "ACME-2027-001",
    "lmo_name": "Maize MON-ØØ81Ø-6",
    "party_of_import": "HU",
    "party_of_export": "NL",
    "received_on": "2027-01-10",
}

# The context keys the workflow passes for each template (on top of COMMON), with realistic values.
CONTEXTS: dict[str, dict[str, Any]] = {
    "aia_acknowledgement": {
        "acknowledged_on": "2027-02-15",
        "prima_facie_complete": True,
        "missing_items": [],
        "procedure": "article_10",
        "consent_route": "written_consent",
        "proceed_from": None,
        "decision_due": "2027-10-07",
        "decision_explanation": "270 days from receipt 2027-01-10 = 2027-10-07",
    },
    "aia_information_request": {
        "requested_on": "2027-03-01",
        "items": [
            "Annex I(i): detection and identification methods",
            "Annex I(k): risk assessment",
        ],
        "note": "Please provide the event-specific PCR protocol.",
        "remaining_days": 220,
    },
    "aia_extension": {
        "notified_on": "2027-09-01",
        "days": 30,
        "reasons": "An additional field-trial report from the exporter is being assessed.",
        "new_due": "2027-11-06",
        "explanation": "270 days from receipt 2027-01-10, +30 days extension = 2027-11-06",
    },
    "aia_decision": {
        "decided_on": "2027-09-20",
        "result": "approval_with_conditions",
        "conditions": ["Post-release monitoring for three seasons", "Isolation distance 200 m"],
        "reasons": "The risk assessment found low risk under the stated conditions.",
        "subsequent_imports": "Applies to subsequent imports of the same event for field trials.",
        "lack_of_scientific_certainty": True,
        "risk_assessment_summary": "Low overall risk; gene flow to wild relatives negligible.",
    },
    "aia_withdrawal": {
        "withdrawn_on": "2027-04-02",
        "reason": "The field trial was cancelled.",
    },
    "aia_may_proceed": {"proceed_from": "2027-05-16"},
    "deadline_reminder": {
        "deadline_label": "Decision on the notification",
        "article": "CP Art 10(3)",
        "due": "2027-10-07",
        "days_left": 14,
        "explanation": "270 days from receipt 2027-01-10 = 2027-10-07",
    },
    "deadline_missed": {
        "deadline_label": "Acknowledgement of receipt",
        "article": "CP Art 9(1)",
        "due": "2027-04-10",
        "days_overdue": 3,
        "explanation": "90 days from receipt 2027-01-10 = 2027-04-10",
    },
    "delivery_failed": {
        "purpose": "aia_decision",
        "recipient": NOTIFIER,
        "error": "550 5.1.1 <regulatory@acme-seeds.example>: Recipient address rejected",
    },
    # to the case officer about a record owed to the BCH (workflows/bch_publication.py)
    "bch_validation_failed": {
        "purpose": "decision",
        "record_title": "Prohibition: Maize MON-ØØ81Ø-6 (AIA-HU-2027-0042)",
        "errors": [
            {"code": "Error.Mandatory", "property": "reasons"},
            {"code": "Error", "message": "connection reset"},
        ],
    },
    "bch_publication_waiting": {
        "purpose": "decision",
        "record_title": "Prohibition: Maize MON-ØØ81Ø-6 (AIA-HU-2027-0042)",
        "waited_days": 30,
        "window_ends_on": "2027-12-12",
    },
    "bch_publication_outcome": {
        "purpose": "decision",
        "record_title": "Prohibition: Maize MON-ØØ81Ø-6 (AIA-HU-2027-0042)",
        "outcome": "published",
        "public_id": "bch-dec-hu-100001-1",
    },
}

ARTICLE_IN_SUBJECT = {
    "en": {
        "aia_acknowledgement": "Article 9",
        "aia_information_request": "Article 10(3)(c)",
        "aia_extension": "Article 10(3)(d)",
        "aia_decision": "Article 10(3)(a)",
        "aia_withdrawal": "Article 21(5)",
        "aia_may_proceed": "Article 10(2)(b)",
        "deadline_reminder": "Article 10(3)",
        "deadline_missed": "Article 9(1)",
        "delivery_failed": "Articles 9 and 10",
        "bch_validation_failed": "Article 10(3)",
        "bch_publication_waiting": "Article 20",
        "bch_publication_outcome": "Article 10(3)",
    },
    "hu": {
        "aia_acknowledgement": "9. cikk",
        "aia_information_request": "10. cikk (3) bekezdés c) pont",
        "aia_extension": "10. cikk (3) bekezdés d) pont",
        "aia_decision": "10. cikk (3) bekezdés a) pont",
        "aia_withdrawal": "21. cikk (5) bekezdés",
        "aia_may_proceed": "10. cikk (2) bekezdés b) pont",
        "deadline_reminder": "10. cikk (3) bekezdés",
        "deadline_missed": "9. cikk (1) bekezdés",
        "delivery_failed": "9. és 10. cikk",
        "bch_validation_failed": "10. cikk (3) bekezdés",
        "bch_publication_waiting": "20. cikk",
        "bch_publication_outcome": "10. cikk (3) bekezdés",
    },
}


def context(template: str, **overrides: Any) -> dict[str, Any]:
    return {**COMMON, **CONTEXTS[template], **overrides}


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


# --- rendering ----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "hu"])
@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_renders_with_its_documented_context(template: str, language: str) -> None:
    rendered = render_email(template, language, context(template))

    assert ARTICLE_IN_SUBJECT[language][template] in rendered.subject
    assert COMMON["case_id"] in rendered.subject
    assert "\n" not in rendered.subject
    assert COMMON["case_id"] in rendered.body
    assert "None" not in rendered.subject + rendered.body
    assert "{{" not in rendered.body and "{%" not in rendered.body
    if not template.startswith("bch_"):  # those go to officers about a record, not a notifier
        received_on = "2027. január 10." if language == "hu" else "10 January 2027"
        assert received_on in rendered.body


@pytest.mark.parametrize("language", ["en", "hu"])
@pytest.mark.parametrize("template", TEMPLATES)
def test_templates_use_only_the_documented_context_keys(template: str, language: str) -> None:
    from activities.email import _ENV

    assert _ENV.loader is not None
    used: set[str] = set()
    name: str | None = f"{language}/{template}.j2"
    while name is not None:  # the template and every layout it extends
        ast = _ENV.parse(_ENV.loader.get_source(_ENV, name)[0])
        used |= jinja2.meta.find_undeclared_variables(ast)
        name = next(iter(jinja2.meta.find_referenced_templates(ast)), None)
    assert used - {"language"} <= set(COMMON) | set(CONTEXTS[template])


@pytest.mark.parametrize(
    ("template", "overrides", "expected_en", "expected_hu"),
    [
        (
            "aia_acknowledgement",
            {
                "prima_facie_complete": False,
                "missing_items": ["Annex I(h): taxonomic status"],
                "procedure": "domestic_framework",
                "consent_route": "proceed_without_consent",
                "proceed_from": "2027-05-16",
                "decision_due": None,
                "decision_explanation": None,
            },
            ["Annex I(h): taxonomic status", "Article 10(2)(b)", "16 May 2027", "Article 9(3)"],
            ["Annex I(h): taxonomic status", "2027. május 16.", "belső szabályozási rendszere"],
        ),
        (
            "aia_decision",
            {"result": "prohibition", "conditions": [], "lack_of_scientific_certainty": False},
            ["Decision prohibiting the import", "Article 10(3)(b)", "Article 10(4)"],
            ["megtiltásáról", "10. cikk (3) bekezdés b) pont", "10. cikk (4) bekezdés"],
        ),
        (
            "aia_decision",
            {"result": "approval", "conditions": [], "reasons": None},
            ["approved without conditions"],
            ["feltétel nélkül jóváhagyja"],
        ),
        (
            "bch_publication_outcome",
            {"outcome": "rejected", "public_id": None},
            ["Publication rejected by the national focal point", "correct the record"],
            ["elutasította", "javítsa a rekordot"],
        ),
        (
            "bch_validation_failed",
            {},
            ["reasons: Error.Mandatory", "(record): Error – connection reset"],
            ["reasons: Error.Mandatory", "(rekord): Error – connection reset"],
        ),
        (
            "aia_information_request",
            {"remaining_days": None, "note": None},
            ["not taken into account"],
            ["figyelembe venni azoknak"],
        ),
    ],
)
def test_template_variants(
    template: str, overrides: dict[str, Any], expected_en: list[str], expected_hu: list[str]
) -> None:
    for language, expected in (("en", expected_en), ("hu", expected_hu)):
        rendered = render_email(template, language, context(template, **overrides))
        text = rendered.subject + "\n" + rendered.body
        for phrase in expected:
            assert phrase in text, (language, phrase)
        assert "None" not in text


def test_decision_cites_article_10_6_and_21_5_where_relevant() -> None:
    decision = render_email("aia_decision", "en", context("aia_decision")).body
    assert "Article 10(6)" in decision and "1. Post-release monitoring" in decision
    withdrawal = render_email("aia_withdrawal", "hu", context("aia_withdrawal")).body
    assert "21. cikkének" in withdrawal and "Bizalmas információk" in withdrawal
    missed = render_email("deadline_missed", "en", context("deadline_missed")).body
    assert "Article 9(4)" in missed and "Article 10(5)" in missed


def test_missing_context_is_an_error() -> None:
    incomplete = context("aia_extension")
    del incomplete["new_due"]
    with pytest.raises(jinja2.UndefinedError):
        render_email("aia_extension", "en", incomplete)


# --- sending ------------------------------------------------------------------------------------


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


async def test_runs_as_an_activity(smtp_sink: SmtpSink, db_pool: asyncpg.Pool) -> None:
    activities = EmailActivities(settings_for(smtp_sink), db_pool)
    req = request("deadline_missed", to="head-of-unit@gmo-authority.example.hu")

    delivery = await ActivityEnvironment().run(activities.send_email, req)

    assert delivery.recipient == "head-of-unit@gmo-authority.example.hu"
    [received] = smtp_sink.messages_to("head-of-unit@gmo-authority.example.hu")
    assert "Article 9(4)" in received.get_content()


def test_outcome_without_public_id_key_renders() -> None:
    """bch_publication_outcome is sent for lapsed/rejected requests without a public_id key."""
    ctx = context("bch_publication_outcome", outcome="lapsed")
    del ctx["public_id"]
    for language in ("en", "hu"):
        rendered = render_email("bch_publication_outcome", language, ctx)
        assert "lapsed" in rendered.subject or "érvényét vesztette" in rendered.subject


async def test_case_id_and_authority_default_from_the_request_and_settings(
    smtp_sink: SmtpSink, db_pool: asyncpg.Pool
) -> None:
    activities = EmailActivities(settings_for(smtp_sink), db_pool)
    ctx = context("bch_publication_waiting")
    del ctx["case_id"], ctx["authority_name"]

    delivery = await activities.send_email(request("bch_publication_waiting", context=ctx))

    assert COMMON["case_id"] in delivery.subject
    assert "Géntechnológiai Hatóság" in smtp_sink.messages[0].get_content()
