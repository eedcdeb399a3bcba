"""Reading a case: live from its workflow (a Query), from the register when its row is what the
workflow would answer (``settled_case``), or from the register alone once Temporal no longer keeps
a closed case. Used by the REST API and by tests; knows nothing of HTTP."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
from pydantic import ValidationError
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import (
    DescribeWorkflowExecutionRequest,
    DescribeWorkflowExecutionResponse,
    GetWorkflowExecutionHistoryRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from activities import register
from api import procedures
from api.errors import CaseNotFound
from api.outages import database_unavailable
from api.procedures import ProcedureSpec
from workflows.aia.models import AiaStart, Notification
from workflows.kernel.deadlines import as_of
from workflows.models import CaseView


async def describe(client: Client, workflow_id: str) -> DescribeWorkflowExecutionResponse | None:
    """Temporal's description of a workflow, or None when there is no such workflow.

    The service's own call, not WorkflowHandle.describe(): what is pending, or that the workflow
    exists, is all its callers need, and the SDK would decode the search attributes and memo
    besides (which can fail on the time-skipping test server: an unset Datetime attribute comes
    back as null)."""
    request = DescribeWorkflowExecutionRequest(
        namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
    )
    try:
        return await client.workflow_service.describe_workflow_execution(request)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return None
        raise


def spec_of(case_id: str) -> ProcedureSpec:
    spec = procedures.for_case(case_id)
    if spec is None:
        raise CaseNotFound(f"no case {case_id}")
    return spec


async def get_case(
    client: Client,
    case_id: str,
    pool: asyncpg.Pool | None = None,
    now: datetime | None = None,
) -> CaseView[Any]:
    """The case, live from its workflow; a closed case whose workflow Temporal no longer keeps
    (past the namespace's retention) is read from the register, which keeps it for good.

    With ``now``, the view's time-dependent part (today, remaining and overdue days, status)
    is computed for that moment: a Query answers as of the workflow's last activation."""
    spec = spec_of(case_id)
    try:
        case = await client.get_workflow_handle(case_id).query("view", result_type=spec.view_model)
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise
        archived = await archived_case(pool, case_id) if pool is not None else None
        if archived is None:
            raise CaseNotFound(f"no case {case_id}") from err
        case = archived
    return as_of(case, now) if now is not None else case


async def read_case(
    client: Client, case_id: str, pool: asyncpg.Pool, now: datetime, from_register: bool = True
) -> CaseView[Any]:
    """The case as of ``now``: with ``from_register`` (BIOSAFETY_API_CASE_READS), from the
    register when its row is the workflow's latest (``settled_case``), which asks nothing of
    the worker; otherwise live from its workflow."""
    case = await settled_case(client, pool, case_id) if from_register else None
    if case is None:
        return await get_case(client, case_id, pool, now=now)
    return as_of(case, now)


async def settled_case(client: Client, pool: asyncpg.Pool, case_id: str) -> CaseView[Any] | None:
    """The case from its register row and audit log, when they are what its workflow's Query
    would answer; None when they may not be, and the workflow must be asked.

    A case writes its row inside the workflow task that changed it, or through an activity
    scheduled by that task (workflows/kernel/runtime.py), and its e-mails' outcomes likewise.
    So when Temporal shows the workflow with no workflow task and no activity pending, every
    change is in the row (read with its audit entries in one statement, one snapshot), unless
    the register refused a row since (``register_refusals``) or an entry predates the step dates
    in the audit log (migration 0013)."""
    spec = procedures.for_case(case_id)
    if spec is None:
        return None
    described = await describe(client, case_id)
    if described is None:
        return None  # get_case answers: archived in the register, or no such case
    if described.pending_activities or described.HasField("pending_workflow_task"):
        return None
    try:
        parts = await register.settled_parts(pool, case_id)
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as err:
        if not database_unavailable(err):
            raise
        return None  # the register cannot answer now; the workflow can
    if parts is None:
        return None
    state, steps = parts
    if "history" not in state:
        if any(step["on"] is None for step in steps):
            return None
        state = {**state, "history": steps}
    try:
        return _view_of(spec, state)
    except ValidationError:
        # A row of a layout this code does not read: the workflow says what the case is.
        return None


async def archived_case(pool: asyncpg.Pool, case_id: str) -> CaseView[Any] | None:
    spec = procedures.for_case(case_id)
    state = await register.closed_case_state(pool, case_id)
    if spec is None or state is None:
        return None
    return _view_of(spec, state)


def _view_of(spec: ProcedureSpec, state: dict[str, Any]) -> CaseView[Any]:
    """A case's view from the state its register row keeps, of whatever layout it was written."""
    view: CaseView[Any] = spec.view_model.model_validate(spec.upgrade_state(state))
    return view


async def started_notification(client: Client, case_id: str) -> Notification | None:
    """The notification an AIA case was started with (its workflow input), or None: no such
    workflow, not an AIA case, or its history no longer held (past the namespace's retention).

    The case's Query view leaves the notification's content out; the workflow's first history
    event holds it, whatever the register has caught up with."""
    request = GetWorkflowExecutionHistoryRequest(
        namespace=client.namespace,
        execution=WorkflowExecution(workflow_id=case_id),
        maximum_page_size=1,
    )
    try:
        response = await client.workflow_service.get_workflow_execution_history(request)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
    if not response.history.events:
        return None
    event = response.history.events[0]
    if not event.HasField("workflow_execution_started_event_attributes"):
        return None
    started = event.workflow_execution_started_event_attributes
    if started.workflow_type.name != procedures.AIA.workflow_type or not started.input.payloads:
        return None
    (start,) = await client.data_converter.decode(list(started.input.payloads)[:1], [AiaStart])
    if not isinstance(start, AiaStart):
        return None
    return start.notification
