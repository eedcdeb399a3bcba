"""Confidential information (CP Art 21): how a case opens, the commands on each claim, the
stages, and the procedure part of the case view.

A case holds the claims of one AIA notification (21(1): the notifier identifies the information
to be treated as confidential). The authority may ask for a justification (21(1)); it may reject
a claim only after consulting the notifier, and informs it of the decision with reasons; the
notifier then has an opportunity for an internal review before any disclosure (21(2)). The items
of 21(6) can never be confidential; a withdrawn notification's claims stay confidential (21(5)).
"""

from __future__ import annotations

import hashlib
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, WithJsonSchema, field_validator

from workflows.aia.models import ANNEX_I_DESCRIPTIONS, CLAIMABLE, AnnexIItem
from workflows.kernel.state import KernelState
from workflows.models import (
    CaseFacts,
    CaseStart,
    Command,
    CountryCode,
    Input,
    Notifier,
    Procedure,
    Text,
)

# Art 21(6): never confidential. The notification names them with words of its own (the
# notifier and the risk assessment summary are outside Annex I), so a claim may name them too,
# and is refused saying which paragraph excludes it.
NEVER_CONFIDENTIAL: dict[str, str] = {
    "notifier": "Art 21(6)(a): the name and address of the notifier",
    AnnexIItem.C.value: "Art 21(6)(b): a general description of the LMO (Annex I item (c))",
    "risk_assessment_summary": "Art 21(6)(c): a summary of the risk assessment",
    "emergency_response": "Art 21(6)(d): methods and plans for emergency response",
}
CLAIMABLE_ITEMS: tuple[str, ...] = tuple(i.value for i in CLAIMABLE)


def claimable(item: str) -> str:
    if item in NEVER_CONFIDENTIAL:
        raise ValueError(f"'{item}' can never be confidential: {NEVER_CONFIDENTIAL[item]}")
    if item not in CLAIMABLE_ITEMS:
        raise ValueError(
            f"'{item}' is not an Annex I item that may be claimed confidential: one of "
            f"{', '.join(CLAIMABLE_ITEMS)}"
        )
    return item


ClaimItem = Annotated[
    str,
    AfterValidator(claimable),
    WithJsonSchema(
        {
            "type": "string",
            "enum": list(CLAIMABLE_ITEMS),
            "description": "the Annex I item, (a) to (o); never (c), nor the notifier's name and "
            "address, a summary of the risk assessment or emergency response plans (Art 21(6))",
        }
    ),
]


def describe(item: str) -> str:
    return f"Annex I item ({item}), {ANNEX_I_DESCRIPTIONS[AnnexIItem(item)]}"


class Claim(Input):
    """Art 21(1): one item the notifier identifies as confidential."""

    item: ClaimItem
    justification: Text | None = Field(default=None, description="given on request, Art 21(1)")


class ClaimsOpening(Input):
    """The claims of one AIA notification, as the authority records them (the API opens this
    case by itself when a notification carrying claims is accepted)."""

    notification_case_id: str = Field(
        pattern=r"^aia-[a-z0-9][a-z0-9._-]{0,190}$",
        description="the AIA case whose notification the claims belong to",
        examples=["aia-hu-exs-2027-014"],
    )
    notifier: Notifier
    party_of_export: CountryCode | None = None
    lmo_name: Text | None = Field(default=None, description="never confidential, Art 21(6)(b)")
    lmo_id: str | None = Field(
        default=None,
        max_length=20,
        pattern=r"^[A-Za-z0-9Øø]{2,3}-[A-Za-z0-9Øø]{5,6}-[0-9]$",
        description="the LMO's OECD unique identifier, e.g. MON-ØØ81Ø-6",
    )
    received_on: date | None = Field(default=None, description="receipt of the claims; today")
    claims: list[Claim] = Field(
        min_length=1,
        max_length=len(CLAIMABLE_ITEMS),
        description="each Annex I item at most once",
        json_schema_extra={
            "allOf": [
                {
                    "contains": {"properties": {"item": {"const": i}}, "required": ["item"]},
                    "minContains": 0,
                    "maxContains": 1,
                }
                for i in CLAIMABLE_ITEMS
            ]
        },
    )

    @field_validator("claims")
    @classmethod
    def _once(cls, claims: list[Claim]) -> list[Claim]:
        items = [c.item for c in claims]
        if len(items) != len(set(items)):
            raise ValueError("each Annex I item may be claimed confidential once")
        return claims


