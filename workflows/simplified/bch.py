"""What a specification tells the Biosafety Clearing-House (CP Art 13(1): "specify in advance to
the Biosafety Clearing-House"): a ``biosafetyDecision`` record whose one subject is the simplified
procedure, with its Art 13 flags (activities/bch_record.py, ``_simplified_procedure``). An
amendment or the withdrawal is a new record that amends the last published one. Everything on
the BCH is public; a specification holds nothing confidential.
"""

from __future__ import annotations

from datetime import date

from activities.bch import BchDecisionInput
from workflows.simplified.models import KIND_WORDS, SimplifiedStart, Specification

USE_WORDS = {
    "field_trial": "field trials",
    "commercial_release": "commercial release",
    "other_release": "other introduction into the environment",
}


def lines(spec: Specification) -> list[str]:
    """The specification in words: the BCH record's information and the case history say it."""
    lmos = "; ".join(f"{name} ({lmo_id})" for lmo_id, name in spec.lmos.items())
    until = f" to {spec.expires_on}" if spec.expires_on else ", until withdrawn"
    return [
        f"Specification under Article 13(1) of the Cartagena Protocol: {KIND_WORDS[spec.kind]}.",
        f"Living modified organisms: {lmos}.",
        f"Uses: {', '.join(USE_WORDS[u] for u in spec.uses)}.",
        "Parties of export: "
        + (", ".join(spec.parties_of_export) if spec.parties_of_export else "any")
        + ".",
        f"In effect from {spec.effective_on}{until}.",
        *(
            ["The notification applies to subsequent similar movements to this Party."]
            if spec.applies_to_subsequent_movements
            else []
        ),
        f"Measures applied to ensure the safe movement: {spec.adequate_measures}",
        f"Domestic legal basis: {spec.legal_basis}",
    ]


def record(
    start: SimplifiedStart,
    spec: Specification,
    message_key: str,
    on: date,
    *,
    amends: str | None = None,
    amendment: str | None = None,
    withdrawn: bool = False,
) -> BchDecisionInput:
    first_id, first_name = next(iter(spec.lmos.items()))
    single = len(spec.lmos) == 1
    a, b = spec.kind == "movement_at_notification", spec.kind == "exempt_from_aia"
    state = "Withdrawn: " if withdrawn else ("Amended: " if amends else "")
    return BchDecisionInput(
        message_key=message_key,
        case_id=start.case_id,
        government=start.authority.party,
        title=f"{state}Simplified procedure (Art 13): {spec.title} ({start.case_id})",
        decision_date=on,
        decision_result="approval",
        reasons="\n\n".join(
            [*([f"Withdrawn on {on}: {amendment}"] if withdrawn else []), *lines(spec)]
        ),
        receipt_date=start.received_on,
        communication_date=on,
        lmo_name=first_name if single else "; ".join(f"{n} ({i})" for i, n in spec.lmos.items()),
        lmo_unique_identifier=first_id if single else None,
        modified_organisms=list(start.opening.bch_modified_organisms),
        # A withdrawn specification allows nothing any longer: its flag says no.
        movement_allowed_under_13_1_a=(not withdrawn) if a else None,
        exempt_from_aia=(not withdrawn) if b else None,
        applies_to_subsequent_imports_art13=(
            True if a and spec.applies_to_subsequent_movements and not withdrawn else None
        ),
        amended_records=[amends] if amends else [],
        amendment_details=amendment if amends else None,
    )
