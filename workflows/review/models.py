"""Review of decisions (CP Art 12): how a review opens, the officers' commands and the procedure
part of the case view.

A review opens in one of two ways: the authority itself reviews a decision in the light of new
scientific information (12(1)), or a notifier or the Party of export asks for a review on the
grounds of 12(2)(a) or (b), to be answered in writing within 90 days (12(3)).
"""

from __future__ import annotations

import hashlib
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from workflows import decision
from workflows.kernel.state import KernelState
from workflows.models import (
    BchReference,
    CaseFacts,
    CaseStart,
    Command,
    CountryCode,
    Input,
    Notifier,
    Procedure,
    Text,
)

Reference = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"),
    Field(
        description="a reference for this review: letters, digits, '.', '_' and '-', at most 64 "
        "characters, not case-sensitive. Opening the same review again under it returns the same "
        "case.",
        examples=["REV-2027-003"],
    ),
]
LmoIdentifier = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9Ø]{2,3}-[A-Za-z0-9Ø]{5,6}-[0-9]$", to_upper=True),
    Field(
        description="OECD unique identifier of the LMO the decision concerns, e.g. MON-ØØ81Ø-6: "
        "the notifiers that notified movements of it are found by it (Art 12(1))",
        examples=["MON-ØØ81Ø-6"],
    ),
]


class Grounds(StrEnum):
    """Art 12(2): why a review is requested."""

    CHANGE_IN_CIRCUMSTANCES = "change_in_circumstances"  # 12(2)(a)
    ADDITIONAL_INFORMATION = "additional_information"  # 12(2)(b)


GROUNDS_WORDS = {
    Grounds.CHANGE_IN_CIRCUMSTANCES: "a change in circumstances that may influence the outcome "
    "of the risk assessment (Art 12(2)(a))",
    Grounds.ADDITIONAL_INFORMATION: "additional relevant scientific or technical information "
    "(Art 12(2)(b))",
}


class ReviewedDecision(Input):
    """The decision under review: an Article 10 decision on an LMO."""

    lmo_name: Text
    lmo_id: LmoIdentifier
    decision_case_id: str | None = Field(
        default=None, max_length=200, description="our case in which the decision was taken"
    )
    decided_on: date | None = None
    bch_record: BchReference | None = Field(
        default=None, description="the decision's BCH record (GUID@revision): amended by a change"
    )


class AuthorityReview(Input):
    """Art 12(1): the authority reviews a decision in the light of new scientific information."""

    origin: Literal["authority"] = "authority"
    reference: Reference
    decision: ReviewedDecision
    new_information: Text = Field(
        description="the new scientific information on potential adverse effects"
    )


class ReviewRequest(Input):
    """Art 12(2): a notifier or the Party of export asks for a review of a decision."""

    origin: Literal["request"] = "request"
    reference: Reference
    requester: Notifier
    requested_by: Literal["notifier", "party_of_export"]
    party_of_export: CountryCode
    decision: ReviewedDecision
    grounds: Grounds
    statement: Text = Field(description="what changed, or the additional information")
    received_on: date | None = Field(
        default=None,
        description="date of receipt; neither in the future nor more than "
        "BIOSAFETY_MAX_RECEIPT_AGE_DAYS (default 1095) days back; default today in the "
        "authority's time zone; staff only",
    )


ReviewOpening = Annotated[AuthorityReview | ReviewRequest, Field(discriminator="origin")]


