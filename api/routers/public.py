"""The public register: what anyone may know about each case, without a token.

Built from the case register (PostgreSQL), so it shows a case once the register has caught up
with it (a moment after submission), and the notification's Annex I items from the case's
workflow input; never an item claimed confidential, its justification, or the notifier's e-mail
(CP Art 21; api/public_register.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api import case_reads
from api.auth import PUBLIC_SECURITY, OptionalPrincipalDep
from api.deps import ClientDep, PoolDep
from api.errors import CaseNotFound
from api.params import CaseId, Limit, Offset
from api.problem_docs import problem_responses
from api.procedures import KnownStage
from api.public_register import (
    PublicCase,
    PublicCaseSummary,
    public_case,
    public_entries,
    public_entry,
    public_summary,
)

TAG = "Public register"

router = APIRouter(prefix="/v1", tags=[TAG])

_CONFIDENTIALITY = (
    " Items the notifier claimed confidential (Art 21(1)) are not shown until the "
    "confidentiality case discloses them after the procedure of Art 21(2); the notifier's "
    "justification never is; the notifier's name and address, the LMO's general description "
    "and the risk assessment summary are never confidential (Art 21(6)). No token is needed."
)


@router.get(
    "/register",
    response_model=list[PublicCaseSummary],
    summary="The public register of cases, newest receipt first",
    description="One entry per case: the LMO, the Parties, the notifier, the dates of receipt, "
    "acknowledgement, decision and withdrawal, the decision and the risk assessment summary."
    + _CONFIDENTIALITY,
    responses=problem_responses(401, 422, 503),
    openapi_extra=PUBLIC_SECURITY,
)
async def public_register(
    _: OptionalPrincipalDep,
    pool: PoolDep,
    stage: KnownStage | None = None,
    party_of_import: Annotated[
        str | None, Query(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2, e.g. HU")
    ] = None,
    lmo_id: Annotated[
        str | None,
        Query(max_length=20, description="the LMO's OECD unique identifier, e.g. MON-ØØ81Ø-6"),
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[PublicCaseSummary]:
    entries = await public_entries(
        pool,
        stage=stage.value if stage else None,
        party_of_import=party_of_import,
        lmo_id=lmo_id,
        limit=limit,
        offset=offset,
    )
    return [public_summary(entry) for entry in entries]


@router.get(
    "/register/{case_id}",
    response_model=PublicCase,
    summary="One case in the public register, with the Annex I items that are not confidential",
    description="The register's entry, the notifier's address and the notification's Annex I "
    "items." + _CONFIDENTIALITY,
    responses=problem_responses(401, 404, 503),
    openapi_extra=PUBLIC_SECURITY,
)
async def public_register_case(
    case_id: CaseId, _: OptionalPrincipalDep, pool: PoolDep, client: ClientDep
) -> PublicCase:
    entry = await public_entry(pool, case_id)
    if entry is None:
        raise CaseNotFound(f"no case {case_id} in the public register")
    return public_case(entry, await case_reads.started_notification(client, case_id))
