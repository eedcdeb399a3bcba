"""A deadline lapses on its instant even when the workflow task that set its timer was slow
(workflows/kernel/runtime.py, WAKE_EARLY_PATCH). A timer runs from the end of that task but is
reckoned from its start; a task that writes the register and sends e-mail inside it (local
activities) would otherwise start the timer late by as long as those took."""

from __future__ import annotations

import uuid

from tests.support.history import row_fault
from tests.support.temporal import Stack, read_case
from tests.workflows.test_aia import advance, deadline, start

# The register takes two seconds for every write of the slow cases' rows: each workflow task
# of such a case lasts that long.
_SLOW, _FAST = row_fault("slow", "PERFORM pg_sleep(2);")


async def test_a_deadline_lapses_on_its_instant_after_slow_workflow_tasks(stack: Stack) -> None:
    reference = f"SLOW-{uuid.uuid4().hex[:6]}"
    cid = f"aia-hu-{reference.lower()}"
    case = await start(stack, reference)
    await advance(stack, 85)  # the reminders 30, 14 and 7 days before the end
    async with stack.pool.acquire() as conn:
        await conn.execute(_SLOW)
        await conn.execute("INSERT INTO slow_cases VALUES ($1)", cid)
    try:
        await advance(stack, 4)  # the last reminder, a slow task, which sets the lapse's timer
    finally:
        async with stack.pool.acquire() as conn:
            await conn.execute(_FAST)
    await advance(stack, 2)  # the lapse, CP Art 9(1) and (4)
    case = await read_case(stack, cid)
    ends_at = deadline(case, "acknowledgement").ends_at
    assert ends_at is not None
    (lapse,) = [s for s in case.history if s.kind == "deadline_missed"]
    assert [s.kind for s in case.history].count("reminder") == 4
    late = (lapse.at - ends_at).total_seconds()
    assert 0 <= late < 1, f"the lapse was recorded {late:.3f} s after the deadline's instant"
