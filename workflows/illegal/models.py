"""Illegal transboundary movements (CP Art 25): how a case opens, the officers' commands, the
stages and the procedure part of the case view.

25(1): a movement carried out in contravention of the Party's domestic measures implementing
the Protocol is an illegal transboundary movement. A case opens when the authority records one
found within its jurisdiction; 25(2): the authority requests the Party of origin to dispose of
the LMO at its own expense, by repatriation or destruction, and follows the request up until the
disposal is confirmed; 25(3): the case is made available to the Biosafety Clearing-House.
"""

from __future__ import annotations

import hashlib
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from workflows.kernel.state import KernelState
from workflows.models import (
    BchReference,
    CaseFacts,
    CaseStart,
    Command,
    CountryCode,
    Email,
    Input,
    Language,
    Procedure,
    Text,
)
from workflows.review.models import LmoIdentifier
from workflows.review.models import Reference as ReviewReference

Disposal = Literal["repatriation", "destruction"]  # Art 25(2), "as appropriate"
HowFound = Literal[
    "border_inspection", "market_control", "field_inspection", "laboratory_analysis", "report"
]
Because = Literal["request", "follow_up", "reply"]  # what a follow-up round counts from
Unit = Literal["kg", "tonnes", "seeds", "plants", "animals", "litres", "units"]
COUNTED: tuple[Unit, ...] = ("seeds", "plants", "animals", "units")

HOW_FOUND_WORDS: dict[str, str] = {
    "border_inspection": "at a border inspection",
    "market_control": "in a market control",
    "field_inspection": "in a field inspection",
    "laboratory_analysis": "by laboratory analysis",
    "report": "on a report",
}
DISPOSAL_WORDS: dict[str, str] = {"repatriation": "repatriation", "destruction": "destruction"}

Reference = Annotated[
    ReviewReference,
    Field(
        description="the authority's reference of the case: letters, digits, '.', '_' and '-', "
        "at most 64 characters, not case-sensitive. Recording the same case again under it "
        "returns the same case.",
        examples=["ILL-2027-002"],
    ),
]


class PartyOfOrigin(Input):
    """The Party the LMO was moved from (Art 25(2)), and where its competent authority or
    focal point receives the authority's letters."""

    party: CountryCode
    authority_name: Text = Field(description="its competent national authority or focal point")
    email: Email
    language: Language | None = Field(
        default=None, description="language of our letters; default: the authority's setting"
    )


class Quantity(Input):
    # Seeds, plants, animals and units are counted: the document says so (checked by _whole).
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"unit": {"enum": list(COUNTED)}}},
            "then": {"properties": {"amount": {"multipleOf": 1}}},
        }
    )

    amount: float = Field(gt=0, le=1e12)
    unit: Unit

    @model_validator(mode="after")
    def _whole(self) -> Quantity:
        if self.unit in COUNTED and not float(self.amount).is_integer():
            raise ValueError(f"{self.unit} are counted: give a whole number, not {self.amount}")
        return self

    def words(self) -> str:
        amount = int(self.amount) if float(self.amount).is_integer() else self.amount
        return f"{amount} {self.unit}"


class IllegalMovement(Input):
    """Art 25(1): an illegal transboundary movement found within the Party's jurisdiction."""

    reference: Reference
    lmo_name: Text = Field(description="name and identity of the LMO")
    lmo_id: LmoIdentifier | None = Field(
        default=None, description="OECD unique identifier, where the LMO has one"
    )
    party_of_origin: PartyOfOrigin
    found_on: date = Field(description="when the movement was found")
    how_found: HowFound
    circumstances: Text = Field(description="how it was found, in words (consignment, route)")
    quantity: Quantity
    held_at: Text = Field(description="where the LMO is held pending disposal")
    measures_taken: list[Text] = Field(
        min_length=1, description="the domestic measures taken (Art 25(1)), e.g. seizure"
    )
    bch_modified_organisms: list[BchReference] = Field(default_factory=list)


# ---- commands ---------------------------------------------------------------------------------


class RecordReply(Command):
    """The Party of origin's answer to the request or to a follow-up (Art 25(2))."""

    received_on: date | None = Field(default=None, description="default today")
    summary: Text
    proposed_disposal: Disposal | None = Field(
        default=None, description="what the Party of origin proposes, if it says"
    )


class ConfirmDisposal(Command):
    """Art 25(2): the LMO has been repatriated or destroyed."""

    method: Disposal
    disposed_on: date
    evidence: Text = Field(description="what proves it, e.g. a certificate of destruction")


class CloseCase(Command):
    reasons: Text = Field(description="why the case is closed")


class Stage(StrEnum):
    DISPOSAL_REQUESTED = "disposal_requested"  # 25(2) request sent; waiting for an answer
    FOLLOWING_UP = "following_up"  # no answer in time: followed up
    ORIGIN_REPLIED = "origin_replied"  # the Party of origin answered; disposal still pending
    DISPOSAL_CONFIRMED = "disposal_confirmed"
    CLOSED = "case_closed"


