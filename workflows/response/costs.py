"""SP Art 5(5), 8: the recovery of the costs; SP Art 6: exemptions.

A mixin of the plain methods behind the ``record_costs``, ``demand_costs``, ``record_payment`` and
``apply_exemption`` updates of ``ResponseMeasures`` (their bodies and their validators' checks).
The Temporal handlers stay on the workflow class and call these. Pure and deterministic: no I/O,
no clock but the case's.
"""

from __future__ import annotations

from workflows.common import refuse
from workflows.models import CommandResult
from workflows.response.commands import (
    ApplyExemption,
    DemandCosts,
    Mitigate,
    RecordCosts,
    RecordPayment,
)
from workflows.response.models import Cost, Demand, Stage
from workflows.response.procedure import ResponseProcedure

EXEMPTION_WORDS = {
    "force_majeure": "act of God or force majeure (SP Art 6(1)(a))",
    "war_or_civil_unrest": "act of war or civil unrest (SP Art 6(1)(b))",
    "other": "another exemption or mitigation domestic law provides (SP Art 6(2))",
}


class CostRecovery(ResponseProcedure):
    def _record_costs(self, cmd: RecordCosts) -> CommandResult:
        today = self.case.today()
        for i in cmd.items:
            self._state.costs.append(
                Cost(kind=i.kind, description=i.description, amount=i.amount,
                     incurred_on=i.incurred_on, recorded_on=today)
            )  # fmt: skip
        added = sum(i.amount for i in cmd.items)
        self.case.record(
            "costs_recorded",
            cmd.actor,
            f"Costs recorded (SP Art 5(5)): {added} {self._policy.currency}; in all "
            f"{self._total()} {self._policy.currency}",
            cmd.model_dump(mode="json"),
        )
        return self._result("Costs recorded")

    def _check_record_costs(self, cmd: RecordCosts) -> None:
        self._require_open("record costs")
        if self._state.demand is not None:
            raise refuse(
                f"the costs were demanded on {self._state.demand.demanded_on}: costs are recorded "
                "before the demand",
                rule="costs-before-demand",
            )
        for i, item in enumerate(cmd.items):
            self._require_date("incurred_on", item.incurred_on, None, "", f"items[{i}].incurred_on")

    def _demand_costs(self, cmd: DemandCosts) -> CommandResult:
        st, p, today = self._state, self._policy, self.case.today()
        total = self._total()
        share = total * st.operator_share_percent // 100
        words = [f"costs {total} {p.currency} (SP Art 5(5))"]
        if st.operator_share_percent < 100:
            words.append(f"the operator bears {st.operator_share_percent}% (SP Art 6): {share}")
        recoverable = share
        if p.financial_limit is not None and share > p.financial_limit:
            recoverable = p.financial_limit
            words.append(f"limited to {p.financial_limit} {p.currency} (SP Art 8)")
        explanation = "; ".join(words) + f"; recoverable {recoverable} {p.currency}"
        st.demand = Demand(
            demanded_on=today, total=total, recoverable=recoverable, explanation=explanation
        )
        due = next(e for e in self._clocks.entries() if e.period.key == "payment").deadline
        self.case.record(
            "costs_demanded", cmd.actor, f"Costs demanded: {explanation}; payable by {due.due}",
            cmd.model_dump(mode="json"),
        )  # fmt: skip
        self._tell_operators(
            "costs",
            "response_cost_demand",
            costs=[c.model_dump(mode="json") for c in st.costs],
            total=total,
            recoverable=recoverable,
            currency=p.currency,
            explanation=explanation,
            due=str(due.due),
            notes=cmd.notes,
        )
        if recoverable == 0:
            self._maybe_complete(cmd.actor)
        return self._result(f"{recoverable} {p.currency} demanded")

    def _check_demand_costs(self, cmd: DemandCosts) -> None:
        self._require_open("demand the costs")
        if self._state.decided_on is None:
            raise refuse(
                "no decision on response measures has been taken: the costs of the evaluation "
                "and the measures are demanded after it (SP Art 5(5))",
                rule="demand-needs-decision",
                article="SP Art 5(5)",
            )
        if not self._state.costs:
            raise refuse(
                "no costs have been recorded (SP Art 5(5)): record them before the demand",
                rule="demand-needs-costs",
                article="SP Art 5(5)",
            )
        if (d := self._state.demand) is not None:
            raise refuse(f"the costs were demanded on {d.demanded_on} already", rule="demand-once")
        self._require_in_time("demand the costs")

    def _record_payment(self, cmd: RecordPayment) -> CommandResult:
        st = self._state
        assert st.demand is not None
        st.paid += cmd.amount
        st.payments.append(cmd.paid_on or self.case.today())
        left = max(st.demand.recoverable - st.paid, 0)
        self.case.record(
            "payment_recorded",
            cmd.actor,
            f"Payment of {cmd.amount} {self._policy.currency} on {st.payments[-1]}; "
            + (f"{left} outstanding" if left else "the costs are paid in full"),
            cmd.model_dump(mode="json"),
        )
        if not left:
            self._maybe_complete(cmd.actor)
        return self._result("Payment recorded")

    def _check_record_payment(self, cmd: RecordPayment) -> None:
        self._require_open("record a payment")
        if (d := self._state.demand) is None:
            raise refuse(
                "no costs have been demanded: demand them before recording a payment",
                rule="payment-needs-demand",
            )
        self._require_date("paid_on", cmd.paid_on, d.demanded_on, "the demand")

    # ---- SP Art 6: exemptions ------------------------------------------------------------------

    def _apply_exemption(self, cmd: ApplyExemption) -> CommandResult:
        st = self._state
        st.exemption = f"{EXEMPTION_WORDS[cmd.ground]}: {cmd.reasons}"
        if isinstance(cmd.result, Mitigate):
            st.operator_share_percent = cmd.result.operator_share_percent
            self.case.record(
                "exemption_mitigates",
                cmd.actor,
                f"Exemption applied, {st.exemption}; the operator bears "
                f"{st.operator_share_percent}% of the costs",
                cmd.model_dump(mode="json"),
            )
            return self._result("Mitigation recorded")
        self._close(Stage.EXEMPTED, cmd.actor, f"Exemption applied, {st.exemption}")
        self._tell_operators("exemption", "response_closed", reason=st.exemption)
        return self._result("Closed on an exemption")

    def _check_apply_exemption(self, cmd: ApplyExemption) -> None:
        self._require_open("apply an exemption")
        if cmd.ground not in self._policy.exemptions:
            provided = ", ".join(self._policy.exemptions) or "none"
            raise refuse(
                f"domestic law of {self._start.authority.party} provides no '{cmd.ground}' "
                f"exemption (SP Art 6; provided: {provided})",
                rule="exemption-in-domestic-law",
                article="SP Art 6",
                field="ground",
            )
        if self._state.demand is not None and isinstance(cmd.result, Mitigate):
            raise refuse(
                f"the costs were demanded on {self._state.demand.demanded_on}: a mitigation is "
                "applied before the demand",
                rule="mitigate-before-demand",
                field="result",
            )
