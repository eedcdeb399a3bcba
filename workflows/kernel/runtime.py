"""The run loop every case shares: react to time passing (reminders, lapses, moments), show the
case, sleep until the next thing can become due or a command changes it; when the case closes,
deliver what it still owes, bring the register up to date and end. A long case continues as new
before its history grows large, carrying its state over under the same workflow id.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any, Protocol

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from activities.register import AuditEntry, RegisterActivities, RegisterSync
from workflows.common import REGISTER_RETRY
from workflows.kernel.case import Case
from workflows.kernel.failures import cause, local_first
from workflows.kernel.ledger import Arrival, Entry
from workflows.kernel.outbox import EMAIL_LOCAL_PATCH
from workflows.kernel.projection import register_row
from workflows.models import CaseView

# The kernel's patches. A case of generation 2 (CaseStart.generation, set by the API since
# e-mail went local first) has all of them and records none of their markers (``_has``): each
# marker is a search-attribute upsert too, and about 10 KiB of the worker for as long as the
# case is cached. An older case asks its history, as it always did.
#
# Cases started before the kernel have no marker of this patch in their histories: they keep the
# commands they were recorded with (messages one at a time per channel, every search attribute
# upserted on every change, a daily wake-up while overdue, no continue-as-new).
KERNEL_PATCH = "case-kernel"

# Cases that started (or went on) after this patch write the register with a local activity
# first: the write runs inside the workflow task that made the change, instead of costing the
# server an activity task, its completion and another workflow task. An outage, a slow
# database or a worker without the register falls back to the activity with the full retry
# policy, which waits on the server, not in the worker. Histories recorded before have no
# marker and keep the activity.
REGISTER_LOCAL_PATCH = "register-local-first"
REGISTER_TIMEOUT = timedelta(seconds=30)


# A timer runs from the moment its workflow task completes, but its length is reckoned from the
# moment the task started (``workflow.now()``): a task that also sends e-mail and writes the
# register (local activities, up to their timeouts) would start its timers that much late, and a
# deadline would lapse seconds after its instant. Cases with this patch wake a minute before
# the instant, in a task that has nothing else to do, and set the last minute from there.
WAKE_EARLY_PATCH = "wake-early-then-on-time"
WAKE_EARLY = timedelta(minutes=1)

# From this generation the register waits for the run loop to show a change before writing it.
# Older cases keep their order of writes (it is in their histories); they need no patch for it.
SHOWN_BEFORE_WRITTEN = 3

# From this generation the e-mails of a reminder or a lapse go out in the workflow task after
# the one that recorded it (workflows/kernel/outbox.py, NEXT_TASK). Older cases send them in the
# same task, as their histories say.
TIME_FIRST = 4

# From this generation the Web UI's lists (the search attributes: Overdue, the next deadline,
# the stage) follow what time brought in that next task, with the e-mails' outcome, where
# generation 4 upserted them in the task that recorded it. The record comes first: the lapse is
# in the case's history, its current details and the register when its task completes. Each
# upsert is a write of the case's visibility row (with every index over it) on the server, as
# costly to the dev server as the e-mails' timer: at 1,000 lapses on one instant, the last
# lapse was recorded about a quarter sooner without it (docs/performance.md, "Lists with the
# e-mails"). A case whose held e-mails turn out not to be tried in the next task (its history
# grew long meanwhile) shows its lists at once, as before.
LISTS_WITH_THE_EMAILS = 5

# From this generation only a turn of the run loop that its timer woke holds what it finds due
# for the next task (TIME_FIRST). What the case's opening finds already due (a notification
# entered late: the reminders whose days have passed) goes out in the opening's own workflow
# task, as a command's e-mails do: the hold is for the many cases one instant wakes together,
# and an opening is not one of them. A case entered late then costs the server one workflow
# task, not two with a timer between them (at 1,000 notifications entered late through the
# API, the dev server's CPU per case fell from 21 to 13 ms; docs/performance.md, "Catch-up at
# the opening (the kernel's generation 6)"). Older cases hold on every turn, as their
# histories say.
HELD_ONLY_WHEN_TIME_WOKE = 6

# The generation from which a case has each patch's behaviour without asking (CaseStart.
# generation). A later release that adds patches raises CURRENT_GENERATION and names them here
# with the new number; cases of an earlier generation keep asking for those.
FROM_GENERATION = {
    KERNEL_PATCH: 2,
    REGISTER_LOCAL_PATCH: 2,
    EMAIL_LOCAL_PATCH: 2,
    WAKE_EARLY_PATCH: 2,
}


class CaseProcedure(Protocol):
    """What the run loop needs of a procedure workflow."""

    case: Case

    @property
    def closed(self) -> bool: ...

    def entries(self) -> list[Entry]: ...

    def current_view(self) -> CaseView[Any]: ...

    def on_arrival(self, arrival: Arrival) -> None: ...

    def tick(self) -> None:
        """Called on every turn of the loop, after a command, a delivery or a timer."""

    @property
    def busy(self) -> bool:
        """Work in flight that continue-as-new must not cut off (e.g. a register look-up)."""

    def carry_over(self) -> Any: ...


async def run_case(procedure: CaseProcedure) -> CaseView[Any]:
    case = procedure.case
    case.legacy = not _has(case, KERNEL_PATCH)
    case.projection = type(case.projection)(
        upsert_unchanged=case.legacy, api_url=case.authority.api_url
    )
    register = asyncio.create_task(_register_loop(procedure))
    if case.legacy:
        deliveries = [
            asyncio.create_task(case.outbox.deliver_sequentially("email")),
            asyncio.create_task(case.outbox.deliver_sequentially("bch")),
        ]
    else:
        case.outbox.local_first = _has(case, EMAIL_LOCAL_PATCH)
        case.outbox.lists_follow_held = case.generation >= LISTS_WITH_THE_EMAILS
        deliveries = [asyncio.create_task(case.outbox.deliver_all())]
    alarm = _Alarm()
    while not procedure.closed:
        procedure.tick()
        now = workflow.now()
        events = case.ledger.due_events(procedure.entries(), now, closed=procedure.closed)
        case.outbox.hold_for_next_task = (
            bool(events)
            and case.generation >= TIME_FIRST
            and (case.generation < HELD_ONLY_WHEN_TIME_WOKE or alarm.rang())
        )
        for arrival in case.react(events):
            procedure.on_arrival(arrival)
        case.outbox.hold_for_next_task = False
        _show(procedure, lists=not case.outbox.holds_lists)
        if procedure.closed:
            break
        if not case.legacy and case.history_is_long():
            await _continue_as_new(procedure)
        wake_at, why = case.ledger.next_wake(
            procedure.entries(), workflow.now(), daily_while_overdue=case.legacy
        )
        timeout = max(wake_at - workflow.now(), timedelta(seconds=1))
        if not case.legacy and timeout > 2 * WAKE_EARLY and _has(case, WAKE_EARLY_PATCH):
            timeout -= WAKE_EARLY
            why = f"{why}; waking a minute early to set the last stretch on time"
        if case.generation >= TIME_FIRST:
            alarm.set(timeout, why)
            await workflow.wait_condition(
                lambda: case.changed or _may_continue_as_new(procedure) or alarm.rang()
            )
        else:
            try:
                await workflow.wait_condition(
                    lambda: case.changed or _may_continue_as_new(procedure),
                    timeout=timeout,
                    timeout_summary=why,
                )
            except TimeoutError:
                pass
        case.changed = False
    alarm.cancel()
    # Closed: everything owed to the notifier and the BCH still goes out, and the register and
    # the Web UI follow each delivery.
    case.outbox.finishing = True
    while not all(t.done() for t in deliveries):
        await workflow.wait_condition(lambda: case.changed or all(t.done() for t in deliveries))
        case.changed = False
        _show(procedure)
    await asyncio.gather(*deliveries)
    _show(procedure)
    case.register_finishing = True
    await register
    await workflow.wait_condition(workflow.all_handlers_finished)
    return procedure.current_view()


class _Alarm:
    """The run loop's timer from generation 4 (TIME_FIRST), kept from one turn of the loop to
    the next while the instant it rings at stays the same: a turn that moves no deadline (an
    e-mail's outcome, in the task after the one that recorded a lapse) neither cancels nor
    starts a timer on the server. Older cases set a new timer on every turn, as their histories
    say; within one workflow task the SDK sends only the last of them."""

    def __init__(self) -> None:
        self._timer: asyncio.Future[None] | None = None
        self._at: datetime | None = None

    def set(self, timeout: timedelta, why: str) -> None:
        at = workflow.now() + timeout
        if self._timer is None or self._timer.done() or self._at != at:
            self.cancel()
            self._timer = asyncio.ensure_future(workflow.sleep(timeout, summary=why))
            self._at = at

    def rang(self) -> bool:
        return self._timer is not None and self._timer.done()

    def cancel(self) -> None:
        if self._timer is not None and not self._timer.done():
            self._timer.cancel()
        self._timer = None


def _has(case: Case, patch: str) -> bool:
    """Whether the case has what ``patch`` brought: a case opened under the generation that
    includes it has it without a marker; any other case asks its history, as it always did."""
    generation = FROM_GENERATION.get(patch)
    if generation is not None and case.generation >= generation:
        return True
    return workflow.patched(patch)


def _show(procedure: CaseProcedure, *, lists: bool = True) -> None:
    """Show the case: its current details, and with ``lists`` its search attributes."""
    case = procedure.case
    view = procedure.current_view()
    case.projection.show(view, messages_pending=bool(case.outbox.waiting), lists=lists)
    if case.legacy or case.projection.changed(view):
        case.state.version += 1


def _may_continue_as_new(procedure: CaseProcedure) -> bool:
    """A long case whose messages and register caught up after its last turn continues as new
    now, not at its next timer: a case that sends mail on every timer (follow-ups) would
    otherwise never find a moment with nothing in flight. False for every shorter history, so
    cases recorded before this check replay as they ran."""
    case = procedure.case
    return (
        not case.legacy
        and case.history_is_long()
        and not procedure.busy
        and not case.outbox.pending
        and case.state.synced_version >= case.state.version
    )


async def _continue_as_new(procedure: CaseProcedure) -> None:
    """Continue as new once nothing is in flight: no message undelivered, the register up to
    date, no command half-handled. Until then the case goes on as it is."""
    case = procedure.case
    if procedure.busy or case.outbox.pending or case.state.synced_version < case.state.version:
        return
    await workflow.wait_condition(workflow.all_handlers_finished)
    if case.changed or case.state.synced_version < case.state.version:
        return  # a command arrived meanwhile: handle it first
    case.state.runs += 1
    workflow.logger.info(
        "continuing as new",
        extra={"case_id": case.case_id, "events": workflow.info().get_current_history_length()},
    )
    workflow.continue_as_new(procedure.carry_over())


async def _register_loop(procedure: CaseProcedure) -> None:
    """Write the case's row and its new audit entries to the register after each change; idempotent
    by the state version (activities/register.py)."""
    case = procedure.case
    state = case.state
    while True:
        # While an e-mail is tried inside this workflow task, the write waits for its outcome:
        # one write of the case as it then is, not one before and one after. From generation 3
        # it also waits for the run loop to show a change the task made (an e-mail's outcome
        # is only shown on the loop's next turn): one write per command, not two.
        await workflow.wait_condition(
            lambda: (
                (
                    state.version > state.synced_version
                    and not case.outbox.sending_locally()
                    and not (case.changed and case.generation >= SHOWN_BEFORE_WRITTEN)
                )
                or case.register_finishing
            )
        )
        if state.version <= state.synced_version:
            return
        await _write_changes(procedure)


async def _write_changes(procedure: CaseProcedure) -> None:
    """One write of the case as it now is, with the audit entries not yet written. Its own
    coroutine, so that the row, the view and the entries (kilobytes) are let go once written,
    not held by the waiting loop for as long as the case stays in the worker's cache."""
    case = procedure.case
    state = case.state
    version, view = state.version, procedure.current_view()
    entries = [
        AuditEntry(
            seq=s.seq, at=s.at, on=s.on, kind=s.kind, actor=s.actor, summary=s.summary,
            data=dict(s.data),
        )
        for s in case.history.steps[state.synced_steps:]
    ]  # fmt: skip
    row = register_row(
        view,
        workflow_id=workflow.info().workflow_id,
        notifier_email=case.facts.notifier_email,
        version=version,
    )
    del view
    # A case about to continue as new writes through the activity: its continue-as-new
    # then comes in a later workflow task, not in the one a local activity resolved in
    # (that combination left the next run deaf to queries on the test server).
    local = not case.history_is_long()
    local = local and _has(case, REGISTER_LOCAL_PATCH)
    refused = await _write(RegisterSync(case=row, entries=entries), version, local=local)
    if refused is not None:
        # The register refuses this row for good: report it once, and try again only with
        # the next change, which may well be the correction (outages are retried inside).
        state.synced_version = version
        case.register_refused(version, refused)
        return
    state.synced_version, state.synced_steps = version, state.synced_steps + len(entries)


async def _write(sync: RegisterSync, version: int, local: bool) -> str | None:
    """One register write: with ``local`` (the case has REGISTER_LOCAL_PATCH), locally first.
    Returns why the register refuses the row for good, or None once it is written."""
    summary = f"register v{version}"
    try:
        if local:
            await local_first(
                RegisterActivities.sync_register,
                sync,
                activity_timeout=REGISTER_TIMEOUT,
                retry=REGISTER_RETRY,
                summary=summary,
                what="register write",
                extra={"case_id": sync.case.case_id, "version": version},
            )
        else:
            await workflow.execute_activity_method(
                RegisterActivities.sync_register,
                sync,
                start_to_close_timeout=REGISTER_TIMEOUT,
                retry_policy=REGISTER_RETRY,
                summary=summary,
            )
    except (ActivityError, ApplicationError) as err:  # an activity's, a local one's own
        return cause(err)
    return None
