"""What time brings a case is recorded first, its e-mails after (workflows/kernel/outbox.py,
NEXT_TASK; the case kernel's generation 4): the workflow task a reminder's or a lapse's timer
wakes records it, shows it in the case's current details and writes it to the register, and
holds its slot on the worker for nothing more; the e-mails it owes go out in the next task, then
the register says "sent". From generation 5 the Web UI's lists (search attributes) follow in that
next task too (workflows/kernel/runtime.py, LISTS_WITH_THE_EMAILS). When many deadlines end on
one instant (every deadline ends at the end of a day in the authority's zone), every case's
lapse is recorded before any case's e-mails are sent. From generation 6 only what a timer wakes
is held: what a case's opening finds already due goes out in the opening's own task
(HELD_ONLY_WHEN_TIME_WOKE)."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

from tests.support.history import workflow_tasks
from tests.support.temporal import Stack, read_case, record_history
from tests.workflows.test_aia import (
    advance,
    deadline,
    eventually,
    mails,
    start,
    start_with,
    today,
)
from workflows import search_attributes as sa
from workflows.kernel.outbox import NEXT_TASK
from workflows.kernel.runtime import HELD_ONLY_WHEN_TIME_WOKE, LISTS_WITH_THE_EMAILS
from workflows.models import CURRENT_GENERATION

HELD = "timer:e-mails of what time brought, in a task of their own"
STARTED = EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED
TIMER = EventType.EVENT_TYPE_TIMER_STARTED


def _summary(event: HistoryEvent) -> str:
    data = event.user_metadata.summary.data
    return f"timer:{json.loads(data)}" if data else ""


async def _reminders(stack: Stack, case_id: str) -> list[str]:
    """The statuses of the case's reminder e-mails, in the order they were queued."""
    view = await read_case(stack, case_id)
    return [m.status for m in view.outgoing if m.purpose == "deadline_reminder"]


async def _tasks_that_did_something(stack: Stack, case_id: str) -> list[list[str]]:
    # The time-skipping test server also records workflow tasks that did nothing; left out.
    return [t for t in await workflow_tasks(stack, case_id) if t]


def _after(tasks: list[list[str]], held_at: int) -> list[str]:
    return tasks[held_at + 1]


async def test_a_lapse_is_recorded_and_written_before_its_e_mails_go_out(stack: Stack) -> None:
    case = await start(stack, f"FIRST-{uuid.uuid4().hex[:6]}")
    cid = case.case_id
    ends_at = deadline(case, "acknowledgement").ends_at
    assert ends_at is not None
    await advance(stack, 92)  # the acknowledgement's 90 days lapse, CP Art 9(1)
    case = await read_case(stack, cid)
    (lapse,) = [s for s in case.history if s.kind == "deadline_missed"]
    assert 0 <= (lapse.at - ends_at).total_seconds() < 1  # on its instant
    missed = [m for m in case.outgoing if m.purpose == "deadline_missed"]
    assert len(missed) == 2 and all(m.status == "sent" for m in missed), missed
    assert len([m for m in mails(stack, cid) if m["X-Template"].endswith("deadline_missed")]) == 2

    tasks = await workflow_tasks(stack, cid)
    held = [i for i, t in enumerate(tasks) if HELD in t]
    # The reminders (30, 14, 7 and 1 days before the end) and the lapse: each held its e-mails.
    reminders = [s for s in case.history if s.kind == "reminder"]
    assert len(reminders) == 4 and len(held) == 5, tasks
    lapse_task = tasks[held[-1]]
    # The lapse's task: written to the register, the e-mails' timer, and not one e-mail; the
    # lists wait for the next task (generation 5).
    assert "local:sync_register" in lapse_task and "local:send_email" not in lapse_task
    assert "upsert" not in lapse_task
    # The next task: both escalation e-mails, the lists (Overdue, the next deadline: upserted
    # on the turn the first e-mail's outcome brings), then one register write with the e-mails'
    # outcome.
    *sent_and_shown, last = _after(tasks, held[-1])
    assert sorted(sent_and_shown) == ["local:send_email", "local:send_email", "upsert"]
    assert last == "local:sync_register"
    for i in held[:-1]:  # a reminder: its one e-mail to the officer, then the register
        assert "local:send_email" not in tasks[i]
        assert _after(tasks, i) == ["local:send_email", "local:sync_register"]


