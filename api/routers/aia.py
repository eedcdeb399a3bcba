"""Advance informed agreement (CP Arts 8-10, 15, 21) over HTTP: submit a notification, and the
officers' and notifier's commands on a case. Each command is a Temporal Update; the optional
``Idempotency-Key`` header is its Update id, so a retried request runs the command once.

Officers' commands are for staff (a notifier gets 403); a notifier submits under its own e-mail
and withdraws its own notification. Every command's ``actor`` is the authenticated principal,
whatever the body says (api/auth.py), so the audit log names who really gave it."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Response

from api import cases
from api.auth import Principal, PrincipalDep, StaffDep, ensure_case_access
from api.deps import ClientDep, PoolDep, SettingsDep
from api.errors import Forbidden
from api.problems import problem_responses
from workflows.models import (
    Acknowledge,
    CaseView,
    Command,
    CommandResult,
    Decide,
    Extend,
    Notification,
    RecordInformationReceived,
    RequestInformation,
    RiskAssessment,
    Withdraw,
)

TAG = "AIA: advance informed agreement"

router = APIRouter(prefix="/v1", tags=[TAG])


@cache
def example_notification() -> dict[str, Any]:
    text = (resources.files("api") / "examples" / "notification.json").read_text(encoding="utf-8")
    example: dict[str, Any] = json.loads(text)
    return example


CaseId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=200,
        description="the case id, e.g. aia-hu-exs-2027-014",
        examples=["aia-hu-exs-2027-014"],
    ),
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="any unique string (a UUID, say): the same key sent again for the same "
        "command on the same case returns the first result and changes nothing",
    ),
]


@router.post(
    "/aia/notifications",
    status_code=201,
    response_model=CaseView,
    summary="Submit a notification (Art 8)",
    description="Starts an advance informed agreement case. Idempotent on the notifier's "
    "reference: the same notification submitted again returns the same case (200), a different "
    "notification under a used reference is refused (409). A notifier submits only under its own "
    "e-mail (`notifier.email`), and the date of receipt is the authority's to record: a notifier "
    "may not state `received_on` (403 for either).",
    responses={
        201: {
            "description": "Case created",
            "headers": {
                "Location": {
                    "description": "the case: /v1/cases/{case_id}",
                    "schema": {"type": "string"},
                }
            },
        },
        200: {
            "model": CaseView,
            "description": "Already submitted: the existing case",
            "headers": {
                "Content-Location": {
                    "description": "the case: /v1/cases/{case_id}",
                    "schema": {"type": "string"},
                }
            },
        },
        **problem_responses(401, 403, 409, 422, 503),
    },
)
async def submit_notification(
    notification: Annotated[
        Notification,
        Body(
            openapi_examples={
                "maize field trial": {
                    "summary": "MON 810 maize for a confined field trial in Hungary",
                    "value": example_notification(),
                }
            }
        ),
    ],
    response: Response,
    principal: PrincipalDep,
    client: ClientDep,
    settings: SettingsDep,
    pool: PoolDep,
) -> CaseView:
    if not principal.is_staff:
        if notification.notifier.email != principal.name:
            raise Forbidden(
                f"you are authenticated as notifier {principal.name}, but this notification's "
                f"notifier.email is {notification.notifier.email}: a notifier submits "
                "notifications under its own e-mail only"
            )
        if notification.received_on is not None:
            raise Forbidden(
                "received_on is recorded by the authority: a notifier may not state it (leave "
                "it out; the date of receipt is the day the notification arrives)"
            )
    case, created = await cases.submit_notification(client, settings, notification, pool=pool)
    location = f"/v1/cases/{case.case_id}"
    if created:
        response.headers["Location"] = location
    else:
        response.status_code = 200
        response.headers["Content-Location"] = location
    return case


_COMMAND_RESPONSES = problem_responses(401, 403, 404, 409, 422, 503)
_OFFICERS = (
    "For the authority's staff (a notifier gets 403). The command's `actor` is the "
    "authenticated staff member, whatever the body says."
)


async def _run(
    principal: Principal,
    client: ClientDep,
    case_id: str,
    name: str,
    command: Command,
    key: str | None,
    pool: PoolDep,
) -> CommandResult:
    # The audit log names who really gave the command, never what the body claims.
    command = command.model_copy(update={"actor": principal.actor})
    return await cases.run_command(client, case_id, name, command, key, pool)


@router.post(
    "/cases/{case_id}/acknowledgement",
    response_model=CommandResult,
    summary="Acknowledge receipt (Art 9) and choose the Art 10(2) route",
    description=_OFFICERS,
    responses=_COMMAND_RESPONSES,
)
async def acknowledge(
    case_id: CaseId,
    command: Acknowledge,
    principal: StaffDep,
    client: ClientDep,
    pool: PoolDep,
    key: IdempotencyKey = None,
) -> CommandResult:
    return await _run(principal, client, case_id, "acknowledge", command, key, pool)


@router.post(
    "/cases/{case_id}/information-requests",
    response_model=CommandResult,
    summary="Request additional information (Art 10(3)(c)); the decision clock stops",
    description=_OFFICERS,
    responses=_COMMAND_RESPONSES,
)
async def request_information(
    case_id: CaseId,
    command: RequestInformation,
    principal: StaffDep,
    client: ClientDep,
    pool: PoolDep,
    key: IdempotencyKey = None,
) -> CommandResult:
    return await _run(principal, client, case_id, "request_information", command, key, pool)


@router.post(
    "/cases/{case_id}/information-received",
    response_model=CommandResult,
    summary="Record the requested information as received; the decision clock runs again",
    description=_OFFICERS,
    responses=_COMMAND_RESPONSES,
)
async def record_information_received(
    case_id: CaseId,
    command: RecordInformationReceived,
    principal: StaffDep,
    client: ClientDep,
    pool: PoolDep,
    key: IdempotencyKey = None,
) -> CommandResult:
    return await _run(principal, client, case_id, "record_information_received", command, key, pool)


@router.post(
    "/cases/{case_id}/extensions",
    response_model=CommandResult,
    summary="Extend the decision period by a defined number of days (Art 10(3)(d))",
    description=_OFFICERS,
    responses=_COMMAND_RESPONSES,
)
async def extend(
    case_id: CaseId,
    command: Extend,
    principal: StaffDep,
    client: ClientDep,
    pool: PoolDep,
    key: IdempotencyKey = None,
) -> CommandResult:
    return await _run(principal, client, case_id, "extend", command, key, pool)


@router.post(
    "/cases/{case_id}/risk-assessment",
    response_model=CommandResult,
    summary="Record the risk assessment (Art 15, Annex III)",
    description=_OFFICERS,
    responses=_COMMAND_RESPONSES,
)
async def record_risk_assessment(
    case_id: CaseId,
    command: RiskAssessment,
    principal: StaffDep,
    client: ClientDep,
    pool: PoolDep,
    key: IdempotencyKey = None,
) -> CommandResult:
    return await _run(principal, client, case_id, "record_risk_assessment", command, key, pool)


@router.post(
    "/cases/{case_id}/decision",
    response_model=CommandResult,
    summary="Decide: approve, approve with conditions, or prohibit the import (Art 10(3))",
    description=_OFFICERS,
    responses=_COMMAND_RESPONSES,
)
async def decide(
    case_id: CaseId,
    command: Decide,
    principal: StaffDep,
    client: ClientDep,
    pool: PoolDep,
    key: IdempotencyKey = None,
) -> CommandResult:
    return await _run(principal, client, case_id, "decide", command, key, pool)


@router.post(
    "/cases/{case_id}/withdrawal",
    response_model=CommandResult,
    summary="Withdraw the notification (the notifier); the case closes",
    description="The notifier withdraws its own notification (another's case is answered 404); "
    "staff may record a withdrawal on the notifier's behalf. The command's `actor` is the "
    "authenticated principal (`notifier:<email>` or the staff member), whatever the body says. "
    "Confidential information stays confidential (Art 21(5)).",
    responses=problem_responses(401, 404, 409, 422, 503),
)
async def withdraw(
    case_id: CaseId,
    command: Withdraw,
    principal: PrincipalDep,
    client: ClientDep,
    pool: PoolDep,
    key: IdempotencyKey = None,
) -> CommandResult:
    await ensure_case_access(principal, case_id, client, pool)
    return await _run(principal, client, case_id, "withdraw", command, key, pool)
