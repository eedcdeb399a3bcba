"""The register of specifications under the simplified procedure (CP Art 13) in PostgreSQL, and
where each of a specification's BCH records stands.

``sync_specification`` writes a specification's row, idempotently: the row carries the
specification's change count and an older or equal one never overwrites it, so a retried or
late activity changes nothing. ``publication_status`` reads, from the evidence the BCH adapter
keeps of each record (``outgoing_messages``, activities/bch.py), whether the national focal
point has published it.
"""

from __future__ import annotations

import asyncpg
from pydantic import BaseModel, Field
from temporalio import activity

from workflows.simplified.models import Specification

_UPSERT = """
INSERT INTO simplified_specifications
    (case_id, reference, kind, in_force, lmo_ids, effective_on, expires_on, specification, change)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (case_id) DO UPDATE SET
    in_force = EXCLUDED.in_force, lmo_ids = EXCLUDED.lmo_ids,
    effective_on = EXCLUDED.effective_on, expires_on = EXCLUDED.expires_on,
    specification = EXCLUDED.specification, change = EXCLUDED.change, updated_at = now()
WHERE simplified_specifications.change < EXCLUDED.change
"""
_STATUS = """
SELECT message_key, payload -> 'publication' ->> 'status' AS status,
       payload -> 'publication' ->> 'document_uid' AS uid
FROM outgoing_messages WHERE message_key = ANY($1::text[])
"""


class SpecificationRow(BaseModel):
    spec: Specification
    change: int


class PublicationQuery(BaseModel):
    message_keys: list[str]


class PublicationStatus(BaseModel):
    published: list[str] = Field(default_factory=list, description="message keys published")


class SimplifiedActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn(name="sync_simplified_specification")
    async def sync_specification(self, row: SpecificationRow) -> None:
        s = row.spec
        async with self._pool.acquire() as conn:
            await conn.execute(
                _UPSERT,
                s.case_id,
                s.reference,
                s.kind,
                s.in_force,
                sorted(s.lmos),
                s.effective_on,
                s.expires_on,
                s.model_dump(mode="json"),
                row.change,
            )

    @activity.defn(name="simplified_publication_status")
    async def publication_status(self, query: PublicationQuery) -> PublicationStatus:
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(_STATUS, query.message_keys)
        return PublicationStatus(
            published=sorted(r["message_key"] for r in rows if r["status"] == "published")
        )
