"""What an illegal-movement case makes available to the Biosafety Clearing-House (CP Art 25(3)):
a ``biosafetyDecision`` communication whose movement type is "illegal".

Everything on the BCH is public. The record states the LMO, the Party of origin, when and how the
movement was found, the quantity, the domestic measures taken and the request under Art 25(2);
not the officers' free-text account of the circumstances nor where the LMO is held, which may
name persons and places: those go only to the Party of origin, in the letters.
"""

from __future__ import annotations

from datetime import date

from activities.bch import BchDecisionInput
from workflows.illegal.models import HOW_FOUND_WORDS, IllegalStart


def report(start: IllegalStart, message_key: str, requested_on: date) -> BchDecisionInput:
    m = start.movement
    lmo = m.lmo_name + (f" (unique identifier {m.lmo_id})" if m.lmo_id else "")
    origin = m.party_of_origin.party
    text = "\n\n".join(
        [
            f"Illegal transboundary movement (Cartagena Protocol, Article 25) of {lmo} from "
            f"the Party of origin {origin}, found within the jurisdiction of "
            f"{start.authority.party} {HOW_FOUND_WORDS[m.how_found]} on {m.found_on}.",
            f"Quantity: {m.quantity.words()}.",
            "Domestic measures taken (Article 25(1)):\n"
            + "\n".join(f"- {measure}" for measure in m.measures_taken),
            f"On {requested_on} the Party of origin was requested to dispose of the living "
            "modified organism at its own expense by repatriation or destruction, as "
            "appropriate (Article 25(2)).",
        ]
    )
    return BchDecisionInput(
        message_key=message_key,
        case_id=start.case_id,
        government=start.authority.party,
        title=f"Illegal transboundary movement (Art 25): {m.lmo_name} from {origin} "
        f"({start.case_id})",
        decision_date=requested_on,
        receipt_date=m.found_on,
        communication_date=requested_on,
        lmo_name=m.lmo_name,
        lmo_unique_identifier=m.lmo_id,
        modified_organisms=list(m.bch_modified_organisms),
        illegal_movement=text,
    )
