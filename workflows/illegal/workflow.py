"""Illegal transboundary movements (CP Art 25) on the case kernel.

25(1): a movement in contravention of the Party's domestic measures implementing the Protocol is
illegal; the case opens when one is found within the Party's jurisdiction. 25(2): the affected
Party may request the Party of origin to dispose, at its own expense, of the LMO by repatriation
or destruction, as appropriate: the request goes at once, and is followed up every
``follow_up_days`` until the disposal is confirmed (clocks.py). 25(3): the case is made available
to the Biosafety Clearing-House. The case kernel keeps the deadlines, reminders, lapses,
messages, history and projection; this module says what Article 25 says.
"""

from __future__ import annotations

from datetime import date

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.common import invalid, refuse
    from workflows.illegal import bch
    from workflows.illegal.clocks import IllegalClocks
    from workflows.illegal.models import (
        DISPOSAL_WORDS,
        HOW_FOUND_WORDS,
        STAGE_WORDS,
        Because,
        CloseCase,
        ConfirmDisposal,
        DisposalDone,
        FollowUp,
        FollowUpView,
        IllegalDetails,
        IllegalResume,
        IllegalStart,
        IllegalState,
        RecordReply,
        Reply,
        Stage,
        fingerprint,
    )
    from workflows.kernel.case import Case
    from workflows.kernel.ledger import Arrival, Entry
    from workflows.kernel.runtime import run_case
    from workflows.kernel.words import days, explained
    from workflows.models import CaseView, CommandResult


