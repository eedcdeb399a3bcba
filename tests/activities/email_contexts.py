"""The documented context of every letter template, with realistic values: what the workflows
pass to send_email, shared by the email tests."""

from __future__ import annotations

from datetime import date
from typing import Any

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

# Art 12(3): 90 days from the request for review, explained by the statutory clock.
REVIEW_ANSWER_DUE = compute_deadline(
    period_days=90,
    start=date(2028, 1, 10),
    start_label="the request for review",
    rules=CountingRules(),
)

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

# The context keys the workflow passes for each template (on top of COMMON or REVIEW_COMMON),
# with realistic values.
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


def common(template: str) -> dict[str, Any]:
    # Letters of the reviews, the treaty status and food, feed or processing (CP Arts 11, 12, 37,
    # 39) state no notification: no notifier, no date of receipt.
    no_notification = ("review_", "treaty_", "ffp_", "illegal_", "response_", "emergency_")
    return REVIEW_COMMON if template.startswith(no_notification) else COMMON


def context(template: str, **overrides: Any) -> dict[str, Any]:
    return {**common(template), **CONTEXTS[template], **overrides}
