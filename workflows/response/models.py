"""Response measures under the Nagoya–Kuala Lumpur Supplementary Protocol on Liability and
Redress (SP): the domestic policy each case snapshots, the case's start, the stages and the
procedure part of the case view. How a case opens is in workflows/response/opening.py, the
officers' commands in workflows/response/commands.py.

A case opens on damage, or on a sufficient likelihood of damage if timely response measures are
not taken (SP Art 5(3)), reported by an operator, who must inform the authority immediately (Art
5(1)(a)), or found by the authority. Rules that JSON Schema can state are in the models' shapes
(the order of preference of Art 2(2)(d)(ii) is the shape of ``restoration``); rules that depend on
the case are the workflow's validators.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

from workflows.kernel.state import KernelState
from workflows.models import (
    CaseFacts,
    CaseStart,
    Procedure,
)
from workflows.response.commands import EvaluateDamage
from workflows.response.opening import Operator, ResponseOpening


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
