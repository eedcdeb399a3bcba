"""A register that refuses a case's row for good (a data error, a broken constraint) neither
stops the case nor is retried for ever: it is recorded and escalated once, the case goes on, and
the row catches up with the next change the register accepts."""

from __future__ import annotations

import uuid
from typing import Any

from api.cases import run_command
from tests.support.temporal import Stack, read_case
from tests.workflows.test_aia import RA, eventually, mails, start
from workflows.aia.models import Acknowledge

_REFUSE = """
CREATE OR REPLACE FUNCTION refuse_test_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.case_id LIKE 'aia-hu-refused-%' THEN
        RAISE EXCEPTION 'test: row refused' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER refuse_test_rows BEFORE INSERT OR UPDATE ON cases
    FOR EACH ROW EXECUTE FUNCTION refuse_test_rows();
"""
_ALLOW = "DROP TRIGGER refuse_test_rows ON cases; DROP FUNCTION refuse_test_rows();"


async def test_a_refused_row_is_reported_once_and_the_case_goes_on(stack: Stack) -> None:
    async with stack.pool.acquire() as conn:
        await conn.execute(_REFUSE)
    try:
        case = await start(stack, f"REFUSED-{uuid.uuid4().hex[:6]}")
        cid = case.case_id

        async def reported() -> Any:
            view = await read_case(stack, cid)
            return view if "register_refused" in [s.kind for s in view.history] else None

        view = await eventually(reported)
        step = next(s for s in view.history if s.kind == "register_refused")
        assert "RegisterRowInvalid" not in step.summary and "test: row refused" in step.summary

        async def escalated() -> list[Any]:
            return [m for m in mails(stack, cid) if m["X-Template"].endswith("/delivery_failed")]

        (mail,) = await eventually(escalated)
        assert mail["To"] == "head@authority.example"
        # The case goes on: commands work, and the refusal is not recorded again.
        await run_command(stack.client, cid, "acknowledge", Acknowledge())
        await run_command(stack.client, cid, "record_risk_assessment", RA)
        view = await read_case(stack, cid)
        assert view.stage == "acknowledged"
        assert [s.kind for s in view.history].count("register_refused") == 1
        assert len(await escalated()) == 1
        async with stack.pool.acquire() as conn:
            assert await conn.fetchval("SELECT count(*) FROM cases WHERE case_id = $1", cid) == 0
    finally:
        async with stack.pool.acquire() as conn:
            await conn.execute(_ALLOW)

    # The register accepts rows again: the next change brings the row and every audit entry.
    await run_command(stack.client, cid, "record_risk_assessment", RA)

    async def caught_up() -> Any:
        async with stack.pool.acquire() as conn:
            return await conn.fetchrow("SELECT * FROM cases WHERE case_id = $1", cid)

    row = await eventually(caught_up)
    assert row["stage"] == "acknowledged"
    final = await read_case(stack, cid)
    async with stack.pool.acquire() as conn:
        seqs = [
            r["seq"]
            for r in await conn.fetch(
                "SELECT seq FROM audit_log WHERE case_id = $1 ORDER BY seq", cid
            )
        ]
    assert seqs == [s.seq for s in final.history][: len(seqs)] and len(seqs) >= 4
