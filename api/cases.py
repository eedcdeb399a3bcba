"""The service layer between HTTP and Temporal, for every procedure in the registry
(api/procedures.py): open cases idempotently, run commands as Updates (reading a case is
api/case_reads.py). Used by the REST API and by tests; knows nothing of HTTP."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
from pydantic import BaseModel, Field
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from activities import register
from api import procedures
from api.case_reads import archived_case, get_case, spec_of
from api.errors import (
    CaseNotFound,
    CommandRefused,
    IdempotencyKeyReused,
    InvalidCommand,
    ReferenceConflict,
)
from api.procedures import ProcedureSpec
from api.procedures.confidentiality import claims_of, confidentiality_case_id
from api.procedures.spec import Opening
from infra.settings import Settings
from workflows import clock
from workflows.aia.models import Notification
from workflows.bch_publication import BchCorrection, BchPublicationWorkflow, PublicationView
from workflows.confidentiality.models import NotificationWithdrawn
from workflows.errors import INVALID, REFUSED
from workflows.models import CaseView, Command, CommandResult, Procedure

aia_case_id = procedures.aia_case_id
clock_rules = procedures.clock_rules


class CaseOpened(BaseModel):
    """The answer to an opening sent with ``Prefer: return=minimal`` (RFC 7240): the case was
    opened (or had been, with the same content); read it at ``location``."""

    case_id: str = Field(examples=["aia-hu-acme-2027-001"])
    procedure: str = Field(examples=["aia"])
    received_on: date = Field(description="the date of receipt the case's clock counts from")
    location: str = Field(examples=["/v1/cases/aia-hu-acme-2027-001"])


async def open_case(
    client: Client,
    settings: Settings,
    spec: ProcedureSpec,
    body: Any,
    now: datetime | None = None,
    pool: asyncpg.Pool | None = None,
) -> tuple[CaseView[Any], bool]:
    """Open a case of ``spec``'s procedure, or return the existing one opened with the same body.

    Returns (case, created). A different body under an existing case id is a conflict."""
    case, opened, created = await _open(client, settings, spec, body, now, pool, minimal=False)
    assert case is not None
    return case, created


async def open_case_minimal(
    client: Client,
    settings: Settings,
    spec: ProcedureSpec,
    body: Any,
    now: datetime | None = None,
    pool: asyncpg.Pool | None = None,
) -> tuple[CaseOpened, bool]:
    """As open_case, but a new case is answered without asking its workflow for its view: the
    start alone is what the caller waits for, not the worker's first task (``Prefer:
    return=minimal``; docs/performance.md, intake). An existing case is still read, to tell a
    resubmission from a conflict."""
    _, opened, created = await _open(client, settings, spec, body, now, pool, minimal=True)
    return opened, created


async def _open(
    client: Client,
    settings: Settings,
    spec: ProcedureSpec,
    body: Any,
    now: datetime | None,
    pool: asyncpg.Pool | None,
    *,
    minimal: bool,
) -> tuple[CaseView[Any] | None, CaseOpened, bool]:
    now = now or datetime.now(UTC)
    today = clock.local_date(now, settings.timezone)
    opening = spec.open(settings, body, today, now)
    if pool is not None and (archived := await archived_case(pool, opening.case_id)) is not None:
        # Closed, and perhaps gone from Temporal: never start a second case under its id.
        _same_or_conflict(spec, archived, opening.fingerprint, opening.received_on, body)
        return archived, _opened(spec, opening), False
    if pool is not None and spec.complete is not None:
        opening = await spec.complete(pool, opening, body)
    created = True
    try:
        handle: WorkflowHandle[Any, Any] = await client.start_workflow(
            spec.workflow_type,
            opening.start,
            id=opening.case_id,
            task_queue=settings.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=TypedSearchAttributes(opening.search_attributes),
            static_summary=opening.static_summary,
        )
    except WorkflowAlreadyStartedError:
        created = False
        handle = client.get_workflow_handle(opening.case_id)
    opened = _opened(spec, opening)
    case: CaseView[Any] | None = None
    if not created or not minimal:
        case = await handle.query("view", result_type=spec.view_model)
    if not created and case is not None:
        _same_or_conflict(spec, case, opening.fingerprint, opening.received_on, body)
    if spec is procedures.AIA:
        await _open_claims(client, settings, opened, body, now, pool)
    return case, opened, created


def _opened(spec: ProcedureSpec, opening: Opening) -> CaseOpened:
    return CaseOpened(
        case_id=opening.case_id,
        procedure=spec.procedure.value,
        received_on=opening.received_on,
        location=f"/v1/cases/{opening.case_id}",
    )


async def _open_claims(
    client: Client,
    settings: Settings,
    case: CaseOpened,
    notification: Notification,
    now: datetime,
    pool: asyncpg.Pool | None,
) -> None:
    """Art 21(1): the claims an accepted notification carries open their confidentiality
    case (again on a resubmission, which finds it opened: a lost start is made good)."""
    claims = claims_of(case.case_id, case.received_on, notification)
    if claims is not None:
        await open_case(client, settings, procedures.CONFIDENTIALITY, claims, now, pool)


async def submit_notification(
    client: Client,
    settings: Settings,
    notification: Notification,
    now: datetime | None = None,
    pool: asyncpg.Pool | None = None,
) -> tuple[CaseView[Any], bool]:
    """Start an AIA case (Art 8), or return the existing one for the same notification."""
    return await open_case(client, settings, procedures.AIA, notification, now, pool)


def _same_or_conflict(
    spec: ProcedureSpec, case: CaseView[Any], fingerprint: str, received_on: Any, body: Any
) -> None:
    stated = getattr(body, "received_on", None)
    if spec.fingerprint_of(case) != fingerprint or (stated is not None and stated != received_on):
        raise ReferenceConflict(
            f"reference {case.notifier_reference} is already used for a different "
            f"{'notification' if spec is procedures.AIA else 'case'}; use a new reference",
            case_id=case.case_id,
        )


async def run_command(
    client: Client,
    case_id: str,
    name: str,
    command: Command,
    idempotency_key: str | None = None,
    pool: asyncpg.Pool | None = None,
    procedure: Procedure | None = None,
) -> CommandResult:
    """Run one officer's or notifier's command (of ``procedure``, when the caller knows which:
    a route's body is that procedure's command, whatever another procedure names the same).
    The idempotency key, prefixed with the command's name, is the Update id: the same key given
    twice for the same command runs it once and returns the first result; with the register at
    hand, the key is bound to its command and body, and refused for any other."""
    spec = spec_of(case_id)
    if spec.command(name) is None or (procedure is not None and procedure != spec.procedure):
        case = await get_case(client, case_id, pool)  # 404 first, if there is no such case
        raise CommandRefused(
            f"case {case.case_id} is a case of the {spec.procedure.value} procedure, which has "
            f"no such command ('{name}' of the {(procedure or spec.procedure).value} procedure); "
            "send one of its own procedure's commands (see /docs)",
            rule="command-of-procedure",
        )
    declared = spec.command(name)
    if pool is not None and declared is not None and declared.check is not None:
        await declared.check(pool, case_id, command)
    if idempotency_key is not None and pool is not None:
        await _bind_key(pool, case_id, idempotency_key, name, command)
        try:
            result = await _update(client, case_id, name, command, idempotency_key, pool)
        except CaseNotFound:
            async with pool.acquire() as conn:  # a key for no case binds nothing
                await conn.execute(
                    "DELETE FROM idempotency_keys WHERE case_id = $1 AND key = $2",
                    case_id,
                    idempotency_key,
                )
            raise
    else:
        result = await _update(client, case_id, name, command, idempotency_key, pool)
    if spec is procedures.AIA and name == "withdraw":
        await _claims_survive_withdrawal(client, case_id, pool)
    return result


async def _claims_survive_withdrawal(
    client: Client, case_id: str, pool: asyncpg.Pool | None
) -> None:
    """Art 21(5): the withdrawn notification's claims stay confidential; its confidentiality
    case, if it has one still open, is told (once: the Update id is fixed)."""
    try:
        await _update(
            client,
            confidentiality_case_id(case_id),
            "notification_withdrawn",
            NotificationWithdrawn(actor="system"),
            "aia-withdrawal",
            pool,
        )
    except (CaseNotFound, CommandRefused):
        pass  # no claims were made, or every claim is settled already


async def _update(
    client: Client,
    case_id: str,
    name: str,
    command: Command,
    idempotency_key: str | None,
    pool: asyncpg.Pool | None,
) -> CommandResult:
    handle = client.get_workflow_handle(case_id)
    # Temporal deduplicates Updates by id whatever the Update's name: without the command's name
    # in the id, a key reused for another command would silently return the first one's result.
    update_id = f"{name}:{idempotency_key}" if idempotency_key is not None else None
    try:
        return await handle.execute_update(name, command, id=update_id, result_type=CommandResult)
    except WorkflowUpdateFailedError as err:
        raise _refusal(err) from err
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            # Either no such case, or a closed one: say which.
            try:
                case = await get_case(client, case_id, pool)
            except CaseNotFound:
                raise CaseNotFound(f"no case {case_id}") from err
            raise CommandRefused(
                f"the case is closed ({case.stage.replace('_', ' ')}); it takes no further "
                "commands",
                rule="case-open",
            ) from err
        raise


_BIND_KEY = """
INSERT INTO idempotency_keys (case_id, key, command, body_sha256) VALUES ($1, $2, $3, $4)
ON CONFLICT (case_id, key) DO NOTHING
RETURNING command
"""


async def _bind_key(
    pool: asyncpg.Pool, case_id: str, key: str, name: str, command: Command
) -> None:
    """Bind an Idempotency-Key to its command and body the first time it is used (as the IETF
    Idempotency-Key draft and Stripe do): the same key again with the same request repeats it,
    with another command or body it is refused, naming the key."""
    digest = hashlib.sha256(command.model_dump_json().encode()).hexdigest()
    async with pool.acquire() as conn:
        if await conn.fetchval(_BIND_KEY, case_id, key, name, digest) is not None:
            return
        first = await conn.fetchrow(
            "SELECT command, body_sha256 FROM idempotency_keys WHERE case_id = $1 AND key = $2",
            case_id,
            key,
        )
    if first is not None and (first["command"], first["body_sha256"]) != (name, digest):
        if not await register.case_known(pool, case_id):
            raise CaseNotFound(f"no case {case_id}")  # nor is a key bound to it
        what = "another command" if first["command"] != name else "a different body"
        raise IdempotencyKeyReused(
            f"Idempotency-Key {key!r} was already used on case {case_id} for {what} "
            f"({first['command']}); a key stands for one request: send a new key for a new "
            "request",
            field="Idempotency-Key",
        )


def _refusal(err: WorkflowUpdateFailedError) -> Exception:
    """A validator's refusal as the domain error the API maps to 409 or 422, with the rule,
    article and field the workflow named (workflows/common.py refuse and invalid)."""
    cause = err.cause
    if isinstance(cause, ApplicationError) and cause.type in (INVALID, REFUSED):
        members = cause.details[0] if cause.details and isinstance(cause.details[0], dict) else {}
        kind = InvalidCommand if cause.type == INVALID else CommandRefused
        return kind(
            cause.message,
            rule=str(members.get("rule") or kind.type_slug),
            article=members.get("article"),
            **({"field": members["field"]} if members.get("field") else {}),
        )
    return err


# ---- BCH publications of a case --------------------------------------------------------------


async def list_publications(client: Client, case_id: str) -> list[PublicationView]:
    """Where each BCH record of the case stands (one publication workflow per record)."""
    case = await get_case(client, case_id)
    return [
        await client.get_workflow_handle(wid).query(BchPublicationWorkflow.view)
        for wid in case.bch_publications
    ]


async def resubmit_publication(
    client: Client,
    case_id: str,
    publication_id: str,
    correction: BchCorrection,
    idempotency_key: str | None = None,
) -> PublicationView:
    """An officer corrects a record the BCH refused (or renews a rejected or lapsed request)."""
    case = await get_case(client, case_id)
    if publication_id not in case.bch_publications:
        raise CaseNotFound(f"case {case_id} has no BCH publication {publication_id}")
    handle = client.get_workflow_handle(publication_id)
    update_id = f"resubmit:{idempotency_key}" if idempotency_key is not None else None
    try:
        return await handle.execute_update(
            BchPublicationWorkflow.resubmit, correction, id=update_id
        )
    except WorkflowUpdateFailedError as err:
        raise _refusal(err) from err
