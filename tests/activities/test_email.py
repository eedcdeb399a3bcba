"""send_email against the real SMTP sink and the real register database."""

from __future__ import annotations

import asyncio
import socket
import uuid
from datetime import date
from typing import Any

import asyncpg
import jinja2
import jinja2.meta
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.email import EmailActivities, EmailRequest, message_id_for
from activities.letters import TEMPLATES, render_email
from infra.settings import Settings
from infra.smtp_sink import SmtpSink
from workflows.clock import CountingRules, compute_deadline

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

# What every letter of the review of decisions (CP Art 12) carries instead: no notification facts.
REVIEW_COMMON: dict[str, Any] = {
    "case_id": "REV-HU-2028-0003",
    "authority_name": "Géntechnológiai Hatóság",
    "party_of_import": "HU",
    "lmo_name": "Maize MON-ØØ81Ø-6",
    "lmo_id": "MON-ØØ81Ø-6",
    "recipient_name": "Acme Seeds B.V.",
}

# The facts the layouts print only when they are present.
LAYOUT_OPTIONAL = {
    "notifier_name",
    "notifier_reference",
    "lmo_id",
    "party_of_export",
    "received_on",
}

# Art 12(3): 90 days from the request for review, explained by the statutory clock.
REVIEW_ANSWER_DUE = compute_deadline(
    period_days=90,
    start=date(2028, 1, 10),
    start_label="the request for review",
    rules=CountingRules(),
)

# The context keys the workflow passes for each template (on top of COMMON or REVIEW_COMMON),
# with realistic values.
# What every letter of an illegal movement (CP Art 25) states about it.
ILLEGAL_FACTS: dict[str, Any] = {
    "party_of_origin": "US",
    "found_on": "2028-01-30",
    "how_found": "border_inspection",
    "circumstances": "Seed lot declared as conventional maize, tested positive at Záhony.",
    "quantity": "1200 kg",
    "held_at": "the customs warehouse at Záhony, sealed",
    "measures_taken": ["Consignment seized", "Importer fined"],
}

# What every letter of a response-measure case (SP Art 5) names: where the damage is.
RESPONSE_MEASURE_LINES: list[dict[str, Any]] = [
    {"number": 1, "article": "SP Art 2(2)(d)(i)", "description": "Fence and harvest the plot",
     "due": "2028-03-01", "completed_on": None},
    {"number": 2, "article": "SP Art 2(2)(d)(ii)(a)", "description": "Restore the meadow",
     "due": "2028-09-01", "completed_on": None},
]  # fmt: skip

