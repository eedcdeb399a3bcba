"""What the API reads from the case register (PostgreSQL), and the response models it reads into.

The register is a projection written by the ``sync_register`` activity; the live state of a case
is its workflow (read by Query in api/cases.py). Listing, the audit log, delivery evidence and
the deadline feed come from here.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import asyncpg
from pydantic import BaseModel, ConfigDict, Field, field_validator
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from workflows.models import Procedure, Stage


class CaseSummary(BaseModel):
    """One case as the register holds it (without the full state: read the case for that)."""

    model_config = ConfigDict(extra="ignore")

    case_id: str
    workflow_id: str
    procedure: Procedure
    stage: Stage
    notifier_reference: str
    notifier_name: str | None
    notifier_email: str | None
    party_of_export: str | None
    party_of_import: str | None
    lmo_name: str | None
    lmo_id: str | None
    received_on: date | None
    clock_stopped: bool
    overdue: bool
    days_overdue: int
    next_deadline_key: str | None = Field(description="which deadline comes next")
    next_deadline_on: date | None = Field(description="its last day (authority's time zone)")
    next_deadline_at: datetime | None = Field(description="the instant it ends (UTC)")
    closed: bool
    version: int = Field(description="the workflow state version the register holds")
    created_at: datetime
    updated_at: datetime


def _json(value: Any) -> Any:
    # The pool created by infra.db decodes jsonb; a pool without that codec hands back text.
    return json.loads(value) if isinstance(value, str) else value


class AuditRecord(BaseModel):
    """One step of a case, as written to the append-only audit log."""

    case_id: str
    seq: int
    at: datetime
    kind: str
    actor: str
    summary: str
    data: dict[str, Any]
    recorded_at: datetime

    @field_validator("data", mode="before")
    @classmethod
    def _decode(cls, v: Any) -> Any:
        return _json(v)


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
    # The raw call: existence is all we need, and decoding the description's search attributes
    # can fail on the time-skipping test server (an unset Datetime attribute comes back as null).
    request = DescribeWorkflowExecutionRequest(
        namespace=client.namespace, execution=WorkflowExecution(workflow_id=case_id)
    )
    try:
        await client.workflow_service.describe_workflow_execution(request)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


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


async def open_deadlines(pool: asyncpg.Pool) -> list[OpenDeadline]:
    """The next deadline of every open case that has a due date (a stopped clock has none)."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT case_id, procedure, stage, lmo_name, overdue, days_overdue, "
            "next_deadline_key, next_deadline_on, state -> 'next_deadline' AS next_deadline "
            "FROM cases WHERE NOT closed AND next_deadline_on IS NOT NULL "
            "ORDER BY next_deadline_on, case_id"
        )
    out = []
    for r in rows:
        nxt = _json(r["next_deadline"]) or {}
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
            )
        )
    return out