class Periods(BaseModel):
    """The domestic periods of the procedure (the Protocol sets none), snapshotted at start."""

    justification_days: int = 30
    consultation_days: int = 30
    review_request_days: int = 30
    review_decision_days: int = 60


# ---- commands ---------------------------------------------------------------------------------

ItemRef = Annotated[
    str,
    Field(pattern=r"^[a-o]$", description="the Annex I item of the claim, e.g. 'h'"),
]


class RequestJustification(Command):
    """Art 21(1): justification shall be given upon request."""

    items: list[ItemRef] = Field(
        min_length=1,
        max_length=15,
        description="each item once",
        json_schema_extra={"uniqueItems": True},  # checked by _once, in words
    )

    @field_validator("items")
    @classmethod
    def _once(cls, items: list[str]) -> list[str]:
        if len(set(items)) != len(items):
            raise ValueError("name each item once")
        return items


class GiveJustification(Command):
    item: ItemRef
    justification: Text


class OpenConsultation(Command):
    """Art 21(2): the authority considers that the item does not qualify, and consults the
    notifier before deciding."""

    item: ItemRef
    grounds: Text = Field(description="why the item may not qualify for confidential treatment")


class ConsultationViews(Command):
    item: ItemRef
    views: Text


class DecideClaim(Command):
    """Art 21(2): the decision on a claim, with reasons."""

    item: ItemRef
    outcome: Literal["confidential", "not_confidential"]
    reasons: Text


class RequestReview(Command):
    """Art 21(2): the notifier's internal review of a rejection, before any disclosure."""

    item: ItemRef
    grounds: Text


class DecideReview(Command):
    item: ItemRef
    outcome: Literal["rejection_upheld", "claim_accepted"]
    reasons: Text


class Disclose(Command):
    item: ItemRef


class NotificationWithdrawn(Command):
    """Art 21(5): the notifier withdrew the notification."""

    withdrawn_on: date | None = Field(default=None, description="default today")


# ---- stages, state and view -------------------------------------------------------------------


class Stage(StrEnum):
    CLAIMED = "claims_recorded"
    JUSTIFICATION = "justification_requested"
    CONSULTATION = "notifier_consulted"
    REJECTED = "rejection_notified"  # the window for an internal review runs
    REVIEW = "internal_review"
    DISCLOSABLE = "disclosure_allowed"
    CONFIDENTIAL = "kept_confidential"
    DISCLOSED = "disclosed"
    PROTECTED = "protected_after_withdrawal"  # Art 21(5)
    SETTLED = "claims_settled"  # the case: every claim settled


SETTLED = (Stage.CONFIDENTIAL, Stage.DISCLOSED, Stage.PROTECTED)
# The paragraph that settled a claim, named with a refusal that cites its stage's words.
SETTLED_BY = {
    Stage.CONFIDENTIAL: "Art 21(3)",
    Stage.DISCLOSED: "Art 21(2)",
    Stage.PROTECTED: "Art 21(5)",
}
# The case's stage is its most pressing claim's.
PRESSING = (
    Stage.REVIEW,
    Stage.REJECTED,
    Stage.CONSULTATION,
    Stage.JUSTIFICATION,
    Stage.DISCLOSABLE,
    Stage.CLAIMED,
)

STAGE_WORDS = {
    Stage.CLAIMED: "Claims recorded; treated as confidential (Art 21(1))",
    Stage.JUSTIFICATION: "Justification requested from the notifier (Art 21(1))",
    Stage.CONSULTATION: "Notifier consulted on a claim the authority considers unqualified "
    "(Art 21(2))",
    Stage.REJECTED: "Claim rejected with reasons; the notifier may ask for an internal review "
    "(Art 21(2))",
    Stage.REVIEW: "Internal review of a rejected claim (Art 21(2))",
    Stage.DISCLOSABLE: "Rejection final; the item may be disclosed (Art 21(2))",
    Stage.CONFIDENTIAL: "Claim accepted: confidential (Art 21(3))",
    Stage.DISCLOSED: "Disclosed after the Art 21(2) procedure",
    Stage.PROTECTED: "Notification withdrawn: kept confidential (Art 21(5))",
    Stage.SETTLED: "Every claim settled",
}


