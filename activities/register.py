"""The case register in PostgreSQL: the projection of each case and its append-only audit log.

Written only by the ``sync_register`` activity, idempotently: a case row carries the workflow's
state version and an older or equal version never overwrites it; audit rows are keyed by
(case_id, seq), so a retried activity writes nothing twice. The API reads from here to list cases.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import asyncpg
from pydantic import BaseModel, Field
from temporalio import activity


class AuditEntry(BaseModel):
    seq: int
    at: datetime
    kind: str
    actor: str
    summary: str
    data: dict[str, Any] = Field(default_factory=dict)


class CaseRow(BaseModel):
    case_id: str
    workflow_id: str
    procedure: str
    stage: str
    notifier_reference: str
    notifier_name: str | None = None
    notifier_email: str | None = None
    party_of_export: str | None = None
    party_of_import: str | None = None
    lmo_name: str | None = None
    lmo_id: str | None = None
    received_on: date | None = None
    clock_stopped: bool = False
    overdue: bool = False
    days_overdue: int = 0
    next_deadline_key: str | None = None
    next_deadline_on: date | None = None
    next_deadline_at: datetime | None = None
    closed: bool = False
    state: dict[str, Any]
    version: int


class RegisterSync(BaseModel):
    case: CaseRow
    entries: list[AuditEntry] = Field(default_factory=list)


_UPSERT = """
INSERT INTO cases (case_id, workflow_id, procedure, stage, notifier_reference, notifier_name,
    notifier_email, party_of_export, party_of_import, lmo_name, lmo_id, received_on, clock_stopped,
    overdue, days_overdue, next_deadline_key, next_deadline_on, next_deadline_at, closed, state,
    version)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
    $21)
ON CONFLICT (case_id) DO UPDATE SET
    stage = EXCLUDED.stage, notifier_name = EXCLUDED.notifier_name,
    notifier_email = EXCLUDED.notifier_email, lmo_name = EXCLUDED.lmo_name,
    lmo_id = EXCLUDED.lmo_id, clock_stopped = EXCLUDED.clock_stopped,
    overdue = EXCLUDED.overdue, days_overdue = EXCLUDED.days_overdue,
    next_deadline_key = EXCLUDED.next_deadline_key, next_deadline_on = EXCLUDED.next_deadline_on,
    next_deadline_at = EXCLUDED.next_deadline_at, closed = EXCLUDED.closed,
    state = EXCLUDED.state, version = EXCLUDED.version, updated_at = now()
WHERE cases.version < EXCLUDED.version
"""

_AUDIT = """
INSERT INTO audit_log (case_id, seq, at, kind, actor, summary, data)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (case_id, seq) DO NOTHING
"""


class RegisterActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn(name="sync_register")
    async def sync_register(self, req: RegisterSync) -> int:
        """Write the case row and its new audit entries in one transaction; return the version
        the register now holds."""
        c = req.case
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                _UPSERT,
                c.case_id, c.workflow_id, c.procedure, c.stage, c.notifier_reference,
                c.notifier_name, c.notifier_email, c.party_of_export, c.party_of_import,
                c.lmo_name, c.lmo_id, c.received_on, c.clock_stopped, c.overdue, c.days_overdue,
                c.next_deadline_key, c.next_deadline_on, c.next_deadline_at, c.closed, c.state,
                c.version,
            )  # fmt: skip
            await conn.executemany(
                _AUDIT,
                [(c.case_id, e.seq, e.at, e.kind, e.actor, e.summary, e.data) for e in req.entries],
            )
            held: int = await conn.fetchval(
                "SELECT version FROM cases WHERE case_id = $1", c.case_id
            )
        activity.logger.info("register synced", extra={"case_id": c.case_id, "version": held})
        return held


# ---- reads, for the API -------------------------------------------------------------------------


async def list_cases(
    pool: asyncpg.Pool,
    *,
    procedure: str | None = None,
    stage: str | None = None,
    overdue: bool | None = None,
    due_before: date | None = None,
    party_of_import: str | None = None,
    notifier_email: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[asyncpg.Record]:
    sql, args = filtered_query(
        "SELECT * FROM cases",
        [
            ("procedure =", procedure),
            ("stage =", stage),
            ("overdue =", overdue),
            ("next_deadline_on <", due_before),
            ("party_of_import =", party_of_import),
            ("notifier_email =", notifier_email),
        ],
        order_by="next_deadline_on NULLS LAST, case_id",
        limit=limit,
        offset=offset,
    )
    async with pool.acquire() as conn:
        return list(await conn.fetch(sql, *args))


def filtered_query(
    select: str,
    conditions: list[tuple[str, object]],
    *,
    order_by: str,
    limit: int,
    offset: int,
) -> tuple[str, list[object]]:
    """`select` with a WHERE of the conditions whose value is not None, each a pair of a column
    and operator written in code (``"stage ="``) and a value passed as a query parameter."""
    args: list[object] = []
    where = []
    for column_and_operator, value in conditions:
        if value is not None:
            args.append(value)
            where.append(f"{column_and_operator} ${len(args)}")
    sql = select + (" WHERE " + " AND ".join(where) if where else "")
    sql += f" ORDER BY {order_by} LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}"
    return sql, [*args, limit, offset]


async def closed_case_state(pool: asyncpg.Pool, case_id: str) -> dict[str, Any] | None:
    """The last state of a closed case, as the register keeps it beyond Temporal's retention."""
    async with pool.acquire() as conn:
        state: dict[str, Any] | None = await conn.fetchval(
            "SELECT state FROM cases WHERE case_id = $1 AND closed", case_id
        )
    return state


async def audit_trail(pool: asyncpg.Pool, case_id: str) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return list(
            await conn.fetch("SELECT * FROM audit_log WHERE case_id = $1 ORDER BY seq", case_id)
        )


async def outgoing_messages(pool: asyncpg.Pool, case_id: str) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return list(
            await conn.fetch(
                "SELECT * FROM outgoing_messages WHERE case_id = $1 ORDER BY created_at", case_id
            )
        )
