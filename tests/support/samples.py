"""Realistic test data: an Art 8 notification with every Annex I item."""

from __future__ import annotations

from typing import Any

from workflows.aia.models import Notification


def notification_body(reference: str = "ACME-2027-001", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "notifier_reference": reference,
        "notifier": {
            "name": "Acme Seeds B.V.",
            "address": "Stationsplein 1, 6700 AA Wageningen, Netherlands",
            "email": "regulatory@acme-seeds.example",
            "language": "en",
        },
        "party_of_export": "NL",
        "party_of_import": "HU",
        "annex_i": {
            "a_exporter": {
                "name": "Acme Seeds B.V.",
                "address": "Stationsplein 1, Wageningen, NL",
                "contact": "+31 317 000 000",
            },
            "b_importer": {
                "name": "Alföld Kutató Kft.",
                "address": "Tisza utca 5, 6720 Szeged, HU",
                "contact": "kutatas@alfold.example",
            },
            "c_lmo_name": "Drought-tolerant maize MON 87460",
            "c_lmo_unique_identifier": "MON-8746Ø-4",
            "c_biosafety_level": "not classified in the State of export",
            "d_intended_movement_dates": "April 2027",
            "e_recipient_organism": "Zea mays L. (maize), Poaceae; commercial inbred line",
            "f_centres_of_origin_and_habitats": "Mesoamerica; does not persist outside cultivation",
            "g_donor_organisms": "Bacillus subtilis (cspB gene)",
            "h_modification": "cspB cold-shock protein gene, Agrobacterium-mediated transformation",
            "i_intended_use": "confined field trial in Csongrád-Csanád county",
            "j_quantity": "20 kg of seed",
            "k_risk_assessment_report": "EFSA GMO-NL-2009-70 opinion (2012)",
            "l_handling_methods": "sealed double bags, labelled; disposal by incineration",
            "m_regulatory_status_in_export_state": "authorised for field trials",
            "n_notifications_to_other_states": "none",
            "o_declaration_of_accuracy": True,
        },
        "confidential": [
            {"item": "j", "justification": "commercial planning information"},
        ],
    }
    body.update(overrides)
    return body


def notification(reference: str = "ACME-2027-001", **overrides: Any) -> Notification:
    return Notification.model_validate(notification_body(reference, **overrides))
