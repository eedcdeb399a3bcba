"""Public consultation (CP Art 23(2)): the public reads the consultations open to comment and
comments without a token; the authority's staff read the comments. See api/consultations.py."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from api import consultations as service
from api.auth import PUBLIC_SECURITY, OptionalPrincipalDep, StaffDep
from api.deps import NowDep, PoolDep, SettingsDep
from api.params import CaseId, IdempotencyKey, Limit, Offset
from api.problem_docs import problem_responses
from workflows import clock

TAG = "Public consultation"

router = APIRouter(prefix="/v1", tags=[TAG])

_PUBLIC = (
    " No token is needed. Only what the public register shows of the case is shown: never an "
    "item claimed confidential (Art 21), never a commenter's e-mail address."
)

_ALREADY_RECEIVED: dict[int | str, dict[str, Any]] = {
    200: {"model": service.CommentReceipt, "description": "already received (Idempotency-Key)"}
}


@router.get(
    "/consultations",
    response_model=list[service.OpenConsultation],
    summary="Public consultations open to comment today (Art 23(2)), soonest end first",
    description="Each consultation an officer opened on a case before its decision, with its "
    "subject, its end date (comments are received until the end of that day in the "
    "authority's time zone) and the number of comments received so far." + _PUBLIC,
    responses=problem_responses(401, 422, 503),
    openapi_extra=PUBLIC_SECURITY,
)
async def open_consultations(
    _: OptionalPrincipalDep, pool: PoolDep, now: NowDep, settings: SettingsDep,
    limit: Limit = 50, offset: Offset = 0,
) -> list[service.OpenConsultation]:  # fmt: skip
    today = clock.local_date(now, settings.timezone)
    return await service.open_consultations(pool, today, limit=limit, offset=offset)


@router.get(
    "/consultations/{case_id}",
    response_model=service.ConsultationCase,
    summary="A case's public consultation, open or closed, with its results once decided",
    description="Whether comments are received today, and, once the decision is taken, the "
    "decision with the results of the consultation (Art 23(2): the results of decisions are "
    "made available to the public)." + _PUBLIC,
    responses=problem_responses(401, 404, 503),
    openapi_extra=PUBLIC_SECURITY,
)
async def read_consultation(
    case_id: CaseId, _: OptionalPrincipalDep, pool: PoolDep, now: NowDep, settings: SettingsDep
) -> service.ConsultationCase:
    return await service.consultation(pool, case_id, clock.local_date(now, settings.timezone))


@router.post(
    "/consultations/{case_id}/comments",
    response_model=service.CommentReceipt,
    status_code=201,
    summary="Comment on a case under public consultation (Art 23(2))",
    description="Accepted while the consultation runs (until the end of its last day in the "
    "authority's time zone); 409 once it has closed or the case has been decided or withdrawn, "
    "404 when the case has no public consultation. An Idempotency-Key makes a retried "
    "submission one comment (answered 200 with the first receipt)." + _PUBLIC,
    responses=_ALREADY_RECEIVED | problem_responses(401, 404, 409, 422, 503),
    openapi_extra=PUBLIC_SECURITY,
)
async def comment(
    case_id: CaseId, body: service.CommentIn, response: Response, _: OptionalPrincipalDep,
    pool: PoolDep, now: NowDep, settings: SettingsDep, idempotency_key: IdempotencyKey = None,
) -> service.CommentReceipt:  # fmt: skip
    today = clock.local_date(now, settings.timezone)
    receipt, created = await service.add_comment(pool, case_id, body, now, today, idempotency_key)
    if not created:
        response.status_code = 200
    return receipt


@router.get(
    "/cases/{case_id}/consultation-comments",
    response_model=list[service.Comment],
    summary="The public's comments on the case's consultation, in the order received",
    description="For the authority's staff: every comment with the commenter's name, "
    "organisation and e-mail address, to weigh before the decision states the consultation's "
    "results (Art 23(2)).",
    responses=problem_responses(401, 403, 404, 503),
)
async def list_comments(
    case_id: CaseId, _: StaffDep, pool: PoolDep, now: NowDep, settings: SettingsDep
) -> list[service.Comment]:
    await service.consultation(pool, case_id, clock.local_date(now, settings.timezone))  # 404
    return await service.comments(pool, case_id)
