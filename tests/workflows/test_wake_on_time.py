"""A deadline lapses on its instant even when the workflow task that set its timer was slow
(workflows/kernel/runtime.py, WAKE_EARLY_PATCH). A timer runs from the end of that task but is
reckoned from its start; a task that writes the register and sends e-mail inside it (local
activities) would otherwise start the timer late by as long as those took."""

from __future__ import annotations

import uuid

from tests.support.temporal import Stack, read_case
from tests.workflows.test_aia import advance, deadline, start

# The register takes two seconds for every write of the slow cases' rows: each workflow task
# of such a case lasts that long.
_SLOW = """
CREATE TABLE IF NOT EXISTS slow_cases (case_id text PRIMARY KEY);
CREATE OR REPLACE FUNCTION slow_test_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM slow_cases WHERE case_id = NEW.case_id) THEN
        PERFORM pg_sleep(2);
    END IF;
    RETURN NEW;
END;
$$;
DROP TRIGGER IF EXISTS slow_test_rows ON cases;
CREATE TRIGGER slow_test_rows BEFORE INSERT OR UPDATE ON cases
    FOR EACH ROW EXECUTE FUNCTION slow_test_rows();
"""
_FAST = """
DROP TRIGGER IF EXISTS slow_test_rows ON cases;
DROP FUNCTION IF EXISTS slow_test_rows();
DROP TABLE IF EXISTS slow_cases;
"""


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
