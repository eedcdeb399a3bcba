"""The register of the Party's specifications under the simplified procedure (CP Art 13), as the
public and the AIA intake read it: ``GET /v1/simplified/register`` lists those in force, and
:func:`find_specification` tells the AIA intake which one, if any, a notified movement falls
under (workflows/simplified/matching.py). Both read the table the specifications' workflows
write (activities/simplified.py, infra/migrations/0005_simplified.sql); everything in it is on the
BCH already, so nothing here is confidential.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Query

from api.auth import PUBLIC_SECURITY, OptionalPrincipalDep
from api.deps import PoolDep
from api.params import Limit, Offset
from api.problem_docs import problem_responses
from workflows.simplified.matching import match
from workflows.simplified.models import LMO_ID_PATTERN, Kind, Specification, Use

router = APIRouter(prefix="/v1", tags=["Simplified procedure"])

_IN_FORCE = "SELECT specification FROM simplified_specifications WHERE in_force"


async def specifications_in_force(
    pool: asyncpg.Pool,
    *,
    lmo_id: str | None = None,
    kind: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Specification]:
    """The specifications in force (published on the BCH, not withdrawn), newest first; by LMO
    (its unique identifier) and kind if given."""
    sql, args = _IN_FORCE, list[object]()
    if lmo_id is not None:
        args.append(lmo_id.strip().upper())
        sql += f" AND ${len(args)} = ANY(lmo_ids)"
    if kind is not None:
        args.append(kind)
        sql += f" AND kind = ${len(args)}"
    sql += " ORDER BY effective_on DESC, case_id"
    if limit is not None:
        args += [limit, offset]
        sql += f" LIMIT ${len(args) - 1} OFFSET ${len(args)}"
    async with pool.acquire() as conn:
        rows = await conn.fetch(sql, *args)
    return [Specification.model_validate(r["specification"]) for r in rows]


async def find_specification(
    pool: asyncpg.Pool,
    lmo_id: str,
    uses: Iterable[Use],
    party_of_export: str,
    on_date: date,
) -> Specification | None:
    """For the AIA intake: the specification in force that a movement of ``lmo_id`` for
    ``uses`` from ``party_of_export`` on ``on_date`` falls under (Art 13(1)), or None, when the
    AIA procedure applies (Arts 7-10)."""
    candidates = await specifications_in_force(pool, lmo_id=lmo_id)
    return match(candidates, lmo_id, uses, party_of_export, on_date)


@router.get(
    "/simplified/register",
    response_model=list[Specification],
    summary="The Party's specifications under the simplified procedure in force (Art 13(1))",
    description="Every specification published on the BCH and not withdrawn: the LMOs (by "
    "unique identifier) and uses it covers, its kind (13(1)(a) movement at the time of "
    "notification, or 13(1)(b) exemption from the AIA procedure), the Parties of export, the "
    "measures applied, the domestic legal basis and the dates it is in effect. Newest first. "
    "No token is needed; everything shown is on the BCH.",
    responses=problem_responses(401, 422, 503),
    openapi_extra=PUBLIC_SECURITY,
)
async def list_specifications(
    _: OptionalPrincipalDep,
    pool: PoolDep,
    lmo_id: Annotated[
        str | None,
        Query(
            pattern=LMO_ID_PATTERN.replace("A-Z0-9Ø", "A-Za-z0-9Øø"),
            description="the LMO's OECD unique identifier, e.g. MON-ØØ81Ø-6",
        ),
    ] = None,
    kind: Annotated[Kind | None, Query(description="13(1)(a) or 13(1)(b)")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[Specification]:
    return await specifications_in_force(pool, lmo_id=lmo_id, kind=kind, limit=limit, offset=offset)