CONTEXTS: dict[str, dict[str, Any]] = {
    # response measures, SP Art 5
    "response_decision": {
        "location": "Szigetköz, plot 12",
        "decided_on": "2028-02-01",
        "measures": RESPONSE_MEASURE_LINES,
        "restoration_not_possible": None,
        "reasons": "Volunteer plants spread beyond the plot.",
        "remedies": "Administrative review within 15 days; judicial review thereafter.",
        "review_suspends": False,
        "follow_up_days": 30,
    },
    "response_follow_up": {
        "location": "Szigetköz, plot 12",
        "measures": RESPONSE_MEASURE_LINES,
        "checked_on": "2028-03-02",
    },
    "response_follow_up_due": {
        "location": "Szigetköz, plot 12",
        "checked_on": "2028-03-02",
        "open_measures": 2,
    },
    "response_authority_measures": {
        "location": "Szigetköz, plot 12",
        "measures": [1],
        "reasons": "The operator did not fence the plot.",
        "on": "2028-03-05",
    },
    "response_cost_demand": {
        "location": "Szigetköz, plot 12",
        "costs": [{"kind": "measures", "description": "Fencing", "amount": 1200000}],
        "total": 1200000,
        "recoverable": 1000000,
        "currency": "HUF",
        "explanation": "costs 1200000 HUF (SP Art 5(5)); limited to 1000000 HUF (SP Art 8)",
        "due": "2028-04-05",
        "notes": None,
    },
    "response_closed": {"location": "Szigetköz, plot 12", "reason": "completed"},
    # illegal transboundary movements, CP Art 25
    "illegal_disposal_request": {
        **ILLEGAL_FACTS,
        "reply_by": "2028-03-02",
        "explanation": "30 days from the request to dispose 2028-02-01 = 2028-03-02",
    },
    "illegal_follow_up": {
        **ILLEGAL_FACTS,
        "follow_up_number": 1,
        "requested_on": "2028-02-01",
        "missed_due": "2028-03-02",
        "reply_by": "2028-04-02",
        "explanation": "30 days from the follow-up letter 2028-03-03 = 2028-04-02",
    },
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
        "consultation": {
            "opened_on": "2027-03-01",
            "ends_on": "2027-03-31",
            "subject": "Confined field trial of maize MON 810 near Szeged",
            "closed_on": "2027-03-31",
        },
        "consultation_results": "Twelve comments; the isolation distance was raised to 400 m.",
    },
    "aia_withdrawal": {
        "withdrawn_on": "2027-04-02",
        "reason": "The field trial was cancelled.",
    },
    "aia_may_proceed": {"proceed_from": "2027-05-16"},
    "aia_simplified": {
        "kind": "movement_at_notification",
        "specification_reference": "HU-SP-2027-1",
        "specification_title": "Field trials of maize MON 810",
        "legal_basis": "Government Decree 1/2027",
        "adequate_measures": "Isolation distance of 200 m; monitoring by the authority.",
        "bch_record": "0B0E0E0E-0000-4000-8000-000000000001@1",
        "missing_items": ["(j) quantity of the living modified organism to be transferred"],
    },
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
        # a case entered late: the other deadlines that lapsed with it, escalated together
        "also_missed": [
            {
                "deadline_label": "Decision on the import",
                "article": "CP Art 10(3)",
                "due": "2027-10-07",
                "days_overdue": 1,
                "explanation": "270 days from receipt 2027-01-10 = 2027-10-07",
            }
        ],
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
    # the review of decisions, CP Art 12
    "review_decision_changed": {
        "decision_case_id": "AIA-HU-2027-0042",
        "changed_on": "2028-03-01",
        "new_result": "approval_with_conditions",
        "conditions": ["Post-release monitoring for five seasons", "Isolation distance 400 m"],
        "reasons": "Outcrossing at 200 m can no longer be ruled out; the conditions are tightened.",
        "new_information": "A 2027 field study found outcrossing with wild relatives at 300 m.",
        "risk_assessment_required": True,
        "inform_due": "2028-03-31",
    },
    "review_request_received": {
        "requested_on": "2028-01-10",
        "grounds": "change_in_circumstances",
        "answer_due": "2028-04-09",
        "answer_due_explanation": REVIEW_ANSWER_DUE.explanation,
    },
    "review_answer": {
        "requested_on": "2028-01-10",
        "grounds": "additional_information",
        "answered_on": "2028-03-20",
        "outcome": "decision_changed",
        "reasons": "The new study changes the outcome of the risk assessment.",
        "new_result": "prohibition",
        "conditions": [],
        "risk_assessment_required": False,
    },
    # treaty status, CP Arts 37, 39 and SP Arts 18, 20: to the case officers
    "treaty_entry_into_force": {
        "treaty": "cp",
        "party": "HU",
        "instrument": "ratification",
        "deposited_on": "2004-01-13",
        "in_force_on": "2004-04-12",
        "withdrawal_possible_from": "2006-04-12",
        "article": "CP Art 37(2)",
        "explanation": "90 days from deposit of the instrument 2004-01-13 = 2004-04-12",
    },
    "treaty_withdrawal_effective": {
        "treaty": "sp",
        "party": "HU",
        "withdrawn_on": "2031-03-01",
        "notice_received_on": "2030-03-01",
        "protocol_case_id": "treaty-cp-hu",
        "article": "SP Art 20(3)",
        "explanation": "the withdrawal from the Cartagena Protocol, notified to the Depositary "
        "2030-03-01, withdraws the Party from this Supplementary Protocol too (SP Art 20(3)) = "
        "2031-03-01",
    },
    # unintentional transboundary movements and emergencies, CP Art 17
    "emergency_notification": {
        "recipient_party": "AT",
        "reference": "EM-2028-001",
        "learned_on": "2028-02-02",
        "affected_states": ["AT", "SK"],
        "a_quantities_and_characteristics": "About 2 tonnes of seed; glyphosate tolerant.",
        "b_release_circumstances": "A lorry overturned near Hegyeshalom.",
        "b_release_date": "2028-02-01",
        "b_use_in_originating_party": "Imported for processing into oil.",
        "c_adverse_effects_and_risk_management": "Feral populations possible; verge mown.",
        "d_other_information": "Documents under Art 18(2)(a).",
        "e_point_of_contact": {
            "name": "Dr Kiss Anna",
            "organisation": "Géntechnológiai Hatóság",
            "address": "Budapest",
            "email": "gmo-emergency@authority.example",
            "phone": "+36 1 555 0100",
            "country": None,
        },
    },
    "emergency_follow_up": {
        "follow_up": 2,
        "follow_up_days": 14,
        "not_consulted": ["SK"],
        "without_response": ["AT", "SK"],
        "measures": [
            {"taken_on": "2028-02-03", "taken_by": "the authority", "description": "Verge mown."}
        ],
    },
    # food, feed or processing, CP Art 11
    "ffp_decision_copy": {
        "recipient_party": "BO",
        "uses": ["food", "feed"],
        "decided_on": "2028-02-01",
        "result": "approval_with_conditions",
        "conditions": ["Labelled 'genetically modified' on every consignment"],
        "reasons": "The risk assessment found no risk beyond that of conventional maize.",
        "risk_assessment_summary": None,
        "lack_of_scientific_certainty": False,
        "annex_ii": [
            {
                "item": "c",
                "description": "name and identity of the living modified organism",
                "description_hu": "az élő, módosított szervezet neve és azonossága",
                "value": "Maize MON 810",
            }
        ],
    },
    "ffp_information_answer": {
        "requesting_party": "BO",
        "requested_on": "2028-03-01",
        "items": ["Event-specific detection method"],
        "answer": "The validated PCR method is at the EU Reference Laboratory.",
        "answered_on": "2028-03-20",
    },
    "ffp_first_import_decision": {
        "application_received_on": "2028-01-10",
        "uses": ["processing"],
        "decided_on": "2028-06-01",
        "result": "prohibition",
        "conditions": [],
        "reasons": "Spillage in transport could not be excluded.",
        "risk_assessment_summary": "Moderate risk of spillage along the transport routes.",
        "lack_of_scientific_certainty": True,
    },
    # CP Art 21: letters to the notifier about its confidentiality claims.
    "confidentiality_justification_request": {
        "recipient_name": "Acme Seeds B.V.",
        "notification_case_id": "aia-hu-acme-2027-001",
        "items": ["h"],
        "descriptions": ["Annex I item (h), description of the nucleic acid"],
        "due": "2027-02-10",
    },
    "confidentiality_consultation": {
        "recipient_name": "Acme Seeds B.V.",
        "notification_case_id": "aia-hu-acme-2027-001",
        "item": "h",
        "description": "Annex I item (h), description of the nucleic acid",
        "grounds": "The construct is described in a published patent.",
        "due": "2027-03-10",
    },
    "confidentiality_decision": {
        "recipient_name": "Acme Seeds B.V.",
        "notification_case_id": "aia-hu-acme-2027-001",
        "item": "h",
        "description": "Annex I item (h), description of the nucleic acid",
        "outcome": "not_confidential",
        "reasons": "The construct is described in a published patent.",
        "review_until": "2027-04-10",
    },
    "confidentiality_review_decision": {
        "recipient_name": "Acme Seeds B.V.",
        "notification_case_id": "aia-hu-acme-2027-001",
        "item": "h",
        "description": "Annex I item (h), description of the nucleic acid",
        "outcome": "rejection_upheld",
        "reasons": "The patent is public.",
    },
    "confidentiality_withdrawal": {
        "recipient_name": "Acme Seeds B.V.",
        "notification_case_id": "aia-hu-acme-2027-001",
        "items": ["h"],
        "descriptions": ["Annex I item (h), description of the nucleic acid"],
        "withdrawn_on": "2027-05-10",
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
        "aia_simplified": "Article 13",
        "deadline_reminder": "Article 10(3)",
        "deadline_missed": "Article 9(1)",
        "delivery_failed": "Articles 9 and 10",
        "bch_validation_failed": "Article 10(3)",
        "bch_publication_waiting": "Article 20",
        "bch_publication_outcome": "Article 10(3)",
        "review_decision_changed": "Article 12(1)",
        "review_request_received": "Article 12(2)",
        "review_answer": "Article 12(3)",
        "treaty_entry_into_force": "Article 37(2)",
        "treaty_withdrawal_effective": "Article 20(3)",
        "ffp_decision_copy": "Article 11(1)",
        "ffp_information_answer": "Article 11(3)",
        "ffp_first_import_decision": "Article 11(6)",
        "emergency_notification": "Article 17(1)",
        "emergency_follow_up": "Article 17(4)",
        "illegal_disposal_request": "Article 25(2)",
        "illegal_follow_up": "Article 25(2)",
        "confidentiality_justification_request": "Article 21(1)",
        "confidentiality_consultation": "Article 21(2)",
        "confidentiality_decision": "Article 21(2)",
        "confidentiality_review_decision": "Article 21(2)",
        "confidentiality_withdrawal": "Article 21(5)",
        "response_decision": "Article 5(2)",
        "response_follow_up": "Article 5(2)",
        "response_follow_up_due": "Article 5(2)",
        "response_authority_measures": "Article 5(4)",
        "response_cost_demand": "Article 5(5)",
        "response_closed": "Article 5",
    },
    "hu": {
        "aia_acknowledgement": "9. cikk",
        "aia_information_request": "10. cikk (3) bekezdés c) pont",
        "aia_extension": "10. cikk (3) bekezdés d) pont",
        "aia_decision": "10. cikk (3) bekezdés a) pont",
        "aia_withdrawal": "21. cikk (5) bekezdés",
        "aia_may_proceed": "10. cikk (2) bekezdés b) pont",
        "aia_simplified": "13. cikk",
        "deadline_reminder": "10. cikk (3) bekezdés",
        "deadline_missed": "9. cikk (1) bekezdés",
        "delivery_failed": "9. és 10. cikk",
        "bch_validation_failed": "10. cikk (3) bekezdés",
        "bch_publication_waiting": "20. cikk",
        "bch_publication_outcome": "10. cikk (3) bekezdés",
        "review_decision_changed": "12. cikk (1) bekezdés",
        "review_request_received": "12. cikk (2) bekezdés",
        "review_answer": "12. cikk (3) bekezdés",
        "treaty_entry_into_force": "37. cikk (2) bekezdés",
        "treaty_withdrawal_effective": "20. cikk (3) bekezdés",
        "ffp_decision_copy": "11. cikk (1) bekezdés",
        "ffp_information_answer": "11. cikk (3) bekezdés",
        "ffp_first_import_decision": "11. cikk (6) bekezdés",
        "emergency_notification": "17. cikk (1) bekezdés",
        "emergency_follow_up": "17. cikk (4) bekezdés",
        "illegal_disposal_request": "25. cikk (2) bekezdés",
        "illegal_follow_up": "25. cikk (2) bekezdés",
        "confidentiality_justification_request": "21. cikk (1) bekezdés",
        "confidentiality_consultation": "21. cikk (2) bekezdés",
        "confidentiality_decision": "21. cikk (2) bekezdés",
        "confidentiality_review_decision": "21. cikk (2) bekezdés",
        "confidentiality_withdrawal": "21. cikk (5) bekezdés",
        "response_decision": "5. cikk (2)",
        "response_follow_up": "5. cikk (2) bekezdés",
        "response_follow_up_due": "5. cikk (2) bekezdés",
        "response_authority_measures": "5. cikk (4) bekezdés",
        "response_cost_demand": "5. cikk (5) bekezdés",
        "response_closed": "5. cikk",
    },
}


