"""Advance informed agreement (CP Arts 8-10, 15, 21): one notification, one workflow execution.

Receipt (Art 8) → acknowledgement within 90 days (Art 9) with the Art 10(2) route → decision within
270 days of receipt (Art 10(3)), the clock stopped while requested information is awaited
(10(3)(c)) and extended by notified periods (10(3)(d)). A missed deadline is escalated, never
consent (9(4), 10(5)): the case kernel (workflows/kernel/) keeps the deadlines, reminders,
messages, history and projection; this module says only what the articles say.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.bch_models import BchLink
    from workflows import clock
    from workflows.aia import bch
    from workflows.aia.clocks import PUBLIC_CONSULTATION, AiaClocks
    from workflows.aia.models import (
        ANNEX_I_DESCRIPTIONS,
        CLOSED_STAGES,
        STAGE_WORDS,
        Acknowledge,
        AiaDetails,
        AiaResume,
        AiaStart,
        AiaState,
        AnnexIItem,
        ConsultationView,
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
    from workflows.common import invalid, refuse
    from workflows.kernel.case import Case
    from workflows.kernel.ledger import Arrival, Entry
    from workflows.kernel.runtime import run_case
    from workflows.kernel.words import days, explained, iso
    from workflows.models import CaseView, CommandResult, Language
    from workflows.simplified.models import Specification


@workflow.defn(name="AdvanceInformedAgreement")
class AdvanceInformedAgreement:
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
                    f"; Annex I items missing: {_items(missing)}"
                    if missing
                    else "; Annex I complete"
                ),
                {"missing_annex_i_items": [i.value for i in missing]},
            )
            if start.simplified is not None:
                self._record_simplified(start.simplified)
        return await run_case(self)

    # ---- Art 13: the simplified procedure

    def _record_simplified(self, spec: Specification) -> None:
        """The notification falls under a specification the Party made available to the BCH in
        advance (Art 13(1)): it is recorded, and the AIA procedure (Arts 8-10) does not apply."""
        self._state.simplified = spec
        missing = self._notification.annex_i.missing_items()
        if spec.kind == "exempt_from_aia":
            what = (
                "the import is exempted from the advance informed agreement procedure "
                "(Art 13(1)(b))"
            )
        else:
            what = (
                "the movement may take place at the same time as it is notified (Art 13(1)(a))"
                + (
                    f"; Annex I items missing, which such a notification must give (Art 13(2)): "
                    f"{_items(missing)}"
                    if missing
                    else ""
                )
            )
        self.case.record(
            "recorded_simplified",
            "system",
            f"Recorded under the Party's specification {spec.reference} ({spec.case_id}; "
            f"{spec.legal_basis}): {what}; no acknowledgement or decision period runs",
            {
                "specification": spec.case_id,
                "kind": spec.kind,
                "missing_annex_i_items": [i.value for i in missing],
            },
        )
        self._letter(
            "simplified",
            "aia_simplified",
            kind=spec.kind,
            specification_reference=spec.reference,
            specification_title=spec.title,
            legal_basis=spec.legal_basis,
            adequate_measures=spec.adequate_measures,
            bch_record=spec.bch_record,
            missing_items=(
                [f"({i.value}) {ANNEX_I_DESCRIPTIONS[i]}" for i in missing]
                if spec.kind == "movement_at_notification"
                else []
            ),
        )

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
            proceed_from=iso(_day_after(proceed)),
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

    # ---- Art 23(2): public consultation

    @workflow.update
    async def open_consultation(self, cmd: OpenConsultation) -> CommandResult:
        today = self.case.today()
        self._state.consultation = ConsultationView(
            opened_on=today, ends_on=cmd.ends_on, subject=cmd.subject
        )
        self.case.record(
            "consultation_opened",
            cmd.actor,
            f"Public consultation opened on {today} (Art 23(2)): comments until the end of "
            f"{cmd.ends_on}; subject: {cmd.subject}",
            cmd.model_dump(mode="json"),
        )
        return self._result(f"Public consultation open until {cmd.ends_on}")

    @open_consultation.validator
    def _open_consultation_allowed(self, cmd: OpenConsultation) -> None:
        self._require_open("open a public consultation")
        if (c := self._state.consultation) is not None:
            raise refuse(
                f"a public consultation was already opened on {c.opened_on} (until {c.ends_on}): "
                "a case has one",
                rule="consult-once",
            )
        today = self.case.today()
        if cmd.ends_on <= today:
            raise invalid(
                f"ends_on {cmd.ends_on} is not possible: a consultation ends after today ({today})",
                rule="consultation-ends-after-today",
                field="ends_on",
            )
        limit = self._clocks.decision() or self._clocks.proceed()
        if limit is not None and limit.due is not None and cmd.ends_on > limit.due:
            what = (
                "decision deadline" if self._clocks.decision() else "day the movement may proceed"
            )
            raise invalid(
                f"ends_on {cmd.ends_on} is after the {what} ({limit.due}): the decision must "
                "take the consultation's results into account (Art 23(2)), so it has to close "
                "by then"
                + (
                    " (or extend the decision period first, Art 10(3)(d))"
                    if self._clocks.decision()
                    else ""
                ),
                rule="consultation-ends-before-decision",
                article="Art 23(2)",
                field="ends_on",
            )
        if limit is not None and limit.due is None:
            raise refuse(
                "the decision clock is stopped while information is awaited (Art 10(3)(c)): "
                "the latest possible end date is not known until it runs again; record the "
                "information as received first",
                rule="decision-clock-running",
                article="Art 10(3)(c)",
            )

    # ---- Art 10(3)(a)-(b), 10(4), 10(6): the decision

    @workflow.update
    async def decide(self, cmd: Decide) -> CommandResult:
        today = self.case.today()
        if (open_request := self._state.open_request()) is not None:
            open_request.received_on = today  # the wait ends with the decision
        self._state.decision, self._state.decided_on = cmd, today
        self.case.record(
            "decided",
            cmd.actor,
            f"Decision on {today} (Art 10(3)): {bch.RESULT_WORDS[cmd.result]}"
            + (f"; conditions: {'; '.join(cmd.conditions)}" if cmd.conditions else "")
            + (f"; reasons: {cmd.reasons}" if cmd.reasons else "")
            + (
                "; taken despite lack of scientific certainty (Art 10(6))"
                if cmd.lack_of_scientific_certainty
                else ""
            )
            + (
                f"; results of the public consultation (Art 23(2)): {cmd.consultation_results}"
                if cmd.consultation_results
                else ""
            ),
            cmd.model_dump(mode="json"),
        )
        ra = self._state.risk_assessment
        self._letter(
            "decision",
            "aia_decision",
            decided_on=today.isoformat(),
            result=cmd.result,
            conditions=list(cmd.conditions),
            reasons=cmd.reasons,
            subsequent_imports=cmd.subsequent_imports,
            lack_of_scientific_certainty=cmd.lack_of_scientific_certainty,
            risk_assessment_summary=ra.summary if ra else None,
            consultation=(
                self._state.consultation.model_dump(mode="json")
                if self._state.consultation
                else None
            ),
            consultation_results=cmd.consultation_results,
        )
        self._bch(
            "decision",
            cmd.result,
            today,
            reasons=cmd.reasons,
            conditions=list(cmd.conditions),
            subsequent_imports=cmd.subsequent_imports,
            modified_organisms=list(cmd.bch_modified_organisms),
            risk_assessments=list(cmd.bch_risk_assessments),
            public_consultation=self._consultation_words(cmd),
            documents=self._public_links(cmd),
        )
        return self._result(f"Decision recorded: {bch.RESULT_WORDS[cmd.result]}")

    @decide.validator
    def _decide_allowed(self, cmd: Decide) -> None:
        self._require_open("decide")
        if self._state.acknowledged_on is None:
            raise refuse(
                "receipt has not been acknowledged yet (Art 9(2)(c): the acknowledgement says "
                "which procedure the decision follows); acknowledge it first",
                rule="acknowledge-before-decision",
                article="Art 9(2)(c)",
            )
        if self._state.risk_assessment is None:
            raise refuse(
                "no risk assessment is recorded: record one first; decisions under Article 10 "
                "rest on a risk assessment (Art 15(2), Art 10(1))",
                rule="decision-needs-risk-assessment",
                article="Art 15(2)",
            )
        if cmd.result == "approval" and cmd.conditions:
            raise invalid(
                "an unconditional approval has no conditions; use approval_with_conditions "
                "(Art 10(3)(a))",
                rule="result-matches-conditions",
                article="Art 10(3)(a)",
                field="conditions",
            )
        if cmd.result == "approval_with_conditions" and not cmd.conditions:
            raise invalid(
                "approval_with_conditions needs at least one condition (Art 10(3)(a))",
                rule="result-matches-conditions",
                article="Art 10(3)(a)",
                field="conditions",
            )
        if cmd.result != "approval" and not (cmd.reasons and cmd.reasons.strip()):
            raise invalid(
                "reasons are required: except where consent is unconditional, a decision sets "
                "out the reasons on which it is based (Art 10(4))",
                rule="decision-needs-reasons",
                article="Art 10(4)",
                field="reasons",
            )
        if (c := self._state.consultation) is not None and c.closed_on is None:
            raise refuse(
                f"the public consultation runs until the end of {c.ends_on} (Art 23(2)); decide "
                "once it has closed, stating its results",
                rule="consultation-closed-before-decision",
                article="Art 23(2)",
            )
        if c is not None and not cmd.consultation_results:
            raise invalid(
                f"the public was consulted from {c.opened_on} to {c.ends_on}: state the results "
                "of the consultation in consultation_results (Art 23(2))",
                rule="decision-states-consultation-results",
                article="Art 23(2)",
                field="consultation_results",
            )
        if c is None and cmd.consultation_results:
            raise invalid(
                "no public consultation was held: leave consultation_results empty",
                rule="consultation-results-need-consultation",
                field="consultation_results",
            )
        if cmd.result != "prohibition" and not (
            cmd.subsequent_imports and cmd.subsequent_imports.strip()
        ):
            raise invalid(
                "an approval states how it applies to subsequent imports of the same LMO "
                "(Art 10(3)(a)): set subsequent_imports",
                rule="approval-states-subsequent-imports",
                article="Art 10(3)(a)",
                field="subsequent_imports",
            )

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

    # ---- what the kernel asks of the procedure

    @property
    def closed(self) -> bool:
        return self._state.stage in CLOSED_STAGES

    def entries(self) -> list[Entry]:
        return self._clocks.entries()

    busy = False  # nothing runs beside the kernel's own deliveries

    def tick(self) -> None:
        """Nothing to watch beyond the ledger."""

    def on_arrival(self, arrival: Arrival) -> None:
        """Art 10(2)(b): the days notified in the acknowledgement have passed without a
        decision; the movement may proceed. Art 23(2): the public consultation has closed."""
        v = arrival.view
        if v.key == PUBLIC_CONSULTATION.key:
            self._consultation_closed()
            return
        self._state.may_proceed_reached = True
        proceed_from = iso(v.due + timedelta(days=1)) if v.due else None
        self.case.record(
            "may_proceed_without_consent",
            "system",
            f"{v.period_days} days after the acknowledgement have passed without a decision: as "
            f"notified under Art 10(2)(b), the movement may proceed from {proceed_from}",
            {"proceed_from": proceed_from},
        )
        self._letter("may-proceed", "aia_may_proceed", proceed_from=proceed_from)

    def _consultation_closed(self) -> None:
        c = self._state.consultation
        assert c is not None
        c.closed_on = c.ends_on
        self.case.record(
            "consultation_closed",
            "system",
            f"The public consultation closed at the end of {c.ends_on} (Art 23(2)); its "
            "results are to be stated with the decision",
            {"opened_on": c.opened_on.isoformat(), "ends_on": c.ends_on.isoformat()},
        )

    def _public_links(self, cmd: Decide) -> list[BchLink]:
        """The decision's public dossier documents, linked from the BCH record where the public
        register serves them (the API checked that each is public, Art 21)."""
        base = self._start.authority.api_url
        if not base:
            return []
        return [
            BchLink(url=f"{base}/v1/register/{self._start.case_id}/documents/{d}", name="Document")
            for d in cmd.documents
        ]

    def _consultation_words(self, cmd: Decide) -> str | None:
        c = self._state.consultation
        if c is None or not cmd.consultation_results:
            return None
        return (
            f"The public was consulted from {c.opened_on} to {c.ends_on} on: {c.subject}. "
            f"Results: {cmd.consultation_results}"
        )

    def current_view(self) -> CaseView[AiaDetails]:
        st, stage = self._state, self._state.stage
        stage_text = STAGE_WORDS[stage]
        if st.decision is not None:
            stage_text += f": {bch.RESULT_WORDS[st.decision.result]} on {st.decided_on}"
        return self.case.view(
            self.entries(),
            stage=stage.value,
            stage_text=stage_text,
            closed=stage in CLOSED_STAGES,
            details=AiaDetails(
                **st.model_dump(),
                missing_annex_i_items=[i.value for i in self._notification.annex_i.missing_items()],
                may_proceed_from=_day_after(self._clocks.proceed()),
                notification_fingerprint=self._fingerprint,
            ),
        )

    def carry_over(self) -> AiaStart:
        return self._start.model_copy(
            update={"resume": AiaResume(state=self._state, kernel=self.case.state)}
        )

    def _require_open(self, what: str) -> None:
        if (stage := self._state.stage) in CLOSED_STAGES:
            raise refuse(
                f"cannot {what}: the case is closed ({stage.value.replace('_', ' ')})",
                rule="case-open",
            )

    # ---- messages

    @property
    def _lang(self) -> Language:
        return self._notification.notifier.language or self._start.authority.default_language

    def _letter(self, step: str, template: str, **context: Any) -> None:
        self.case.letter(step, template, self._notification.notifier.email, self._lang, **context)

    def _bch(self, step: str, result: bch.Result, on: date, **fields: Any) -> None:
        """Art 10(3): decisions, requests for information and extensions go to the BCH."""
        record = bch.record(
            message_key=self.case.bch_key(step),
            case_id=self._start.case_id,
            notification=self._notification,
            received_on=self._start.received_on,
            state=self._state,
            result=result,
            on=on,
            **fields,
        )
        self.case.bch(step, result, record)

    def _result(self, summary: str) -> CommandResult:
        return self.case.result(self.entries(), self._state.stage.value, summary)


def _day_after(deadline: clock.Deadline | None) -> date | None:
    return deadline.due + timedelta(days=1) if deadline and deadline.due else None


def _items(items: list[AnnexIItem]) -> str:
    return ", ".join(f"({i.value})" for i in items)
