"""The simplified procedure (CP Art 13): how a specification opens, the officers' commands, the
stages and the procedure part of the case view.

Art 13(1): a Party of import may, provided that adequate measures are applied to ensure the safe
intentional transboundary movement of LMOs, specify in advance to the BCH (a) cases in which the
movement to it may take place at the same time as the movement is notified, and (b) imports of
LMOs to it to be exempted from the advance informed agreement procedure; notifications under (a)
may apply to subsequent similar movements to the same Party. Each specification is one case: it
is made available to the BCH, may be amended or withdrawn, and while in force is in the register
of specifications that the AIA intake looks up (workflows/simplified/matching.py).
"""

from __future__ import annotations

import hashlib
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from workflows.kernel.state import KernelState
from workflows.models import (
    BchReference,
    CaseFacts,
    CaseStart,
    Command,
    CountryCode,
    Input,
    Procedure,
    Text,
)
from workflows.review.models import Reference as ReviewReference

Kind = Literal["movement_at_notification", "exempt_from_aia"]
KIND_WORDS: dict[str, str] = {
    "movement_at_notification": "movement at the time of notification (Art 13(1)(a))",
    "exempt_from_aia": "imports exempted from the AIA procedure (Art 13(1)(b))",
}

# The AIA procedure, and so Art 13, concerns LMOs for intentional introduction into the
# environment (Art 7(1)); LMOs for direct use as food or feed, or for processing, are not in it
# (Art 7(2)): Article 11 applies to them (Art 7(3)), and they are no use here.
Use = Literal["field_trial", "commercial_release", "other_release"]

# The OECD unique identifier as published (upper case, slashed zeros): one spelling per LMO, so
# that an LMO is named once in a specification (a JSON object has each key once).
LMO_ID_PATTERN = r"^[A-Z0-9Ø]{2,3}-[A-Z0-9Ø]{5,6}-[0-9]$"
LmoId = Annotated[str, StringConstraints(pattern=LMO_ID_PATTERN)]


def _each_once(values: list[Any]) -> list[Any]:
    if len(set(values)) != len(values):
        raise ValueError("name each one once")
    return values


Uses = Annotated[
    list[Use],
    AfterValidator(_each_once),
    Field(
        min_length=1,
        description="the uses of the LMOs the specification covers, each once; intentional "
        "introduction into the environment only (Art 7(1)): food, feed or processing is "
        "Article 11's (Art 7(2)-(3))",
        json_schema_extra={"uniqueItems": True},  # checked by _each_once, in words
    ),
]
Lmos = Annotated[
    dict[LmoId, Text],
    Field(
        min_length=1,
        max_length=200,
        description="the LMOs covered: OECD unique identifier (upper case, as published, e.g. "
        "MON-ØØ81Ø-6) → name",
        examples=[{"MON-ØØ81Ø-6": "Maize MON 810"}],
        # Every key is an identifier: the schema says so, not only the pattern of the values.
        json_schema_extra={
            "propertyNames": {"pattern": LMO_ID_PATTERN},
            "additionalProperties": False,
        },
    ),
]
PartiesOfExport = Annotated[
    list[CountryCode],
    AfterValidator(_each_once),
    Field(
        max_length=200,
        description="the Parties of export the specification is limited to, each once; empty: "
        "from any Party",
        json_schema_extra={"uniqueItems": True},
    ),
]
Reference = Annotated[
    ReviewReference,
    Field(
        description="the authority's reference of the specification: letters, digits, '.', '_' "
        "and '-', at most 64 characters, not case-sensitive. Opening it again under the same "
        "reference returns the same case.",
        examples=["SP-2027-001"],
    ),
]


class _Specified(Input):
    """What every specification states (Art 13(1))."""

    reference: Reference
    title: Text = Field(max_length=500, description="one line, as the BCH record's title")
    lmos: Lmos
    uses: Uses
    parties_of_export: PartiesOfExport = Field(default_factory=list)
    adequate_measures: Text = Field(
        description="the measures applied to ensure the safe intentional transboundary movement "
        "(Art 13(1): the condition of any specification)"
    )
    legal_basis: Text = Field(description="the domestic act the specification rests on")
    effective_on: date | None = Field(default=None, description="in effect from; default today")
    expires_on: date | None = Field(default=None, description="last day in effect; none: open")
    bch_modified_organisms: list[BchReference] = Field(
        default_factory=list, description="the LMOs' records on the BCH (GUID@revision)"
    )


class MovementAtNotification(_Specified):
    """Art 13(1)(a): movements to this Party that may take place at the same time as the
    movement is notified to it (the notification still carries Annex I, Art 13(2))."""

    kind: Literal["movement_at_notification"]
    applies_to_subsequent_movements: bool = Field(
        default=False,
        description="Art 13(1): a notification under (a) applies to subsequent similar "
        "movements to this Party",
    )


class ExemptFromAia(_Specified):
    """Art 13(1)(b): imports to this Party exempted from the AIA procedure."""

    kind: Literal["exempt_from_aia"]


SpecificationOpening = Annotated[
    MovementAtNotification | ExemptFromAia, Field(discriminator="kind")
]

# ---- commands ---------------------------------------------------------------------------------

AMENDABLE = (
    "title",
    "lmos",
    "uses",
    "parties_of_export",
    "adequate_measures",
    "legal_basis",
    "expires_on",
    "applies_to_subsequent_movements",
)


