"""The case register in PostgreSQL: the projection of each case and its append-only audit log.

Written only by ``sync_register``, which a case runs as a local activity inside the workflow task
that changed it, or as an activity when that cannot be (workflows/kernel/runtime.py). Each write
is one statement and idempotent: a case row carries the workflow's state version and an older or
equal version never overwrites it; audit rows are keyed by (case_id, seq), so a retried write
adds nothing twice. The API reads from here to list cases.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import asyncpg
from pydantic import BaseModel, Field
from temporalio import activity
from temporalio.exceptions import ApplicationError

from infra.db import storable
from workflows.errors import REGISTER_ROW_INVALID
from workflows.models import CaseSummary


class AuditEntry(BaseModel):
    seq: int
    at: datetime
    on: date | None = None  # the step's date in the authority's zone (None from older workers)
    kind: str
    actor: str
    summary: str
    data: dict[str, Any] = Field(default_factory=dict)


class CaseRow(CaseSummary):
    """The register's row of a case: its summary (workflows/models.py, the one list of the
    fields every list shows), the workflow it lives in, and its whole last view as ``state``."""

    notifier_email: str | None = None  # in the row (a notifier's own cases), never in a view
    workflow_id: str
    state: dict[str, Any]
    version: int

    @classmethod
    def summary_fields(cls) -> set[str]:
        return set(CaseSummary.model_fields) - {"notifier_email"}


class RegisterSync(BaseModel):
    case: CaseRow
    entries: list[AuditEntry] = Field(default_factory=list)


# One column per field of the row: the SQL is made from the model, not kept by hand beside it.
_COLUMNS = [name for name in CaseRow.model_fields]
_UPSERT = (
    f"INSERT INTO cases ({', '.join(_COLUMNS)}) "
    f"VALUES ({', '.join(f'${i}' for i in range(1, len(_COLUMNS) + 1))}) "
    "ON CONFLICT (case_id) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS if c != "case_id")
    + ", updated_at = now() WHERE cases.version < EXCLUDED.version"
)
_A = len(_COLUMNS)  # the audit entries' arrays follow the row's parameters
# The row, the new audit entries and the version the register then holds, in one statement (one
# round trip, atomic as a statement is): a row of an older version changes nothing (the upsert
# returns no row, and the version read is the one held before the statement), and an entry
# already written is kept as it is.
_SYNC = f"""
WITH entries AS (
    INSERT INTO audit_log (case_id, seq, at, on_date, kind, actor, summary, data)
    SELECT $1, e.seq, e.at, e.on_date, e.kind, e.actor, e.summary, e.data::jsonb
    FROM unnest(${_A + 1}::integer[], ${_A + 2}::timestamptz[], ${_A + 3}::date[],
                ${_A + 4}::text[], ${_A + 5}::text[], ${_A + 6}::text[], ${_A + 7}::text[])
        AS e(seq, at, on_date, kind, actor, summary, data)
    ON CONFLICT (case_id, seq) DO NOTHING
), row AS (
    {_UPSERT}
    RETURNING version
), accepted AS (
    DELETE FROM register_refusals
    WHERE case_id = $1 AND version <= (SELECT version FROM row)
)
SELECT coalesce((SELECT version FROM row), (SELECT version FROM cases WHERE case_id = $1))
"""
# A refused row is remembered until a later one is accepted: the register's row of the case is
# behind its workflow meanwhile, and a read must ask the workflow (api/case_reads.py).
_REFUSED = """
INSERT INTO register_refusals (case_id, version, error) VALUES ($1, $2, $3)
ON CONFLICT (case_id) DO UPDATE
SET version = greatest(register_refusals.version, EXCLUDED.version), error = EXCLUDED.error,
    refused_at = now()
