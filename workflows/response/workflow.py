"""Response measures under the Supplementary Protocol on Liability and Redress on the case kernel.

SP Art 3: the scope (the LMO's category and movement, the movement's start after the entry into
force for the Party, damage within national jurisdiction). Art 5(2): the authority identifies the
operator, evaluates the damage (Art 2(2)(b), 2(3); the causal link, Art 4) and decides the
measures, restoration in the order of preference of Art 2(2)(d)(ii); 5(6): the decision is
reasoned and notified with the remedies; review does not stop the measures unless domestic law
says so. Follow-up checks recur until the authority confirms completion; 5(4): the authority may
act itself; 5(5), Art 8: costs recovered within the financial limit; Art 6: exemptions; Art 7:
time limits. The kernel keeps the deadlines, messages, history, projection and continue-as-new.

This module holds the Temporal handlers; the plain methods they share are in ``procedure.py``
(the kernel hooks, stage, checks and messages), ``review.py`` (Art 5(6)) and ``costs.py``
(Art 5(5), 6, 8).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.register import CaseLookup, LmoActivities, RegisteredCase
    from workflows.common import REGISTER_RETRY, refuse
    from workflows.kernel.case import Case
    from workflows.kernel.runtime import run_case
    from workflows.models import CaseView, CommandResult
    from workflows.response.clocks import ResponseClocks, scope_refusals
    from workflows.response.commands import (
        ApplyExemption,
        ConfirmCompletion,
        DecideMeasures,
        DemandCosts,
        EvaluateDamage,
        FollowUp,
        LinkCase,
        RecordCosts,
        RecordPayment,
        Replacement,
        RequestReview,
        ReviewOutcome,
        TakeOver,
    )
    from workflows.response.costs import CostRecovery
    from workflows.response.models import (
        OrderedMeasure,
        ResponseDetails,
        ResponseStart,
        ResponseState,
        SpStatus,
        Stage,
    )
    from workflows.response.opening import fingerprint
    from workflows.response.review import ResponseReview


@workflow.defn(name="ResponseMeasures")
class ResponseMeasures(ResponseReview, CostRecovery):
    @workflow.init
    def __init__(self, start: ResponseStart) -> None:
        self._start = start
        self._opening = start.opening
        self._policy = start.policy
        self._state = start.resume.state if start.resume else ResponseState()
        self.case = Case.open(start, start.resume.kernel if start.resume else None)
        self._clocks = ResponseClocks(self.case.ledger, start, self._state)
        self._fingerprint = fingerprint(start.opening)
        self._looking_up = False

    @workflow.run
    async def run(self, start: ResponseStart) -> CaseView[ResponseDetails]:
        if start.resume is None:
            self._opened()
            await self._check_scope()
        return await run_case(self)

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
        st = self._state
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
        if cmd.case_id not in self._state.linked_cases:
            self._state.linked_cases.append(cmd.case_id)
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
        if cmd.case_id in self._state.linked_cases:
            raise refuse(
                f"the case is linked to {cmd.case_id} already", rule="link-once", field="case_id"
            )

    # ---- SP Art 5(2)(b), Art 4: the evaluation of the damage --------------------------------

    @workflow.update
    async def evaluate_damage(self, cmd: EvaluateDamage) -> CommandResult:
        st = self._state
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
        if (on := self._state.decided_on) is not None:
            raise refuse(
                f"the response measures were decided on {on}: the damage is evaluated before "
                "the decision (SP Art 5(2)(b), (c))",
                rule="evaluation-before-decision",
                article="SP Art 5(2)(c)",
            )

    # ---- SP Art 5(2)(c), 5(6): the decision on response measures ------------------------------

    @workflow.update
    async def decide_measures(self, cmd: DecideMeasures) -> CommandResult:
        st, today = self._state, self.case.today()
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
        st = self._state
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
        m = self._state.measures[cmd.measure - 1]
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
        m = self._state.measures[cmd.measure - 1]
        if m.completed_on is not None:
            raise refuse(
                f"measure {m.number} was completed on {m.completed_on} already",
                rule="measure-open",
                field="measure",
            )
        self._require_date("completed_on", cmd.completed_on, self._state.decided_on, "the decision")

    @workflow.update
    async def take_over(self, cmd: TakeOver) -> CommandResult:
        today = self.case.today()
        for n in cmd.measures:
            m = self._state.measures[n - 1]
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
            m = self._state.measures[n - 1]
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

    # ---- SP Art 5(6): review (workflows/response/review.py) ----------------------------------

    @workflow.update
    async def request_review(self, cmd: RequestReview) -> CommandResult:
        return self._request_review(cmd)

    @request_review.validator
    def _review_allowed(self, cmd: RequestReview) -> None:
        self._check_request_review(cmd)

    @workflow.update
    async def decide_review(self, cmd: ReviewOutcome) -> CommandResult:
        return self._decide_review(cmd)

    @decide_review.validator
    def _review_decided_allowed(self, cmd: ReviewOutcome) -> None:
        self._check_decide_review(cmd)

    # ---- SP Art 5(5), 8: costs; SP Art 6: exemptions (workflows/response/costs.py) -----------

    @workflow.update
    async def record_costs(self, cmd: RecordCosts) -> CommandResult:
        return self._record_costs(cmd)

    @record_costs.validator
    def _costs_allowed(self, cmd: RecordCosts) -> None:
        self._check_record_costs(cmd)

    @workflow.update
    async def demand_costs(self, cmd: DemandCosts) -> CommandResult:
        return self._demand_costs(cmd)

    @demand_costs.validator
    def _demand_allowed(self, cmd: DemandCosts) -> None:
        self._check_demand_costs(cmd)

    @workflow.update
    async def record_payment(self, cmd: RecordPayment) -> CommandResult:
        return self._record_payment(cmd)

    @record_payment.validator
    def _payment_allowed(self, cmd: RecordPayment) -> None:
        self._check_record_payment(cmd)

    @workflow.update
    async def apply_exemption(self, cmd: ApplyExemption) -> CommandResult:
        return self._apply_exemption(cmd)

    @apply_exemption.validator
    def _exemption_allowed(self, cmd: ApplyExemption) -> None:
        self._check_apply_exemption(cmd)

    @workflow.query
    def view(self) -> CaseView[ResponseDetails]:
        return self.current_view()