STAGE_WORDS = {
    Stage.DISPOSAL_REQUESTED: "Disposal requested from the Party of origin (Art 25(2))",
    Stage.FOLLOWING_UP: "No answer from the Party of origin: followed up (Art 25(2))",
    Stage.ORIGIN_REPLIED: "The Party of origin answered; disposal not yet confirmed (Art 25(2))",
    Stage.DISPOSAL_CONFIRMED: "Disposal confirmed (Art 25(2))",
    Stage.CLOSED: "Case closed",
}


# ---- state and view ---------------------------------------------------------------------------


class FollowUp(BaseModel):
    """One round of following the request up: the Party of origin is given ``days`` from
    ``started_on`` to answer or to dispose of the LMO."""

    number: int
    started_on: date
    because: Because
    days: int
    answered_on: date | None = None  # a reply, or the disposal confirmed, within the round
    followed_up_on: date | None = None  # it lapsed: a follow-up letter went and a round opened


class Reply(BaseModel):
    received_on: date
    summary: str
    proposed_disposal: Disposal | None = None


class DisposalDone(BaseModel):
    method: Disposal
    disposed_on: date
    evidence: str
    confirmed_on: date


class IllegalState(BaseModel):
    rounds: list[FollowUp] = Field(default_factory=list)
    replies: list[Reply] = Field(default_factory=list)
    disposal: DisposalDone | None = None
    closed_on: date | None = None
    close_reasons: str | None = None

    @property
    def current(self) -> FollowUp | None:
        """The round now running: none once disposal is confirmed or the case closed."""
        if self.disposal is not None or self.closed_on is not None or not self.rounds:
            return None
        last = self.rounds[-1]
        return last if last.answered_on is None and last.followed_up_on is None else None

    @property
    def stage(self) -> Stage:
        if self.closed_on is not None:
            return Stage.CLOSED
        if self.disposal is not None:
            return Stage.DISPOSAL_CONFIRMED
        if self.replies and (not self.rounds or self.rounds[-1].because == "reply"):
            return Stage.ORIGIN_REPLIED
        if any(r.followed_up_on for r in self.rounds):
            return Stage.FOLLOWING_UP
        return Stage.DISPOSAL_REQUESTED


class IllegalResume(BaseModel):
    state: IllegalState
    kernel: KernelState


class IllegalStart(CaseStart):
    """Workflow input of an illegal-movement case; ``received_on`` is the day it was recorded
    and the request sent, from which the first follow-up counts."""

    movement: IllegalMovement
    follow_up_days: int = Field(default=30, ge=1, le=365)
    resume: IllegalResume | None = None

    def facts(self) -> CaseFacts:
        m = self.movement
        return CaseFacts(
            case_id=self.case_id,
            procedure=Procedure.ILLEGAL,
            title=f"Illegal movement of {m.lmo_name} from {m.party_of_origin.party} "
            f"(Art 25), found {m.found_on}",
            notifier_reference=m.reference,
            party_of_export=m.party_of_origin.party,
            party_of_import=self.authority.party,
            lmo_name=m.lmo_name,
            lmo_id=m.lmo_id,
            received_on=self.received_on,
        )

    def letter_context(self) -> dict[str, Any]:
        m = self.movement
        return {
            "case_id": self.case_id,
            "authority_name": self.authority.name,
            "party_of_import": self.authority.party,
            "party_of_origin": m.party_of_origin.party,
            "recipient_name": m.party_of_origin.authority_name,
            "lmo_name": m.lmo_name,
            **({"lmo_id": m.lmo_id} if m.lmo_id else {}),
            "found_on": m.found_on.isoformat(),
            "how_found": m.how_found,
            "circumstances": m.circumstances,
            "quantity": m.quantity.words(),
            "held_at": m.held_at,
            "measures_taken": list(m.measures_taken),
        }


class FollowUpView(FollowUp):
    due: date
    outcome: str = Field(description="the round in words")


class IllegalDetails(BaseModel):
    """The procedure part of an illegal-movement case's view."""

    procedure: Literal["illegal"] = "illegal"
    party_of_origin: str
    found_on: date
    how_found: HowFound
    circumstances: str
    quantity: Quantity
    held_at: str
    measures_taken: list[str]
    follow_up_days: int
    follow_ups: list[FollowUpView]
    replies: list[Reply]
    disposal: DisposalDone | None
    closed_on: date | None
    close_reasons: str | None
    fingerprint: str


def fingerprint(movement: IllegalMovement) -> str:
    """Identifies what a case was opened with, so that recording it again under the same
    reference can be told apart from a different case reusing it."""
    return hashlib.sha256(movement.model_dump_json().encode()).hexdigest()[:32]
