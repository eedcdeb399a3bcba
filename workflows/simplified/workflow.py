"""The simplified procedure (CP Art 13) on the case kernel: one advance specification of the Party
of import, from the day it is specified to its withdrawal.

Art 13(1): the Party specifies in advance to the Biosafety Clearing-House (a) the cases in which a
movement to it may take place at the same time as it is notified, or (b) the imports exempted from
the AIA procedure, provided that adequate measures ensure the safe movement. The specification
goes to the BCH at once; it is in force (in the register the AIA intake looks up) once the
national focal point has published it, and each of its records is to be published within a
period the deployment sets, with the kernel's reminders and escalation. An amendment or the
withdrawal is a record that amends the last published one. The case kernel keeps the deadlines,
messages, history and projection; this module says what Article 13 says.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.bch import document_uid
    from activities.simplified import (
        PublicationQuery,
        SimplifiedActivities,
        SpecificationRow,
    )
    from workflows.common import REGISTER_RETRY, invalid, refuse
    from workflows.kernel.case import Case
    from workflows.kernel.ledger import Arrival, Entry
    from workflows.kernel.runtime import run_case
    from workflows.models import CaseView, CommandResult
    from workflows.simplified import bch, clocks
    from workflows.simplified.models import (
        KIND_WORDS,
        STAGE_WORDS,
        Amend,
        BchRecord,
        SimplifiedDetails,
        SimplifiedResume,
        SimplifiedStart,
        SimplifiedState,
        Specification,
        Stage,
        Withdraw,
        fingerprint,
    )

ACTIVITY_TIMEOUT = timedelta(seconds=30)


@workflow.defn(name="SimplifiedProcedure")
class SimplifiedProcedure:
    @workflow.init
    def __init__(self, start: SimplifiedStart) -> None:
        self._start = start
        self._state = (
            start.resume.state
            if start.resume
            else SimplifiedState(
                spec=Specification.opened(start.case_id, start.opening, start.received_on)
            )
        )
        self.case = Case.open(start, start.resume.kernel if start.resume else None)
        self._fingerprint = fingerprint(start.opening)
        self._in_flight = 0  # activities of this module under way (continue-as-new waits)

    @workflow.run
    async def run(self, start: SimplifiedStart) -> CaseView[SimplifiedDetails]:
        if start.resume is None:
            self._opened()
        own = [asyncio.create_task(self._keep_register()), asyncio.create_task(self._follow())]
        view = await run_case(self)
        await asyncio.gather(*own)
        return view

    def _opened(self) -> None:
        spec, on = self._state.spec, self._start.received_on
        self.case.record(
            "specified",
            "case-officer",
            f"Specified on {on}: {KIND_WORDS[spec.kind]}; " + " ".join(bch.lines(spec)[1:]),
            {"reference": spec.reference},
        )
        self._to_bch("specification", "the specification")

    # ---- amendment and withdrawal --------------------------------------------------------------

    @workflow.update
    async def amend_specification(self, cmd: Amend) -> CommandResult:
        st, changes = self._state, cmd.changes()
        st.spec = st.spec.model_copy(update=changes | {"version": st.spec.version + 1})
        self._changed()
        number = len(st.records) + 1
        self.case.record(
            "amended",
            cmd.actor,
            f"Amendment {number - 1}: {', '.join(changes)} changed ({cmd.reasons}); now: "
            + " ".join(bch.lines(st.spec)[1:]),
            cmd.model_dump(mode="json"),
        )
        self._to_bch(f"amendment-{number}", f"amendment {number - 1}", amendment=cmd.reasons)
        return self._result(f"Amendment {number - 1} recorded; its BCH record is queued")

    @amend_specification.validator
    def _amend_allowed(self, cmd: Amend) -> None:
        spec = self._published("amend it")
        changes = cmd.changes()
        if not changes:
            raise invalid(
                "nothing to amend: give at least one of the specification's fields",
                rule="amendment-changes-something",
            )
        if spec.kind != "movement_at_notification" and "applies_to_subsequent_movements" in changes:
            raise refuse(
                "applies_to_subsequent_movements is for specifications under Art 13(1)(a); this "
                "one exempts imports from the AIA procedure (Art 13(1)(b)): leave it out",
                rule="subsequent-movements-kind-a-only",
                article="Art 13(1)",
                field="applies_to_subsequent_movements",
            )
        expires = changes.get("expires_on", spec.expires_on)
        if expires is not None and expires < spec.effective_on:
            raise invalid(
                f"expires_on {expires} is before effective_on {spec.effective_on}: give a date "
                "on or after it",
                rule="date-order",
                field="expires_on",
            )
        if expires is not None and expires < (today := self.case.today()):
            raise invalid(
                f"expires_on {expires} is before today ({today}): give today or a later date",
                rule="date-not-past",
                field="expires_on",
            )

    @workflow.update
    async def withdraw_specification(self, cmd: Withdraw) -> CommandResult:
        st = self._state
        st.withdrawn_on = self.case.today()
        st.spec = st.spec.model_copy(update={"in_force": False, "version": st.spec.version + 1})
        self._changed()
        self.case.record(
            "withdrawn",
            cmd.actor,
            f"Withdrawn on {st.withdrawn_on}: {cmd.reasons}; no longer in the register of "
            "specifications",
            cmd.model_dump(mode="json"),
        )
        self._to_bch("withdrawal", "the withdrawal", amendment=cmd.reasons, withdrawn=True)
        return self._result("Specification withdrawn; the withdrawal's BCH record is queued")

    @withdraw_specification.validator
    def _withdraw_allowed(self, cmd: Withdraw) -> None:
        self._published("withdraw it")

    def _published(self, what: str) -> Specification:
        """A change amends the last record published on the BCH: none may be outstanding."""
        st = self._state
        if st.withdrawn_on is not None:
            raise refuse(
                f"cannot {what}: the specification was withdrawn on {st.withdrawn_on}; specify "
                "anew if needed",
                rule="case-open",
            )
        pending = next((r for r in st.records if r.published_on is None), None)
        if pending is not None:
            raise refuse(
                f"cannot {what} yet: its BCH record of {pending.queued_on} ({pending.what}) is "
                "not yet published by the national focal point, and a change amends the "
                "published record (Art 13(1)); try again once it is published",
                rule="bch-record-published",
                article="Art 13(1)",
            )
        return st.spec

    # ---- the BCH ------------------------------------------------------------------------------

    def _to_bch(
        self, step: str, what: str, *, amendment: str | None = None, withdrawn: bool = False
    ) -> None:
        st, today = self._state, self.case.today()
        last = next((r for r in reversed(st.records) if r.reference), None)
        st.records.append(
            BchRecord(number=len(st.records) + 1, step=step, what=what, queued_on=today)
        )
        record = bch.record(
            self._start,
            st.spec,
            self.case.bch_key(step),
            today,
            amends=last.reference if last else None,
            amendment=amendment,
            withdrawn=withdrawn,
        )
        self.case.bch(step, what, record)
        self.case.record(
            "bch_record_queued",
            "system",
            f"The BCH record of {what} queued on {today} (Art 13(1))"
            + (f"; it amends {last.reference}" if last else ""),
        )

    async def _follow(self) -> None:
        """Until the case ends: look, every poll interval, whether the focal point has published
        the records handed to the BCH publication process."""
        while True:
            await workflow.wait_condition(lambda: self.closed or bool(self._awaiting()))
            if self.closed:
                return
            waiting = self._awaiting()
            keys = [self.case.bch_key(r.step) for r in waiting]
            self._in_flight += 1
            try:
                status = await workflow.execute_activity_method(
                    SimplifiedActivities.publication_status,
                    PublicationQuery(message_keys=keys),
                    start_to_close_timeout=ACTIVITY_TIMEOUT,
                    retry_policy=REGISTER_RETRY,
                    summary=f"BCH publication of {', '.join(r.what for r in waiting)}",
                )
                published = [r for r in waiting if self.case.bch_key(r.step) in status.published]
            except ActivityError as err:
                workflow.logger.warning("publication status unknown", extra={"error": str(err)})
                published = []
            finally:
                self._in_flight -= 1
            for r in published:
                self._on_published(r)
            if len(published) < len(waiting):
                try:
                    await workflow.wait_condition(
                        lambda: self.closed,
                        timeout=self._start.bch.poll_interval,
                        timeout_summary="BCH publication check",
                    )
                except TimeoutError:
                    pass

    def _awaiting(self) -> list[BchRecord]:
        """Records handed to the BCH publication process and not yet published."""
        sent = {m.key for m in self.case.outbox.messages if m.status == "sent"}
        return [
            r
            for r in self._state.records
            if r.published_on is None and self.case.bch_key(r.step) in sent
        ]

    def _on_published(self, r: BchRecord) -> None:
        st, today = self._state, self.case.today()
        r.published_on = today
        # Each record is published once as a new document: its first revision is the one.
        r.reference = f"{document_uid(self.case.bch_key(r.step))}@1"
        if st.withdrawn_on is None:
            st.spec = st.spec.model_copy(update={"in_force": True, "bch_record": r.reference})
            self._changed()
        self.case.record(
            "bch_published",
            "system",
            f"The BCH record of {r.what} published on {today} ({r.reference})"
            + ("; the specification is in force" if r.number == 1 else ""),
        )

    # ---- the register of specifications ------------------------------------------------------

    def _changed(self) -> None:
        self._state.changes += 1
        self.case.touch()

    async def _keep_register(self) -> None:
        """Write the specification's row after each change, the withdrawal included, before the
        case ends (activities/simplified.py; idempotent by the change count)."""
        st = self._state
        while True:
            await workflow.wait_condition(lambda: st.changes > st.synced or self.closed)
            if st.changes <= st.synced:
                return
            change = st.changes
            self._in_flight += 1
            try:
                await workflow.execute_activity_method(
                    SimplifiedActivities.sync_specification,
                    SpecificationRow(spec=st.spec, change=change),
                    start_to_close_timeout=ACTIVITY_TIMEOUT,
                    retry_policy=REGISTER_RETRY,
                    summary=f"register of specifications, change {change}",
                )
            finally:
                self._in_flight -= 1
            st.synced = change

    # ---- what the kernel asks of the procedure -----------------------------------------------

    @workflow.query
    def view(self) -> CaseView[SimplifiedDetails]:
        return self.current_view()

    @property
    def closed(self) -> bool:
        return self._state.withdrawn_on is not None

    @property
    def busy(self) -> bool:
        return self._in_flight > 0 or self._state.changes > self._state.synced

    def tick(self) -> None:
        """Nothing to do on a turn: publication is followed by :meth:`_follow`."""

    def entries(self) -> list[Entry]:
        st = self._state
        days = self._start.publication_days
        return clocks.entries(self.case.ledger, st.records, days, st.withdrawn_on)

    def on_arrival(self, arrival: Arrival) -> None:  # no moment periods in Art 13
        raise AssertionError(f"unexpected moment {arrival.view.key}")

    def current_view(self) -> CaseView[SimplifiedDetails]:
        st, stage = self._state, self._state.stage
        stage_text = STAGE_WORDS[stage]
        if stage == Stage.IN_FORCE:
            until = f" to {st.spec.expires_on}" if st.spec.expires_on else ""
            stage_text += f"; in effect from {st.spec.effective_on}{until}"
        elif stage == Stage.WITHDRAWN:
            stage_text += f" on {st.withdrawn_on}"
        return self.case.view(
            self.entries(),
            stage=stage.value,
            stage_text=stage_text,
            closed=self.closed,
            details=SimplifiedDetails(
                specification=st.spec,
                bch_records=list(st.records),
                withdrawn_on=st.withdrawn_on,
                fingerprint=self._fingerprint,
            ),
        )

    def carry_over(self) -> SimplifiedStart:
        return self._start.model_copy(
            update={"resume": SimplifiedResume(state=self._state, kernel=self.case.state)}
        )

    def _result(self, summary: str) -> CommandResult:
        return self.case.result(self.entries(), self._state.stage.value, summary)
