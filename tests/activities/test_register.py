"""The register activity writes each case idempotently: a retried call writes nothing twice and
an older state never overwrites a newer one."""

from __future__ import annotations

from datetime import UTC, date, datetime

import asyncpg
from temporalio.testing import ActivityEnvironment

from activities.register import AuditEntry, CaseRow, RegisterActivities, RegisterSync


def sync(case_id: str, version: int, stage: str, seqs: list[int]) -> RegisterSync:
    return RegisterSync(
        case=CaseRow(
            case_id=case_id,
            workflow_id=case_id,
            procedure="aia",
            title="Maize MON 810 (R-1)",
            stage=stage,
            notifier_reference="R-1",
            received_on=date(2027, 1, 10),
            state={"stage": stage, "version": version},
            version=version,
        ),
        entries=[
            AuditEntry(
                seq=s,
                at=datetime(2027, 1, 10, 9, s, tzinfo=UTC),
                kind=f"k{s}",
                actor="x",
                summary=f"step {s}",
            )
            for s in seqs
        ],  # fmt: skip
    )


async def rows(pool: asyncpg.Pool, case_id: str) -> tuple[asyncpg.Record, list[int]]:
    async with pool.acquire() as conn:
        case = await conn.fetchrow("SELECT * FROM cases WHERE case_id = $1", case_id)
        seqs = [
            r["seq"]
            for r in await conn.fetch(
                "SELECT seq FROM audit_log WHERE case_id = $1 ORDER BY seq", case_id
            )
        ]
    return case, seqs


async def test_retried_sync_writes_nothing_twice(db_pool: asyncpg.Pool) -> None:
    activities = RegisterActivities(db_pool)
    env = ActivityEnvironment()
    request = sync("reg-retry", 1, "received", [1])
    assert await env.run(activities.sync_register, request) == 1
    assert await env.run(activities.sync_register, request) == 1  # the retry
    case, seqs = await rows(db_pool, "reg-retry")
    assert case["stage"] == "received" and case["version"] == 1
    assert seqs == [1]


async def test_older_state_never_overwrites_newer(db_pool: asyncpg.Pool) -> None:
    activities = RegisterActivities(db_pool)
    env = ActivityEnvironment()
    await env.run(activities.sync_register, sync("reg-order", 1, "received", [1]))
    await env.run(activities.sync_register, sync("reg-order", 3, "decided", [2, 3]))
    # A late retry of version 2 arrives after version 3 was written.
    held = await env.run(activities.sync_register, sync("reg-order", 2, "acknowledged", [2]))
    assert held == 3
    case, seqs = await rows(db_pool, "reg-order")
    assert case["stage"] == "decided" and case["state"]["version"] == 3
    assert seqs == [1, 2, 3]


async def test_entries_keep_their_fields_and_data(db_pool: asyncpg.Pool) -> None:
    """The entries go in as arrays beside the row (one statement): each keeps its time, texts and
    data (a JSON object, not a string), and a sync without entries writes the row alone."""
    activities = RegisterActivities(db_pool)
    env = ActivityEnvironment()
    request = sync("reg-fields", 1, "received", [1, 2])
    first = request.entries[0].model_copy(update={"data": {"deadline": "acknowledgement"}})
    request = request.model_copy(update={"entries": [first, request.entries[1]]})
    assert await env.run(activities.sync_register, request) == 1
    assert await env.run(activities.sync_register, sync("reg-fields", 2, "acknowledged", [])) == 2
    async with db_pool.acquire() as conn:
        stored = await conn.fetch(
            "SELECT seq, at, kind, actor, summary, data FROM audit_log WHERE case_id = $1 "
            "ORDER BY seq",
            "reg-fields",
        )
        stage = await conn.fetchval("SELECT stage FROM cases WHERE case_id = $1", "reg-fields")
    assert [dict(r) for r in stored] == [
        {
            "seq": e.seq,
            "at": e.at,
            "kind": e.kind,
            "actor": e.actor,
            "summary": e.summary,
            "data": e.data,
        }
        for e in request.entries
    ]
    assert stored[0]["data"] == {"deadline": "acknowledgement"}
    assert stage == "acknowledged"
