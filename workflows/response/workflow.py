"""Response measures under the Supplementary Protocol on Liability and Redress on the case kernel.

SP Art 3: the scope (the LMO's category and movement, the movement's start after the entry into
force for the Party, damage within national jurisdiction). Art 5(2): the authority identifies the
operator, evaluates the damage (Art 2(2)(b), 2(3); the causal link, Art 4) and decides the
measures, restoration in the order of preference of Art 2(2)(d)(ii); 5(6): the decision is
reasoned and notified with the remedies; review does not stop the measures unless domestic law
says so. Follow-up checks recur until the authority confirms completion; 5(4): the authority may
act itself; 5(5), Art 8: costs recovered within the financial limit; Art 6: exemptions; Art 7:
time limits. The kernel keeps the deadlines, messages, history, projection and continue-as-new.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.register import CaseLookup, LmoActivities, RegisteredCase
    from workflows.common import REGISTER_RETRY, invalid, refuse
    from workflows.kernel.case import Case
    from workflows.kernel.ledger import Arrival, Entry
    from workflows.kernel.runtime import run_case
    from workflows.kernel.words import explained
    from workflows.models import CaseView, CommandResult, Language
    from workflows.response.clocks import ResponseClocks, scope_refusals
    from workflows.response.models import (
        CATEGORY_WORDS,
        CLOSED_STAGES,
        MOVEMENT_WORDS,
        STAGE_WORDS,
        ApplyExemption,
        ConfirmCompletion,
        Cost,
        DecideMeasures,
        Demand,
        DemandCosts,
        EvaluateDamage,
        FollowUp,
        LinkCase,
        MeasureView,
        Mitigate,
        OrderedMeasure,
        RecordCosts,
        RecordPayment,
        Replacement,
        RequestReview,
        ResponseDetails,
        ResponseResume,
        ResponseStart,
        ResponseState,
        ReviewOutcome,
        ReviewRecord,
        SpStatus,
        Stage,
        TakeOver,
        fingerprint,
    )

EXEMPTION_WORDS = {
    "force_majeure": "act of God or force majeure (SP Art 6(1)(a))",
    "war_or_civil_unrest": "act of war or civil unrest (SP Art 6(1)(b))",
    "other": "another exemption or mitigation domestic law provides (SP Art 6(2))",
}


@workflow.defn(name="ResponseMeasures")
class ResponseMeasures:
    @workflow.init
    def __init__(self, start: ResponseStart) -> None:
        self._start = start
        self._opening = start.opening
        self._policy = start.policy
        self._st = start.resume.state if start.resume else ResponseState()
        self.case = Case.open(start, start.resume.kernel if start.resume else None)
        self._clocks = ResponseClocks(self.case.ledger, start, self._st)
        self._fingerprint = fingerprint(start.opening)
        self._looking_up = False

    @workflow.run
    async def run(self, start: ResponseStart) -> CaseView[ResponseDetails]:
        if start.resume is None:
            self._opened()
            await self._check_scope()
        return await run_case(self)

    def _opened(self) -> None:
        o, on = self._opening, self._start.received_on
        how = (
            f"reported by the operator {o.operator.name} (SP Art 5(1)(a))"
            if o.reported_by == "operator" and o.operator
            else "found by the authority (SP Art 5(2))"
        )
        what = "Damage" if o.basis == "damage" else "A sufficient likelihood of damage (Art 5(3))"
        self.case.record(
            "reported",
            "case-officer",
            f"{what} at {o.location} from {o.lmo.name}, {CATEGORY_WORDS[o.lmo.category]}, from "
            f"{MOVEMENT_WORDS[o.movement.kind]} started {o.movement.started_on}; {how} on {on}",
            {"reference": o.reference, "basis": o.basis},
        )

    async def _lookup(self, case_id: str) -> RegisteredCase:
        self._looking_up = True
        try:
            found: RegisteredCase = await workflow.execute_activity_method(
                LmoActivities.registered_case,
                CaseLookup(case_id=case_id),
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=REGISTER_RETRY,
                summary=f"register: {case_id}",
            )
            return found
        finally:
            self._looking_up = False

    async def _check_scope(self) -> None:
        """SP Art 3: the Party's status comes from its treaty status case (SP Art 18, 20)."""
        party = self._start.authority.party
        found = await self._lookup(f"treaty-sp-{party.lower()}")
        st = self._st
        if found.found and "entry_into_force_on" in found.details:
            st.sp = SpStatus(
                case_id=found.case_id,
                entry_into_force_on=found.details["entry_into_force_on"],
                withdrawal_takes_effect_on=found.details.get("withdrawal_takes_effect_on"),
            )
        st.scope_checked_on = self.case.today()
        st.scope_refusals = scope_refusals(self._start, st.sp)
        if st.scope_refusals:
            reasons = "; ".join(st.scope_refusals)
            self._close(
                Stage.OUT_OF_SCOPE, "system", f"Outside the Supplementary Protocol: {reasons}"
            )
            self._tell_operator("scope", "closed", reason=f"outside the scope: {reasons}")
            return
        assert st.sp is not None
        self.case.record(
            "in_scope",
            "system",
            f"Within the Supplementary Protocol (SP Art 3): the movement started "
            f"{self._opening.movement.started_on}, on or after its entry into force for {party} "
            f"on {st.sp.entry_into_force_on} ({st.sp.case_id}); damage within national "
            "jurisdiction (Art 3(5)); the damage is to be evaluated (Art 5(2)(b))",
        )

    # ---- linking to the case the damage comes from -------------------------------------------

    @workflow.update
    async def link_case(self, cmd: LinkCase) -> CommandResult:
        found = await self._lookup(cmd.case_id)
        if not found.found:
            raise refuse(
                f"case {cmd.case_id} is not in the case register: check the id of the case to link",
                rule="case-exists",
                field="case_id",
            )
        if cmd.case_id not in self._st.linked_cases:
            self._st.linked_cases.append(cmd.case_id)
        self.case.record(
            "linked",
            cmd.actor,
            f"Linked to {found.procedure} case {cmd.case_id} (stage {found.stage})",
            cmd.model_dump(mode="json"),
        )
        return self._result(f"Linked to {cmd.case_id}")

    @link_case.validator
    def _link_allowed(self, cmd: LinkCase) -> None:
        self._require_open("link a case")
        if cmd.case_id in self._st.linked_cases:
            raise refuse(
                f"the case is linked to {cmd.case_id} already", rule="link-once", field="case_id"
            )

    # ---- SP Art 5(2)(b), Art 4: the evaluation of the damage --------------------------------

    @workflow.update
    async def evaluate_damage(self, cmd: EvaluateDamage) -> CommandResult:
        st = self._st
        st.evaluation, st.evaluated_on = cmd, self.case.today()
        sig, link = cmd.significance, cmd.causal_link
        if sig.finding == "significant":
            factors = "; ".join(f"{f.factor[0]}) {f.finding}" for f in sig.factors)
            found = f"significant on the factors of SP Art 2(3): {factors}"
        else:
            found = f"not significant (SP Art 2(3)): {sig.reasons}"
        causal = "established" if link.established else "not established"
        self.case.record(
            "damage_evaluated",
            cmd.actor,
            f"Damage evaluated (SP Art 5(2)(b)): {cmd.measurable}; {found}; causal link "
            f"{causal} (Art 4): {link.reasons}",
            cmd.model_dump(mode="json"),
        )
        if sig.finding != "significant" or not link.established:
            self._close(
                Stage.NO_DAMAGE,
                cmd.actor,
                "No response measures: "
                + ("the adverse effect is not significant (SP Art 2(2)(b)(ii), 2(3))"
                   if sig.finding != "significant" else "no causal link (SP Art 4)"),
            )  # fmt: skip
            return self._result("Evaluated: no damage within the Supplementary Protocol")
        return self._result("Damage evaluated; the decision on response measures is due")

    @evaluate_damage.validator
    def _evaluate_allowed(self, cmd: EvaluateDamage) -> None:
        self._require_open("evaluate the damage")
        if (on := self._st.decided_on) is not None:
            raise refuse(
                f"the response measures were decided on {on}: the damage is evaluated before "
                "the decision (SP Art 5(2)(b), (c))",
                rule="evaluation-before-decision",
                article="SP Art 5(2)(c)",
            )

    # ---- SP Art 5(2)(c), 5(6): the decision on response measures ------------------------------

    @workflow.update
    async def decide_measures(self, cmd: DecideMeasures) -> CommandResult:
        st, today = self._st, self.case.today()
        st.decided_on = st.follow_up_from = today
        st.operators = list(cmd.operators)
        st.decision_reasons, st.remedies = cmd.reasons, cmd.remedies
        ordered = [
            OrderedMeasure(
                number=i, kind=m.kind, article="SP Art 2(2)(d)(i)", description=m.description,
                start=today, days=m.within_days,
            )
            for i, m in enumerate(cmd.prevention, start=1)
        ]  # fmt: skip
        if (r := cmd.restoration) is not None:
            if isinstance(r, Replacement):
                st.restoration_not_possible = r.previous_condition_not_possible
            ordered.append(
                OrderedMeasure(
                    number=len(ordered) + 1,
                    kind=f"restoration: {r.kind.replace('_', ' ')}",
                    article="SP Art 2(2)(d)(ii)(b)"
                    if isinstance(r, Replacement)
                    else "SP Art 2(2)(d)(ii)(a)",
                    description=r.description,
                    start=today,
                    days=r.within_days,
                )
            )
        st.measures = ordered
        self.case.record(
            "measures_decided",
            cmd.actor,
            f"Response measures decided (SP Art 5(2)(c)) for "
            f"{', '.join(o.name for o in cmd.operators)}: "
            + "; ".join(f"{m.number}. {m.description} by {self._due(m)} ({m.article})"
                        for m in ordered)
            + (f"; restoration to the previous condition is not possible: "
               f"{st.restoration_not_possible}" if st.restoration_not_possible else "")
            + f"; reasons: {cmd.reasons}",
            cmd.model_dump(mode="json"),
        )  # fmt: skip
        suspends = self._policy.review_suspends
        for i, operator in enumerate(cmd.operators, start=1):
            self.case.letter(
                f"decision-{i}",
                "response_decision",
                operator.email,
                operator.language or self._lang,
                recipient_name=operator.name,
                decided_on=today.isoformat(),
                measures=self._measure_lines(),
                restoration_not_possible=st.restoration_not_possible,
                reasons=cmd.reasons,
                remedies=cmd.remedies,
                review_suspends=suspends,
                follow_up_days=self._policy.follow_up_days,
            )
        return self._result(f"{len(ordered)} measure(s) ordered; the operators notified")

    @decide_measures.validator
    def _decide_allowed(self, cmd: DecideMeasures) -> None:
        self._require_open("decide on response measures")
        st = self._st
        if st.evaluation is None:
            raise refuse(
                "the damage has not been evaluated yet (SP Art 5(2)(b)): evaluate it first",
                rule="evaluation-before-decision",
                article="SP Art 5(2)(b)",
            )
        if st.decided_on is not None:
            raise refuse(
                f"the response measures were decided on {st.decided_on} already",
                rule="decide-once",
            )
        self._require_in_time("decide on response measures")

    # ---- follow-up and completion --------------------------------------------------------------

    @workflow.update
    async def follow_up(self, cmd: FollowUp) -> CommandResult:
        self._followed_up(cmd.actor, cmd.findings)
        return self._result("Follow-up check recorded")

    @follow_up.validator
    def _follow_up_allowed(self, cmd: FollowUp) -> None:
        self._require_measures("record a follow-up check")

    @workflow.update
    async def confirm_completion(self, cmd: ConfirmCompletion) -> CommandResult:
        m = self._st.measures[cmd.measure - 1]
        m.completed_on, m.findings = cmd.completed_on or self.case.today(), cmd.findings
        who = "the authority (SP Art 5(4))" if m.by_authority else "the operator"
        self.case.record(
            "measure_completed",
            cmd.actor,
            f"Measure {m.number} ({m.description}) completed by {who} on {m.completed_on}, "
            f"confirmed: {cmd.findings}",
            cmd.model_dump(mode="json"),
        )
        if not self._clocks.open_measures():
            self.case.record(
                "measures_completed",
                cmd.actor,
                "Every response measure is completed; follow-up checks end",
            )
            self._maybe_complete(cmd.actor)
        return self._result(f"Measure {m.number} completed")

    @confirm_completion.validator
    def _completion_allowed(self, cmd: ConfirmCompletion) -> None:
        self._require_measures("confirm completion")
        self._require_measure(cmd.measure, "measure")
        m = self._st.measures[cmd.measure - 1]
        if m.completed_on is not None:
            raise refuse(
                f"measure {m.number} was completed on {m.completed_on} already",
                rule="measure-open",
                field="measure",
            )
        self._require_date("completed_on", cmd.completed_on, self._st.decided_on, "the decision")

    @workflow.update
    async def take_over(self, cmd: TakeOver) -> CommandResult:
        today = self.case.today()
        for n in cmd.measures:
            m = self._st.measures[n - 1]
            m.by_authority, m.taken_over_on = True, today
        self.case.record(
            "authority_measures",
            cmd.actor,
            f"The authority implements measure(s) {', '.join(map(str, cmd.measures))} itself "
            f"from {today} (SP Art 5(4)): {cmd.reasons}; its costs are recoverable (Art 5(5))",
            cmd.model_dump(mode="json"),
        )
        self._tell_operators(
            f"takeover-{today}",
            "response_authority_measures",
            measures=[n for n in cmd.measures],
            reasons=cmd.reasons,
            on=today.isoformat(),
        )
        return self._result("The authority implements the measures itself")

    @take_over.validator
    def _take_over_allowed(self, cmd: TakeOver) -> None:
        self._require_measures("implement measures")
        for i, n in enumerate(cmd.measures):
            self._require_measure(n, f"measures[{i}]")
            m = self._st.measures[n - 1]
            if m.completed_on is not None:
                raise refuse(
                    f"measure {n} was completed on {m.completed_on} already",
                    rule="measure-open",
                    field=f"measures[{i}]",
                )
            if m.by_authority:
                raise refuse(
                    f"the authority implements measure {n} already, since {m.taken_over_on} "
                    "(SP Art 5(4))",
                    rule="take-over-once",
                    article="SP Art 5(4)",
                    field=f"measures[{i}]",
                )

    # ---- SP Art 5(6): review -------------------------------------------------------------------

    @workflow.update
    async def request_review(self, cmd: RequestReview) -> CommandResult:
        st, today = self._st, self.case.today()
        suspends = self._policy.review_suspends
        lodged = cmd.lodged_on or today
        st.reviews.append(
            ReviewRecord(kind=cmd.kind, lodged_on=lodged, body=cmd.body, grounds=cmd.grounds,
                         suspends=suspends)
        )  # fmt: skip
        if suspends:
            st.suspended_since = today
        self.case.record(
            "review_requested",
            cmd.actor,
            f"The operator sought {cmd.kind} review before {cmd.body} on {lodged}: "
            f"{cmd.grounds}; "
            + ("domestic law suspends the measures until it is decided (SP Art 5(6))"
               if suspends else
               "the measures go on: recourse to remedies does not impede them (SP Art 5(6))"),
            cmd.model_dump(mode="json"),
        )  # fmt: skip
        return self._result("Review recorded" + ("; measures suspended" if suspends else ""))

    @request_review.validator
    def _review_allowed(self, cmd: RequestReview) -> None:
        self._require_open("record a review")
        if self._st.decided_on is None:
            raise refuse(
                "no decision on response measures has been taken: only a decision can be "
                "reviewed (SP Art 5(6))",
                rule="review-needs-decision",
                article="SP Art 5(6)",
            )
        if self._pending_review() is not None:
            raise refuse(
                "a review is pending already: record its outcome before recording another",
                rule="one-review-at-a-time",
            )
        self._require_date("lodged_on", cmd.lodged_on, self._st.decided_on, "the decision")

    @workflow.update
    async def decide_review(self, cmd: ReviewOutcome) -> CommandResult:
        st, today = self._st, self.case.today()
        review = self._pending_review()
        assert review is not None
        review.outcome, review.decided_on, review.reasons = cmd.outcome, today, cmd.reasons
        self.case.record(
            "review_decided",
            cmd.actor,
            f"The {review.kind} review was decided on {today}: decision {cmd.outcome}; "
            f"{cmd.reasons}",
            cmd.model_dump(mode="json"),
        )
        if cmd.outcome == "annulled":
            self._close(Stage.ANNULLED, cmd.actor, "The decision on response measures was annulled")
            return self._result("Decision annulled on review")
        if (since := st.suspended_since) is not None:
            self._resume_after(since, today)
        return self._result("Decision upheld; the measures go on")

    @decide_review.validator
    def _review_decided_allowed(self, cmd: ReviewOutcome) -> None:
        self._require_open("record the review's outcome")
        if self._pending_review() is None:
            raise refuse(
                "no review is pending: record the request for review first", rule="review-pending"
            )

    def _resume_after(self, since: date, today: date) -> None:
        """The suspension ends: each open measure keeps the days it had left when it began."""
        st = self._st
        st.suspended_since = None
        st.follow_up_from = today
        for m in self._clocks.open_measures():
            due = self._clocks.measure_due(m).due
            assert due is not None
            left = max((due - since).days, 1)
            m.start, m.days = today, left
            m.counted_from = f"the end of the suspension pending review ({since} to {today})"
            m.counted_from_hu = f"a felülvizsgálat miatti felfüggesztés vége ({since} – {today})"
        self.case.record(
            "measures_resumed",
            "system",
            f"The measures resume on {today} after the suspension from {since}: "
            + "; ".join(f"measure {m.number} due {self._due(m)}"
                        for m in self._clocks.open_measures()),
        )  # fmt: skip

    # ---- SP Art 5(5), 8: costs -----------------------------------------------------------------

    @workflow.update
    async def record_costs(self, cmd: RecordCosts) -> CommandResult:
        today = self.case.today()
        for i in cmd.items:
            self._st.costs.append(
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

    @record_costs.validator
    def _costs_allowed(self, cmd: RecordCosts) -> None:
        self._require_open("record costs")
        if self._st.demand is not None:
            raise refuse(
                f"the costs were demanded on {self._st.demand.demanded_on}: costs are recorded "
                "before the demand",
                rule="costs-before-demand",
            )
        for i, item in enumerate(cmd.items):
            self._require_date("incurred_on", item.incurred_on, None, "", f"items[{i}].incurred_on")

    @workflow.update
    async def demand_costs(self, cmd: DemandCosts) -> CommandResult:
        st, p, today = self._st, self._policy, self.case.today()
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

    @demand_costs.validator
    def _demand_allowed(self, cmd: DemandCosts) -> None:
        self._require_open("demand the costs")
        if self._st.decided_on is None:
            raise refuse(
                "no decision on response measures has been taken: the costs of the evaluation "
                "and the measures are demanded after it (SP Art 5(5))",
                rule="demand-needs-decision",
                article="SP Art 5(5)",
            )
        if not self._st.costs:
            raise refuse(
                "no costs have been recorded (SP Art 5(5)): record them before the demand",
                rule="demand-needs-costs",
                article="SP Art 5(5)",
            )
        if (d := self._st.demand) is not None:
            raise refuse(f"the costs were demanded on {d.demanded_on} already", rule="demand-once")
        self._require_in_time("demand the costs")

    @workflow.update
    async def record_payment(self, cmd: RecordPayment) -> CommandResult:
        st = self._st
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

    @record_payment.validator
    def _payment_allowed(self, cmd: RecordPayment) -> None:
        self._require_open("record a payment")
        if (d := self._st.demand) is None:
            raise refuse(
                "no costs have been demanded: demand them before recording a payment",
                rule="payment-needs-demand",
            )
        self._require_date("paid_on", cmd.paid_on, d.demanded_on, "the demand")

    # ---- SP Art 6: exemptions ------------------------------------------------------------------

    @workflow.update
    async def apply_exemption(self, cmd: ApplyExemption) -> CommandResult:
        st = self._st
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

    @apply_exemption.validator
    def _exemption_allowed(self, cmd: ApplyExemption) -> None:
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
        if self._st.demand is not None and isinstance(cmd.result, Mitigate):
            raise refuse(
                f"the costs were demanded on {self._st.demand.demanded_on}: a mitigation is "
                "applied before the demand",
                rule="mitigate-before-demand",
                field="result",
            )

    @workflow.query
    def view(self) -> CaseView[ResponseDetails]:
        return self.current_view()

    # ---- what the kernel asks of the procedure -----------------------------------------------

    @property
    def closed(self) -> bool:
        return self._st.closed_on is not None

    @property
    def busy(self) -> bool:
        return self._looking_up

    def tick(self) -> None:
        """An operator's term that passed with its measure open is recorded as a failure once,
        and the officers are told that the authority may act itself (SP Art 5(4))."""
        if self.closed or self._st.suspended_since is not None:
            return
        today = self.case.today()
        for m in self._clocks.open_measures():
            due = self._clocks.measure_due(m).due
            if m.by_authority or m.failure_recorded or due is None or today <= due:
                continue
            m.failure_recorded = True
            self.case.record(
                "operator_failed",
                "system",
                f"The operator has not completed measure {m.number} ({m.description}), due "
                f"{due}; the authority may implement it itself (SP Art 5(4))",
            )

    def entries(self) -> list[Entry]:
        return self._clocks.entries()

    def on_arrival(self, arrival: Arrival) -> None:
        key = arrival.view.key
        if key == "follow_up":  # its day has ended: the next check counts from that day
            self._followed_up("system", None, on=arrival.view.due)
            return
        # SP Art 7: a time limit for actions has passed; it bars what is not yet done.
        st = self._st
        label = arrival.view.label
        if st.demand is not None:
            return
        st.time_barred.append(key)
        if st.decided_on is None:
            self._close(
                Stage.TIME_BARRED,
                "system",
                f"{label} passed on {arrival.view.due} ({arrival.view.explanation}): no "
                "response measures can be required any more (SP Art 7)",
            )
        elif st.demand is None:
            self.case.record(
                "time_limit_passed",
                "system",
                f"{label} passed on {arrival.view.due} ({arrival.view.explanation}): the costs "
                "can no longer be demanded (SP Art 7)",
            )
            self._maybe_complete("system")

    def _followed_up(self, actor: str, findings: str | None, on: date | None = None) -> None:
        """A follow-up check: recorded, the operators reminded of what is still open, the next
        check counted from this one (``on``, default today)."""
        st = self._st
        today = on or self.case.today()
        st.follow_up_from, st.follow_ups = today, st.follow_ups + 1
        open_ = self._clocks.open_measures()
        self.case.record(
            "follow_up",
            actor,
            f"Follow-up check on {today}"
            + (f": {findings}" if findings else "")
            + f"; open: {', '.join(f'measure {m.number} due {self._due(m)}' for m in open_)}",
        )
        self._tell_operators(
            f"follow-up-{today}",
            "response_follow_up",
            measures=[line for line in self._measure_lines() if line["completed_on"] is None],
            checked_on=today.isoformat(),
        )
        self.case.internal(
            f"follow-up-officers-{today}",
            "response_follow_up_due",
            self._start.authority.officer_email,
            checked_on=today.isoformat(),
            open_measures=len(open_),
        )

    def current_view(self) -> CaseView[ResponseDetails]:
        st, o, stage = self._st, self._opening, self._stage()
        stage_text = STAGE_WORDS[stage]
        if stage in CLOSED_STAGES and st.closed_on is not None:
            stage_text += f" on {st.closed_on}"
        if st.scope_refusals:
            stage_text += ": " + "; ".join(st.scope_refusals)
        return self.case.view(
            self.entries(),
            stage=stage.value,
            stage_text=stage_text,
            closed=self.closed,
            details=ResponseDetails(
                reported_by=o.reported_by,
                basis=o.basis,
                description=o.description,
                location=o.location,
                occurred_on=o.occurred_on,
                lmo_category=o.lmo.category,
                movement_kind=o.movement.kind,
                movement_started_on=o.movement.started_on,
                sp_in_force_on=st.sp.entry_into_force_on if st.sp else None,
                scope_refusals=list(st.scope_refusals),
                linked_cases=list(st.linked_cases),
                evaluation=st.evaluation,
                evaluated_on=st.evaluated_on,
                decided_on=st.decided_on,
                operators=[op.name for op in st.operators],
                decision_reasons=st.decision_reasons,
                remedies=st.remedies,
                restoration_not_possible=st.restoration_not_possible,
                measures=[
                    MeasureView(
                        number=m.number,
                        kind=m.kind,
                        article=m.article,
                        description=m.description,
                        due=self._clocks.measure_due(m).due,
                        by_authority=m.by_authority,
                        completed_on=m.completed_on,
                        findings=m.findings,
                    )
                    for m in st.measures
                ],  # fmt: skip
                follow_ups=st.follow_ups,
                reviews=list(st.reviews),
                suspended_since=st.suspended_since,
                costs=list(st.costs),
                costs_total=self._total(),
                financial_limit=self._policy.financial_limit,
                currency=self._policy.currency,
                demand=st.demand,
                paid=st.paid,
                exemption=st.exemption,
                time_barred=list(st.time_barred),
                closed_on=st.closed_on,
                fingerprint=self._fingerprint,
            ),
        )

    def carry_over(self) -> ResponseStart:
        return self._start.model_copy(
            update={"resume": ResponseResume(state=self._st, kernel=self.case.state)}
        )

    # ---- stages and helpers ------------------------------------------------------------------

    def _stage(self) -> Stage:
        st = self._st
        if st.closed_as is not None:
            return st.closed_as
        if st.scope_checked_on is None:
            return Stage.SCOPE_CHECK
        if st.evaluation is None:
            return Stage.EVALUATION
        if st.decided_on is None:
            return Stage.DECISION_DUE
        if st.suspended_since is not None:
            return Stage.SUSPENDED
        open_ = self._clocks.open_measures()
        if any(m.failure_recorded and not m.by_authority for m in open_):
            return Stage.OPERATOR_FAILED
        return Stage.MEASURES if open_ else Stage.COSTS

    def _close(self, stage: Stage, actor: str, summary: str) -> None:
        self._st.closed_on, self._st.closed_as = self.case.today(), stage
        self.case.record("closed", actor, f"{summary}. Case closed ({stage.value})")

    def _maybe_complete(self, actor: str) -> None:
        """Completed once every measure is and the costs are paid, waived or time-barred."""
        st = self._st
        if self.closed or self._clocks.open_measures():
            return
        costs_settled = (
            (st.demand is not None and st.paid >= st.demand.recoverable)
            or (st.demand is None and any(k in st.time_barred for k in ("relative_limit",
                                                                         "absolute_limit")))
        )  # fmt: skip
        if costs_settled:
            self._close(Stage.COMPLETED, actor, "Response measures completed and costs settled")
            self._tell_operators("completed", "response_closed", reason="completed")

    def _require_open(self, what: str) -> None:
        st = self._st
        if st.scope_checked_on is None:
            raise refuse(
                f"cannot {what}: the scope check (SP Art 3) is still running; try again shortly",
                rule="scope-checked",
                article="SP Art 3",
            )
        if self.closed:
            raise refuse(
                f"cannot {what}: the case was closed on {st.closed_on} ({self._stage()})",
                rule="case-open",
            )

    def _require_measures(self, what: str) -> None:
        self._require_open(what)
        if self._st.decided_on is None:
            raise refuse(
                f"cannot {what}: no response measures have been decided yet",
                rule="measures-decided",
            )
        if self._st.suspended_since is not None:
            raise refuse(
                f"cannot {what}: the measures are suspended pending review since "
                f"{self._st.suspended_since} (SP Art 5(6), domestic law)",
                rule="measures-in-force",
                article="SP Art 5(6)",
            )
        if not self._clocks.open_measures():
            raise refuse(f"cannot {what}: every measure is completed", rule="measure-open")

    def _require_measure(self, n: int, field: str) -> None:
        if n > (count := len(self._st.measures)):
            raise invalid(
                f"there is no measure {n}: the case has {count}", rule="measure-exists", field=field
            )

    def _require_date(
        self, name: str, on: date | None, earliest: date | None, what: str, field: str | None = None
    ) -> None:
        today = self.case.today()
        if on is not None and on > today:
            raise invalid(
                f"{name} {on} is in the future (today is {today})",
                rule="date-not-future",
                field=field or name,
            )
        if on is not None and earliest is not None and on < earliest:
            raise invalid(
                f"{name} {on} is before {what} of {earliest}",
                rule="date-order",
                field=field or name,
            )

    def _require_in_time(self, what: str) -> None:
        """SP Art 7: a time limit that has passed bars the action (the clock has the date)."""
        today = self.case.today()
        for kind in ("relative", "absolute"):
            period, deadline = self._clocks.limit(kind)
            if deadline.due is not None and today > deadline.due:
                raise refuse(
                    f"cannot {what}: the {period.label.lower()} passed on {deadline.due} "
                    f"({explained(deadline, 'en')}; SP Art 7)",
                    rule="within-time-limit",
                    article="SP Art 7(a)",
                )

    def _pending_review(self) -> ReviewRecord | None:
        return next((r for r in self._st.reviews if r.outcome is None), None)

    def _total(self) -> int:
        return sum(c.amount for c in self._st.costs)

    def _due(self, m: OrderedMeasure) -> date | None:
        return self._clocks.measure_due(m).due

    def _measure_lines(self) -> list[dict[str, Any]]:
        return [
            {
                "number": m.number,
                "article": m.article,
                "description": m.description,
                "due": str(self._due(m)),
                "completed_on": str(m.completed_on) if m.completed_on else None,
            }
            for m in self._st.measures
        ]

    def _tell_operator(self, step: str, template: str, **context: Any) -> None:
        operator = self._opening.operator
        if operator is not None:
            self.case.letter(
                step, f"response_{template}", operator.email, operator.language or self._lang,
                recipient_name=operator.name, **context,
            )  # fmt: skip

    def _tell_operators(self, step: str, template: str, **context: Any) -> None:
        for i, op in enumerate(self._st.operators, start=1):
            self.case.letter(
                f"{step}-{i}", template, op.email, op.language or self._lang,
                recipient_name=op.name, **context,
            )  # fmt: skip

    @property
    def _lang(self) -> Language:
        return self._start.authority.default_language

    def _result(self, summary: str) -> CommandResult:
        return self.case.result(self.current_view(), summary)