class ReviewStart(CaseStart):
    """Workflow input of a review case."""

    opening: ReviewOpening
    resume: ReviewResume | None = None

    @property
    def request(self) -> ReviewRequest | None:
        return self.opening if isinstance(self.opening, ReviewRequest) else None

    def facts(self) -> CaseFacts:
        o, r = self.opening, self.request
        return CaseFacts(
            case_id=self.case_id,
            procedure=Procedure.REVIEW,
            title=f"Review of the decision on {o.decision.lmo_name}",
            notifier_reference=o.reference,
            notifier_name=r.requester.name if r else None,
            notifier_email=r.requester.email if r else None,
            notifier_language=r.requester.language if r else None,
            party_of_export=r.party_of_export if r else None,
            party_of_import=self.authority.party,
            lmo_name=o.decision.lmo_name,
            lmo_id=o.decision.lmo_id,
            received_on=self.received_on,
        )

    def letter_context(self) -> dict[str, Any]:
        d = self.opening.decision
        return {
            "case_id": self.case_id,
            "authority_name": self.authority.name,
            "party_of_import": self.authority.party,
            "lmo_name": d.lmo_name,
            "lmo_id": d.lmo_id,
            "decision_case_id": d.decision_case_id,
        }


# ---- commands ---------------------------------------------------------------------------------


class ChangeDecision(Command):
    """Art 12(1): change the decision; every notifier of the LMO and the BCH are informed within
    30 days, with the reasons."""

    model_config = ConfigDict(json_schema_extra=decision.stated(*decision.CONDITIONS_SCHEMA))

    result: Literal["approval", "approval_with_conditions", "prohibition"]
    conditions: list[Text] = Field(
        default_factory=list,
        description="at least one with approval_with_conditions, none otherwise",
    )
    reasons: Text = Field(description="Art 12(1): the reasons for the decision")
    new_information: Text | None = Field(
        default=None, description="the new scientific information the change rests on"
    )
    risk_assessment_required: bool = Field(
        default=False, description="Art 12(4): a risk assessment is required for later imports"
    )


class AnswerRequest(Command):
    """Art 12(3): answer a request for review in writing, with reasons, keeping the decision (to
    change it, use the decision change, which answers the request too)."""

    reasons: Text = Field(description="Art 12(3): the reasons for the decision")
    risk_assessment_required: bool = Field(
        default=False, description="Art 12(4): a risk assessment is required for later imports"
    )


class Stage(StrEnum):
    REQUESTED = "review_requested"  # 12(2): a request awaits the answer
    OPENED = "review_opened"  # 12(1): the authority reviews on its own initiative
    INFORMING = "informing"  # the decision changed: notifiers and the BCH are being informed
    ANSWERED = "answered"  # 12(3): answered, the decision stands
    CHANGED = "decision_changed"  # changed, and everyone informed


CLOSED_STAGES = frozenset({Stage.ANSWERED, Stage.CHANGED})


class Informed(BaseModel):
    """One notifier of the LMO told of the change (Art 12(1))."""

    name: str | None
    email: str
    language: str | None
    case_id: str = Field(description="its latest notification of the LMO")


class ReviewState(BaseModel):
    change: ChangeDecision | None = None
    changed_on: date | None = None
    answer: AnswerRequest | None = None
    answered_on: date | None = None
    notifiers: list[Informed] | None = None  # None until looked up in the register
    informed_on: date | None = None


class ReviewResume(BaseModel):
    state: ReviewState
    kernel: KernelState


class ReviewDetails(BaseModel):
    """The procedure part of a review case's view."""

    procedure: Literal["review"] = "review"
    origin: Literal["authority", "request"]
    decision: ReviewedDecision
    requested_by: Literal["notifier", "party_of_export"] | None = None
    grounds: Grounds | None = None
    statement: str | None = None
    new_information: str | None = None
    change: ChangeDecision | None = None
    changed_on: date | None = None
    answer: AnswerRequest | None = None
    answered_on: date | None = None
    notifiers_informed: list[Informed] | None = Field(
        default=None, description="every notifier of the LMO, once the register was searched"
    )
    informed_on: date | None = None
    fingerprint: str


ReviewStart.model_rebuild()


def fingerprint(opening: AuthorityReview | ReviewRequest) -> str:
    """Identifies what a review was opened with, so that opening it again under the same
    reference can be told apart from a different review reusing it."""
    body = opening.model_dump_json(exclude={"received_on"})
    return hashlib.sha256(body.encode()).hexdigest()[:32]
