"""What an advance informed agreement case tells the Biosafety Clearing-House: the Art 10(3)
decision, a request for information (10(3)(c)) or an extension (10(3)(d)), as a
``biosafetyDecision`` record. Everything on the BCH is public, so an Annex I item claimed
confidential never goes into it (Art 21)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from activities.bch import BchDecisionInput, BchParty
from activities.bch_models import BchLink
from workflows.aia.models import AiaState, AnnexIItem, Notification

Result = Literal[
    "approval", "approval_with_conditions", "prohibition", "information_request", "extension"
]

RESULT_WORDS: dict[str, str] = {
    "approval": "import approved without conditions",
    "approval_with_conditions": "import approved with conditions",
    "prohibition": "import prohibited",
    "information_request": "additional information requested",
    "extension": "decision period extended",
}


def record(
    *,
    message_key: str,
    case_id: str,
    notification: Notification,
    received_on: date,
    state: AiaState,
    result: Result,
    on: date,
    reasons: str | None = None,
    conditions: list[str] | None = None,
    extension_days: int | None = None,
    subsequent_imports: str | None = None,
    modified_organisms: list[str] | None = None,
    risk_assessments: list[str] | None = None,
    public_consultation: str | None = None,
    documents: list[BchLink] | None = None,
) -> BchDecisionInput:
    """Exporter and importer go out only when not claimed confidential (Art 21)."""
    confidential = {c.item for c in notification.confidential}
    a = notification.annex_i

    def party(org: Any, item: AnnexIItem, country: str) -> list[BchParty]:
        if org is None or item in confidential:
            return []
        # The BCH keeps exporters and importers as contact records, which need an e-mail
        # address: Annex I gives one in the organisation's contact details, if at all.
        return [BchParty(name=org.name, address=org.address, country=country, contact=org.contact)]

    ra = state.risk_assessment
    return BchDecisionInput(
        message_key=message_key,
        case_id=case_id,
        government=notification.party_of_import,
        title=f"{RESULT_WORDS[result].capitalize()}: {a.c_lmo_name or 'LMO'} ({case_id})",
        decision_date=on,
        decision_result=result,
        conditions=conditions or [],
        reasons=reasons,
        extension_period_days=extension_days,
        receipt_date=received_on,
        acknowledgement_date=state.acknowledged_on,
        communication_date=on,
        exporters=party(a.a_exporter, AnnexIItem.A, notification.party_of_export),
        importers=party(a.b_importer, AnnexIItem.B, notification.party_of_import),
        lmo_name=a.c_lmo_name or "(not stated)",
        lmo_unique_identifier=a.c_lmo_unique_identifier,
        applies_to_subsequent_imports=subsequent_imports,
        risk_assessment_summary=ra.summary if ra else None,
        modified_organisms=modified_organisms or [],
        risk_assessments=risk_assessments or [],
        public_consultation=public_consultation,
        documents=documents or [],
    )
