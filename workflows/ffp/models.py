"""Food, feed or processing (CP Art 11, Annex II): how a case opens, the officers' commands, the
stages and the procedure part of the case view.

A case opens in one of two ways: the authority records its final decision regarding domestic
use, including placing on the market, of an LMO that may be moved across borders for direct use
as food or feed or for processing (Art 11(1); never a field trial), or, for a Party that has
declared through the BCH that it uses Art 11(6), an application before the first import, to be
decided within 270 days of its receipt (11(6)(b)). Either way the decision and the Annex II
information go to the Parties through the BCH within 15 days of the decision (11(1)), and other
Parties' requests for additional information are answered (11(3)).
"""

from __future__ import annotations

import hashlib
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from workflows import decision
from workflows.ffp.annex_ii import AnnexII
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
    Notifier,
    Procedure,
    Text,
)
from workflows.review.models import Reference as ReviewReference

Use = Literal["food", "feed", "processing"]


class FocalPoint(Input):
    """The national focal point of a Party that has told the Secretariat it has no access to the
    BCH: it receives a copy of the information in writing (Art 11(1))."""

    party: CountryCode
    name: Text
    email: Email
    language: Language | None = None


def _each_once(uses: list[Use]) -> list[Use]:
    if len(set(uses)) != len(uses):
        raise ValueError("name each use once")
    return uses


Uses = Annotated[
    list[Use],
    AfterValidator(_each_once),
    Field(
        min_length=1,
        description="direct use as food, as feed, for processing (Art 11(1)); each once",
        json_schema_extra={"uniqueItems": True},  # checked by _each_once, in words
    ),
]
Reference = Annotated[
    ReviewReference,
    Field(
        description="the authority's reference of the decision or application: letters, digits, "
        "'.', '_' and '-', at most 64 characters, not case-sensitive. Opening the same case "
        "again under it returns the same case.",
        examples=["FFP-2027-004"],
    ),
]


class DomesticDecision(Input):
    """Art 11(1): the authority's final decision regarding domestic use, including placing on
    the market, of an LMO that may be moved across borders for direct use as food or feed, or
    for processing."""

    model_config = ConfigDict(
        json_schema_extra=decision.stated(*decision.CONDITIONS_SCHEMA, decision.REASONS_SCHEMA)
    )

    kind: Literal["domestic_decision"]
    reference: Reference
    decided_on: date | None = Field(default=None, description="default today")
    application_received_on: date | None = None
    uses: Uses
    result: decision.Result
    conditions: list[Text] = Field(default_factory=list, validate_default=True)
    reasons: Text | None = Field(default=None, validate_default=True)
    annex_ii: AnnexII
    copies_to: list[FocalPoint] = Field(default_factory=list)
    bch_modified_organisms: list[BchReference] = Field(default_factory=list)

    @field_validator("conditions")
    @classmethod
    def _conditions(cls, conditions: list[str], info: ValidationInfo) -> list[str]:
        return decision.check_conditions(info.data.get("result"), conditions)

    @field_validator("reasons")
    @classmethod
    def _reasons(cls, reasons: str | None, info: ValidationInfo) -> str | None:
        return decision.check_reasons(info.data.get("result"), reasons)


class FirstImportApplication(Input):
    """Art 11(6): before the first import of an LMO for food, feed or processing, a Party that
    declared through the BCH that it uses this route decides within 270 days."""

    kind: Literal["first_import"]
    reference: Reference
    declaration: BchReference = Field(description="the Party's Art 11(6) declaration on the BCH")
    received_on: date | None = Field(default=None, description="receipt of the application")
    applicant: Notifier
    party_of_export: CountryCode | None = None
    uses: Uses
    annex_ii: AnnexII = Field(description="the information provided under Art 11(1)")
    copies_to: list[FocalPoint] = Field(default_factory=list)


FfpOpening = Annotated[DomesticDecision | FirstImportApplication, Field(discriminator="kind")]


# ---- commands ---------------------------------------------------------------------------------