"""


class RegisterActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn(name="sync_register")
    async def sync_register(self, req: RegisterSync) -> int:
        """Write the case row and its new audit entries in one statement; return the version
        the register now holds."""
        c = req.case
        try:
            # The pool's codecs make single text and jsonb values storable (infra/db.py), not
            # the elements of arrays: the entries' texts are made so here, their data as JSON.
            entries = req.entries
            async with self._pool.acquire() as conn:
                held: int = await conn.fetchval(
                    _SYNC,
                    *(getattr(c, name) for name in _COLUMNS),
                    [e.seq for e in entries],
                    [e.at for e in entries],
                    [e.on for e in entries],
                    storable([e.kind for e in entries]),
                    storable([e.actor for e in entries]),
                    storable([e.summary for e in entries]),
                    [json.dumps(storable(e.data)) for e in entries],
                )
        except (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError) as err:
            # The database refuses the data itself (a value out of range, a broken constraint):
            # the same row fails on every retry. Said once, to the case, which reports it; an
            # outage (connection refused, server shutting down) is retried as before.
            activity.logger.error(
                "register row refused", extra={"case_id": c.case_id, "error": str(err)}
            )
            await self._remember_refusal(c.case_id, c.version, f"{type(err).__name__}: {err}")
            raise ApplicationError(
                f"the register refused case {c.case_id}'s row: {type(err).__name__}: {err}",
                type=REGISTER_ROW_INVALID,
                non_retryable=True,
            ) from err
        # Routine, a line per change of every case: the audit log in the register is the record.
        activity.logger.debug("register synced", extra={"case_id": c.case_id, "version": held})
        return held

    async def _remember_refusal(self, case_id: str, version: int, error: str) -> None:
        try:
            async with self._pool.acquire() as conn:
                await conn.execute(_REFUSED, case_id, version, error)
        except (asyncpg.PostgresError, OSError) as err:
            # Not remembered, a read could serve the row left behind as the case: the write is
            # tried again (and refused again, and remembered then) instead of reported now.
            raise ApplicationError(
                f"the register refused case {case_id}'s row and could not remember it: {err}",
                type="RegisterUnavailable",
            ) from err


class LmoQuery(BaseModel):
    lmo_id: str
    procedure: str = "aia"


class LmoNotifier(BaseModel):
    """A notifier that notified movements of an LMO (CP Art 12(1)), with its latest case."""

    case_id: str
    name: str | None
    email: str
    language: str | None


class LmoNotifiers(BaseModel):
    notifiers: list[LmoNotifier]


_NOTIFIERS_OF_LMO = """
SELECT DISTINCT ON (lower(notifier_email)) case_id, notifier_name, notifier_email,
    notifier_language
FROM cases
WHERE procedure = $1 AND lmo_id = $2 AND notifier_email IS NOT NULL
ORDER BY lower(notifier_email), received_on DESC, case_id
"""


class CaseLookup(BaseModel):
    case_id: str


class RegisteredCase(BaseModel):
    case_id: str
    found: bool
    procedure: str | None = None
    stage: str | None = None
    closed: bool = False
    details: dict[str, Any] = Field(default_factory=dict)


class LmoActivities:
    """What the register knows across cases, for procedures that reach beyond one case."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn(name="notifiers_of_lmo")
    async def notifiers_of_lmo(self, req: LmoQuery) -> LmoNotifiers:
        """Every notifier that notified movements of the LMO with this unique identifier, once
        each (by e-mail), in a stable order."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(_NOTIFIERS_OF_LMO, req.procedure, req.lmo_id)
        return LmoNotifiers(
            notifiers=[
                LmoNotifier(
                    case_id=r["case_id"],
                    name=r["notifier_name"],
                    email=r["notifier_email"],
                    language=r["notifier_language"],
                )
                for r in rows
            ]
        )

    @activity.defn(name="registered_case")
    async def registered_case(self, req: CaseLookup) -> RegisteredCase:
        """What the register holds of another case (SP Art 3(4): the Party's treaty status;
        the case a response-measure case is linked to); ``found`` false when it has none."""
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT procedure, stage, closed, state FROM cases WHERE case_id = $1", req.case_id
            )
        if row is None:
            return RegisteredCase(case_id=req.case_id, found=False)
        return RegisteredCase(
            case_id=req.case_id,
            found=True,
            procedure=row["procedure"],
            stage=row["stage"],
            closed=row["closed"],
            details=dict((row["state"] or {}).get("details") or {}),
        )


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


async def case_known(pool: asyncpg.Pool, case_id: str) -> bool:
    """Whether the register holds the case (it may not yet: a new case's first sync)."""
    async with pool.acquire() as conn:
        known: bool = await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM cases WHERE case_id = $1)", case_id
        )
    return known


async def closed_case_state(pool: asyncpg.Pool, case_id: str) -> dict[str, Any] | None:
    """The last state of a closed case, as the register keeps it beyond Temporal's retention."""
    async with pool.acquire() as conn:
        state: dict[str, Any] | None = await conn.fetchval(
            "SELECT state FROM cases WHERE case_id = $1 AND closed", case_id
        )
    return state


# The row of a case with no refusal outstanding, and its audit entries as the view's steps, in
# one statement: one snapshot, so the entries are those of the row's version or, if a write
# came in between, of a later one together with that later row.
_SETTLED = """
SELECT c.state,
       coalesce((SELECT jsonb_agg(jsonb_build_object(
                    'seq', a.seq, 'at', a.at, 'on', a.on_date, 'kind', a.kind,
                    'actor', a.actor, 'summary', a.summary, 'data', a.data) ORDER BY a.seq)
                 FROM audit_log a WHERE a.case_id = c.case_id), '[]'::jsonb) AS steps
FROM cases c
WHERE c.case_id = $1
  AND NOT EXISTS (SELECT 1 FROM register_refusals r WHERE r.case_id = c.case_id)
"""


async def settled_parts(
    pool: asyncpg.Pool, case_id: str
) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """A case's last view as the register holds it (``state``) and its history from the audit
    log; None if the register has no row of the case or refused its latest."""
    async with pool.acquire() as conn:
        row = await conn.fetchrow(_SETTLED, case_id)
    if row is None:
        return None
    return dict(row["state"]), list(row["steps"])


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