async def test_the_register_shows_the_lapse_with_its_e_mails_pending_then_sent(
    stack: Stack,
) -> None:
    case = await start(stack, f"FIRST-{uuid.uuid4().hex[:6]}")
    cid = case.case_id
    await advance(stack, 92)
    async with stack.pool.acquire() as conn:
        rows = await conn.fetch("SELECT kind FROM audit_log WHERE case_id = $1 ORDER BY seq", cid)
    assert "deadline_missed" in [r["kind"] for r in rows]

    async def register_says_sent() -> bool:
        async with stack.pool.acquire() as conn:
            state = await conn.fetchval("SELECT state FROM cases WHERE case_id = $1", cid)
        missed = [o for o in state["outgoing"] if o["purpose"] == "deadline_missed"]
        return len(missed) == 2 and all(o["status"] == "sent" for o in missed)

    assert await eventually(register_says_sent)
    # Two register writes after the lapse: the lapse with its e-mails pending, then sent.
    tasks = await workflow_tasks(stack, cid)
    held = max(i for i, t in enumerate(tasks) if HELD in t)
    writes = sum(t.count("local:sync_register") for t in tasks[held:])
    assert writes == 2, tasks[held:]


def test_the_held_e_mails_wait_for_the_next_task_only() -> None:
    # A timer the server fires at once: the e-mails are held for a workflow task, not for time.
    assert NEXT_TASK.total_seconds() <= 0.001


async def test_the_lists_show_the_lapse_once_its_e_mails_went_out(stack: Stack) -> None:
    assert CURRENT_GENERATION >= LISTS_WITH_THE_EMAILS
    case = await start(stack, f"FIRST-{uuid.uuid4().hex[:6]}")
    cid = case.case_id
    handle = stack.client.get_workflow_handle(cid)
    before = (await handle.describe()).typed_search_attributes
    assert before.get(sa.OVERDUE) is False
    assert before.get(sa.NEXT_DEADLINE_KIND) == "acknowledgement"
    await advance(stack, 92)  # the acknowledgement's 90 days lapse, CP Art 9(1)

    async def listed() -> bool:
        attributes = (await handle.describe()).typed_search_attributes
        return attributes.get(sa.OVERDUE) is True and attributes.get(sa.MESSAGES_PENDING) is False

    assert await eventually(listed)  # the Web UI's "Overdue" list has it
    attributes = (await handle.describe()).typed_search_attributes
    view = await read_case(stack, cid)
    assert view.overdue and view.next_deadline is not None
    assert attributes.get(sa.NEXT_DEADLINE_KIND) == view.next_deadline.key
    assert attributes.get(sa.NEXT_DEADLINE) == view.next_deadline.ends_at


async def test_a_case_of_generation_4_shows_its_lists_in_the_lapse_s_task(stack: Stack) -> None:
    # Its history holds the upsert in the task that recorded the lapse: it keeps doing so.
    case_id, _ = await start_with(stack, f"FIRST-{uuid.uuid4().hex[:6]}", generation=4)
    await advance(stack, 92)
    case = await read_case(stack, case_id)
    missed = [m for m in case.outgoing if m.purpose == "deadline_missed"]
    assert len(missed) == 2 and all(m.status == "sent" for m in missed), missed
    tasks = await workflow_tasks(stack, case_id)
    held = max(i for i, t in enumerate(tasks) if HELD in t)
    assert "upsert" in tasks[held] and "local:sync_register" in tasks[held]
    assert _after(tasks, held) == ["local:send_email", "local:send_email", "local:sync_register"]


