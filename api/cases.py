"""The service layer between HTTP and Temporal: start cases idempotently, run commands as
Updates, read cases by Query. Used by the REST API and by tests; knows nothing of HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryRequest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.workflow import UpdateMethodMultiParam

from activities import register
from api.errors import (
    CaseNotFound,
    CommandRefused,
    InvalidCommand,
    InvalidNotification,
    ReferenceConflict,
)
from infra.settings import Settings
from workflows import clock
from workflows import search_attributes as sa
from workflows.aia import AdvanceInformedAgreement
from workflows.bch_publication import BchCorrection, BchPublicationWorkflow, PublicationView
from workflows.common import INVALID, REFUSED
from workflows.models import (
    AiaStart,
    AuthorityContext,
    BchPolicy,
    CaseView,
    ClockRules,
    Command,
    CommandResult,
    Notification,
    fingerprint,
)

# The Update behind each command, by the name the API uses.
AIA_COMMANDS: dict[str, UpdateMethodMultiParam[[Any, Any], CommandResult]] = {
    "acknowledge": AdvanceInformedAgreement.acknowledge,
    "request_information": AdvanceInformedAgreement.request_information,
    "record_information_received": AdvanceInformedAgreement.record_information_received,
    "extend": AdvanceInformedAgreement.extend,
    "record_risk_assessment": AdvanceInformedAgreement.record_risk_assessment,
    "decide": AdvanceInformedAgreement.decide,
    "withdraw": AdvanceInformedAgreement.withdraw,
}


def aia_case_id(party_of_import: str, notifier_reference: str) -> str:
    """Workflow id = case id, a business key: resubmitting a reference finds the same case."""
    return f"aia-{party_of_import.lower()}-{notifier_reference.lower()}"


def clock_rules(settings: Settings) -> ClockRules:
    return ClockRules(
        timezone=settings.timezone,
        day_of_event_is_day_one=settings.day_of_event_is_day_one,
        roll_forward_to_working_day=settings.roll_forward_to_working_day,
        holiday_country=settings.holiday_country,
        reminder_offsets_days=tuple(settings.reminder_offsets_days),
    )


async def submit_notification(
    client: Client,
    settings: Settings,
    notification: Notification,
    now: datetime | None = None,
    pool: asyncpg.Pool | None = None,
) -> tuple[CaseView, bool]:
    """Start an AIA case, or return the existing one for the same notification.

    Returns (case, created). A different notification under an existing reference is a conflict.
    """
    if notification.party_of_import != settings.authority_party:
        raise InvalidNotification(
            f"party_of_import is {notification.party_of_import}, but this authority acts for "
            f"{settings.authority_party}; Art 8 notifications go to the Party of import",
            field="party_of_import",
        )
    now = now or datetime.now(UTC)
    today = clock.local_date(now, settings.timezone)
    received_on = notification.received_on or today
    if received_on > today:
        raise InvalidNotification(
            f"received_on {received_on} is in the future (today is {today} in {settings.timezone})",
            field="received_on",
        )
    case_id = aia_case_id(notification.party_of_import, notification.notifier_reference)
    start = AiaStart(
        case_id=case_id,
        notification=notification,
        received_on=received_on,
        rules=clock_rules(settings),
        authority=AuthorityContext(
            party=settings.authority_party,
            name=settings.authority_name,
            officer_email=settings.officer_email,
            escalation_email=settings.escalation_email,
            default_language=settings.default_language,
        ),
        bch=BchPolicy(
            poll_interval=timedelta(seconds=settings.bch_poll_interval_seconds),
            approval_window_days=settings.bch_approval_window_days,
        ),
        submitted_at=now,
    )
    lmo = notification.annex_i.c_lmo_name or "LMO not named"
    attributes = [
        SearchAttributePair(sa.CASE_ID, case_id),
        SearchAttributePair(sa.PROCEDURE, "aia"),
        SearchAttributePair(sa.STAGE, "received"),
        SearchAttributePair(sa.PARTY_OF_IMPORT, notification.party_of_import),
        SearchAttributePair(sa.PARTY_OF_EXPORT, notification.party_of_export),
    ]
    if notification.annex_i.c_lmo_unique_identifier:
        attributes.append(
            SearchAttributePair(sa.LMO_ID, notification.annex_i.c_lmo_unique_identifier)
        )
    if pool is not None and (archived := await archived_case(pool, case_id)) is not None:
        # Closed, and perhaps gone from Temporal: never start a second case under its id.
        _same_notification_or_conflict(archived, notification)
        return archived, False
    created = True
    try:
        handle: WorkflowHandle = await client.start_workflow(
            AdvanceInformedAgreement.run,
            start,
            id=case_id,
            task_queue=settings.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=TypedSearchAttributes(attributes),
            static_summary=f"AIA {case_id}: {lmo}, {notification.party_of_export} → "
            f"{notification.party_of_import}, received {received_on}",
        )
    except WorkflowAlreadyStartedError:
        created = False
        handle = client.get_workflow_handle(case_id)
    case = await handle.query(AdvanceInformedAgreement.view)
    if not created:
        _same_notification_or_conflict(case, notification)
    return case, created


def _same_notification_or_conflict(case: CaseView, notification: Notification) -> None:
    if case.notification_fingerprint != fingerprint(notification) or (
        notification.received_on is not None and notification.received_on != case.received_on
    ):
        raise ReferenceConflict(
            f"reference {notification.notifier_reference} is already used by case "
            f"{case.case_id} for a different notification; use a new reference",
            case_id=case.case_id,
        )


async def get_case(client: Client, case_id: str, pool: asyncpg.Pool | None = None) -> CaseView:
    """The case, live from its workflow; a closed case whose workflow Temporal no longer keeps
    (past the namespace's retention) is read from the register, which keeps it for good."""
    try:
        return await client.get_workflow_handle(case_id).query(AdvanceInformedAgreement.view)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            archived = await archived_case(pool, case_id) if pool is not None else None
            if archived is not None:
                return archived
            raise CaseNotFound(f"no case {case_id}") from err
        raise


async def archived_case(pool: asyncpg.Pool, case_id: str) -> CaseView | None:
    state = await register.closed_case_state(pool, case_id)
    return CaseView.model_validate(state) if state is not None else None


AIA_WORKFLOW_TYPE = "AdvanceInformedAgreement"  # @workflow.defn(name=...) in workflows/aia.py


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
    if started.workflow_type.name != AIA_WORKFLOW_TYPE or not started.input.payloads:
        return None
    (start,) = await client.data_converter.decode(list(started.input.payloads)[:1], [AiaStart])
    if not isinstance(start, AiaStart):
        return None
    return start.notification


async def run_command(
    client: Client,
    case_id: str,
    name: str,
    command: Command,
    idempotency_key: str | None = None,
    pool: asyncpg.Pool | None = None,
) -> CommandResult:
    """Run one officer's or notifier's command. The idempotency key, prefixed with the command's
    name, is the Update id: the same key given twice for the same command runs it once and
    returns the first result."""
    update = AIA_COMMANDS[name]
    handle = client.get_workflow_handle(case_id)
    # Temporal deduplicates Updates by id whatever the Update's name: without the command's name
    # in the id, a key reused for another command would silently return the first one's result.
    update_id = f"{name}:{idempotency_key}" if idempotency_key is not None else None
    try:
        return await handle.execute_update(update, command, id=update_id)
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
                f"the case is closed ({case.stage.value.replace('_', ' ')}); no further commands"
            ) from err
        raise


def _refusal(err: WorkflowUpdateFailedError) -> Exception:
    """A validator's refusal as the domain error the API maps to 409 or 422."""
    cause = err.cause
    if isinstance(cause, ApplicationError) and cause.type == INVALID:
        return InvalidCommand(cause.message)
    if isinstance(cause, ApplicationError) and cause.type == REFUSED:
        return CommandRefused(cause.message)
    return err


# ---- BCH publications of a case --------------------------------------------------------------


async def list_publications(client: Client, case_id: str) -> list[PublicationView]:
    """Where each BCH record of the case stands (one publication workflow per record)."""
    case = await get_case(client, case_id)
    return [
        await client.get_workflow_handle_for(BchPublicationWorkflow.run, wid).query(
            BchPublicationWorkflow.view
        )
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
    handle = client.get_workflow_handle_for(BchPublicationWorkflow.run, publication_id)
    update_id = f"resubmit:{idempotency_key}" if idempotency_key is not None else None
    try:
        return await handle.execute_update(
            BchPublicationWorkflow.resubmit, correction, id=update_id
        )
    except WorkflowUpdateFailedError as err:
        raise _refusal(err) from err
