"""The officers' commands on a response-measure case (SP Arts 5-8), each the single typed input
of one Temporal Update: evaluating the damage, deciding and following up the measures, review,
costs and their recovery, exemptions and links to other cases. Rules that JSON Schema can state
are in their shapes; rules that depend on the case are the workflow's validators."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, model_validator

from workflows.models import (
    Command,
    Input,
    Text,
)
from workflows.response.opening import LINKED_CASE_PATTERN, Operator


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