def common(template: str) -> dict[str, Any]:
    # Letters of the reviews, the treaty status and food, feed or processing (CP Arts 11, 12, 37,
    # 39) state no notification: no notifier, no date of receipt.
    no_notification = ("review_", "treaty_", "ffp_", "illegal_", "response_", "emergency_")
    return REVIEW_COMMON if template.startswith(no_notification) else COMMON


def context(template: str, **overrides: Any) -> dict[str, Any]:
    return {**common(template), **CONTEXTS[template], **overrides}


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
    ctx = context(template)
    rendered = render_email(template, language, ctx)

    assert ARTICLE_IN_SUBJECT[language][template] in rendered.subject
    assert ctx["case_id"] in rendered.subject
    assert "\n" not in rendered.subject
    assert ctx["case_id"] in rendered.body
    assert "None" not in rendered.subject + rendered.body
    assert "{{" not in rendered.body and "{%" not in rendered.body
    if "received_on" in ctx and not template.startswith("bch_"):  # bch_: officers, a record
        received_on = "2027. január 10." if language == "hu" else "10 January 2027"
        assert received_on in rendered.body
    if template.startswith("review_"):  # addressed by name, with no AIA notification facts
        greeting = "Tisztelt Acme Seeds B.V.!" if language == "hu" else "Dear Acme Seeds B.V.,"
        assert rendered.body.startswith(greeting + "\n")
        for fact in ("Notifier:", "Bejelentő:", "Party of export", "Exportáló", "received on"):
            assert fact not in rendered.body
        assert (
            "Importáló Részes Fél: Magyarország" if language == "hu" else "Party of import: Hungary"
        ) in rendered.body


