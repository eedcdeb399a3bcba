"""Valid bodies for the role matrix's commands and submissions (tests/support/roles.py), also
used by tests that drive a case to a stage: a risk assessment, a decision, a consultation and
its comment, a dossier document, the response-measure commands, Annex II, a treaty deposit.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.support.role_fixture import Fixture


RISK_ASSESSMENT = {
    "carried_out_by": "authority",
    "summary": "No adverse effects expected: no wild relatives of maize occur in Hungary.",
    "overall_risk": "low",
    "recommendation": "Acceptable with a 200 m isolation distance.",
}
DECISION = {"result": "prohibition", "reasons": "Gene flow cannot be excluded."}
# CP Art 23(2): a public consultation, open for a month from about today.
CONSULTATION = {
    "ends_on": (date.today() + timedelta(days=30)).isoformat(),
    "subject": "Confined field trial of maize MON 810",
}
COMMENT = {"name": "Nagy Éva", "comment": "Keep the trial away from organic fields."}


# A dossier document (multipart): the same content each time, so the dossier holds it once.
def DOCUMENT_UPLOAD(_: Fixture) -> dict[str, Any]:  # noqa: N802
    pdf = b"%PDF-1.7\n% role matrix\n%%EOF\n"
    return {"files": {"file": ("matrix.pdf", pdf, "application/pdf")}, "data": {"kind": "other"}}


# SP Arts 2-8: a valid body for each command of a response-measure case.
RESPONSE_COMMANDS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("response-link", {"case_id": "aia-hu-role-matrix"}),
    (
        "damage-evaluation",
        {
            "measurable": "Counted against the baseline survey",
            "significance": {"finding": "not_significant", "reasons": "Recovers in a season"},
            "causal_link": {"established": True, "reasons": "PCR"},
        },
    ),
    (
        "response-measures",
        {
            "operators": [{"name": "SeedCo", "address": "Győr", "email": "ops@seedco.example"}],
            "prevention": [{"kind": "contain", "description": "Fence", "within_days": 20}],
            "reasons": "Spread into a meadow.",
            "remedies": "Administrative review within 15 days.",
        },
    ),
    ("response-follow-up", {"findings": "Fence up"}),
    ("response-completion", {"measure": 1, "findings": "Fenced"}),
    ("authority-measures", {"measures": [1], "reasons": "No fence"}),
    ("response-review", {"kind": "administrative", "body": "Ministry", "grounds": "Costly"}),
    ("response-review-outcome", {"outcome": "upheld", "reasons": "Lawful"}),
    ("response-costs", {"items": [{"kind": "measures", "description": "Fence", "amount": 10}]}),
    ("cost-recovery", {}),
    ("response-payment", {"amount": 10}),
    (
        "response-exemption",
        {"ground": "force_majeure", "reasons": "Flood", "result": {"effect": "close"}},
    ),
)
# CP Art 11: the authority's domestic decision on an LMO for food, feed or processing.
ANNEX_II: dict[str, Any] = {
    "a_applicant": {"name": "Grain Traders Kft.", "address": "Váci út 1, Budapest"},
    "b_authority": {"name": "Géntechnológiai Hatóság", "address": "Budapest", "contact": "gmo@x"},
    "c_lmo_name": "Maize MON 810",
    "d_modification": "cry1Ab gene from Bacillus thuringiensis, particle bombardment",
    "e_unique_identifier": "MON-ØØ81Ø-6",
    "f_recipient_organism": "Zea mays L., maize",
    "g_centres_of_origin_and_habitats": "Mesoamerica; does not persist outside cultivation",
    "h_donor_organisms": "Bacillus thuringiensis subsp. kurstaki",
    "i_approved_uses": "food and feed, processing",
    "j_risk_assessment_report": "EFSA opinion 2009; national assessment 2027",
    "k_handling_methods": "segregated transport; labelled 'genetically modified'",
}
# CP Art 37: a Party's instrument (the case id is treaty-cp-<party>).
DEPOSIT = {
    "treaty": "cp",
    "party": "LU",
    "instrument": "ratification",
    "deposited_on": "2002-08-22",
}