class Amend(Command):
    """Change a specification in force: what is given replaces what it said; its BCH record is
    amended. The kind (13(1)(a) or (b)) cannot change: withdraw and specify anew."""

    model_config = ConfigDict(
        json_schema_extra={"anyOf": [{"required": [name]} for name in AMENDABLE]}
    )

    title: Text | None = Field(default=None, max_length=500)
    lmos: Lmos | None = None
    uses: Uses | None = None
    parties_of_export: PartiesOfExport | None = None
    adequate_measures: Text | None = None
    legal_basis: Text | None = None
    expires_on: date | None = None
    applies_to_subsequent_movements: bool | None = Field(
        default=None, description="Art 13(1)(a) specifications only"
    )
    reasons: Text = Field(description="what changed and why, for the BCH record's amendment")

    def changes(self) -> dict[str, Any]:
        """What the amendment changes: the fields given (a field left out, or null, stays)."""
        return {name: v for name in AMENDABLE if (v := getattr(self, name)) is not None}


class Withdraw(Command):
    reasons: Text = Field(description="why the specification is withdrawn, for the BCH record")


class Stage(StrEnum):
    PUBLISHING = "awaiting_bch_publication"  # specified; its BCH record not yet published
    IN_FORCE = "specification_in_force"  # on the BCH, in the register the AIA intake reads
    WITHDRAWN = "specification_withdrawn"


STAGE_WORDS = {
    Stage.PUBLISHING: "Specified; being made available to the BCH (Art 13(1))",
    Stage.IN_FORCE: "In force: made available to the BCH (Art 13(1))",
    Stage.WITHDRAWN: "Withdrawn",
}


# ---- what is in force, the register's row and the matching's input ----------------------------


class Specification(BaseModel):
    """A specification as it stands: what the register of specifications keeps, the public
    list shows and the AIA intake matches against. Everything here is public (it is on the
    BCH)."""

    case_id: str
    reference: str
    kind: Kind
    title: str
    lmos: dict[str, str]
    uses: list[Use]
    parties_of_export: list[str] = Field(description="empty: from any Party")
    adequate_measures: str
    legal_basis: str
    applies_to_subsequent_movements: bool = False
    effective_on: date
    expires_on: date | None = None
    in_force: bool = Field(default=False, description="on the BCH and not withdrawn")
    bch_record: str | None = Field(
        default=None, description="its latest published BCH record (GUID@revision)"
    )
    version: int = Field(default=0, description="how many times it was changed: 0 as opened")

    @classmethod
    def opened(
        cls, case_id: str, o: MovementAtNotification | ExemptFromAia, on: date
    ) -> Specification:
        return cls(
            case_id=case_id,
            **o.model_dump(exclude={"effective_on", "bch_modified_organisms"}),
            effective_on=o.effective_on or on,
        )


class BchRecord(BaseModel):
    """One record of the specification on the BCH: the first, an amendment or the withdrawal."""

    number: int
    step: str  # the outbox step: "specification", "amendment-2", "withdrawal"
    what: str
    queued_on: date
    published_on: date | None = None
    reference: str | None = None  # GUID@revision once published


class SimplifiedState(BaseModel):
    spec: Specification
    records: list[BchRecord] = Field(default_factory=list)
    withdrawn_on: date | None = None
    synced: int = Field(default=-1, description="the register's row is at this change")
    changes: int = Field(default=0, description="changes of the register's row")

    @property
    def stage(self) -> Stage:
        if self.withdrawn_on is not None:
            return Stage.WITHDRAWN
        return Stage.IN_FORCE if self.spec.in_force else Stage.PUBLISHING


class SimplifiedResume(BaseModel):
    state: SimplifiedState
    kernel: KernelState


class SimplifiedStart(CaseStart):
    """Workflow input of a specification; ``received_on`` is the day it was specified, from which
    the period to make it available to the BCH counts."""

    opening: SpecificationOpening
    publication_days: int = Field(default=15, ge=1, description="setting, snapshotted")
    resume: SimplifiedResume | None = None

    def facts(self) -> CaseFacts:
        o = self.opening
        (first_id, first_name), more = next(iter(o.lmos.items())), len(o.lmos) - 1
        return CaseFacts(
            case_id=self.case_id,
            procedure=Procedure.SIMPLIFIED,
            title=f"{o.title} ({KIND_WORDS[o.kind]})",
            notifier_reference=o.reference,
            party_of_import=self.authority.party,
            party_of_export=o.parties_of_export[0] if len(o.parties_of_export) == 1 else None,
            lmo_name=first_name + (f" and {more} more" if more else ""),
            lmo_id=first_id,
            received_on=self.received_on,
        )

    def letter_context(self) -> dict[str, Any]:
        o = self.opening
        return {
            "case_id": self.case_id,
            "authority_name": self.authority.name,
            "party_of_import": self.authority.party,
            "lmo_name": "; ".join(o.lmos.values()),
            "lmo_id": ", ".join(o.lmos),
        }


class SimplifiedDetails(BaseModel):
    """The procedure part of a specification's view."""

    procedure: Literal["simplified"] = "simplified"
    specification: Specification
    bch_records: list[BchRecord]
    withdrawn_on: date | None
    fingerprint: str


def fingerprint(opening: MovementAtNotification | ExemptFromAia) -> str:
    """Identifies what a specification was opened with, so that opening it again under the same
    reference can be told apart from a different one reusing it."""
    return hashlib.sha256(opening.model_dump_json().encode()).hexdigest()[:32]