class Decide(Command):
    """Art 11(6): the decision before the first import, on a risk assessment (Annex III)."""

    model_config = ConfigDict(
        json_schema_extra=decision.stated(*decision.CONDITIONS_SCHEMA, decision.REASONS_SCHEMA)
    )

    result: decision.Result
    conditions: list[Text] = Field(default_factory=list, validate_default=True)
    reasons: Text | None = Field(default=None, validate_default=True)
    risk_assessment_summary: Text = Field(description="Art 11(6)(a): the Annex III assessment")
    lack_of_scientific_certainty: bool = Field(default=False, description="Art 11(8)")
    bch_modified_organisms: list[BchReference] = Field(default_factory=list)

    @field_validator("conditions")
    @classmethod
    def _conditions(cls, conditions: list[str], info: ValidationInfo) -> list[str]:
        return decision.check_conditions(info.data.get("result"), conditions)

    @field_validator("reasons")
    @classmethod
    def _reasons(cls, reasons: str | None, info: ValidationInfo) -> str | None:
        return decision.check_reasons(info.data.get("result"), reasons)


class CompleteAnnexII(Command):
    """Put in (or correct) Annex II items before the information goes to the BCH."""

    annex_ii: AnnexII


class RequestInformation(Command):
    """Art 11(3): another Party asks the authority for additional information."""

    requesting_party: CountryCode
    requester: Notifier = Field(description="who asks for the Party, answered by letter")
    items: list[Text] = Field(min_length=1)
    received_on: date | None = Field(default=None, description="default today")
    answer_within_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="the Protocol sets no period for the answer; 30 days by default",
    )


class AnswerInformationRequest(Command):
    request: int = Field(ge=1, description="the request's number, from 1")
    answer: Text


class CloseCase(Command):
    reason: Text | None = None


class Stage(StrEnum):
    APPLICATION_RECEIVED = "application_received"  # Art 11(6): waiting for the decision
    ANNEX_II_INCOMPLETE = "annex_ii_incomplete"  # decided; items missing before the BCH
    INFORMING = "informing_parties"  # the BCH record queued, not yet handed over
    INFORMED = "parties_informed"  # Art 11(1) done; Art 11(3) requests may still come
    CLOSED = "file_closed"


STAGE_WORDS = {
    Stage.APPLICATION_RECEIVED: "Application received; decision before the first import due "
    "(Art 11(6))",
    Stage.ANNEX_II_INCOMPLETE: "Decided; Annex II information incomplete, the Parties not yet "
    "informed (Art 11(1))",
    Stage.INFORMING: "Decided; the Parties are being informed through the BCH (Art 11(1))",
    Stage.INFORMED: "Decided; the Parties informed through the BCH (Art 11(1))",
    Stage.CLOSED: "File closed",
}


# ---- state and view ---------------------------------------------------------------------------


class FfpDecision(BaseModel):
    decided_on: date
    result: decision.Result
    conditions: list[str] = Field(default_factory=list)
    reasons: str | None = None
    risk_assessment_summary: str | None = None
    lack_of_scientific_certainty: bool = False
    bch_modified_organisms: list[str] = Field(default_factory=list)


class InformationRequestView(BaseModel):
    """Art 11(3): a request of another Party, as the case shows it."""

    number: int
    requesting_party: str
    requester_name: str
    items: list[str]
    received_on: date
    answer_within_days: int
    answer: str | None = None
    answered_on: date | None = None


class InformationRequest(InformationRequestView):
    """... and as the case keeps it, with where the answer goes (personal data: never shown)."""

    requester_email: str
    requester_language: Language | None = None

    @classmethod
    def of(cls, cmd: RequestInformation, number: int, today: date) -> InformationRequest:
        return cls(
            number=number,
            requesting_party=cmd.requesting_party,
            requester_name=cmd.requester.name,
            requester_email=cmd.requester.email,
            requester_language=cmd.requester.language,
            items=list(cmd.items),
            received_on=cmd.received_on or today,
            answer_within_days=cmd.answer_within_days,
        )

    def view(self) -> InformationRequestView:
        return InformationRequestView.model_validate(
            self.model_dump(exclude={"requester_email", "requester_language"})
        )


