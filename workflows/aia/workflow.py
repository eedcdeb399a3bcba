"""Advance informed agreement (CP Arts 8-10, 15, 21): one notification, one workflow execution.

Receipt (Art 8) → acknowledgement within 90 days (Art 9) with the Art 10(2) route → decision within
270 days of receipt (Art 10(3)), the clock stopped while requested information is awaited
(10(3)(c)) and extended by notified periods (10(3)(d)). Officers' commands are Updates with
validators; deadlines are durable timers recomputed after every change by the pure clock
(workflows/clock.py). A missed deadline is an event that is escalated, never consent (9(4), 10(5)).

Side effects run in three delivery loops (register, e-mail, BCH) so that an outside system being
down never holds up the statutory clock; every message has an idempotency key built from the
workflow id and the step.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from temporalio import workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.bch import BchDecisionInput, BchParty, BchPublication
    from activities.email import EmailDelivery, EmailRequest
    from activities.register import AuditEntry, CaseRow, RegisterSync
    from workflows import clock
    from workflows import search_attributes as sa
    from workflows.bch_publication import (
        BchPublicationStart,
        BchPublicationWorkflow,
        publication_workflow_id,
    )
    from workflows.common import (
        BCH_RETRY,
        EMAIL_RETRY,
        REGISTER_RETRY,
        details_markdown,
        invalid,
        pure,
        refuse,
    )
    from workflows.models import (
        ANNEX_I_DESCRIPTIONS,
        CLOSED_STAGES,
        Acknowledge,
        AiaStart,
        AnnexIItem,
        CaseView,
        CommandResult,
        DeadlineStatus,
        DeadlineView,
        Decide,
        Extend,
        InformationRequestView,
        OutgoingView,
        Procedure,
        RecordInformationReceived,
        RequestInformation,
        RiskAssessment,
        Stage,
        Step,
        Withdraw,
        fingerprint,
    )

ACK_DAYS = 90  # Art 9(1)
DECISION_DAYS = 270  # Art 10(3)
IDLE_RECHECK = timedelta(days=30)  # wake-up when no deadline is pending; keeps timeouts uniform


@dataclass
class _Outgoing:
    key: str
    channel: Literal["email", "bch"]
    recipient: str
    purpose: str
    payload: EmailRequest | BchDecisionInput
    status: Literal["pending", "sent", "failed"] = "pending"
    detail: str | None = None

    def view(self) -> OutgoingView:
        return OutgoingView(
            key=self.key,
            channel=self.channel,
            recipient=self.recipient,
            purpose=self.purpose,
            status=self.status,
            detail=self.detail,
        )


@dataclass
class _Deadline:
    view: DeadlineView
    reminders: bool = True  # officers are reminded of the authority's own deadlines only


@dataclass
class _State:
    ack: Acknowledge | None = None
    ack_on: date | None = None
    requests: list[InformationRequestView] = field(default_factory=list)
    extensions: list[tuple[Extend, date]] = field(default_factory=list)
    risk_assessment: RiskAssessment | None = None
    decision: Decide | None = None
    decided_on: date | None = None
    withdrawn_on: date | None = None
    may_proceed_reached: bool = False


@workflow.defn(name="AdvanceInformedAgreement")
class AdvanceInformedAgreement:
    @workflow.init
    def __init__(self, start: AiaStart) -> None:
        self._start = start
        self._n = start.notification
        self._tz = start.rules.timezone
        self._st = _State()
        self._history: list[Step] = []
        self._version = 0
        self._fired: set[str] = set()  # reminders and lapses already acted on
        self._outgoing: list[_Outgoing] = []
        self._changed = False
        self._finishing = False
        self._register_finishing = False
        self._synced_version = 0  # the state version the register holds
        self._fingerprint = fingerprint(self._n)
        self._publications: list[str] = []  # BCH publication workflows started by this case

    # ---- run --------------------------------------------------------------------------------

    @workflow.run
    async def run(self, start: AiaStart) -> CaseView:
        missing = self._n.annex_i.missing_items()
        self._record(
            "notification_received",
            "notifier",
            f"Notification {self._n.notifier_reference} received on {start.received_on} (Art 8)"
            + (f"; Annex I items missing: {_items(missing)}" if missing else "; Annex I complete"),
            {"missing_annex_i_items": [i.value for i in missing]},
        )
        register = asyncio.create_task(self._register_loop())
        deliveries = [
            asyncio.create_task(self._delivery_loop("email")),
            asyncio.create_task(self._delivery_loop("bch")),
        ]
        while not self._closed:
            self._on_time_passing()
            self._publish()
            if self._closed:
                break
            wake_at, why = self._next_wake()
            timeout = max(wake_at - workflow.now(), timedelta(seconds=1))
            try:
                await workflow.wait_condition(
                    lambda: self._changed, timeout=timeout, timeout_summary=why
                )
            except TimeoutError:
                pass
            self._changed = False
        # Closed: everything owed to the notifier and the BCH still goes out, and the register
        # and the Web UI follow each delivery.
        self._finishing = True
        while not all(t.done() for t in deliveries):
            await workflow.wait_condition(
                lambda: self._changed or all(t.done() for t in deliveries)
            )
            self._changed = False
            self._publish()
        await asyncio.gather(*deliveries)
        self._publish()
        self._register_finishing = True
        await register
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._view()

    # ---- commands ---------------------------------------------------------------------------

    @workflow.update
    async def acknowledge(self, cmd: Acknowledge) -> CommandResult:
        today = self._today()
        complete = (
            cmd.prima_facie_complete
            if cmd.prima_facie_complete is not None
            else not self._n.annex_i.missing_items()
        )
        cmd = cmd.model_copy(update={"prima_facie_complete": complete})
        self._st.ack, self._st.ack_on = cmd, today
        route = (
            "only after written consent (Art 10(2)(a))"
            if cmd.consent_route == "written_consent"
            else f"after no less than {cmd.proceed_after_days} days without subsequent written "
            "consent (Art 10(2)(b))"
        )
        self._record(
            "acknowledged",
            cmd.actor,
            f"Receipt acknowledged on {today} (Art 9): received {self._start.received_on}, "
            f"prima facie {'complete' if complete else 'incomplete'}, "
            f"{'Article 10 procedure' if cmd.procedure == 'article_10' else 'domestic framework'}"
            f"; the movement may proceed {route}",
            cmd.model_dump(mode="json"),
        )
        decision = self._decision_deadline()
        proceed = self._proceed_deadline()
        self._send_notifier(
            "acknowledgement",
            "aia_acknowledgement",
            acknowledged_on=today.isoformat(),
            prima_facie_complete=complete,
            missing_items=[_item(i) for i in self._n.annex_i.missing_items()],
            procedure=cmd.procedure,
            consent_route=cmd.consent_route,
            proceed_from=_iso(self._may_proceed_from(proceed)),
            decision_due=_iso(decision.due) if decision else None,
            decision_explanation=decision.explanation if decision else None,
        )
        return self._result("Receipt acknowledged")

    @acknowledge.validator
    def _acknowledge_allowed(self, cmd: Acknowledge) -> None:
        self._require_open("acknowledge receipt")
        if self._st.ack_on is not None:
            raise refuse(f"receipt was already acknowledged on {self._st.ack_on} (Art 9)")

    @workflow.update
    async def request_information(self, cmd: RequestInformation) -> CommandResult:
        today = self._today()
        counted = self._stop_would_count(today)
        self._st.requests.append(
            InformationRequestView(
                requested_on=today, items=list(cmd.items), note=cmd.note, counted=counted
            )
        )
        if counted:
            clock_note = "the decision clock is stopped until it is received (Art 10(3)(c))"
        elif self._route_b:
            clock_note = "no Art 10(3) decision clock runs on the Art 10(2)(b) route"
        else:
            clock_note = "the decision deadline had already passed: the wait stops no clock"
        self._record(
            "information_requested",
            cmd.actor,
            f"Additional information requested on {today}: {'; '.join(cmd.items)}; {clock_note}",
            cmd.model_dump(mode="json") | {"counted": counted},
        )
        decision = self._decision_deadline()
        self._send_notifier(
            f"information-request-{len(self._st.requests)}",
            "aia_information_request",
            requested_on=today.isoformat(),
            items=list(cmd.items),
            note=cmd.note,
            remaining_days=decision.remaining_days if decision else None,
        )
        self._publish_bch(
            f"information-request-{len(self._st.requests)}",
            "information_request",
            today,
            reasons="Additional relevant information is requested (Art 10(3)(c)): "
            + "; ".join(cmd.items),
        )
        return self._result("Information requested")

    @request_information.validator
    def _request_information_allowed(self, cmd: RequestInformation) -> None:
        self._require_open("request information")
        if (open_request := self._open_request()) is not None:
            raise refuse(
                f"information requested on {open_request.requested_on} has not been received yet; "
                "record it as received before requesting more"
            )

    @workflow.update
    async def record_information_received(self, cmd: RecordInformationReceived) -> CommandResult:
        request = self._open_request()
        assert request is not None  # the validator guarantees it
        request.received_on = cmd.received_on or self._today()
        waited = (request.received_on - request.requested_on).days
        self._record(
            "information_received",
            cmd.actor,
            f"Information requested on {request.requested_on} received on {request.received_on}"
            + (f": {waited} days not counted (Art 10(3)(c))" if request.counted else ""),
            cmd.model_dump(mode="json"),
        )
        return self._result("Information recorded as received; the decision clock runs again")

    @record_information_received.validator
    def _record_information_received_allowed(self, cmd: RecordInformationReceived) -> None:
        self._require_open("record information as received")
        request = self._open_request()
        if request is None:
            raise refuse("there is no open request for information")
        today = self._today()
        if cmd.received_on is not None:
            if cmd.received_on > today:
                raise invalid(f"received_on {cmd.received_on} is in the future (today is {today})")
            if cmd.received_on < request.requested_on:
                raise invalid(
                    f"received_on {cmd.received_on} is before the information was requested "
                    f"({request.requested_on})"
                )
            if request.counted:
                # A back-dated arrival must not make an extension notified while the clock was
                # stopped fall after the deadline then in force (Art 10(3)(d)).
                stops = self._stops()
                stops[-1] = clock.Stop(
                    requested_on=request.requested_on, received_on=cmd.received_on
                )
                try:
                    self._decision_clock(stops)
                except clock.ClockError as err:
                    raise invalid(f"received_on {cmd.received_on} is not possible: {err}") from err

    @workflow.update
    async def extend(self, cmd: Extend) -> CommandResult:
        today = self._today()
        self._st.extensions.append((cmd, today))
        decision = self._decision_deadline()
        assert decision is not None
        self._record(
            "extended",
            cmd.actor,
            f"Decision period extended by {cmd.days} days on {today} (Art 10(3)(d)): {cmd.reasons}",
            cmd.model_dump(mode="json"),
        )
        n = len(self._st.extensions)
        self._send_notifier(
            f"extension-{n}",
            "aia_extension",
            notified_on=today.isoformat(),
            days=cmd.days,
            reasons=cmd.reasons,
            new_due=_iso(decision.due),
            explanation=decision.explanation,
        )
        self._publish_bch(f"extension-{n}", "extension", today, extension_days=cmd.days,
                          reasons=cmd.reasons)  # fmt: skip
        return self._result(f"Decision period extended by {cmd.days} days")

    @extend.validator
    def _extend_allowed(self, cmd: Extend) -> None:
        self._require_open("extend the decision period")
        if self._route_b:
            raise refuse(
                "the notifier was told the movement may proceed without consent (Art 10(2)(b)); "
                "there is no Art 10(3) decision period to extend"
            )
        decision = self._decision_deadline()
        if decision is not None and decision.due is not None and self._today() > decision.due:
            raise refuse(
                f"the decision deadline passed on {decision.due}; an extension must be notified "
                "before the deadline passes (Art 10(3)(d))"
            )

    @workflow.update
    async def record_risk_assessment(self, cmd: RiskAssessment) -> CommandResult:
        replaced = self._st.risk_assessment is not None
        self._st.risk_assessment = cmd
        self._record(
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

    @workflow.update
    async def decide(self, cmd: Decide) -> CommandResult:
        today = self._today()
        open_request = self._open_request()
        if open_request is not None:
            open_request.received_on = today  # the wait ends with the decision
        self._st.decision, self._st.decided_on = cmd, today
        self._record(
            "decided",
            cmd.actor,
            f"Decision on {today} (Art 10(3)): {_RESULT_WORDS[cmd.result]}"
            + (f"; conditions: {'; '.join(cmd.conditions)}" if cmd.conditions else "")
            + (f"; reasons: {cmd.reasons}" if cmd.reasons else "")
            + (
                "; taken despite lack of scientific certainty (Art 10(6))"
                if cmd.lack_of_scientific_certainty
                else ""
            ),  # fmt: skip
            cmd.model_dump(mode="json"),
        )
        ra = self._st.risk_assessment
        self._send_notifier(
            "decision",
            "aia_decision",
            decided_on=today.isoformat(),
            result=cmd.result,
            conditions=list(cmd.conditions),
            reasons=cmd.reasons,
            subsequent_imports=cmd.subsequent_imports,
            lack_of_scientific_certainty=cmd.lack_of_scientific_certainty,
            risk_assessment_summary=ra.summary if ra else None,
        )
        self._publish_bch("decision", cmd.result, today, reasons=cmd.reasons,
                          conditions=list(cmd.conditions),
                          subsequent_imports=cmd.subsequent_imports,
                          modified_organisms=list(cmd.bch_modified_organisms),
                          risk_assessments=list(cmd.bch_risk_assessments))  # fmt: skip
        return self._result(f"Decision recorded: {_RESULT_WORDS[cmd.result]}")

    @decide.validator
    def _decide_allowed(self, cmd: Decide) -> None:
        self._require_open("decide")
        if self._st.ack_on is None:
            raise refuse("receipt has not been acknowledged yet (Art 9); acknowledge it first")
        if self._st.risk_assessment is None:
            raise refuse(
                "no risk assessment is recorded; decisions under Article 10 rest on a risk "
                "assessment (Art 10(1), 15(2))"
            )
        if cmd.result == "approval" and cmd.conditions:
            raise invalid(
                "an unconditional approval has no conditions; use approval_with_conditions"
            )
        if cmd.result == "approval_with_conditions" and not cmd.conditions:
            raise invalid("approval_with_conditions needs at least one condition")
        if cmd.result != "approval" and not (cmd.reasons and cmd.reasons.strip()):
            raise invalid(
                "reasons are required: except where consent is unconditional, a decision sets "
                "out the reasons on which it is based (Art 10(4))"
            )
        if cmd.result != "prohibition" and not (
            cmd.subsequent_imports and cmd.subsequent_imports.strip()
        ):
            raise invalid(
                "an approval states how it applies to subsequent imports of the same LMO "
                "(Art 10(3)(a)): set subsequent_imports"
            )

    @workflow.update
    async def withdraw(self, cmd: Withdraw) -> CommandResult:
        today = self._today()
        open_request = self._open_request()
        if open_request is not None:
            open_request.received_on = today
        self._st.withdrawn_on = today
        self._record(
            "withdrawn",
            cmd.actor,
            f"Notification withdrawn on {today}"
            + (f": {cmd.reason}" if cmd.reason else "")
            + "; confidential information stays confidential (Art 21(5))",
            cmd.model_dump(mode="json"),
        )
        self._send_notifier(
            "withdrawal", "aia_withdrawal", withdrawn_on=today.isoformat(), reason=cmd.reason
        )
        return self._result("Notification withdrawn; the case is closed")

    @withdraw.validator
    def _withdraw_allowed(self, cmd: Withdraw) -> None:
        self._require_open("withdraw the notification")

    @workflow.query
    def view(self) -> CaseView:
        return self._view()

    # ---- the clock ----------------------------------------------------------------------------

    def _today(self) -> date:
        return pure(clock.local_date, workflow.now(), self._tz)

    def _compute(
        self,
        period: int,
        start: date,
        label: str,
        stops: list[clock.Stop] | None = None,
        extensions: list[clock.Extension] | None = None,
    ) -> clock.Deadline:
        return pure(
            clock.compute_deadline,
            period_days=period,
            start=start,
            start_label=label,
            rules=self._start.rules,
            stops=stops or [],
            extensions=extensions or [],
        )

    @property
    def _route_b(self) -> bool:
        return self._st.ack is not None and self._st.ack.consent_route == "proceed_without_consent"

    def _stops(self) -> list[clock.Stop]:
        """Art 10(3)(c): the waits that stop the decision clock (requests made in time)."""
        return [
            clock.Stop(requested_on=r.requested_on, received_on=r.received_on)
            for r in self._st.requests
            if r.counted
        ]

    def _decision_deadline(self) -> clock.Deadline | None:
        if self._route_b:
            return None  # Art 10(3) concerns decisions under 10(2)(a)
        return self._decision_clock(self._stops())

    def _decision_clock(self, stops: list[clock.Stop]) -> clock.Deadline:
        """Art 10(3): 270 days from receipt, with these stops and the notified extensions."""
        extensions = [
            clock.Extension(days=e.days, notified_on=on, reasons=e.reasons)
            for e, on in self._st.extensions
        ]
        return self._compute(DECISION_DAYS, self._start.received_on, "receipt", stops, extensions)

    def _stop_would_count(self, today: date) -> bool:
        if self._route_b:
            return False
        try:
            self._decision_clock([*self._stops(), clock.Stop(requested_on=today)])
        except clock.ClockError:
            return False  # requested after the deadline ran out: nothing left to stop
        return True

    def _proceed_deadline(self) -> clock.Deadline | None:
        if not self._route_b or self._st.ack_on is None or self._st.ack is None:
            return None
        return self._compute(self._st.ack.proceed_after_days, self._st.ack_on, "acknowledgement")

    def _may_proceed_from(self, proceed: clock.Deadline | None) -> date | None:
        return proceed.due + timedelta(days=1) if proceed and proceed.due else None

    def _deadlines(self) -> list[_Deadline]:
        today = self._today()
        st = self._st
        closed_on = st.decided_on or st.withdrawn_on
        out: list[_Deadline] = []

        ack = self._compute(ACK_DAYS, self._start.received_on, "receipt")
        out.append(
            _Deadline(
                self._deadline_view(
                    "acknowledgement",
                    "Acknowledgement of receipt",
                    "CP Art 9(1)",
                    ack,
                    met_on=st.ack_on,
                    closed_on=closed_on,
                    today=today,
                )  # fmt: skip
            )
        )
        decision = self._decision_deadline()
        if decision is not None:
            out.append(
                _Deadline(
                    self._deadline_view(
                        "decision",
                        "Decision on the import",
                        "CP Art 10(3)",
                        decision,
                        met_on=st.decided_on,
                        closed_on=st.withdrawn_on,
                        today=today,
                    )  # fmt: skip
                )
            )
        proceed = self._proceed_deadline()
        if proceed is not None:
            view = self._deadline_view(
                "proceed_without_consent",
                "Movement may proceed without written consent after",
                "CP Art 10(2)(b)",
                proceed,
                met_on=None,
                closed_on=closed_on,
                today=today,
            )
            if view.status == DeadlineStatus.MISSED:
                # Not a deadline of the authority's: the moment the movement may proceed.
                view.status, view.days_overdue = DeadlineStatus.MET, 0
            out.append(_Deadline(view, reminders=False))
        return out

    def _deadline_view(
        self,
        key: Literal["acknowledgement", "decision", "proceed_without_consent"],
        label: str,
        article: str,
        d: clock.Deadline,
        *,
        met_on: date | None,
        closed_on: date | None,
        today: date,
    ) -> DeadlineView:
        ends_at = pure(clock.end_of_day, d.due, self._tz) if d.due else None
        overdue = 0
        if met_on is not None:
            status = (
                DeadlineStatus.MET if d.due is None or met_on <= d.due else DeadlineStatus.MET_LATE
            )
        elif closed_on is not None:
            status = DeadlineStatus.CANCELLED
        elif d.due is None:
            status = DeadlineStatus.STOPPED
        elif ends_at is not None and workflow.now() >= ends_at:
            status = DeadlineStatus.MISSED
            overdue = pure(clock.days_overdue, d.due, today)
        else:
            status = DeadlineStatus.RUNNING
        return DeadlineView(
            key=key,
            label=label,
            article=article,
            period_days=d.period_days,
            start=d.start,
            due=d.due,
            ends_at=ends_at,
            status=status,
            remaining_days=d.remaining_days,
            days_overdue=overdue,
            met_on=met_on,
            explanation=d.explanation,
        )

    # ---- time passing: reminders, lapses, the 10(2)(b) moment ----------------------------------

    def _on_time_passing(self) -> None:
        now = workflow.now()
        today = self._today()
        for dl in self._deadlines():
            v = dl.view
            if v.due is None or v.ends_at is None:
                continue
            if v.key == "proceed_without_consent":
                if now >= v.ends_at and not self._st.may_proceed_reached and not self._closed:
                    self._movement_may_proceed(v)
                continue
            if v.status == DeadlineStatus.MISSED:
                self._lapse(v)
                continue
            if v.status != DeadlineStatus.RUNNING or not dl.reminders:
                continue
            due_now = [
                off
                for off in self._start.rules.reminder_offsets_days
                if f"reminder:{v.key}:{v.due}:{off}" not in self._fired
                and now >= self._reminder_at(v.due, off)
            ]
            if not due_now:
                continue
            for off in due_now:
                self._fired.add(f"reminder:{v.key}:{v.due}:{off}")
            # A case entered late may owe several reminders at once; one, the nearest, is enough.
            days_left = (v.due - today).days
            self._record(
                "reminder",
                "system",
                f"Reminder: {v.label.lower()} due {v.due} ({days_left} days left, {v.article})",
                {"deadline": v.key, "due": v.due.isoformat(), "days_left": days_left},
            )
            self._send_internal(
                f"reminder-{v.key}-{v.due}-{min(due_now)}",
                "deadline_reminder",
                self._start.authority.officer_email,
                deadline_label=self._internal_label(v),
                article=v.article,
                due=v.due.isoformat(),
                days_left=days_left,
                explanation=v.explanation,
            )

    def _internal_label(self, v: DeadlineView) -> str:
        """The deadline's name in the language of the authority's internal mail."""
        if self._start.authority.default_language == "hu":
            return _LABELS_HU[v.key]
        return v.label

    def _reminder_at(self, due: date, offset: int) -> datetime:
        at: datetime = pure(clock.start_of_day, due - timedelta(days=offset), self._tz)
        return at

    def _lapse(self, v: DeadlineView) -> None:
        key = f"missed:{v.key}:{v.due}"
        if key in self._fired:
            return
        self._fired.add(key)
        self._record(
            "deadline_missed",
            "system",
            f"{v.label} was due {v.due} ({v.article}) and has passed; escalated. Silence is not "
            "consent (Art 9(4), 10(5)): the case stays open.",
            {"deadline": v.key, "due": _iso(v.due)},
        )
        # An ordered de-duplication: a set's order varies between processes (string hashing
        # is randomised), and the order messages are queued in is part of the history.
        authority = self._start.authority
        for to in dict.fromkeys([authority.escalation_email, authority.officer_email]):
            self._send_internal(
                f"missed-{v.key}-{v.due}-{to}",
                "deadline_missed",
                to,
                deadline_label=self._internal_label(v),
                article=v.article,
                due=_iso(v.due),
                days_overdue=v.days_overdue,
                explanation=v.explanation,
            )

    def _movement_may_proceed(self, v: DeadlineView) -> None:
        self._st.may_proceed_reached = True
        proceed_from = _iso(v.due + timedelta(days=1)) if v.due else None
        self._record(
            "may_proceed_without_consent",
            "system",
            f"{v.period_days} days after the acknowledgement have passed without a decision: as "
            f"notified under Art 10(2)(b), the movement may proceed from {proceed_from}",
            {"proceed_from": proceed_from},
        )
        self._send_notifier("may-proceed", "aia_may_proceed", proceed_from=proceed_from)

    def _next_wake(self) -> tuple[datetime, str]:
        now = workflow.now()
        candidates: list[tuple[datetime, str]] = []
        for dl in self._deadlines():
            v = dl.view
            if v.due is None or v.ends_at is None:
                continue
            if v.status == DeadlineStatus.RUNNING:
                candidates.append((v.ends_at, f"{v.label} ends {v.due} ({v.article})"))
                if dl.reminders:
                    for off in self._start.rules.reminder_offsets_days:
                        at = self._reminder_at(v.due, off)
                        if at > now:
                            candidates.append((at, f"reminder: {v.label.lower()} due {v.due}"))
            elif v.status == DeadlineStatus.MISSED:
                # Overdue cases refresh daily so "N days overdue" stays true everywhere.
                tomorrow = self._today() + timedelta(days=1)
                candidates.append(
                    (pure(clock.start_of_day, tomorrow, self._tz), "daily overdue update")
                )
        if not candidates:
            return now + IDLE_RECHECK, "no deadline running (clock stopped or case closing)"
        return min(candidates, key=lambda c: c[0])

    # ---- what officers see ------------------------------------------------------------------

    @property
    def _closed(self) -> bool:
        return self._stage in CLOSED_STAGES

    @property
    def _stage(self) -> Stage:
        st = self._st
        if st.withdrawn_on is not None:
            return Stage.WITHDRAWN
        if st.decision is not None:
            return Stage.DECIDED
        if st.may_proceed_reached:
            return Stage.MAY_PROCEED
        if self._open_request() is not None:
            return Stage.AWAITING_INFORMATION
        if st.ack_on is not None:
            return Stage.ACKNOWLEDGED
        return Stage.RECEIVED

    def _open_request(self) -> InformationRequestView | None:
        return next((r for r in self._st.requests if r.received_on is None), None)

    def _require_open(self, what: str) -> None:
        stage = self._stage
        if stage in CLOSED_STAGES:
            raise refuse(f"cannot {what}: the case is closed ({stage.value.replace('_', ' ')})")

    def _view(self) -> CaseView:
        deadlines = [d.view for d in self._deadlines()]
        pending = [
            d
            for d in deadlines
            if d.status in (DeadlineStatus.RUNNING, DeadlineStatus.STOPPED, DeadlineStatus.MISSED)
        ]
        next_deadline = min(
            (d for d in pending if d.due is not None), key=lambda d: d.due or date.max, default=None
        )
        if next_deadline is None and pending:
            next_deadline = pending[0]
        st = self._st
        stage = self._stage
        a = self._n.annex_i
        proceed = self._proceed_deadline()
        return CaseView(
            case_id=self._start.case_id,
            procedure=Procedure.AIA,
            stage=stage,
            closed=stage in CLOSED_STAGES,
            notifier_reference=self._n.notifier_reference,
            notifier_name=self._n.notifier.name,
            party_of_export=self._n.party_of_export,
            party_of_import=self._n.party_of_import,
            lmo_name=a.c_lmo_name,
            lmo_id=a.c_lmo_unique_identifier,
            received_on=self._start.received_on,
            today=self._today(),
            missing_annex_i_items=[i.value for i in a.missing_items()],
            confidential_items=[c.item.value for c in self._n.confidential],
            clock_stopped=any(d.status == DeadlineStatus.STOPPED for d in deadlines),
            overdue=any(d.status == DeadlineStatus.MISSED for d in deadlines),
            status_text=self._status_text(stage, next_deadline, deadlines),
            next_deadline=next_deadline,
            deadlines=deadlines,
            acknowledgement=st.ack,
            acknowledged_on=st.ack_on,
            information_requests=[r.model_copy() for r in st.requests],
            extensions=[e for e, _ in st.extensions],
            extension_dates=[on for _, on in st.extensions],
            risk_assessment=st.risk_assessment,
            decision=st.decision,
            decided_on=st.decided_on,
            withdrawn_on=st.withdrawn_on,
            may_proceed_from=self._may_proceed_from(proceed),
            outgoing=[o.view() for o in self._outgoing],
            history=list(self._history),
            bch_publications=list(self._publications),
            version=self._version,
            notification_fingerprint=self._fingerprint,
        )

    def _status_text(
        self, stage: Stage, nxt: DeadlineView | None, deadlines: list[DeadlineView]
    ) -> str:
        words = {
            Stage.RECEIVED: "Received, not yet acknowledged",
            Stage.ACKNOWLEDGED: "Acknowledged, awaiting decision",
            Stage.AWAITING_INFORMATION: "Waiting for information requested from the notifier",
            Stage.DECIDED: "Decided",
            Stage.MAY_PROCEED: "Movement may proceed without consent (Art 10(2)(b))",
            Stage.WITHDRAWN: "Withdrawn by the notifier",
        }
        parts = [words[stage]]
        if self._st.decision is not None:
            parts[0] += f": {_RESULT_WORDS[self._st.decision.result]} on {self._st.decided_on}"
        for d in deadlines:
            if d.status == DeadlineStatus.MISSED:
                parts.append(
                    f"OVERDUE: {d.label.lower()} was due {d.due}, {d.days_overdue} days ago"
                )
            elif d.status == DeadlineStatus.STOPPED:
                parts.append(f"{d.label} clock stopped: {d.remaining_days} days remain")
        if nxt is not None and nxt.status == DeadlineStatus.RUNNING:
            parts.append(f"next: {nxt.label.lower()} by {nxt.due} ({nxt.article})")
        pending = [o for o in self._outgoing if o.status == "pending"]
        if pending:
            parts.append(f"{len(pending)} message(s) pending delivery")
        failed = [o for o in self._outgoing if o.status == "failed"]
        if failed:
            parts.append(
                f"{len(failed)} message(s) FAILED: "
                + "; ".join(f"{o.purpose} to {o.recipient}" for o in failed)
            )
        return "; ".join(parts)

    def _publish(self) -> None:
        """Bring the Web UI (search attributes, details) and the register up to date."""
        view = self._view()
        nxt = view.next_deadline
        workflow.upsert_search_attributes(
            [
                sa.STAGE.value_set(view.stage.value),
                sa.CLOCK_STOPPED.value_set(view.clock_stopped),
                sa.OVERDUE.value_set(view.overdue),
                sa.MESSAGES_PENDING.value_set(any(o.status == "pending" for o in self._outgoing)),
                sa.NEXT_DEADLINE.value_set(nxt.ends_at)
                if nxt is not None and nxt.ends_at is not None
                else sa.NEXT_DEADLINE.value_unset(),
                sa.NEXT_DEADLINE_KIND.value_set(nxt.key)
                if nxt is not None
                else sa.NEXT_DEADLINE_KIND.value_unset(),
            ]
        )
        lines = [f"**{view.status_text}**", ""]
        for d in view.deadlines:
            lines.append(f"- {d.label} ({d.article}): {d.status.value}; {d.explanation}")
        lines += ["", f"Last step: {self._history[-1].summary}" if self._history else ""]
        workflow.set_current_details(details_markdown("\n".join(lines)))
        self._version += 1

    # ---- effects --------------------------------------------------------------------------

    def _record(self, kind: str, actor: str, summary: str, data: dict[str, Any]) -> None:
        now = workflow.now()
        self._history.append(
            Step(
                seq=len(self._history) + 1,
                at=now,
                on=self._today(),
                kind=kind,
                actor=actor,
                summary=summary,
                data=data,
            )
        )
        workflow.logger.info(summary, extra={"case_id": self._start.case_id, "step": kind})
        self._changed = True

    def _result(self, summary: str) -> CommandResult:
        self._changed = True
        view = self._view()
        return CommandResult(
            case_id=self._start.case_id,
            stage=view.stage,
            summary=summary,
            next_deadline=view.next_deadline,
        )

    def _common_context(self) -> dict[str, Any]:
        a = self._n.annex_i
        return {
            "case_id": self._start.case_id,
            "authority_name": self._start.authority.name,
            "notifier_name": self._n.notifier.name,
            "notifier_reference": self._n.notifier_reference,
            "lmo_name": a.c_lmo_name or "(not stated)",
            "party_of_import": self._n.party_of_import,
            "party_of_export": self._n.party_of_export,
            "received_on": self._start.received_on.isoformat(),
        }

    def _send_notifier(self, step: str, template: str, **context: Any) -> None:
        language = self._n.notifier.language or self._start.authority.default_language
        self._queue_email(step, template, self._n.notifier.email, language, context)

    def _send_internal(self, step: str, template: str, to: str, **context: Any) -> None:
        self._queue_email(step, template, to, self._start.authority.default_language, context)

    def _queue_email(
        self, step: str, template: str, to: str, language: Any, context: dict[str, Any]
    ) -> None:
        key = f"{self._start.case_id}:{step}"
        if any(o.key == key for o in self._outgoing):
            return
        request = EmailRequest(
            message_key=key,
            case_id=self._start.case_id,
            to=to,
            language=language,
            template=template,
            context=self._common_context() | context,
        )
        self._outgoing.append(_Outgoing(key, "email", to, template, request))

    def _publish_bch(
        self,
        step: str,
        result: Literal[
            "approval",
            "approval_with_conditions",
            "prohibition",
            "information_request",
            "extension",
        ],
        on: date,
        *,
        reasons: str | None = None,
        conditions: list[str] | None = None,
        extension_days: int | None = None,
        subsequent_imports: str | None = None,
        modified_organisms: list[str] | None = None,
        risk_assessments: list[str] | None = None,
    ) -> None:
        """Art 10(3): decisions are communicated to the BCH. Confidential items never are
        (Art 21): exporter and importer go out only when not claimed confidential."""
        key = f"{self._start.case_id}:bch:{step}"
        confidential = {c.item for c in self._n.confidential}
        a = self._n.annex_i

        def party(org: Any, item: AnnexIItem, country: str) -> list[BchParty]:
            if org is None or item in confidential:
                return []
            return [BchParty(name=org.name, address=org.address, country=country)]

        ra = self._st.risk_assessment
        request = BchDecisionInput(
            message_key=key,
            case_id=self._start.case_id,
            government=self._n.party_of_import,
            title=f"{_RESULT_WORDS[result].capitalize()}: {a.c_lmo_name or 'LMO'} "
            f"({self._start.case_id})",
            decision_date=on,
            decision_result=result,
            conditions=conditions or [],
            reasons=reasons,
            extension_period_days=extension_days,
            receipt_date=self._start.received_on,
            acknowledgement_date=self._st.ack_on,
            communication_date=on,
            exporters=party(a.a_exporter, AnnexIItem.A, self._n.party_of_export),
            importers=party(a.b_importer, AnnexIItem.B, self._n.party_of_import),
            lmo_name=a.c_lmo_name or "(not stated)",
            lmo_unique_identifier=a.c_lmo_unique_identifier,
            applies_to_subsequent_imports=subsequent_imports,
            risk_assessment_summary=ra.summary if ra else None,
            modified_organisms=modified_organisms or [],
            risk_assessments=risk_assessments or [],
        )
        self._outgoing.append(_Outgoing(key, "bch", "Biosafety Clearing-House", result, request))

    async def _delivery_loop(self, channel: Literal["email", "bch"]) -> None:
        """Deliver this channel's messages one by one, in order, until the case is finished."""
        while True:
            await workflow.wait_condition(
                lambda: self._finishing or self._next_pending(channel) is not None
            )
            item = self._next_pending(channel)
            if item is None:
                return
            try:
                if isinstance(item.payload, EmailRequest):
                    delivery: EmailDelivery = await workflow.execute_activity(
                        "send_email",
                        item.payload,
                        result_type=EmailDelivery,
                        start_to_close_timeout=timedelta(minutes=2),
                        retry_policy=EMAIL_RETRY,
                        summary=f"e-mail {item.purpose} to {item.recipient}",
                    )
                    item.detail = f"Message-ID {delivery.message_id}: {delivery.server_response}"
                elif workflow.patched("bch-publication-process"):
                    child_id = await self._start_publication(item)
                    item.detail = f"publication followed by workflow {child_id}"
                else:
                    publication: BchPublication = await workflow.execute_activity(
                        "publish_bch_decision",
                        item.payload,
                        result_type=BchPublication,
                        start_to_close_timeout=timedelta(minutes=5),
                        retry_policy=BCH_RETRY,
                        summary=f"BCH record: {item.purpose}",
                    )
                    item.detail = f"BCH document {publication.document_uid}: {publication.status}"
                item.status = "sent"
            except ActivityError as err:
                item.status = "failed"
                item.detail = str(
                    err.cause.message if isinstance(err.cause, ApplicationError) else err
                )
                self._record(
                    "message_failed",
                    "system",
                    f"{channel.upper()} message '{item.purpose}' to {item.recipient} failed "
                    f"permanently: {item.detail}",
                    {"key": item.key},
                )
                if item.recipient != self._start.authority.escalation_email:
                    self._send_internal(
                        f"failed-{item.key.rsplit(':', 1)[-1]}",
                        "delivery_failed",
                        self._start.authority.escalation_email,
                        purpose=item.purpose,
                        recipient=item.recipient,
                        error=item.detail,
                    )
            self._changed = True

    async def _start_publication(self, item: _Outgoing) -> str:
        """Hand the record to its own publication process (workflows/bch_publication.py), which
        outlives the case: the focal point may take up to 83 days."""
        assert isinstance(item.payload, BchDecisionInput)
        child_id = publication_workflow_id(item.key)
        await workflow.start_child_workflow(
            BchPublicationWorkflow.run,
            BchPublicationStart(
                case_id=self._start.case_id,
                purpose=item.purpose,
                record=item.payload,
                officer_email=self._start.authority.officer_email,
                language=self._start.authority.default_language,
                timezone=self._tz,
                context=self._common_context(),
                poll_interval=self._start.bch.poll_interval,
                approval_window_days=self._start.bch.approval_window_days,
            ),
            id=child_id,
            parent_close_policy=ParentClosePolicy.ABANDON,
            static_summary=f"BCH publication for {self._start.case_id}: {item.purpose}",
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(sa.CASE_ID, self._start.case_id),
                    SearchAttributePair(sa.PROCEDURE, "bch_publication"),
                    SearchAttributePair(sa.PARTY_OF_IMPORT, self._n.party_of_import),
                ]
            ),
        )
        self._publications.append(child_id)
        return child_id

    def _next_pending(self, channel: str) -> _Outgoing | None:
        return next(
            (o for o in self._outgoing if o.channel == channel and o.status == "pending"), None
        )

    async def _register_loop(self) -> None:
        synced_steps = 0
        while True:
            await workflow.wait_condition(
                lambda: self._version > self._synced_version or self._register_finishing
            )
            if self._version <= self._synced_version:
                return
            version, view = self._version, self._view()
            entries = [
                AuditEntry(
                    seq=s.seq, at=s.at, kind=s.kind, actor=s.actor, summary=s.summary,
                    data=dict(s.data),
                )
                for s in self._history[synced_steps:]
            ]  # fmt: skip
            nxt = view.next_deadline
            row = CaseRow(
                case_id=view.case_id,
                workflow_id=workflow.info().workflow_id,
                procedure=view.procedure.value,
                stage=view.stage.value,
                notifier_reference=view.notifier_reference,
                notifier_name=view.notifier_name,
                notifier_email=self._n.notifier.email,
                party_of_export=view.party_of_export,
                party_of_import=view.party_of_import,
                lmo_name=view.lmo_name,
                lmo_id=view.lmo_id,
                received_on=view.received_on,
                clock_stopped=view.clock_stopped,
                overdue=view.overdue,
                days_overdue=max((d.days_overdue for d in view.deadlines), default=0),
                next_deadline_key=nxt.key if nxt else None,
                next_deadline_on=nxt.due if nxt else None,
                next_deadline_at=nxt.ends_at if nxt else None,
                closed=view.closed,
                # While the case runs, its history is in the audit log already: repeating it in
                # every sync would make the workflow history grow with the square of the case's
                # length. The last sync of a closed case keeps it, so that the register can show
                # the whole case after Temporal's retention has removed the workflow.
                state=view.model_dump(mode="json", exclude=set() if view.closed else {"history"}),
                version=version,
            )
            await workflow.execute_activity(
                "sync_register",
                RegisterSync(case=row, entries=entries),
                result_type=int,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=REGISTER_RETRY,
                summary=f"register v{version}",
            )
            self._synced_version, synced_steps = version, synced_steps + len(entries)


_RESULT_WORDS = {
    "approval": "import approved without conditions",
    "approval_with_conditions": "import approved with conditions",
    "prohibition": "import prohibited",
    "information_request": "additional information requested",
    "extension": "decision period extended",
}


_LABELS_HU = {
    "acknowledgement": "A bejelentés átvételének visszaigazolása",
    "decision": "Döntés a behozatalról",
    "proceed_without_consent": "A szállítás írásos hozzájárulás nélkül megkezdhető",
}


def _item(i: AnnexIItem) -> str:
    return f"({i.value}) {ANNEX_I_DESCRIPTIONS[i]}"


def _items(items: list[AnnexIItem]) -> str:
    return ", ".join(f"({i.value})" for i in items)


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None
