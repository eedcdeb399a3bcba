"""Advance informed agreement (CP Arts 8-10, 15, 21): one notification, one workflow execution.

Receipt (Art 8) → acknowledgement within 90 days (Art 9) with the Art 10(2) route → decision within
270 days of receipt (Art 10(3)), the clock stopped while requested information is awaited
(10(3)(c)) and extended by notified periods (10(3)(d)). A missed deadline is escalated, never
consent (9(4), 10(5)): the case kernel (workflows/kernel/) keeps the deadlines, reminders,
messages, history and projection; this module says only what the articles say.

This module holds the Temporal handlers; the plain methods they share are in ``procedure.py``
(the kernel hooks, the simplified procedure's record, checks and messages) and ``decision.py``
(the decision and the public consultation, Arts 10(3)-(6), 23(2)).
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows import clock
    from workflows.aia.clocks import AiaClocks
    from workflows.aia.decision import AiaDecision
    from workflows.aia.models import (
        ANNEX_I_DESCRIPTIONS,
        Acknowledge,
        AiaDetails,
        AiaStart,
        AiaState,
        Decide,
        Extend,
        InformationRequestView,
        OpenConsultation,
        RecordInformationReceived,
        RequestInformation,
        RiskAssessment,
        Withdraw,
        fingerprint,
    )
    from workflows.aia.procedure import annex_items, day_after
    from workflows.common import invalid, refuse
    from workflows.kernel.case import Case
    from workflows.kernel.runtime import run_case
    from workflows.kernel.words import days, explained, iso
    from workflows.models import CaseView, CommandResult


@workflow.defn(name="AdvanceInformedAgreement")
class AdvanceInformedAgreement(AiaDecision):
    @workflow.init
    def __init__(self, start: AiaStart) -> None:
        self._start = start
        self._notification = n = start.notification
        resume = start.resume
        self._state = resume.state if resume else AiaState()
        self.case = Case.open(start, resume.kernel if resume else None)
        self._fingerprint = fingerprint(n)
        self._clocks = AiaClocks(self.case.ledger, start.received_on, self._state)

    @workflow.run
    async def run(self, start: AiaStart) -> CaseView[AiaDetails]:
        if start.resume is None:
            missing = self._notification.annex_i.missing_items()
            self.case.record(
                "notification_received",
                "notifier",
                f"Notification {self._notification.notifier_reference} received on "
                f"{start.received_on} (Art 8)"
                + (
                    f"; Annex I items missing: {annex_items(missing)}"
                    if missing
                    else "; Annex I complete"
                ),
                {"missing_annex_i_items": [i.value for i in missing]},
            )
            if start.simplified is not None:
                self._record_simplified(start.simplified)
        return await run_case(self)

    # ---- Art 9: acknowledgement

    @workflow.update
    async def acknowledge(self, cmd: Acknowledge) -> CommandResult:
        today = self.case.today()
        missing = self._notification.annex_i.missing_items()
        complete = cmd.prima_facie_complete if cmd.prima_facie_complete is not None else not missing
        cmd = cmd.model_copy(update={"prima_facie_complete": complete})
        self._state.acknowledgement, self._state.acknowledged_on = cmd, today
        route = (
            "only after written consent (Art 10(2)(a))"
            if cmd.consent_route == "written_consent"
            else f"after no less than {cmd.proceed_after_days} days without subsequent written "
            "consent (Art 10(2)(b))"
        )
        self.case.record(
            "acknowledged",
            cmd.actor,
            f"Receipt acknowledged on {today} (Art 9): received {self._start.received_on}, "
            f"prima facie {'complete' if complete else 'incomplete'}, "
            f"{'Article 10 procedure' if cmd.procedure == 'article_10' else 'domestic framework'}"
            f"; the movement may proceed {route}",
            cmd.model_dump(mode="json"),
        )
        decision, proceed, language = (
            self._clocks.decision(),
            self._clocks.proceed(),
            self._lang,
        )
        self._letter(
            "acknowledgement",
            "aia_acknowledgement",
            acknowledged_on=today.isoformat(),
            prima_facie_complete=complete,
            missing_items=[f"({i.value}) {ANNEX_I_DESCRIPTIONS[i]}" for i in missing],
            procedure=cmd.procedure,
            consent_route=cmd.consent_route,
            proceed_from=iso(day_after(proceed)),
            decision_due=iso(decision.due) if decision else None,
            decision_explanation=explained(decision, language),
        )
        return self._result("Receipt acknowledged")

    @acknowledge.validator
    def _acknowledge_allowed(self, cmd: Acknowledge) -> None:
        self._require_open("acknowledge receipt")
        if self._state.acknowledged_on is not None:
            raise refuse(
                f"receipt was already acknowledged on {self._state.acknowledged_on} (Art 9(1))",
                rule="acknowledge-once",
                article="Art 9(1)",
            )

    # ---- Art 10(3)(c): the clock stops while information is awaited

    @workflow.update
    async def request_information(self, cmd: RequestInformation) -> CommandResult:
        today = self.case.today()
        counted = self._clocks.stop_would_count(today)
        self._state.information_requests.append(
            InformationRequestView(
                requested_on=today, items=list(cmd.items), note=cmd.note, counted=counted
            )
        )
        if counted:
            clock_note = "the decision clock is stopped until it is received (Art 10(3)(c))"
        elif self._clocks.route_b:
            clock_note = "no Art 10(3) decision clock runs on the Art 10(2)(b) route"
        else:
            clock_note = "the decision deadline had already passed: the wait stops no clock"
        self.case.record(
            "information_requested",
            cmd.actor,
            f"Additional information requested on {today}: {'; '.join(cmd.items)}; {clock_note}",
            cmd.model_dump(mode="json") | {"counted": counted},
        )
        n = len(self._state.information_requests)
        decision = self._clocks.decision()
        self._letter(
            f"information-request-{n}",
            "aia_information_request",
            requested_on=today.isoformat(),
            items=list(cmd.items),
            note=cmd.note,
            remaining_days=decision.remaining_days if decision else None,
        )
        self._bch(
            f"information-request-{n}",
            "information_request",
            today,
            reasons="Additional relevant information is requested (Art 10(3)(c)): "
            + "; ".join(cmd.items),
        )
        return self._result("Information requested")

    @request_information.validator
    def _request_information_allowed(self, cmd: RequestInformation) -> None:
        self._require_open("request information")
        if (open_request := self._state.open_request()) is not None:
            raise refuse(
                f"information requested on {open_request.requested_on} has not been received yet; "
                "record it as received before requesting more",
                rule="one-request-at-a-time",
            )

    @workflow.update
    async def record_information_received(self, cmd: RecordInformationReceived) -> CommandResult:
        request = self._state.open_request()
        assert request is not None  # the validator guarantees it
        request.received_on = cmd.received_on or self.case.today()
        waited = (request.received_on - request.requested_on).days
        self.case.record(
            "information_received",
            cmd.actor,
            f"Information requested on {request.requested_on} received on {request.received_on}"
            + (f": {days(waited)} not counted (Art 10(3)(c))" if request.counted else ""),
            cmd.model_dump(mode="json"),
        )
        return self._result("Information recorded as received; the decision clock runs again")

    @record_information_received.validator
    def _record_information_received_allowed(self, cmd: RecordInformationReceived) -> None:
        self._require_open("record information as received")
        request = self._state.open_request()
        if request is None:
            raise refuse(
                "there is no open request for information: nothing to record as received",
                rule="request-open",
            )
        today = self.case.today()
        if cmd.received_on is None:
            return
        if cmd.received_on > today:
            raise invalid(
                f"received_on {cmd.received_on} is in the future (today is {today})",
                rule="date-not-future",
                field="received_on",
            )
        if cmd.received_on < request.requested_on:
            raise invalid(
                f"received_on {cmd.received_on} is before the information was requested "
                f"({request.requested_on})",
                rule="date-order",
                field="received_on",
            )
        if request.counted:
            # A back-dated arrival must not make an extension notified while the clock was
            # stopped fall after the deadline then in force (Art 10(3)(d)).
            stops = self._clocks.stops()
            stops[-1] = clock.Stop(requested_on=request.requested_on, received_on=cmd.received_on)
            try:
                self._clocks.decision_with(stops)
            except clock.ClockError as err:
                raise invalid(
                    f"received_on {cmd.received_on} is not possible: {err}",
                    rule="extension-before-deadline",
                    article="Art 10(3)(d)",
                    field="received_on",
                ) from err

    # ---- Art 10(3)(d): extension

    @workflow.update
    async def extend(self, cmd: Extend) -> CommandResult:
        today = self.case.today()
        self._state.extensions.append(cmd)
        self._state.extension_dates.append(today)
        decision = self._clocks.decision()
        assert decision is not None
        self.case.record(
            "extended",
            cmd.actor,
            f"Decision period extended by {days(cmd.days)} on {today} (Art 10(3)(d)): "
            f"{cmd.reasons}",
            cmd.model_dump(mode="json"),
        )
        n = len(self._state.extensions)
        self._letter(
            f"extension-{n}",
            "aia_extension",
            notified_on=today.isoformat(),
            days=cmd.days,
            reasons=cmd.reasons,
            new_due=iso(decision.due),
            explanation=explained(decision, self._lang),
        )
        self._bch(
            f"extension-{n}", "extension", today, extension_days=cmd.days, reasons=cmd.reasons
        )
        return self._result(f"Decision period extended by {days(cmd.days)}")

    @extend.validator
    def _extend_allowed(self, cmd: Extend) -> None:
        self._require_open("extend the decision period")
        if self._clocks.route_b:
            raise refuse(
                "the notifier was told the movement may proceed without consent (Art 10(2)(b)); "
                "there is no Art 10(3) decision period to extend",
                rule="extension-needs-decision-period",
                article="Art 10(3)(d)",
            )
        decision = self._clocks.decision()
        if decision is not None and decision.due is not None and self.case.today() > decision.due:
            raise refuse(
                f"the decision deadline passed on {decision.due}; an extension must be notified "
                "before the deadline passes (Art 10(3)(d))",
                rule="extension-before-deadline",
                article="Art 10(3)(d)",
            )

    # ---- Art 15: risk assessment

    @workflow.update
    async def record_risk_assessment(self, cmd: RiskAssessment) -> CommandResult:
        replaced = self._state.risk_assessment is not None
        self._state.risk_assessment = cmd
        self.case.record(
            "risk_assessment_recorded",
            cmd.actor,
            f"Risk assessment {'replaced' if replaced else 'recorded'} (Art 15, Annex III): "
            f"carried out by the {cmd.carried_out_by}"
            + (", at the notifier's cost (Art 15(3))" if cmd.cost_borne_by_notifier else "")
            + f"; overall risk {cmd.overall_risk.replace('_', ' ')}",
            cmd.model_dump(mode="json"),
        )
        return self._result("Risk assessment recorded")

    @record_risk_assessment.validator
    def _record_risk_assessment_allowed(self, cmd: RiskAssessment) -> None:
        self._require_open("record a risk assessment")

    # ---- Art 23(2): public consultation (workflows/aia/decision.py)

    @workflow.update
    async def open_consultation(self, cmd: OpenConsultation) -> CommandResult:
        return self._open_consultation(cmd)

    @open_consultation.validator
    def _open_consultation_allowed(self, cmd: OpenConsultation) -> None:
        self._check_open_consultation(cmd)

    # ---- Art 10(3)(a)-(b), 10(4), 10(6): the decision (workflows/aia/decision.py)

    @workflow.update
    async def decide(self, cmd: Decide) -> CommandResult:
        return self._decide(cmd)

    @decide.validator
    def _decide_allowed(self, cmd: Decide) -> None:
        self._check_decide(cmd)

    # ---- withdrawal (Art 21(5))

    @workflow.update
    async def withdraw(self, cmd: Withdraw) -> CommandResult:
        today = self.case.today()
        if (open_request := self._state.open_request()) is not None:
            open_request.received_on = today
        self._state.withdrawn_on = today
        if (c := self._state.consultation) is not None and c.closed_on is None:
            c.closed_on = today  # no decision will follow: the consultation ends with the case
        self.case.record(
            "withdrawn",
            cmd.actor,
            f"Notification withdrawn on {today}"
            + (f": {cmd.reason}" if cmd.reason else "")
            + "; confidential information stays confidential (Art 21(5))",
            cmd.model_dump(mode="json"),
        )
        self._letter(
            "withdrawal", "aia_withdrawal", withdrawn_on=today.isoformat(), reason=cmd.reason
        )
        return self._result("Notification withdrawn; the case is closed")

    @withdraw.validator
    def _withdraw_allowed(self, cmd: Withdraw) -> None:
        self._require_open("withdraw the notification")

    @workflow.query
    def view(self) -> CaseView[AiaDetails]:
        return self.current_view()
