"""What a food, feed or processing case tells the Parties through the Biosafety Clearing-House
(CP Art 11(1)): the decision with, at a minimum, the Annex II information, as a
``biosafetyDecision`` record. Everything on the BCH is public, as Art 11(1) means it to be.

The record's shape (activities/bch.py) has no field of its own for Annex II, nor an Art 11
decision type: the items are set out, lettered, in the record's reasons, after the decision's
own reasons.
"""

from __future__ import annotations

from datetime import date

from activities.bch import BchDecisionInput
from workflows.ffp.annex_ii import AnnexII, annex_ii_lines
from workflows.ffp.models import FfpDecision, FfpStart

RESULT_WORDS: dict[str, str] = {
    "approval": "approved",
    "approval_with_conditions": "approved with conditions",
    "prohibition": "not approved",
}


def decision_summary(what: str, d: FfpDecision) -> str:
    """The decision in one line, for the case history."""
    return (
        f"Decision on {d.decided_on} on {what}: {RESULT_WORDS[d.result]}"
        + (f"; conditions: {'; '.join(d.conditions)}" if d.conditions else "")
        + (f"; reasons: {d.reasons}" if d.reasons else "")
        + (
            "; taken despite lack of scientific certainty (Art 11(8))"
            if d.lack_of_scientific_certainty
            else ""
        )
    )


def record(
    start: FfpStart, annex: AnnexII, decided: FfpDecision, message_key: str, on: date
) -> BchDecisionInput:
    lmo, uses = annex.c_lmo_name or "(not stated)", start.opening.uses
    what = f"domestic use of {lmo} for direct use as {' or '.join(uses)}"
    reasons = "\n\n".join(
        [
            *([decided.reasons] if decided.reasons else []),
            f"Final decision on {what} (Cartagena Protocol, Article 11(1)).",
            "Information under Annex II of the Protocol:\n" + "\n".join(annex_ii_lines(annex)),
        ]
    )
    return BchDecisionInput(
        message_key=message_key,
        case_id=start.case_id,
        government=start.authority.party,
        title=f"Food, feed or processing (Art 11): {lmo} {RESULT_WORDS[decided.result]} "
        f"({start.case_id})",
        decision_date=decided.decided_on,
        decision_result=decided.result,
        conditions=list(decided.conditions),
        reasons=reasons,
        receipt_date=getattr(start.opening, "application_received_on", None) or start.received_on,
        communication_date=on,
        lmo_name=lmo,
        lmo_unique_identifier=annex.e_unique_identifier,
        risk_assessment_summary=decided.risk_assessment_summary,
        modified_organisms=list(decided.bch_modified_organisms),
        direct_use="import" if start.opening.kind == "first_import" else "domestic_use",
        direct_uses=list(uses),
    )
