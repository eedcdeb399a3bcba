"""The Art 8 notification of the advance informed agreement: its Annex I items, the claims of
confidentiality it carries (Art 21(1)), the notifier's reference, and the fingerprint that tells
a resubmission from a different notification under the same reference.

Field constraints are the first line of defence (the API turns them into 422s).
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import (
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)

from workflows.models import (
    PLAIN_TEXT_PATTERN,
    TEXT_MAX_LENGTH,
    CountryCode,
    Input,
    Notifier,
    Organisation,
)
from workflows.simplified.models import Use

# Text a confidentiality case copies from the notification, so bounded as it keeps it: at most
# TEXT_MAX_LENGTH characters. The document states the bound and the API refuses a longer one
# (api/procedures/aia.py); decoding a running case's notification does not, so that none
# recorded before the bound stops replaying.
BoundedText = Annotated[
    str,
    WithJsonSchema({"type": "string", "maxLength": TEXT_MAX_LENGTH, "pattern": PLAIN_TEXT_PATTERN}),
]

NotifierReference = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"),
    Field(
        description="The notifier's own reference for this notification: letters, digits, "
        "'.', '_' and '-', at most 64 characters, not case-sensitive (ACME-1 and acme-1 are the "
        "same reference). Resubmitting the same notification under it returns the same case.",
        examples=["ACME-2027-001"],
    ),
]
# OECD unique identifier: developer code (2-3), event code (5-6), check digit; e.g. MON-ØØ81Ø-6
_OECD_ID = re.compile(r"^[A-Z0-9Ø]{2,3}-[A-Z0-9Ø]{5,6}-[0-9]$")
# The same in the OpenAPI document, in either letter case (it is upper-cased when read).
_OECD_ID_ANY_CASE = _OECD_ID.pattern.replace("A-Z0-9Ø", "A-Za-z0-9Øø")


class AnnexIItem(StrEnum):
    """The items a notification must contain at a minimum (CP Art 8(1), Annex I (a)-(o))."""

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
    L = "l"
    M = "m"
    N = "n"
    O = "o"  # noqa: E741


ANNEX_I_DESCRIPTIONS: dict[AnnexIItem, str] = {
    AnnexIItem.A: "name, address and contact details of the exporter",
    AnnexIItem.B: "name, address and contact details of the importer",
    AnnexIItem.C: "name and identity of the LMO and its domestic biosafety classification",
    AnnexIItem.D: "intended date or dates of the transboundary movement, if known",
    AnnexIItem.E: "taxonomic status, common name, point of collection or acquisition, and "
    "characteristics of the recipient or parental organisms",
    AnnexIItem.F: "centres of origin and genetic diversity, and the habitats where the "
    "organisms may persist or proliferate",
    AnnexIItem.G: "taxonomic status, common name, point of collection or acquisition, and "
    "characteristics of the donor organism or organisms",
    AnnexIItem.H: "description of the nucleic acid or modification, the technique used, and "
    "the resulting characteristics of the LMO",
    AnnexIItem.I: "intended use of the LMO or products thereof",
    AnnexIItem.J: "quantity or volume of the LMO to be transferred",
    AnnexIItem.K: "previous and existing risk assessment report consistent with Annex III",
    AnnexIItem.L: "suggested methods for safe handling, storage, transport and use",
    AnnexIItem.M: "regulatory status of the LMO within the State of export",
    AnnexIItem.N: "result and purpose of any notification by the exporter to other States",
    AnnexIItem.O: "declaration that the information is factually correct",
}

# Items the Annex itself qualifies with "if known": their absence is not an omission.
ANNEX_I_IF_KNOWN: frozenset[AnnexIItem] = frozenset({AnnexIItem.D})

# Art 21(6): never confidential. (a) the notifier's name and address are kept outside Annex I
# (Notifier) and are never confidential; (b) the general description of the LMO is item (c).
NEVER_CONFIDENTIAL: frozenset[AnnexIItem] = frozenset({AnnexIItem.C})


class AnnexI(Input):
    """Annex I, items (a)-(o). Missing items do not block receipt: they are recorded and the
    acknowledgement states whether the notification is prima facie complete (Art 9(2)(b))."""

    a_exporter: Organisation | None = None
    b_importer: Organisation | None = None
    c_lmo_name: BoundedText | None = Field(default=None, description="name and identity of the LMO")
    c_lmo_unique_identifier: str | None = Field(
        default=None,
        description="OECD unique identifier, e.g. MON-ØØ81Ø-6",
        json_schema_extra={"pattern": _OECD_ID_ANY_CASE},  # checked by _oecd_id, in words
    )
    c_biosafety_level: str | None = None
    d_intended_movement_dates: str | None = None
    e_recipient_organism: str | None = None
    f_centres_of_origin_and_habitats: str | None = None
    g_donor_organisms: str | None = None
    h_modification: str | None = None
    i_intended_use: str | None = None
    j_quantity: str | None = None
    k_risk_assessment_report: str | None = None
    l_handling_methods: str | None = None
    m_regulatory_status_in_export_state: str | None = None
    n_notifications_to_other_states: str | None = None
    o_declaration_of_accuracy: bool = False

    @field_validator("c_lmo_unique_identifier")
    @classmethod
    def _oecd_id(cls, v: str | None) -> str | None:
        if v is not None and not _OECD_ID.match(v.upper()):
            raise ValueError(
                "must be an OECD unique identifier: developer code (2-3 characters), event code "
                "(5-6), check digit, dash-separated, e.g. MON-ØØ81Ø-6"
            )
        return v.upper() if v else v

    def missing_items(self) -> list[AnnexIItem]:
        present = {
            AnnexIItem.A: self.a_exporter is not None,
            AnnexIItem.B: self.b_importer is not None,
            AnnexIItem.C: bool(self.c_lmo_name),
            AnnexIItem.D: bool(self.d_intended_movement_dates),
            AnnexIItem.E: bool(self.e_recipient_organism),
            AnnexIItem.F: bool(self.f_centres_of_origin_and_habitats),
            AnnexIItem.G: bool(self.g_donor_organisms),
            AnnexIItem.H: bool(self.h_modification),
            AnnexIItem.I: bool(self.i_intended_use),
            AnnexIItem.J: bool(self.j_quantity),
            AnnexIItem.K: bool(self.k_risk_assessment_report),
            AnnexIItem.L: bool(self.l_handling_methods),
            AnnexIItem.M: bool(self.m_regulatory_status_in_export_state),
            AnnexIItem.N: bool(self.n_notifications_to_other_states),
            AnnexIItem.O: self.o_declaration_of_accuracy,
        }
        return [i for i, ok in present.items() if not ok and i not in ANNEX_I_IF_KNOWN]


# What a notifier may claim confidential (Art 21(1)): every Annex I item but those of Art 21(6).
CLAIMABLE: tuple[AnnexIItem, ...] = tuple(i for i in AnnexIItem if i not in NEVER_CONFIDENTIAL)


class ConfidentialityClaim(Input):
    """Art 21(1): the notifier identifies information to be treated as confidential."""

    item: Annotated[
        AnnexIItem,
        WithJsonSchema(
            {
                "type": "string",
                "enum": [i.value for i in CLAIMABLE],
                "description": "the Annex I item, (a) to (o); never (c), the general "
                "description of the LMO (Art 21(6)(b))",
            }
        ),
    ]
    justification: BoundedText | None = Field(
        default=None, description="given on request, Art 21(1); blank is none"
    )


class Notification(Input):
    """A notification under CP Art 8, as submitted by the notifier."""

    notifier_reference: NotifierReference
    notifier: Notifier
    party_of_export: CountryCode
    party_of_import: CountryCode
    received_on: date | None = Field(
        default=None,
        description="date of receipt; may be in the past for cases entered late, but neither in "
        "the future nor more than BIOSAFETY_MAX_RECEIPT_AGE_DAYS (default 1095) days back; "
        "default today in the authority's time zone; staff only",
    )
    annex_i: AnnexI
    uses: list[Use] | None = Field(
        default=None,
        min_length=1,
        description="the intended uses in the terms of the Party's specifications under the "
        "simplified procedure (Art 13(1)); a notification that states them and falls under a "
        "specification in force is recorded on the simplified path instead of the AIA procedure",
    )
    confidential: list[ConfidentialityClaim] = Field(
        default_factory=list,
        description="each Annex I item claimed confidential at most once",
        json_schema_extra={  # each item at most once, in JSON Schema
            "allOf": [
                {
                    "contains": {"properties": {"item": {"const": i.value}}, "required": ["item"]},
                    "minContains": 0,
                    "maxContains": 1,
                }
                for i in CLAIMABLE
            ]
        },
    )

    @field_validator("confidential")
    @classmethod
    def _art_21_6(cls, claims: list[ConfidentialityClaim]) -> list[ConfidentialityClaim]:
        for claim in claims:
            if claim.item in NEVER_CONFIDENTIAL:
                raise ValueError(
                    f"Annex I item ({claim.item.value}) cannot be confidential: Art 21(6)(b) "
                    "excludes the general description of the LMO"
                )
        items = [c.item for c in claims]
        if len(items) != len(set(items)):
            raise ValueError("each Annex I item may be claimed confidential once")
        return claims


def fingerprint(notification: Notification) -> str:
    """Identifies a notification's content, so that a resubmission under the same reference can be
    told apart from a different notification reusing it. The receipt date is left out: it
    defaults to the day of submission."""
    # ``uses`` came later: left out when not stated, so that the notifications of cases opened
    # before it still match their own resubmission.
    left_out = {"received_on"} | ({"uses"} if notification.uses is None else set())
    body = notification.model_dump_json(exclude=left_out)
    return hashlib.sha256(body.encode()).hexdigest()[:32]
