"""How a case writes its register row (workflows/kernel/runtime.py): as a local activity inside
the workflow task that changed the case, costing the server no activity task; and, when the
register cannot take the write at once (an outage, a lock), through the activity with the full
retry policy, which waits on the server until the register is back. Nothing is lost either way."""

from __future__ import annotations

import uuid
from typing import Any

from api.cases import run_command
from tests.support.history import local_and_remote, row_fault
from tests.support.temporal import Stack, read_case
from tests.workflows.test_aia import eventually, start
from workflows.aia.models import Acknowledge

# A register that cannot write this case's rows for now: an error PostgreSQL raises for a busy
# resource (lock_not_available), not one about the data, so the write is retried.
_HOLD, _RELEASE = row_fault(
    "held", "RAISE EXCEPTION 'test: register busy' USING ERRCODE = 'lock_not_available';"
)


async def _register_commands(stack: Stack, case_id: str) -> tuple[int, int]:
    """(local register writes, register activities scheduled on the server) in the history."""
    return await local_and_remote(stack, case_id, "sync_register")


async def _row(stack: Stack, case_id: str) -> Any:
    async with stack.pool.acquire() as conn:
        return await conn.fetchrow("SELECT stage, version FROM cases WHERE case_id = $1", case_id)


async def test_the_register_is_written_inside_the_workflow_task(stack: Stack) -> None:
    case = await start(stack, f"LOCAL-{uuid.uuid4().hex[:6]}")
    cid = case.case_id
    await run_command(stack.client, cid, "acknowledge", Acknowledge())

    async def written() -> Any:
        row = await _row(stack, cid)
        return row if row is not None and row["stage"] == "acknowledged" else None

    assert await eventually(written)
    local, remote = await _register_commands(stack, cid)
    assert local >= 2 and remote == 0  # the opening and the acknowledgement, at least


async def test_a_busy_register_is_written_later_by_the_activity(stack: Stack) -> None:
    async with stack.pool.acquire() as conn:
        await conn.execute(_HOLD)
    try:
        await _held_then_released(stack)
    finally:
        async with stack.pool.acquire() as conn:
            await conn.execute(_RELEASE)


async def _held_then_released(stack: Stack) -> None:
    reference = f"HELD-{uuid.uuid4().hex[:6]}"
    cid = f"aia-hu-{reference.lower()}"
    async with stack.pool.acquire() as conn:
        await conn.execute("INSERT INTO held_cases VALUES ($1)", cid)
    try:
        case = await start(stack, reference)
        assert case.case_id == cid

        async def handed_to_the_activity() -> int:
            return (await _register_commands(stack, cid))[1]

        assert await eventually(handed_to_the_activity) >= 1
        assert await _row(stack, cid) is None
        # Commands go on meanwhile; the case records no refusal (the register is busy, not
        # refusing the row).
        await run_command(stack.client, cid, "acknowledge", Acknowledge())
    finally:
        async with stack.pool.acquire() as conn:
            await conn.execute("DELETE FROM held_cases WHERE case_id = $1", cid)

    async def caught_up() -> Any:
        row = await _row(stack, cid)
        return row if row is not None and row["stage"] == "acknowledged" else None

    assert await eventually(caught_up, timeout=30)
    view = await read_case(stack, cid)
    assert "register_refused" not in [s.kind for s in view.history]
    async with stack.pool.acquire() as conn:
        kinds = [
            r["kind"]
            for r in await conn.fetch(
                "SELECT kind FROM audit_log WHERE case_id = $1 ORDER BY seq", cid
            )
        ]
    assert kinds[:2] == ["notification_received", "acknowledged"]