class ClaimState(BaseModel):
    item: str
    justification: str | None = None
    justification_requested_on: date | None = None
    justified_on: date | None = None
    consultation_opened_on: date | None = None
    consultation_grounds: str | None = None
    views: str | None = None
    views_given_on: date | None = None
    decided_on: date | None = None
    outcome: Literal["confidential", "not_confidential"] | None = None
    reasons: str | None = None
    review_window_ended_on: date | None = None
    review_requested_on: date | None = None
    review_grounds: str | None = None
    reviewed_on: date | None = None
    review_outcome: Literal["rejection_upheld", "claim_accepted"] | None = None
    review_reasons: str | None = None
    disclosed_on: date | None = None
    protected_on: date | None = Field(default=None, description="Art 21(5): withdrawn")

    @property
    def stage(self) -> Stage:
        if self.disclosed_on is not None:
            return Stage.DISCLOSED
        if self.protected_on is not None:
            return Stage.PROTECTED
        if self.outcome == "confidential" or self.review_outcome == "claim_accepted":
            return Stage.CONFIDENTIAL
        if self.review_outcome == "rejection_upheld" or self.review_window_ended_on:
            return Stage.DISCLOSABLE
        if self.review_requested_on is not None:
            return Stage.REVIEW
        if self.outcome == "not_confidential":
            return Stage.REJECTED
        if self.consultation_opened_on is not None:
            return Stage.CONSULTATION
        if self.justification_requested_on is not None and self.justified_on is None:
            return Stage.JUSTIFICATION
        return Stage.CLAIMED

    @property
    def settled_on(self) -> date | None:
        if self.stage not in SETTLED:
            return None
        return self.disclosed_on or self.protected_on or self.reviewed_on or self.decided_on


class ClaimView(ClaimState):
    stage_now: Stage
    description: str


class ConfidentialityState(BaseModel):
    claims: list[ClaimState]
    withdrawn_on: date | None = None

    def claim(self, item: str) -> ClaimState | None:
        return next((c for c in self.claims if c.item == item), None)

    @property
    def closed(self) -> bool:
        return all(c.stage in SETTLED for c in self.claims)

    @property
    def stage(self) -> Stage:
        stages = {c.stage for c in self.claims}
        pressing = next((s for s in PRESSING if s in stages), None)
        if pressing is not None:
            return pressing
        return Stage.PROTECTED if self.withdrawn_on is not None else Stage.SETTLED


class ConfidentialityResume(BaseModel):
    state: ConfidentialityState
    kernel: KernelState


class ConfidentialityStart(CaseStart):
    """Workflow input of a confidentiality case; ``received_on`` is the receipt of the claims."""

    opening: ClaimsOpening
    periods: Periods = Field(default_factory=Periods)
    resume: ConfidentialityResume | None = None

    def facts(self) -> CaseFacts:
        o = self.opening
        return CaseFacts(
            case_id=self.case_id,
            procedure=Procedure.CONFIDENTIALITY,
            title=f"Confidentiality of {len(o.claims)} item(s) of notification "
            f"{o.notification_case_id}",
            notifier_reference=o.notification_case_id,
            notifier_name=o.notifier.name,
            notifier_email=o.notifier.email,
            notifier_language=o.notifier.language,
            party_of_export=o.party_of_export,
            party_of_import=self.authority.party,
            lmo_name=o.lmo_name,
            # The register lists the LMO's cases by its identifier: the notification's, under
            # its AIA case; the Web UI still finds this case by it (the LmoId it opens with).
            received_on=self.received_on,
            confidential_items=[c.item for c in o.claims],
        )

    def letter_context(self) -> dict[str, Any]:
        o = self.opening
        return {
            "case_id": self.case_id,
            "authority_name": self.authority.name,
            "notifier_name": o.notifier.name,
            "notification_case_id": o.notification_case_id,
            "lmo_name": o.lmo_name or "(not stated)",
            "party_of_import": self.authority.party,
            **({"party_of_export": o.party_of_export} if o.party_of_export else {}),
        }


class ConfidentialityDetails(BaseModel):
    """The procedure part of a confidentiality case's view (staff and the notifier only)."""

    procedure: Literal["confidentiality"] = "confidentiality"
    notification_case_id: str
    claims: list[ClaimView]
    withdrawn_on: date | None
    periods: Periods
    fingerprint: str


def fingerprint(opening: ClaimsOpening) -> str:
    return hashlib.sha256(opening.model_dump_json(exclude={"received_on"}).encode()).hexdigest()[
        :32
    ]
