"""A case's records on the Biosafety Clearing-House: where each publication stands, and the
officer's correction and resubmission of a record the BCH refused."""

from __future__ import annotations

from fastapi import APIRouter

from api import cases
from api.auth import StaffDep
from api.deps import ClientDep
from api.params import CaseId, IdempotencyKey, PublicationId
from api.problem_docs import problem_responses
from workflows.bch_publication import BchCorrection, PublicationView

TAG = "BCH publication"

router = APIRouter(prefix="/v1", tags=[TAG])


@router.get(
    "/cases/{case_id}/publications",
    response_model=list[PublicationView],
    summary="Where each of the case's BCH records stands",
    description="One publication process per record (Art 10(3) communications): submitting, "
    "validation_failed (with the BCH's errors), publication_requested (awaiting the national "
    "focal point, up to 83 days), published, rejected or lapsed. For the authority's staff.",
    responses=problem_responses(401, 403, 404, 503),
)
async def list_publications(
    case_id: CaseId, _: StaffDep, client: ClientDep
) -> list[PublicationView]:
    return await cases.list_publications(client, case_id)


@router.post(
    "/cases/{case_id}/publications/{publication_id}/resubmission",
    response_model=PublicationView,
    summary="Correct and resubmit a record the BCH refused, or renew a lapsed/rejected request",
    description="For the authority's staff (a notifier gets 403). The correction's `actor` is "
    "the authenticated staff member, whatever the body says.",
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
async def resubmit(
    case_id: CaseId,
    publication_id: PublicationId,
    correction: BchCorrection,
    principal: StaffDep,
    client: ClientDep,
    key: IdempotencyKey = None,
) -> PublicationView:
    correction = correction.model_copy(update={"actor": principal.actor})
    return await cases.resubmit_publication(client, case_id, publication_id, correction, key)
