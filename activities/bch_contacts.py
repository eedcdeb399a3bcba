"""Exporters and importers as ``contact`` records on the Biosafety Clearing-House.

A decision references its exporters and importers (``Reference[]``, GUID@revision), so each
party must first exist on the BCH as a contact record of its own, through the same draft,
validation and publication request as any record. Contacts are kept in the register
(``bch_contacts``, migration 0004) and reused by every later decision that names the same party;
the record's identifier is derived from the party's details, so a register that lost a row finds
the record again on the BCH instead of creating a second one.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from temporalio.exceptions import ApplicationError

from activities.bch_client import BchClient, unexpected
from activities.bch_models import BchDecisionInput
from activities.bch_record import CONTACT_SCHEMA, build_contact, contact_key
from workflows.errors import BCH_CONTACT_PENDING, BCH_VALIDATION_ERROR

_INSERT = """
INSERT INTO bch_contacts (contact_key, realm, identifier, document)
VALUES ($1, $2, $3, $4)
ON CONFLICT (contact_key) DO NOTHING
"""
# Two decisions naming the same new party wait here for each other: one record, not two.
_LOCK = "SELECT * FROM bch_contacts WHERE contact_key = $1 FOR UPDATE"
_PUBLISHED = """
UPDATE bch_contacts
SET revision = $2, request_id = NULL, published_at = COALESCE(published_at, now())
WHERE contact_key = $1
"""
# A new request: any revision remembered before is no longer on the BCH (or is being replaced).
_REQUESTED = """
UPDATE bch_contacts SET request_id = $2, document = $3, revision = NULL, published_at = NULL
WHERE contact_key = $1
"""


class BchContacts:
    """Finds or creates the contact records a decision references."""

    def __init__(self, client: BchClient, pool: asyncpg.Pool) -> None:
        self._client = client
        self._pool = pool

    async def references(self, req: BchDecisionInput) -> dict[str, str]:
        """uid → GUID@revision of the contact record of every party that can have one.

        Raises ``BchValidationError`` (the BCH's errors, properties prefixed with the party, e.g.
        ``exporters[0].emails``) or, while a contact's publication request waits, the retryable
        ``BchContactPending``."""
        realm = self._client.settings.bch_realm
        documents: dict[str, tuple[str, dict[str, Any]]] = {}
        for role, parties in req.parties():
            for i, party in enumerate(parties):
                document = build_contact(party, realm, req.language)
                if document is not None:
                    documents.setdefault(contact_key(party, realm), (f"{role}[{i}]", document))
        refs = {}
        for key in sorted(documents):  # always in the same order: no two callers deadlock
            where, document = documents[key]
            refs[document["header"]["identifier"]] = await self._ensure(key, where, document)
        return refs

    async def _ensure(self, key: str, where: str, document: dict[str, Any]) -> str:
        realm = self._client.settings.bch_realm
        uid = document["header"]["identifier"]
        async with self._pool.acquire() as conn:
            async with conn.transaction():
                await conn.execute(_INSERT, key, realm, uid, document)
                row = await conn.fetchrow(_LOCK, key)
                assert row is not None
                outcome = await self._find_or_create(conn, row, where, document)
            # Raised after the commit, so that a request filed on the BCH is remembered.
            if isinstance(outcome, ApplicationError):
                raise outcome
            return outcome

    async def _find_or_create(
        self, conn: Any, row: Any, where: str, document: dict[str, Any]
    ) -> str | ApplicationError:
        client, key, uid = self._client, row["contact_key"], row["identifier"]
        # Published (by us earlier, or before a lost row): still there, at its latest revision.
        reference = await self._published(conn, key, uid)
        if reference is not None:
            return reference
        if row["request_id"]:
            request = await client.publication_request(row["request_id"], missing_ok=True)
            if request is not None and _state(request) != "rejected":
                return _pending(where, uid, row["request_id"])
            # Rejected, or unknown to the BCH: ask again below (a new request, the same record).
        saved = await client.save_draft(uid, CONTACT_SCHEMA, document)
        if saved.locked_by is not None:
            await conn.execute(_REQUESTED, key, saved.locked_by, document)
            return _pending(where, uid, saved.locked_by)
        report = await client.validate(CONTACT_SCHEMA, document)
        if report.errors:
            errors = [{**e, "property": f"{where}.{e.get('property')}"} for e in report.errors]
            return ApplicationError(
                f"the BCH refused the contact record of {where} ({uid})",
                errors,
                type=BCH_VALIDATION_ERROR,
                non_retryable=True,
            )
        workflow = client.settings.bch_contact_workflow
        body: dict[str, Any] = {
            "type": workflow,
            "data": {
                "realm": saved.info.get("realm") or client.settings.bch_realm,
                "documentID": working_document_id(saved.info),
                "identifier": saved.info.get("identifier", uid),
                "title": saved.info.get("workingDocumentTitle"),
                "abstract": saved.info.get("workingDocumentSummary"),
                "metadata": saved.info.get("workingDocumentMetadata"),
            },
        }
        if workflow == "publishNationalRecord":
            body["version"] = "0.4"
        request = await client.request_publication(body)
        request_id = request.get("_id") or request.get("id")
        await conn.execute(_REQUESTED, key, request_id, document)
        reference = await self._published(conn, key, uid)
        return reference if reference is not None else _pending(where, uid, request_id)

    async def _published(self, conn: Any, key: str, uid: str) -> str | None:
        info = await self._client.published_info(uid)
        if info is None:
            return None
        revision = info.get("revision")
        if not isinstance(revision, int) or revision < 1:
            raise unexpected("the published contact's revision", info)
        await conn.execute(_PUBLISHED, key, revision)
        return f"{uid}@{revision}"


def working_document_id(info: dict[str, Any]) -> int:
    """The draft's number for the publication request: ``workingDocumentID`` as documented
    (``documentID`` as older answers and the BCH front end have it)."""
    for name in ("workingDocumentID", "documentID"):
        value = info.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    raise unexpected("workingDocumentID (the draft's number)", info)


def _state(request: dict[str, Any]) -> str:
    state = request.get("state")
    action = (request.get("result") or {}).get("action")
    if state == "approved" or action == "approve":
        return "approved"
    if state in ("rejected", "cancelled") or action == "reject":
        return "rejected"
    return "pending"


def _pending(where: str, uid: str, request_id: Any) -> ApplicationError:
    return ApplicationError(
        f"the contact record of {where} ({uid}) awaits publication on the BCH (request "
        f"{request_id}); the decision that references it follows once it is published",
        type=BCH_CONTACT_PENDING,
    )
