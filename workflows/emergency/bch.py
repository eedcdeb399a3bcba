"""What an emergency case tells the Biosafety Clearing-House (CP Art 17(1)): a communication on
an unintentional transboundary movement, as a ``biosafetyDecision`` record whose Art 17 fields
hold the items of 17(3). Everything on the BCH is public, as Art 17(1) means it to be.
"""

from __future__ import annotations

from datetime import date

from activities.bch import BchDecisionInput
from activities.bch_models import BchMovement, BchParty
from workflows.emergency.models import EmergencyStart


def record(start: EmergencyStart, message_key: str, on: date) -> BchDecisionInput:
    o, poc = start.occurrence, start.occurrence.e_point_of_contact
    states = ", ".join(dict.fromkeys(s.party for s in o.affected_states))
    return BchDecisionInput(
        message_key=message_key,
        case_id=start.case_id,
        government=start.authority.party,
        title=f"Unintentional transboundary movement (Art 17): release of {o.lmo_name} "
        f"({start.case_id})",
        decision_date=on,
        receipt_date=start.received_on,
        communication_date=on,
        lmo_name=o.lmo_name,
        lmo_unique_identifier=o.lmo_id,
        movement=BchMovement(
            release_information=f"Release of {o.lmo_name} under the jurisdiction of "
            f"{start.authority.party}, known to the competent authority on "
            f"{start.received_on}, that leads or may lead to an unintentional transboundary "
            f"movement (Cartagena Protocol, Article 17(1)). Affected or potentially affected "
            f"States: {states}.",
            estimated_quantities=o.a_quantities_and_characteristics,
            release_circumstance=o.b_release_circumstances,
            release_date=o.b_release_date,
            lmo_use_information=o.b_use_in_originating_party,
            adverse_effect_information=o.c_adverse_effects_and_risk_management,
            other_information=o.d_other_information,
            points_of_contact=[
                BchParty(
                    name=poc.organisation,
                    address=poc.address,
                    country=poc.country or start.authority.party,
                    emails=[poc.email],
                    contact=", ".join(x for x in (poc.name, poc.phone) if x),
                )
            ],
        ),
    )
