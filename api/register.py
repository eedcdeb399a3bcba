"""What the API reads from the case register (PostgreSQL), and the response models it reads into.

The register is a projection written by the ``sync_register`` activity; the live state of a case
is its workflow (api/case_reads.py reads a case from here when its workflow has nothing pending, and
by Query otherwise). Listing, the audit log, delivery evidence and the deadline feed come from
here. The public register is api/public_register.py.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import asyncpg
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from temporalio.client import Client

from api.case_reads import describe, started_notification
from api.procedures.confidentiality import ID_PREFIX as CONFIDENTIALITY_PREFIX
from workflows import models


class CaseSummary(models.CaseSummary):
    """One case as the register holds it (without the full state: read the case for that): the
    summary every procedure's case has (workflows/models.py), and the register's bookkeeping.
    ``days_overdue`` is counted at the moment of reading."""

    model_config = ConfigDict(extra="ignore")

    notifier_email: str | None = None  # staff see whose case it is; a notifier only its own
    workflow_id: str
    version: int = Field(description="the workflow state version the register holds")
    created_at: datetime
    updated_at: datetime
    next_deadline_remaining_days: int | None = Field(
        default=None,
        description="days left to the next deadline as of today (0 on its last day); on a "
        "stopped clock, the days that remain on it; null when overdue",
    )

    @field_validator("confidential_items", mode="before")
    @classmethod
    def _decode_items(cls, v: Any) -> Any:
        return jsonb_value(v)

    @model_validator(mode="before")
    @classmethod
    def _stopped_clock(cls, row: Any) -> Any:
        # A stopped clock's remaining days do not change while it stands: the state the
        # workflow last projected holds them.
        if isinstance(row, dict) and row.get("clock_stopped") and "state" in row:
            nxt = (jsonb_value(row["state"]) or {}).get("next_deadline") or {}
            if isinstance(nxt, dict) and nxt.get("status") == "stopped":
                row = row | {"next_deadline_remaining_days": nxt.get("remaining_days")}
        return row

    def as_of(self, today: date) -> CaseSummary:
        if self.overdue and self.next_deadline_on is not None:
            return self.model_copy(
                update={"days_overdue": max(0, (today - self.next_deadline_on).days)}
            )
        if self.next_deadline_on is not None:
            remaining = (self.next_deadline_on - today).days
            return self.model_copy(
                update={"next_deadline_remaining_days": remaining if remaining >= 0 else None}
            )
        return self


def jsonb_value(value: Any) -> Any:
    # The pool created by infra.db decodes jsonb; a pool without that codec hands back text.
    return json.loads(value) if isinstance(value, str) else value


class AuditRecord(BaseModel):
    """One step of a case, as written to the append-only audit log."""

    case_id: str
    seq: int
    at: datetime
    on: date | None = Field(
        default=None,
        validation_alias="on_date",
        description="the step's date as the case counted it: the local date of `at` in the "
        "authority's time zone the case ran under; none for steps written before the register "
        "kept it",
    )
    kind: str
    actor: str
    summary: str
    data: dict[str, Any]
    recorded_at: datetime

    @field_validator("data", mode="before")
    @classmethod
    def _decode(cls, v: Any) -> Any:
        return jsonb_value(v)


class OutgoingMessage(BaseModel):
    """One outgoing e-mail or BCH record, with the evidence of its delivery."""

    message_key: str
    case_id: str
    channel: str
    recipient: str
    subject: str | None
    template: str | None
    language: str | None
    status: str = Field(description="pending, sent or failed")
    message_id: str | None
    server_response: str | None
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


async def case_in_register(pool: asyncpg.Pool, case_id: str) -> bool:
    async with pool.acquire() as conn:
        found: bool = await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM cases WHERE case_id = $1)", case_id
        )
    return found


async def case_exists(pool: asyncpg.Pool, client: Client, case_id: str) -> bool:
    """In the register, or (not yet projected there) as a workflow."""
    if await case_in_register(pool, case_id):
        return True
    return await describe(client, case_id) is not None


class OpenDeadline(BaseModel):
    case_id: str
    procedure: str
    stage: str
    lmo_name: str | None
    overdue: bool
    days_overdue: int
    key: str
    due: date
    label: str | None = None
    article: str | None = None
    explanation: str | None = None
    version: int = Field(default=0, description="the case's state version: the event's SEQUENCE")


async def open_deadlines(pool: asyncpg.Pool) -> list[OpenDeadline]:
    """The next deadline of every open case that has a due date (a stopped clock has none)."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT case_id, procedure, stage, lmo_name, overdue, days_overdue, "
            "next_deadline_key, next_deadline_on, state -> 'next_deadline' AS next_deadline, "
            "version "
            "FROM cases WHERE NOT closed AND next_deadline_on IS NOT NULL "
            "ORDER BY next_deadline_on, case_id"
        )
    out = []
    for r in rows:
        nxt = jsonb_value(r["next_deadline"]) or {}
        out.append(
            OpenDeadline(
                case_id=r["case_id"],
                procedure=r["procedure"],
                stage=r["stage"],
                lmo_name=r["lmo_name"],
                overdue=r["overdue"],
                days_overdue=r["days_overdue"],
                key=r["next_deadline_key"] or "deadline",
                due=r["next_deadline_on"],
                label=nxt.get("label") if isinstance(nxt, dict) else None,
                article=nxt.get("article") if isinstance(nxt, dict) else None,
                explanation=nxt.get("explanation") if isinstance(nxt, dict) else None,
                version=r["version"],
            )
        )
    return out


# ---- who notified a case ------------------------------------------------------------------------


async def notifier_email_of(pool: asyncpg.Pool, client: Client, case_id: str) -> str | None:
    """The e-mail of the case's notifier: from the register, or (not yet projected there) from
    the notification the case's workflow was started with. None: no such case."""
    async with pool.acquire() as conn:
        email: str | None = await conn.fetchval(
            "SELECT notifier_email FROM cases WHERE case_id = $1", case_id
        )
    if email is not None:
        return email
    if case_id.startswith(CONFIDENTIALITY_PREFIX):
        # Not yet projected: the claims of a notification (CP Art 21) are its notifier's.
        return await notifier_email_of(pool, client, case_id.removeprefix(CONFIDENTIALITY_PREFIX))
    notification = await started_notification(client, case_id)
    return notification.notifier.email if notification is not None else None
