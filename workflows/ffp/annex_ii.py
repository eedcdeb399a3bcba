"""Annex II of the Cartagena Protocol: the information a Party gives the others through the BCH,
at a minimum, about its decision on an LMO for direct use as food or feed, or for processing
(Art 11(1)). The Annex has eleven items, (a) to (k).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from workflows.models import Input, Organisation, Text
from workflows.review.models import LmoIdentifier


class AnnexIIItem(StrEnum):
    A = "a"
    B = "b"
    C = "c"
    D = "d"
    E = "e"
    F = "f"
    G = "g"
    H = "h"
    I = "i"  # noqa: E741 - the Annex's own lettering
    J = "j"
    K = "k"


ANNEX_II_DESCRIPTIONS: dict[AnnexIIItem, str] = {
    AnnexIIItem.A: "name and contact details of the applicant for a decision for domestic use",
    AnnexIIItem.B: "name and contact details of the authority responsible for the decision",
    AnnexIIItem.C: "name and identity of the living modified organism",
    AnnexIIItem.D: "description of the gene modification, the technique used, and the resulting "
    "characteristics of the living modified organism",
    AnnexIIItem.E: "any unique identification of the living modified organism",
    AnnexIIItem.F: "taxonomic status, common name, point of collection or acquisition, and "
    "characteristics of recipient organism or parental organisms related to biosafety",
    AnnexIIItem.G: "centres of origin and centres of genetic diversity, if known, of the "
    "recipient organism and/or the parental organisms and a description of the habitats where "
    "the organisms may persist or proliferate",
    AnnexIIItem.H: "taxonomic status, common name, point of collection or acquisition, and "
    "characteristics of the donor organism or organisms related to biosafety",
    AnnexIIItem.I: "approved uses of the living modified organism",
    AnnexIIItem.J: "a risk assessment report consistent with Annex III",
    AnnexIIItem.K: "suggested methods for the safe handling, storage, transport and use, "
    "including packaging, labelling, documentation, disposal and contingency procedures, where "
    "appropriate",
}

# The Protocol's official Hungarian text (promulgated by Act CIX of 2004).
ANNEX_II_DESCRIPTIONS_HU: dict[AnnexIIItem, str] = {
    AnnexIIItem.A: "a hazai felhasználás engedélyezését kérelmező neve és elérhetősége",
    AnnexIIItem.B: "a döntésért felelős hatóság neve és elérhetősége",
    AnnexIIItem.C: "az élő, módosított szervezet neve és azonossága",
    AnnexIIItem.D: "a génmódosítás, az alkalmazott módszer és a kapott élő, módosított szervezet "
    "tulajdonságainak leírása",
    AnnexIIItem.E: "az élő, módosított szervezet bármiféle egyedi ismertetője",
    AnnexIIItem.F: "rendszertani besorolás, köznyelvi név, a begyűjtés vagy megszerzés helyszíne, "
    "valamint a befogadó szervezet vagy szülői szervezetek tulajdonságai a biológiai biztonság "
    "szempontjából",
    AnnexIIItem.G: "amennyiben ismert, a befogadó szervezet és/vagy a szülői szervezetek "
    "géncentrumai, illetve genetikai sokféleség központjai, valamint azon élőhelyek leírása, ahol "
    "az élő szervezetek fellelhetőek vagy szaporodhatnak",
    AnnexIIItem.H: "rendszertani besorolás, köznyelvi név, a begyűjtés vagy megszerzés helyszíne, "
    "valamint a donor szervezet vagy szervezetek tulajdonságai a biológiai biztonság szempontjából",
    AnnexIIItem.I: "az élő, módosított szervezet jóváhagyott felhasználása",
    AnnexIIItem.J: "beszámoló a III. Mellékletnek megfelelő kockázatbecslés eredményeiről",
    AnnexIIItem.K: "javasolt módszerek a biztonságos kezeléshez, tároláshoz, szállításhoz és "
    "felhasználáshoz, beleértve a csomagolást, címkézést, dokumentálást, hulladékelhelyezést és a "
    "kidolgozott biztonsági eljárásokat, ahol van ilyen",
}

# (e) is "any" unique identification: an LMO that has none misses nothing.
ANNEX_II_IF_ANY: frozenset[AnnexIIItem] = frozenset({AnnexIIItem.E})


class AnnexII(Input):
    """Annex II, items (a)-(k). Missing items do not stop a decision being recorded; the Parties
    are informed through the BCH once every item is there (Art 11(1): "at a minimum")."""

    a_applicant: Organisation | None = None
    b_authority: Organisation | None = Field(
        default=None, description="also the authority other Parties ask (Art 11(3))"
    )
    c_lmo_name: Text | None = None
    d_modification: Text | None = None
    e_unique_identifier: LmoIdentifier | None = None
    f_recipient_organism: Text | None = None
    g_centres_of_origin_and_habitats: Text | None = None
    h_donor_organisms: Text | None = None
    i_approved_uses: Text | None = None
    j_risk_assessment_report: Text | None = None
    k_handling_methods: Text | None = None

    def items(self) -> dict[AnnexIIItem, Any]:
        """Each item by its letter (the fields are in the Annex's order)."""
        fields = type(self).model_fields
        return {i: getattr(self, f) for i, f in zip(AnnexIIItem, fields, strict=True)}

    def missing_items(self) -> list[AnnexIIItem]:
        return [i for i, v in self.items().items() if v is None and i not in ANNEX_II_IF_ANY]

    def completed_by(self, other: AnnexII) -> AnnexII:
        """These items, with those ``other`` states put in (or replaced)."""
        return AnnexII.model_validate(self.model_dump() | other.model_dump(exclude_none=True))


def annex_ii_lines(annex: AnnexII) -> list[str]:
    """The items given, in words and lettered as in the Annex: "(c) name and identity ...: X"."""
    return [
        f"({item.value}) {ANNEX_II_DESCRIPTIONS[item]}: {_text(value)}"
        for item, value in annex.items().items()
        if value is not None
    ]


def annex_ii_for_letters(annex: AnnexII) -> list[dict[str, str]]:
    """The items given, for a letter in either language (activities/templates/*/ffp_*.j2)."""
    return [
        {
            "item": item.value,
            "description": ANNEX_II_DESCRIPTIONS[item],
            "description_hu": ANNEX_II_DESCRIPTIONS_HU[item],
            "value": _text(value),
        }
        for item, value in annex.items().items()
        if value is not None
    ]


def _text(value: Any) -> str:
    if isinstance(value, Organisation):
        return ", ".join(p for p in (value.name, value.address, value.contact) if p)
    return str(value)