@pytest.mark.parametrize("language", ["en", "hu"])
@pytest.mark.parametrize("template", TEMPLATES)
def test_templates_use_only_the_documented_context_keys(template: str, language: str) -> None:
    from activities.letters import _ENV

    assert _ENV.loader is not None
    used: set[str] = set()
    name: str | None = f"{language}/{template}.j2"
    while name is not None:  # the template and every layout it extends
        ast = _ENV.parse(_ENV.loader.get_source(_ENV, name)[0])
        found = jinja2.meta.find_undeclared_variables(ast)
        is_layout = name.partition("/")[2].startswith("_")
        used |= found - LAYOUT_OPTIONAL if is_layout else found
        name = next(iter(jinja2.meta.find_referenced_templates(ast)), None)
    assert used - {"language"} <= set(common(template)) | set(CONTEXTS[template])


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


def test_a_hungarian_letter_names_the_party_in_hungarian() -> None:
    body = render_email("aia_decision", "hu", context("aia_decision")).body
    assert "Géntechnológiai Hatóság, Magyarország illetékes\nnemzeti hatósága" in body
    assert "\nMagyarország illetékes nemzeti hatósága a Biológiai Biztonságról" in body
    assert "Exportáló Részes Fél: Hollandia; importáló Részes Fél: Magyarország" in body
    assert "nem akadályozta meg Magyarország hatóságát" in body
    assert "HU illetékes" not in body and "HU hatóságát" not in body and ": NL" not in body


