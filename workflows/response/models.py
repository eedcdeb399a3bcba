"""Response measures under the Nagoya–Kuala Lumpur Supplementary Protocol on Liability and
Redress (SP): how a case opens, the officers' commands, the stages and the procedure part of the
case view.

A case opens on damage, or on a sufficient likelihood of damage if timely response measures are
not taken (SP Art 5(3)), reported by an operator, who must inform the authority immediately (Art
5(1)(a)), or found by the authority. Rules that JSON Schema can state are in the models' shapes
(the order of preference of Art 2(2)(d)(ii) is the shape of ``restoration``); rules that depend on
the case are the workflow's validators.
"""

from __future__ import annotations

import hashlib
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from workflows.kernel.state import KernelState
from workflows.models import (
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
from workflows.review.models import Reference

# The procedures whose cases a response-measure case may be linked to (SP Art 3(2)-(3)): the
# advance informed agreement of an intentional movement, CP Art 17 and CP Art 25.
LINKABLE_PREFIXES = ("aia-", "emergency-", "illegal-")
LINKED_CASE_PATTERN = r"^(aia|emergency|illegal)-[a-z0-9][a-z0-9._-]{0,140}$"

MovementKind = Literal["intentional", "unintentional", "illegal"]
MOVEMENT_WORDS = {
    "intentional": "an intentional transboundary movement (SP Art 3(2))",
    "unintentional": "an unintentional transboundary movement (CP Art 17, SP Art 3(3))",
    "illegal": "an illegal transboundary movement (CP Art 25, SP Art 3(3))",
}
LmoCategory = Literal["food_feed_processing", "contained_use", "environmental_release"]
CATEGORY_WORDS = {
    "food_feed_processing": "intended for direct use as food or feed, or for processing "
    "(SP Art 3(1)(a))",
    "contained_use": "destined for contained use (SP Art 3(1)(b))",
    "environmental_release": "intended for intentional introduction into the environment "
    "(SP Art 3(1)(c))",
}


class ResponsePolicy(BaseModel):
    """What domestic law provides where the Supplementary Protocol leaves it to the Parties,
    snapshotted into each case when it opens (infra/settings.py, ``BIOSAFETY_RESPONSE_*``)."""

    follow_up_days: int = Field(default=30, ge=1, description="interval of follow-up checks")
    review_suspends: bool = Field(
        default=False,
        description="SP Art 5(6): review does not impede the measures unless domestic law "
        "provides otherwise; true: a review suspends them",
    )
    financial_limit: int | None = Field(default=None, ge=1, description="SP Art 8; none: no limit")
    currency: str = "HUF"
    exemptions: tuple[str, ...] = Field(
        default=("force_majeure", "war_or_civil_unrest"),
        description="SP Art 6: the exemptions domestic law provides",
    )
    relative_limit_days: int = Field(default=3 * 365, ge=1, description="SP Art 7(a)")
    relative_limit_from: Literal["knowledge", "occurrence"] = Field(
        default="knowledge", description="SP Art 7(b): the authority learnt of the damage"
    )
    absolute_limit_days: int = Field(default=15 * 365, ge=1, description="SP Art 7(a)")
    absolute_limit_from: Literal["occurrence", "movement"] = Field(
        default="occurrence", description="SP Art 7(b): the damage occurred, or the movement"
    )
    payment_days: int = Field(default=30, ge=1, description="the operator's term to pay costs")


# ---- opening ----------------------------------------------------------------------------------


class Operator(Input):
    """SP Art 2(2)(c): a person in direct or indirect control of the LMO."""

    name: Text
    address: Text
    email: Email
    role: Literal[
        "permit_holder", "placer_on_market", "developer", "producer", "notifier", "exporter",
        "importer", "carrier", "supplier", "other",
    ] = "other"  # fmt: skip
    language: Language | None = None


class Lmo(Input):
    name: Text
    unique_identifier: str | None = Field(default=None, min_length=1, max_length=100)
    category: LmoCategory = Field(description="SP Art 3(1)(a)-(c)")


class Movement(Input):
    """The transboundary movement the LMO came from (SP Art 3(1))."""

    kind: MovementKind
    started_on: date = Field(description="SP Art 3(4): when the movement started")
    party_of_export: CountryCode | None = None


class _Report(Input):
    reference: Reference
    received_on: date | None = Field(
        default=None, description="the day the authority was informed or found it; default today"
    )
    basis: Literal["damage", "likelihood"] = Field(
        description="damage, or a sufficient likelihood of damage if timely response measures "
        "are not taken (SP Art 5(3))"
    )
    description: Text
    location: Text
    within_national_jurisdiction: bool = Field(description="SP Art 3(5)")
    occurred_on: date | None = Field(default=None, description="when the damage occurred")
    lmo: Lmo
    movement: Movement


class OperatorReport(_Report):
    """SP Art 5(1)(a): the operator informs the competent authority immediately."""

    reported_by: Literal["operator"]
    operator: Operator


class AuthorityFinding(_Report):
    """The authority found the damage itself (SP Art 5(2))."""

    reported_by: Literal["authority"]
    operator: Operator | None = None


ResponseOpening = Annotated[OperatorReport | AuthorityFinding, Field(discriminator="reported_by")]


# ---- commands ---------------------------------------------------------------------------------


class Factor(Input):
    factor: Literal[
        "a_long_term_change", "b_extent_of_change", "c_goods_and_services", "d_human_health"
    ] = Field(description="SP Art 2(3)(a)-(d)")
    finding: Text


class Significant(Input):
    finding: Literal["significant"]
    factors: list[Factor] = Field(min_length=1)


class NotSignificant(Input):
    finding: Literal["not_significant"]
    reasons: Text


class CausalLink(Input):
    """SP Art 4: established in accordance with domestic law."""

    established: bool
    reasons: Text


class EvaluateDamage(Command):
    """SP Art 5(2)(b): the evaluation of the damage against Art 2(2)(b) and 2(3), and Art 4."""

    measurable: Text = Field(description="SP Art 2(2)(b)(i): measurable or observable, baseline")
    significance: Annotated[Significant | NotSignificant, Field(discriminator="finding")]
    causal_link: CausalLink


class Measure(Input):
    kind: Literal["prevent", "minimise", "contain", "mitigate", "avoid"] = Field(
        description="SP Art 2(2)(d)(i)"
    )
    description: Text
    within_days: int = Field(ge=1, le=3650, description="the operator's term, from the decision")


class PreviousCondition(Input):
    """SP Art 2(2)(d)(ii)(a): first in the order of preference."""

    kind: Literal["previous_condition"]
    description: Text
    within_days: int = Field(ge=1, le=3650)


class Replacement(Input):
    """SP Art 2(2)(d)(ii)(b): only where the authority determines (a) is not possible."""

    kind: Literal["replacement"]
    previous_condition_not_possible: Text = Field(description="why (ii)(a) is not possible")
    description: Text
    within_days: int = Field(ge=1, le=3650)


Restoration = Annotated[PreviousCondition | Replacement, Field(discriminator="kind")]


class DecideMeasures(Command):
    """SP Art 5(2), 5(6): the operators, the measures, reasons and the available remedies."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["prevention"], "properties": {"prevention": {"minItems": 1}}},
                {"required": ["restoration"], "properties": {"restoration": {"type": "object"}}},
            ]
        }
    )

    operators: list[Operator] = Field(min_length=1, max_length=20, description="SP Art 5(2)(a)")
    prevention: list[Measure] = Field(default_factory=list, max_length=50)
    restoration: Restoration | None = None
    reasons: Text = Field(description="SP Art 5(6): the decision is reasoned")
    remedies: Text = Field(description="SP Art 5(6): administrative or judicial review, where")

    @model_validator(mode="after")
    def _some_measure(self) -> DecideMeasures:
        if not self.prevention and self.restoration is None:
            raise ValueError("order at least one measure: prevention or restoration")
        return self


class FollowUp(Command):
    """A follow-up check on the measures (what the officer found)."""

    findings: Text


class ConfirmCompletion(Command):
    measure: int = Field(ge=1, description="the measure's number, from 1")
    completed_on: date | None = Field(default=None, description="default today")
    findings: Text


class TakeOver(Command):
    """SP Art 5(4): the authority implements measures itself, in particular when the operator
    has failed to."""

    measures: list[int] = Field(min_length=1, max_length=50)
    reasons: Text


class RequestReview(Command):
    """SP Art 5(6): the operator seeks administrative or judicial review of the decision."""

    kind: Literal["administrative", "judicial"]
    lodged_on: date | None = Field(default=None, description="default today")
    body: Text = Field(description="the reviewing authority or court")
    grounds: Text


class ReviewOutcome(Command):
    outcome: Literal["upheld", "annulled"]
    reasons: Text


class CostItem(Input):
    kind: Literal["evaluation", "measures", "incidental"] = Field(description="SP Art 5(5)")
    description: Text
    amount: int = Field(ge=1, le=10**12, description="in whole units of the currency")
    incurred_on: date | None = None


class RecordCosts(Command):
    items: list[CostItem] = Field(min_length=1, max_length=100)


class DemandCosts(Command):
    """SP Art 5(5), 8: the costs recovered from the operator, within the financial limit."""

    notes: Text | None = None


class RecordPayment(Command):
    amount: int = Field(ge=1, le=10**12)
    paid_on: date | None = Field(default=None, description="default today")


class Close(Input):
    effect: Literal["close"]


class Mitigate(Input):
    effect: Literal["mitigate"]
    operator_share_percent: int = Field(ge=0, le=99, description="of the costs still recovered")


class ApplyExemption(Command):
    """SP Art 6: an exemption domestic law provides closes or mitigates the case."""

    ground: Literal["force_majeure", "war_or_civil_unrest", "other"] = Field(
        description="SP Art 6(1)(a), 6(1)(b), 6(2)"
    )
    reasons: Text
    result: Annotated[Close | Mitigate, Field(discriminator="effect")]


class LinkCase(Command):
    case_id: str = Field(
        pattern=LINKED_CASE_PATTERN,
        max_length=160,
        description="the AIA, CP Art 17 or CP Art 25 case the damage comes from",
    )


# ---- state and view ---------------------------------------------------------------------------


class Stage(StrEnum):
    SCOPE_CHECK = "scope_check"
    OUT_OF_SCOPE = "out_of_scope"
    EVALUATION = "damage_evaluation"
    DECISION_DUE = "measures_decision_due"
    MEASURES = "measures_ongoing"
    OPERATOR_FAILED = "operator_failed"
    SUSPENDED = "measures_suspended"
    COSTS = "cost_recovery"
    COMPLETED = "response_completed"
    NO_DAMAGE = "no_damage"
    EXEMPTED = "exempted"
    TIME_BARRED = "time_barred"
    ANNULLED = "decision_annulled"


CLOSED_STAGES = (
    Stage.OUT_OF_SCOPE,
    Stage.COMPLETED,
    Stage.NO_DAMAGE,
    Stage.EXEMPTED,
    Stage.TIME_BARRED,
    Stage.ANNULLED,
)
STAGE_WORDS = {
    Stage.SCOPE_CHECK: "Report received; checking the scope (SP Art 3)",
    Stage.OUT_OF_SCOPE: "Outside the Supplementary Protocol's scope (SP Art 3)",
    Stage.EVALUATION: "In scope; the damage is being evaluated (SP Art 5(2)(b), Art 4)",
    Stage.DECISION_DUE: "Damage evaluated; decision on response measures due (SP Art 5(2)(c))",
    Stage.MEASURES: "Response measures being carried out and followed up (SP Art 5)",
    Stage.OPERATOR_FAILED: "The operator has not completed measures on time; the authority may "
    "implement them itself (SP Art 5(4))",
    Stage.SUSPENDED: "Measures suspended pending review, as domestic law provides (SP Art 5(6))",
    Stage.COSTS: "Measures completed; costs being recovered (SP Art 5(5), Art 8)",
    Stage.COMPLETED: "Response measures completed and costs settled",
    Stage.NO_DAMAGE: "No damage within SP Art 2(2)(b) or no causal link (SP Art 4): closed",
    Stage.EXEMPTED: "Closed on an exemption (SP Art 6)",
    Stage.TIME_BARRED: "Closed: the time limit for action has passed (SP Art 7)",
    Stage.ANNULLED: "The decision on response measures was annulled on review (SP Art 5(6))",
}


class SpStatus(BaseModel):
    """The Party's Supplementary Protocol status, as its treaty status case records it."""

    case_id: str
    entry_into_force_on: date
    withdrawal_takes_effect_on: date | None = None


class OrderedMeasure(BaseModel):
    number: int
    kind: str
    article: str
    description: str
    start: date  # its term counts from here: the decision, or the end of a suspension
    days: int
    counted_from: str = "the decision on response measures"
    counted_from_hu: str = "a válaszintézkedésekről hozott döntés"
    by_authority: bool = False  # SP Art 5(4)
    taken_over_on: date | None = None
    completed_on: date | None = None
    findings: str | None = None
    failure_recorded: bool = False


class ReviewRecord(BaseModel):
    kind: str
    lodged_on: date
    body: str
    grounds: str
    suspends: bool
    outcome: str | None = None
    decided_on: date | None = None
    reasons: str | None = None


class Cost(BaseModel):
    kind: str
    description: str
    amount: int
    incurred_on: date | None = None
    recorded_on: date


class Demand(BaseModel):
    demanded_on: date
    total: int
    recoverable: int
    explanation: str


class ResponseState(BaseModel):
    sp: SpStatus | None = None
    scope_checked_on: date | None = None
    scope_refusals: list[str] = Field(default_factory=list)
    linked_cases: list[str] = Field(default_factory=list)
    evaluation: EvaluateDamage | None = None
    evaluated_on: date | None = None
    decided_on: date | None = None
    operators: list[Operator] = Field(default_factory=list)
    decision_reasons: str | None = None
    remedies: str | None = None
    restoration_not_possible: str | None = None
    measures: list[OrderedMeasure] = Field(default_factory=list)
    follow_up_from: date | None = None
    follow_ups: int = 0
    reviews: list[ReviewRecord] = Field(default_factory=list)
    suspended_since: date | None = None
    costs: list[Cost] = Field(default_factory=list)
    operator_share_percent: int = 100
    demand: Demand | None = None
    paid: int = 0
    payments: list[date] = Field(default_factory=list)
    exemption: str | None = None
    time_barred: list[str] = Field(default_factory=list)  # the limits that have passed
    closed_on: date | None = None
    closed_as: Stage | None = None


class ResponseResume(BaseModel):
    state: ResponseState
    kernel: KernelState


class ResponseStart(CaseStart):
    """Workflow input of a response-measure case; ``received_on`` is the day the authority was
    informed of the damage or found it."""

    opening: ResponseOpening
    policy: ResponsePolicy = Field(default_factory=ResponsePolicy)
    resume: ResponseResume | None = None

    def facts(self) -> CaseFacts:
        o = self.opening
        return CaseFacts(
            case_id=self.case_id,
            procedure=Procedure.RESPONSE_MEASURES,
            title=f"{'Damage' if o.basis == 'damage' else 'Likely damage'} from {o.lmo.name} "
            f"at {o.location} (SP Art 5)",
            notifier_reference=o.reference,
            notifier_name=o.operator.name if o.operator else None,
            notifier_email=o.operator.email if o.operator else None,
            notifier_language=o.operator.language if o.operator else None,
            party_of_export=o.movement.party_of_export,
            party_of_import=self.authority.party,
            lmo_name=o.lmo.name,
            lmo_id=o.lmo.unique_identifier,
            received_on=self.received_on,
        )

    def letter_context(self) -> dict[str, Any]:
        o = self.opening
        return {
            "case_id": self.case_id,
            "authority_name": self.authority.name,
            "party_of_import": self.authority.party,
            "lmo_name": o.lmo.name,
            "lmo_id": o.lmo.unique_identifier,
            "location": o.location,
            **(
                {"party_of_export": o.movement.party_of_export}
                if o.movement.party_of_export
                else {}
            ),
        }


class MeasureView(BaseModel):
    number: int
    kind: str
    article: str
    description: str
    due: date | None
    by_authority: bool
    completed_on: date | None
    findings: str | None


class ResponseDetails(BaseModel):
    """The procedure part of a response-measure case's view."""

    procedure: Literal["response_measures"] = "response_measures"
    reported_by: Literal["operator", "authority"]
    basis: Literal["damage", "likelihood"]
    description: str
    location: str
    occurred_on: date | None
    lmo_category: str
    movement_kind: str
    movement_started_on: date
    sp_in_force_on: date | None = Field(description="SP Art 18, from the treaty status case")
    scope_refusals: list[str] = Field(description="why the case is outside SP Art 3, if it is")
    linked_cases: list[str]
    evaluation: EvaluateDamage | None
    evaluated_on: date | None
    decided_on: date | None
    operators: list[str] = Field(description="the operators' names (SP Art 5(2)(a))")
    decision_reasons: str | None
    remedies: str | None
    restoration_not_possible: str | None = Field(description="SP Art 2(2)(d)(ii)")
    measures: list[MeasureView]
    follow_ups: int
    reviews: list[ReviewRecord]
    suspended_since: date | None
    costs: list[Cost]
    costs_total: int
    financial_limit: int | None = Field(description="SP Art 8")
    currency: str
    demand: Demand | None
    paid: int
    exemption: str | None
    time_barred: list[str]
    closed_on: date | None
    fingerprint: str


def fingerprint(opening: OperatorReport | AuthorityFinding) -> str:
    """Identifies what a case was opened with, so that opening it again under the same
    reference can be told apart from a different case reusing it."""
    return hashlib.sha256(opening.model_dump_json().encode()).hexdigest()[:32]
