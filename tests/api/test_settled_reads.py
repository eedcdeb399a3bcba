"""A case is read from the register when its workflow has nothing pending (api/case_reads.py,
``settled_case``): its row and audit log are then what the workflow's Query answers, and reading
them asks nothing of the worker. With anything pending (an e-mail waiting on the SMTP server, a
workflow task), with a row the register refused since, or with the register down, the case is
read from its workflow. Every test that reads a case through ``tests.support.temporal.read_case``
also compares the two readings."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from api.case_reads import get_case, read_case, settled_case
from api.cases import run_command
from infra import db
from tests.support.history import row_fault
from tests.support.temporal import Stack, stack_settings
from tests.workflows.test_aia import RA, eventually, start
from worker import build_worker, close_activities
from workflows.aia.models import Acknowledge
from workflows.kernel.deadlines import as_of

_REFUSE, _ACCEPT = row_fault(
    "refusing", "RAISE EXCEPTION 'test: row refused' USING ERRCODE = 'check_violation';"
)


def _dump(case: Any) -> dict[str, Any]:
    dumped: dict[str, Any] = case.model_dump(mode="json")
    return dumped


async def _settled(stack: Stack, case_id: str) -> Any:
    return await settled_case(stack.client, stack.pool, case_id)


async def test_a_settled_case_reads_from_the_register_as_from_its_workflow(stack: Stack) -> None:
    # Received 100 days ago: its acknowledgement deadline (CP Art 9(1)) has passed, a lapse.
    received = (await stack.env.get_current_time()).date() - timedelta(days=100)
    case = await start(stack, f"SETTLED-{uuid.uuid4().hex[:6]}", received_on=received)
    cid = case.case_id
    for command, body in [("acknowledge", Acknowledge()), ("record_risk_assessment", RA)]:
        await run_command(stack.client, cid, command, body)
        now = await stack.env.get_current_time()
        settled = await eventually(lambda: _settled(stack, cid))
        assert settled is not None, "the case never settled"
        live = await get_case(stack.client, cid, stack.pool, now=now)
        assert _dump(as_of(settled, now)) == _dump(live)
        assert _dump(await read_case(stack.client, cid, stack.pool, now)) == _dump(live)
    assert settled.stage == live.stage == "acknowledged"
    assert "deadline_missed" in [s.kind for s in settled.history]
    stored = await stack.pool.fetch(
        "SELECT seq, on_date FROM audit_log WHERE case_id = $1 ORDER BY seq", cid
    )
    assert [(r["seq"], r["on_date"]) for r in stored] == [(s.seq, s.on) for s in live.history]


async def test_a_settled_case_is_read_while_no_worker_runs(
    time_env: Any, pg_url: str, db_pool: asyncpg.Pool, smtp_sink: Any, bch_standin: Any
) -> None:
    settings = stack_settings(
        pg_url, smtp_sink.port, bch_standin.base_url, f"test-{uuid.uuid4().hex[:8]}"
    )
    stack = Stack(time_env, time_env.client, settings, db_pool, smtp_sink, bch_standin)
    worker = build_worker(time_env.client, settings, db_pool)
    async with worker:
        case = await start(stack, f"NOWORKER-{uuid.uuid4().hex[:6]}")
        cid = case.case_id
        await run_command(stack.client, cid, "acknowledge", Acknowledge())
        assert await eventually(lambda: _settled(stack, cid)) is not None
        now = await time_env.get_current_time()
        live = await get_case(stack.client, cid, db_pool, now=now)
    await close_activities(worker)

    # No worker polls the task queue now: a Query would wait for one; the register answers.
    read = await read_case(stack.client, cid, db_pool, now)
    assert _dump(read) == _dump(live) and read.stage == "acknowledged"


async def test_an_e_mail_waiting_on_the_smtp_server_is_read_from_the_workflow(
    stack: Stack,
) -> None:
    stack.smtp.set_down(True)  # type: ignore[attr-defined]
    try:
        case = await start(stack, f"PENDING-{uuid.uuid4().hex[:6]}")
        cid = case.case_id
        await run_command(stack.client, cid, "acknowledge", Acknowledge())

        async def letter_waits() -> bool:
            described = await stack.client.get_workflow_handle(cid).describe()
            return bool(described.raw_description.pending_activities)

        assert await eventually(letter_waits)
        assert await _settled(stack, cid) is None
        now = await stack.env.get_current_time()
        read = await read_case(stack.client, cid, stack.pool, now)
        assert any(o.status == "pending" for o in read.outgoing)
    finally:
        stack.smtp.set_down(False)  # type: ignore[attr-defined]
    assert await eventually(lambda: _settled(stack, cid), timeout=30) is not None


async def test_a_row_the_register_refused_is_never_served(stack: Stack) -> None:
    case = await start(stack, f"BEHIND-{uuid.uuid4().hex[:6]}")
    cid = case.case_id
    assert await eventually(lambda: _settled(stack, cid)) is not None
    async with stack.pool.acquire() as conn:
        await conn.execute(_REFUSE)
        await conn.execute("INSERT INTO refusing_cases VALUES ($1)", cid)
    try:
        await run_command(stack.client, cid, "acknowledge", Acknowledge())

        async def refused() -> Any:
            return await stack.pool.fetchrow(
                "SELECT version, error FROM register_refusals WHERE case_id = $1", cid
            )

        refusal = await eventually(refused)
        assert refusal is not None and "test: row refused" in refusal["error"]
        assert await stack.pool.fetchval("SELECT stage FROM cases WHERE case_id = $1", cid) == (
            "received"
        )
        assert await _settled(stack, cid) is None
        now = await stack.env.get_current_time()
        assert (await read_case(stack.client, cid, stack.pool, now)).stage == "acknowledged"
    finally:
        async with stack.pool.acquire() as conn:
            await conn.execute(_ACCEPT)

    # The next row the register accepts removes the refusal: the register answers again.
    await run_command(stack.client, cid, "record_risk_assessment", RA)
    settled = await eventually(lambda: _settled(stack, cid))
    assert settled is not None and settled.stage == "acknowledged"
    assert (
        await stack.pool.fetchval("SELECT count(*) FROM register_refusals WHERE case_id = $1", cid)
        == 0
    )


async def test_with_the_register_down_the_workflow_answers(stack: Stack, pg_url: str) -> None:
    case = await start(stack, f"DBDOWN-{uuid.uuid4().hex[:6]}")
    cid = case.case_id
    assert await eventually(lambda: _settled(stack, cid)) is not None
    closed = await db.create_pool(pg_url)
    await closed.close()
    now = await stack.env.get_current_time()

    assert await settled_case(stack.client, closed, cid) is None
    read = await read_case(stack.client, cid, closed, now)
    assert _dump(read) == _dump(await get_case(stack.client, cid, stack.pool, now=now))


@pytest.mark.parametrize("case_id", ["aia-hu-nonesuch-0000", "not-a-case"])
async def test_no_such_case_is_left_to_the_workflow_read(stack: Stack, case_id: str) -> None:
    assert await settled_case(stack.client, stack.pool, case_id) is None