def test_an_english_letter_names_the_party_in_english() -> None:
    body = render_email("aia_decision", "en", context("aia_decision")).body
    assert "the competent national authority of Hungary, has taken" in body
    assert "Competent national authority of Hungary under the Cartagena Protocol" in body
    assert "Party of export: Netherlands; Party of import: Hungary" in body
    assert "prevented Hungary from taking this decision" in body
    assert " HU" not in body and " NL" not in body


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            [
                "the competent national authority of\nthe United Kingdom, acknowledges",
                'organism "Maize MON-ØØ81Ø-6" from the United States.',
                "Party of export: United States; Party of import: United Kingdom",
                "Competent national authority of the United Kingdom under",
            ],
        ),
        (
            "hu",
            [
                "Géntechnológiai Hatóság, az Egyesült Királyság illetékes nemzeti hatósága",
                "szervezet az Egyesült Államok felől történő",
                "Exportáló Részes Fél: Egyesült Államok; importáló Részes Fél: Egyesült Királyság",
                "\nAz Egyesült Királyság illetékes nemzeti hatósága a Biológiai",
            ],
        ),
    ],
)
def test_party_names_take_the_article_running_text_needs(
    language: str, expected: list[str]
) -> None:
    ctx = context("aia_acknowledgement", party_of_import="GB", party_of_export="US")
    body = render_email("aia_acknowledgement", language, ctx).body
    for phrase in expected:
        assert phrase in body, phrase