class FfpState(BaseModel):
    annex_ii: AnnexII
    decision: FfpDecision | None = None
    bch_queued_on: date | None = None
    informed_on: date | None = None
    requests: list[InformationRequest] = Field(default_factory=list)
    closed_on: date | None = None

    @classmethod
    def opened(cls, start: FfpStart) -> FfpState:
        """The state a case opens with: an Art 11(1) decision is taken when it is recorded."""
        o = start.opening
        if isinstance(o, FirstImportApplication):
            return cls(annex_ii=o.annex_ii)
        decided = FfpDecision(
            decided_on=start.received_on,
            **o.model_dump(include={"result", "conditions", "reasons", "bch_modified_organisms"}),
        )
        return cls(annex_ii=o.annex_ii, decision=decided)

    @property
    def stage(self) -> Stage:
        if self.closed_on is not None:
            return Stage.CLOSED
        if self.decision is None:
            return Stage.APPLICATION_RECEIVED
        if self.informed_on is not None:
            return Stage.INFORMED
        return Stage.INFORMING if self.bch_queued_on is not None else Stage.ANNEX_II_INCOMPLETE


class FfpResume(BaseModel):
    state: FfpState
    kernel: KernelState


class FfpStart(CaseStart):
    """Workflow input of a food, feed or processing case; ``received_on`` is the date its first
    period counts from: the decision (11(1)) or the receipt of the application (11(6))."""

    opening: FfpOpening
    resume: FfpResume | None = None

    def facts(self) -> CaseFacts:
        o, a = self.opening, self.opening.annex_ii
        first = o if isinstance(o, FirstImportApplication) else None
        lmo = a.c_lmo_name or "LMO not named"
        return CaseFacts(
            case_id=self.case_id,
            procedure=Procedure.FFP,
            title=f"{lmo} for {', '.join(o.uses)}"
            + (" (first import, Art 11(6))" if first else " (Art 11(1))"),
            notifier_reference=o.reference,
            notifier_name=a.a_applicant.name if a.a_applicant else None,
            notifier_email=first.applicant.email if first else None,
            notifier_language=first.applicant.language if first else None,
            party_of_export=first.party_of_export if first else None,
            party_of_import=self.authority.party,
            lmo_name=a.c_lmo_name,
            lmo_id=a.e_unique_identifier,
            received_on=self.received_on,
        )

    def letter_context(self) -> dict[str, Any]:
        o, a = self.opening, self.opening.annex_ii
        first = o if isinstance(o, FirstImportApplication) else None
        return {
            "case_id": self.case_id,
            "authority_name": self.authority.name,
            "party_of_import": self.authority.party,
            "lmo_name": a.c_lmo_name or "(not stated)",
            "lmo_id": a.e_unique_identifier,
            **({"party_of_export": first.party_of_export} if first else {}),
        }


class FfpDetails(BaseModel):
    """The procedure part of a food, feed or processing case's view."""

    procedure: Literal["ffp"] = "ffp"
    kind: Literal["domestic_decision", "first_import"]
    uses: list[Use]
    declaration: str | None = Field(description="Art 11(6): the Party's declaration on the BCH")
    annex_ii: AnnexII
    missing_annex_ii_items: list[str]
    decision: FfpDecision | None
    bch_queued_on: date | None
    informed_on: date | None = Field(description="Art 11(1): the BCH record handed over")
    copies_to: list[str] = Field(description="Parties without BCH access sent a copy (11(1))")
    information_requests: list[InformationRequestView]
    closed_on: date | None
    fingerprint: str


def fingerprint(opening: DomesticDecision | FirstImportApplication) -> str:
    """Identifies what a case was opened with, so that opening it again under the same
    reference can be told apart from a different case reusing it."""
    return hashlib.sha256(opening.model_dump_json().encode()).hexdigest()[:32]