@workflow.defn(name="IllegalTransboundaryMovement")
class IllegalTransboundaryMovement:
    @workflow.init
    def __init__(self, start: IllegalStart) -> None:
        self._start = start
        self._m = start.movement
        self._origin = start.movement.party_of_origin
        self._state = start.resume.state if start.resume else IllegalState()
        self.case = Case.open(start, start.resume.kernel if start.resume else None)
        self._clocks = IllegalClocks(self.case.ledger, self._state)
        self._fingerprint = fingerprint(start.movement)

    @workflow.run
    async def run(self, start: IllegalStart) -> CaseView[IllegalDetails]:
        if start.resume is None:
            self._opened()
        return await run_case(self)

    def _opened(self) -> None:
        m, on = self._m, self._start.received_on
        self.case.record(
            "movement_recorded",
            "case-officer",
            f"Illegal transboundary movement (Art 25(1)) of {self._lmo} from {self._origin.party} "
            f"found {HOW_FOUND_WORDS[m.how_found]} on {m.found_on}: {m.quantity.words()}, held "
            f"at {m.held_at}; measures taken: {'; '.join(m.measures_taken)}",
            {"reference": m.reference, "how_found": m.how_found},
        )
        first = self._open_round(on, "request")
        due = self._clocks.entry(first).deadline
        self._letter("disposal-request", "illegal_disposal_request", first)
        self.case.record(
            "disposal_requested",
            "system",
            f"The Party of origin ({self._origin.party}) requested on {on} to dispose of the LMO "
            f"at its own expense by repatriation or destruction (Art 25(2)); answer expected by "
            f"{due.due} ({due.explanation})",
        )
        record = bch.report(self._start, self.case.bch_key("report"), on)
        self.case.bch("report", "illegal movement", record)
        self.case.record(
            "bch_report_queued",
            "system",
            f"The case queued on {on} to be made available to the BCH (Art 25(3))",
        )

    # ---- Art 25(2): the Party of origin's answers and the disposal -----------------------------

    @workflow.update
    async def record_reply(self, cmd: RecordReply) -> CommandResult:
        on = cmd.received_on or self.case.today()
        current = self._state.current
        assert current is not None  # the validator guarantees it
        current.answered_on = on
        self._state.replies.append(Reply(**cmd.model_dump(exclude={"actor"}) | {"received_on": on}))
        nxt = self._open_round(on, "reply")
        due = self._clocks.entry(nxt).deadline
        proposed = cmd.proposed_disposal
        self.case.record(
            "origin_replied",
            cmd.actor,
            f"{self._origin.party} answered on {on} (Art 25(2)): {cmd.summary}"
            + (f"; it proposes {DISPOSAL_WORDS[proposed]}" if proposed else "")
            + f"; disposal to be confirmed by {due.due} ({due.explanation})",
            cmd.model_dump(mode="json"),
        )
        return self._result(f"Reply recorded; next follow-up by {due.due}")

    @record_reply.validator
    def _reply_allowed(self, cmd: RecordReply) -> None:
        self._require_running("record a reply")
        current = self._state.current
        assert current is not None
        on, today = cmd.received_on, self.case.today()
        if on is not None and on > today:
            raise invalid(
                f"received_on {on} is in the future (today is {today})",
                rule="date-not-future",
                field="received_on",
            )
        if on is not None and on < current.started_on:
            raise invalid(
                f"received_on {on} is before follow-up {current.number} began on "
                f"{current.started_on}: a reply is recorded in the round it arrived in",
                rule="date-order",
                field="received_on",
            )

    @workflow.update
    async def confirm_disposal(self, cmd: ConfirmDisposal) -> CommandResult:
        today = self.case.today()
        current = self._state.current
        if current is not None:
            current.answered_on = today
        self._state.disposal = DisposalDone(**cmd.model_dump(exclude={"actor"}), confirmed_on=today)
        self.case.record(
            "disposal_confirmed",
            cmd.actor,
            f"Disposal of the LMO by {DISPOSAL_WORDS[cmd.method]} on {cmd.disposed_on} confirmed "
            f"on {today} (Art 25(2)): {cmd.evidence}; no further follow-up",
            cmd.model_dump(mode="json"),
        )
        return self._result(f"Disposal by {DISPOSAL_WORDS[cmd.method]} confirmed")

    @confirm_disposal.validator
    def _disposal_allowed(self, cmd: ConfirmDisposal) -> None:
        self._require_running("confirm the disposal")
        today, found = self.case.today(), self._m.found_on
        if cmd.disposed_on > today:
            raise invalid(
                f"disposed_on {cmd.disposed_on} is in the future (today is {today})",
                rule="date-not-future",
                field="disposed_on",
            )
        if cmd.disposed_on < found:
            raise invalid(
                f"disposed_on {cmd.disposed_on} is before the movement was found on {found}",
                rule="date-order",
                field="disposed_on",
            )

    # ---- closing the case ---------------------------------------------------------------------

    @workflow.update
    async def close_case(self, cmd: CloseCase) -> CommandResult:
        st = self._state
        st.closed_on, st.close_reasons = self.case.today(), cmd.reasons
        self.case.record(
            "closed",
            cmd.actor,
            f"Case closed on {st.closed_on}"
            + ("" if st.disposal else " without the disposal confirmed")
            + f": {cmd.reasons}",
            cmd.model_dump(mode="json"),
        )
        return self._result("Case closed")

    @close_case.validator
    def _close_allowed(self, cmd: CloseCase) -> None:
        if self.closed:
            raise refuse(
                f"the case was already closed on {self._state.closed_on}", rule="case-open"
            )

    @workflow.query
    def view(self) -> CaseView[IllegalDetails]:
        return self.current_view()

    # ---- what the kernel asks of the procedure -----------------------------------------------

    @property
    def closed(self) -> bool:
        return self._state.closed_on is not None

    busy = False  # nothing runs beside the kernel's own deliveries

    def tick(self) -> None:
        """A round whose lapse the kernel has recorded and escalated is followed up: a letter to
        the Party of origin, and a new round (Art 25(2))."""
        current = self._state.current
        if current is None:
            return
        lapsed = self._clocks.entry(current)
        if f"missed:{lapsed.period.key}:{lapsed.deadline.due}" not in self.case.ledger.fired:
            return
        today = self.case.today()
        current.followed_up_on = today
        nxt = self._open_round(today, "follow_up")
        due = self._clocks.entry(nxt).deadline
        self._letter(
            f"follow-up-{current.number}",
            "illegal_follow_up",
            nxt,
            follow_up_number=current.number,
            requested_on=self._start.received_on.isoformat(),
            missed_due=(lapsed.deadline.due or today).isoformat(),
        )
        self.case.record(
            "followed_up",
            "system",
            f"No answer from {self._origin.party} by {lapsed.deadline.due} (follow-up "
            f"{current.number}, Art 25(2)): follow-up letter sent on {today}; answer now "
            f"expected by {due.due} ({due.explanation})",
        )

    def entries(self) -> list[Entry]:
        return self._clocks.entries()

    def on_arrival(self, arrival: Arrival) -> None:  # every round is a deadline that lapses
        raise AssertionError(f"unexpected moment {arrival.view.key}")

    def current_view(self) -> CaseView[IllegalDetails]:
        st, m, stage = self._state, self._m, self._state.stage
        stage_text = STAGE_WORDS[stage]
        if st.disposal is not None:
            d = st.disposal
            stage_text += f": {DISPOSAL_WORDS[d.method]} on {d.disposed_on}"
        return self.case.view(
            self.entries(),
            stage=stage.value,
            stage_text=stage_text,
            closed=self.closed,
            details=IllegalDetails(
                party_of_origin=self._origin.party,
                found_on=m.found_on,
                how_found=m.how_found,
                circumstances=m.circumstances,
                quantity=m.quantity,
                held_at=m.held_at,
                measures_taken=list(m.measures_taken),
                follow_up_days=self._start.follow_up_days,
                follow_ups=[self._round_view(r) for r in st.rounds],
                replies=list(st.replies),
                disposal=st.disposal,
                closed_on=st.closed_on,
                close_reasons=st.close_reasons,
                fingerprint=self._fingerprint,
            ),
        )

    def carry_over(self) -> IllegalStart:
        return self._start.model_copy(
            update={"resume": IllegalResume(state=self._state, kernel=self.case.state)}
        )

    # ---- helpers -----------------------------------------------------------------------------

    def _open_round(self, on: date, because: Because) -> FollowUp:
        r = FollowUp(
            number=len(self._state.rounds) + 1,
            started_on=on,
            because=because,
            days=self._start.follow_up_days,
        )
        self._state.rounds.append(r)
        return r

    def _letter(self, step: str, template: str, round_: FollowUp, **context: object) -> None:
        due = self._clocks.entry(round_).deadline
        language = self._origin.language or self._start.authority.default_language
        self.case.letter(
            step,
            template,
            self._origin.email,
            language,
            reply_by=(due.due or round_.started_on).isoformat(),
            explanation=explained(due, language),
            **context,
        )

    def _round_view(self, r: FollowUp) -> FollowUpView:
        due = self._clocks.entry(r).deadline.due or r.started_on
        if r.answered_on is not None:
            outcome = f"answered on {r.answered_on}"
        elif r.followed_up_on is not None:
            outcome = f"no answer by {due}: followed up on {r.followed_up_on}"
        elif self._state.closed_on is not None:
            outcome = f"case closed on {self._state.closed_on}"
        else:
            outcome = f"running: answer expected by {due} ({days(r.days)} from {r.started_on})"
        return FollowUpView(**r.model_dump(), due=due, outcome=outcome)

    def _require_running(self, what: str) -> None:
        if self.closed:
            raise refuse(
                f"cannot {what}: the case was closed on {self._state.closed_on}", rule="case-open"
            )
        if (d := self._state.disposal) is not None:
            raise refuse(
                f"cannot {what}: the disposal by {DISPOSAL_WORDS[d.method]} was confirmed on "
                f"{d.confirmed_on} (Art 25(2)); the case only waits to be closed",
                rule="disposal-request-open",
                article="Art 25(2)",
            )

    @property
    def _lmo(self) -> str:
        return self._m.lmo_name + (f" ({self._m.lmo_id})" if self._m.lmo_id else "")

    def _result(self, summary: str) -> CommandResult:
        return self.case.result(self.entries(), self._state.stage.value, summary)


__all__ = ["IllegalTransboundaryMovement", "Stage"]