def test_an_unknown_party_code_is_printed_as_it_is() -> None:
    for language in ("en", "hu"):
        ctx = context("aia_decision", party_of_export="QQ")
        assert "QQ; " in render_email("aia_decision", language, ctx).body


def test_review_letters_without_optional_facts() -> None:
    ctx = context(
        "review_decision_changed", lmo_id=None, decision_case_id=None, new_information=None
    )
    for language in ("en", "hu"):
        body = render_email("review_decision_changed", language, ctx).body
        assert "AIA-HU-2027-0042" not in body and "None" not in body
        assert "identifier" not in body and "azonosító" not in body
        assert "\n\nReasons for the decision" in body or "\n\nA döntés indokai" in body


@pytest.mark.parametrize(
    ("template", "overrides", "expected_en", "expected_hu"),
    [
        (
            "review_decision_changed",
            {},
            [
                "it has reviewed and changed its decision of case AIA-HU-2027-0042",
                "approved subject to the following conditions:\n  1. Post-release monitoring",
                "New scientific information on which the change is based: A 2027 field study",
                "Reasons for the decision (Article 12(1)): Outcrossing",
                "Subsequent imports: under Article 12(4), Hungary requires a risk\nassessment",
                "to be informed of the change within thirty\ndays, that is by 31 March 2028.",
                "Living modified organism: Maize MON-ØØ81Ø-6 (unique identifier MON-ØØ81Ø-6)",
            ],
            [
                "12. cikkének („A döntések felülvizsgálata”) (1) bekezdése alapján",
                "döntését (ügyszám: AIA-HU-2027-0042).",
                "az alábbi feltételekkel hagyja jóvá:\n  1. Post-release monitoring",
                "A döntés indokai (12. cikk (1) bekezdés): Outcrossing",
                "a 12. cikk (4) bekezdése alapján Magyarország\nennek az élő, módosított "
                "szervezetnek az újabb importálását megelőzően kockázatbecslést kér.",
                "A határidő utolsó napja:\n2028. március 31.",
                "Élő, módosított szervezet: Maize MON-ØØ81Ø-6 (egyedi azonosító: MON-ØØ81Ø-6)",
            ],
        ),
        (
            "review_decision_changed",
            {"new_result": "prohibition", "conditions": [], "risk_assessment_required": False},
            ["The decision as changed: the import is prohibited."],
            ["A módosított döntés: az importálást megtiltja."],
        ),
        (
            "review_request_received",
            {},
            [
                "Acknowledgement of a request for review of a decision",
                "Date of the request: 10 January 2028.",
                "change in circumstances has occurred that may influence the outcome of the risk",
                "(Article 12(2)(a))",
                "within ninety days",
                "Answer due by: 9 April 2028.",
                "How the date is computed: 90 days from the request for review 2028-01-10 "
                "= 2028-04-09",
            ],
            [
                "A döntés felülvizsgálata iránti kérelem átvételének visszaigazolása",
                "A kérelem kelte: 2028. január 10.",
                "(12. cikk (2) bekezdés a) pont)",
                "kilencven napon belül írásban válaszol",
                "A válasz határideje: 2028. április 9.",
            ],
        ),
        (
            "review_request_received",
            {"grounds": "additional_information"},
            ["scientific or technical information has become available\n    (Article 12(2)(b))"],
            ["műszaki információk váltak elérhetővé\n   (12. cikk (2) bekezdés b) pont)"],
        ),
        (
            "review_answer",
            {},
            [
                "Answer to the request for review: decision changed (Cartagena Protocol, "
                "Article 12(3))",
                "Answer: the decision is changed.\nThe decision as changed: the import is "
                "prohibited.",
                "Reasons for the decision (Article 12(3)): The new study",
                "Date of this answer: 20 March 2028.",
                "made available to the Biosafety Clearing-House\n(Article 20(3)(d))",
            ],
            [
                "Válasz a döntés felülvizsgálata iránti kérelemre: a döntés módosítása",
                "Válasz: a döntés módosul.\nA módosított döntés: az importálást megtiltja.",
                "A döntés indokai (12. cikk (3) bekezdés): The new study",
                "A válasz kelte: 2028. március 20.",
                "(20. cikk (3) bekezdés d) pont)",
            ],
        ),
        (
            "review_answer",
            {
                "outcome": "decision_maintained",
                "new_result": None,
                "grounds": "change_in_circumstances",
                "risk_assessment_required": True,
            },
            [
                "Answer to the request for review: decision maintained",
                "Answer: the decision is maintained.",
                "(Article 12(2)(a))",
                "under Article 12(4), Hungary requires a risk",
            ],
            [
                "Válasz a döntés felülvizsgálata iránti kérelemre: a döntés fenntartása",
                "Válasz: a döntés változatlanul hatályban marad.",
                "(12. cikk (2) bekezdés a) pont)",
                "a 12. cikk (4) bekezdése alapján Magyarország",
            ],
        ),
    ],
)
def test_review_letters(
    template: str, overrides: dict[str, Any], expected_en: list[str], expected_hu: list[str]
) -> None:
    for language, expected in (("en", expected_en), ("hu", expected_hu)):
        rendered = render_email(template, language, context(template, **overrides))
        text = rendered.subject + "\n" + rendered.body
        for phrase in expected:
            assert phrase in text, (language, phrase)
        assert "None" not in text
    maintained = render_email(template, "en", context(template, **overrides)).body
    if overrides.get("outcome") == "decision_maintained":
        assert "as changed" not in maintained and "Clearing-House" not in maintained


def test_review_acknowledgement_explains_the_answer_date_in_hungarian() -> None:
    ctx = context(
        "review_request_received", answer_due_explanation=REVIEW_ANSWER_DUE.explanation_hu
    )
    body = render_email("review_request_received", "hu", ctx).body
    assert (
        "A határidő számítása: 90 nap a felülvizsgálati kérelem kézhezvétele napjától "
        "(2028-01-10) számítva = 2028-04-09"
    ) in body


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


@pytest.mark.parametrize(("language", "heading"), [("en", "Also missed"), ("hu", "Szintén")])
def test_lapses_escalated_together_are_listed(language: str, heading: str) -> None:
    listed = render_email("deadline_missed", language, context("deadline_missed")).body
    assert heading in listed and "2027-10-07" in listed
    alone = context("deadline_missed") | {"also_missed": []}
    assert heading not in render_email("deadline_missed", language, alone).body