async def test_held_e_mails_left_to_the_activity_keep_no_list_waiting(stack: Stack) -> None:
    # A case whose history is long when its lapse is recorded sends the lapse's e-mails by the
    # activity (a continue-as-new follows, and a local activity must not share its task): no
    # outcome comes in the next task, so the lists are upserted at once, not when the SMTP
    # server has taken the e-mails.
    probe, probe_run = await start_with(stack, f"FIRST-{uuid.uuid4().hex[:6]}")
    await advance(stack, 92)
    history = await stack.client.get_workflow_handle(probe, run_id=probe_run).fetch_history()
    started = [e.event_id for e in history.events if e.event_type == STARTED]
    # The last of the held e-mails' timers is the lapse's (the four reminders' come before).
    held = max(e.event_id for e in history.events if e.event_type == TIMER and _summary(e) == HELD)
    lapse_task = max(i for i in started if i < held)
    early_wake = max(i for i in started if i < lapse_task)  # a minute before, nothing to do
    # The history is long from the lapse's task on (its length there is its task's started
    # event), not before it.
    case_id, run_id = await start_with(
        stack, f"FIRST-{uuid.uuid4().hex[:6]}", continue_as_new_after_events=early_wake + 1
    )
    await advance(stack, 92)
    case = await read_case(stack, case_id)
    missed = [m for m in case.outgoing if m.purpose == "deadline_missed"]
    assert len(missed) == 2 and all(m.status == "sent" for m in missed), missed
    tasks = await workflow_tasks(stack, case_id, run_id)
    (lapsed,) = [t for t in tasks if "activity:send_email" in t]
    assert lapsed.count("activity:send_email") == 2 and "upsert" in lapsed, lapsed
    assert not any(HELD in t for t in tasks[tasks.index(lapsed) :])


async def test_a_case_entered_late_sends_its_catch_up_in_its_opening_task(stack: Stack) -> None:
    """A notification received 80 days ago and entered today: the acknowledgement (CP Art 9(1),
    90 days) is due in 10 days, and the reminder the opening finds due goes out in the opening's
    own workflow task, with the lists and one register write after it: no task of its own."""
    assert CURRENT_GENERATION >= HELD_ONLY_WHEN_TIME_WOKE
    received = await today(stack) - timedelta(days=80)
    case = await start(stack, f"LATE-{uuid.uuid4().hex[:6]}", received_on=received.isoformat())
    cid = case.case_id
    # Sent inside the opening's task: the first reading that shows the reminder shows it sent.
    assert await eventually(lambda: _reminders(stack, cid)) == ["sent"]
    assert len([m for m in mails(stack, cid) if m["X-Template"].endswith("deadline_reminder")]) == 1
    (opening,) = await _tasks_that_did_something(stack, cid)
    upsert, timer, *rest = opening
    assert upsert == "upsert" and timer.startswith("timer:reminder: acknowledgement"), opening
    assert rest == ["local:send_email", "local:sync_register"], opening
    # A reminder its timer wakes is still held for the next task (the 7-day one, on day 83).
    await advance(stack, 4)
    tasks = await _tasks_that_did_something(stack, cid)
    assert any(HELD in step for step in tasks[-2]), tasks
    assert tasks[-1] == ["local:send_email", "local:sync_register"], tasks
    await record_history(stack, cid, "aia_entered_late_caught_up")


async def test_a_case_of_generation_5_entered_late_holds_its_catch_up(stack: Stack) -> None:
    # Its history holds the opening's reminder for a task of its own: it keeps doing so.
    received = await today(stack) - timedelta(days=80)
    case_id, _ = await start_with(
        stack, f"LATE-{uuid.uuid4().hex[:6]}", generation=5, received_on=received
    )

    async def sent() -> bool:  # held for the next task: pending first, then sent
        return await _reminders(stack, case_id) == ["sent"]

    assert await eventually(sent)
    opening, after = await _tasks_that_did_something(stack, case_id)
    assert HELD in opening and "local:send_email" not in opening and "upsert" not in opening
    assert after == ["local:send_email", "upsert", "local:sync_register"], after
