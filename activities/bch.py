"""The Biosafety Clearing-House adapter: publish a decision as a ``biosafetyDecision`` record.

Flow (the BCH's API documentation; activities/bch_client.py): token → the exporters' and
importers' contact records (found in the register or created, activities/bch_contacts.py) →
PUT draft → validate → POST ``publishNationalRecord`` request. National users can only request
publication; the national focal point publishes, so the usual outcome is
``publication_requested``. Calling again with the same ``message_key`` never creates a second
record: the document uid is ``uuid5(message_key)``, the request id is kept in
``outgoing_messages``, and a repeated call only refreshes the request's state (so it doubles as a
poll for ``published`` / ``rejected``).

Everything on the BCH is public: only the decision's public facts go into the record
(activities/bch_record.py builds it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

import asyncpg
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.bch_client import BchClient
from activities.bch_contacts import BchContacts, working_document_id
from activities.bch_models import BchDecisionInput, BchLink, BchParty, BchPublication
from activities.bch_record import (
    BCH_TERMS,
    CONTACT_SCHEMA,
    EXEMPT_FROM_AIA,
    SCHEMA,
    additional_info,
    build_contact,
    build_decision_record,
    document_uid,
    record_schema,
    schema_errors,
    unlinked_parties,
)
from infra.settings import Settings
from workflows.errors import BCH_RECORD_INVALID, BCH_REQUEST_REJECTED, BCH_VALIDATION_ERROR

__all__ = [
    "BCH_TERMS",
    "EXEMPT_FROM_AIA",
    "SCHEMA",
    "BchActivities",
    "BchDecisionInput",
    "BchLink",
    "BchParty",
    "BchPublication",
    "build_decision_record",
    "document_uid",
    "own_errors",
    "record_schema",
    "schema_errors",
]

_log = structlog.get_logger(__name__)


def own_errors(req: BchDecisionInput, settings: Settings) -> list[dict[str, Any]]:
    """Our own schema's findings on the decision and on its parties' contact records."""
    errors = schema_errors(build_decision_record(req, settings))
    for role, parties in req.parties():
        for i, party in enumerate(parties):
            contact = build_contact(party, settings.bch_realm, req.language)
            if contact is not None:
                errors += schema_errors(contact, CONTACT_SCHEMA, prefix=f"{role}[{i}].")
    return errors


_INSERT = """
INSERT INTO outgoing_messages
    (message_key, case_id, channel, recipient, subject, template, language, status, payload)
VALUES ($1, $2, 'bch', $3, $4, 'biosafetyDecision', $5, 'pending', $6)
ON CONFLICT (message_key) DO NOTHING
"""
_LOCK = "SELECT * FROM outgoing_messages WHERE message_key = $1 FOR UPDATE"
_START_ATTEMPT = """
UPDATE outgoing_messages
SET attempts = attempts + 1, status = 'pending', recipient = $2, subject = $3, language = $4,
    payload = $5
WHERE message_key = $1
"""
_SENT = """
UPDATE outgoing_messages
SET status = 'sent', message_id = $2, server_response = $3, payload = $4,
    sent_at = COALESCE(sent_at, $5)
WHERE message_key = $1
"""
_REFRESHED = """
UPDATE outgoing_messages SET server_response = $2, payload = $3 WHERE message_key = $1
"""
_FAILED = """
UPDATE outgoing_messages SET status = 'failed', server_response = $2, last_error = $3, payload = $4
WHERE message_key = $1
"""
_ERROR = "UPDATE outgoing_messages SET last_error = $2 WHERE message_key = $1"


class BchActivities:
    """The ``publish_bch_decision`` activity, with the BCH settings and register pool injected."""

    def __init__(
        self, settings: Settings, pool: asyncpg.Pool, *, http_timeout_seconds: float = 30.0
    ) -> None:
        settings.require_bch_ready()  # production refuses the stand-in's placeholders
        self._settings = settings
        self._pool = pool
        self._client = BchClient(settings, http_timeout_seconds=http_timeout_seconds)
        self._contacts = BchContacts(self._client, pool)

    async def aclose(self) -> None:
        """Close the HTTP client (the worker calls this when it stops)."""
        await self._client.aclose()

    @activity.defn(name="publish_bch_decision")
    async def publish_decision(self, req: BchDecisionInput) -> BchPublication:
        log = _logger(req)
        uid = document_uid(req.message_key)
        record = build_decision_record(req, self._settings)
        recipient = f"BCH realm {self._settings.bch_realm} ({self._settings.bch_base_url})"
        payload: dict[str, Any] = {"document_uid": uid, "document": record}
        failure: ApplicationError | None = None

        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                _INSERT, req.message_key, req.case_id, recipient, req.title, req.language, payload
            )
            # Concurrent attempts with the same key wait here until the first one has finished.
            row = await conn.fetchrow(_LOCK, req.message_key)
            assert row is not None
            if row["channel"] != "bch":
                raise ApplicationError(
                    f"message key {req.message_key!r} is already used on channel {row['channel']}",
                    type="MessageKeyConflict",
                    non_retryable=True,
                )
            if row["status"] == "sent" and row["message_id"]:
                # Already requested: never request twice, only look at where the request stands.
                request = await self._client.publication_request(row["message_id"])
                publication = _publication(req, uid, request)
                payload = {**(row["payload"] or {}), "publication": publication.model_dump()}
                await conn.execute(
                    _REFRESHED, req.message_key, _describe(200, publication), payload
                )
                log.info("bch.already_requested", status=publication.status)
                return publication

            await conn.execute(
                _START_ATTEMPT, req.message_key, recipient, req.title, req.language, payload
            )
            try:
                publication = await self._publish(conn, req, uid, payload, log)
            except ApplicationError as err:
                failure = err
                if err.type == BCH_REQUEST_REJECTED:
                    await conn.execute(_FAILED, req.message_key, None, str(err), payload)
                    log.error("bch.request_rejected", error=str(err))
                elif not err.non_retryable:
                    await conn.execute(_ERROR, req.message_key, str(err))
                    log.warning("bch.temporary_failure", error=str(err), type=err.type)
                # validation failures were recorded as failed by _publish
            else:
                return publication
        # Raised outside the transaction so that the failure evidence above is committed.
        assert failure is not None
        raise failure

    async def _publish(
        self,
        conn: Any,
        req: BchDecisionInput,
        uid: str,
        payload: dict[str, Any],
        log: Any,
    ) -> BchPublication:
        client = self._client
        found = own_errors(req, self._settings)
        if found:
            # Checked before anything leaves the building: a record we cannot vouch for is not sent.
            message = f"the biosafetyDecision record for {req.message_key} fails our schema"
            await self._record_failed(conn, req, payload, found, message)
            log.error("bch.record_invalid", errors=found)
            raise ApplicationError(message, found, type=BCH_RECORD_INVALID, non_retryable=True)
        notes = unlinked_parties(req)

        # A publication may already exist if an earlier attempt got that far and then failed
        # to record it (e.g. auto-approval, or the focal point acting before our retry).
        info = await client.published_info(uid)
        if info is not None:
            publication = BchPublication(
                message_key=req.message_key,
                document_uid=uid,
                status="published",
                workflow_request_id=None,
                public_id=info.get("uniqueIdentifier")
                or _public_id(req.government, info.get("documentID"), info.get("revision")),
                notes=notes,
            )
            await self._record_sent(conn, req, payload, publication, None, "200 already published")
            log.info("bch.already_published", public_id=publication.public_id)
            return publication

        try:
            contacts = await self._contacts.references(req)
        except ApplicationError as err:
            if err.type == BCH_VALIDATION_ERROR:
                await self._record_failed(conn, req, payload, list(err.details[0]), str(err))
                log.error("bch.contact_refused", errors=err.details[0])
            raise
        record = build_decision_record(req, self._settings, contacts)
        payload["document"] = record

        saved = await client.save_draft(uid, SCHEMA, record)
        if saved.locked_by is not None:
            # A request is pending for this record already (an attempt that filed it and then
            # failed to record it): the BCH keeps the draft locked; follow that request.
            request = await client.publication_request(saved.locked_by)
            publication = _publication(req, uid, request, notes)
            await self._record_sent(
                conn, req, payload, publication, publication.workflow_request_id,
                _describe(200, publication),
            )  # fmt: skip
            log.info("bch.request_found", request_id=publication.workflow_request_id)
            return publication

        report = await client.validate(SCHEMA, record)
        if report.errors:
            message = f"the BCH refused the biosafetyDecision record for {req.message_key}"
            await self._record_failed(conn, req, payload, report.errors, message)
            log.error("bch.validation_failed", errors=report.errors, status=report.status)
            raise ApplicationError(
                message, report.errors, type=BCH_VALIDATION_ERROR, non_retryable=True
            )

        workflow = {
            "type": "publishNationalRecord",
            "version": "0.4",
            "data": {
                "realm": saved.info.get("realm") or self._settings.bch_realm,
                "documentID": working_document_id(saved.info),
                "identifier": saved.info.get("identifier", uid),
                "title": saved.info.get("workingDocumentTitle"),
                "abstract": saved.info.get("workingDocumentSummary"),
                "metadata": saved.info.get("workingDocumentMetadata"),
                "additionalInfo": additional_info(req),
            },
        }
        request = await client.request_publication(workflow)
        publication = _publication(req, uid, request, notes)
        await self._record_sent(
            conn,
            req,
            payload,
            publication,
            publication.workflow_request_id,
            _describe(201, publication),
        )
        log.info(
            "bch.publication_requested",
            request_id=publication.workflow_request_id,
            status=publication.status,
            public_id=publication.public_id,
        )
        return publication

    async def _record_sent(
        self,
        conn: Any,
        req: BchDecisionInput,
        payload: dict[str, Any],
        publication: BchPublication,
        request_id: str | None,
        response: str,
    ) -> None:
        payload["publication"] = publication.model_dump()
        await conn.execute(_SENT, req.message_key, request_id, response, payload, datetime.now(UTC))

    async def _record_failed(
        self,
        conn: Any,
        req: BchDecisionInput,
        payload: dict[str, Any],
        errors: list[dict[str, Any]],
        message: str,
    ) -> None:
        payload["validation_errors"] = errors
        summary = "; ".join(f"{e.get('code')} {e.get('property')}" for e in errors)
        await conn.execute(_FAILED, req.message_key, summary, message, payload)


def _publication(
    req: BchDecisionInput, uid: str, request: dict[str, Any], notes: list[str] | None = None
) -> BchPublication:
    state = request.get("state")
    result = request.get("result") or {}
    status: Literal["publication_requested", "published", "rejected"]
    if state == "approved" or result.get("action") == "approve":
        status = "published"
    elif state in ("rejected", "cancelled") or result.get("action") == "reject":
        status = "rejected"
    else:
        status = "publication_requested"
    return BchPublication(
        message_key=req.message_key,
        document_uid=uid,
        status=status,
        workflow_request_id=request.get("_id") or request.get("id"),
        public_id=result.get("publicId") if status == "published" else None,
        notes=notes if notes is not None else unlinked_parties(req),
    )


def _public_id(government: str, document_id: Any, revision: Any) -> str | None:
    if document_id is None or revision is None:
        return None
    return f"bch-dec-{government.lower()}-{document_id}-{revision}"


def _describe(status: int, publication: BchPublication) -> str:
    text = f"{status} publication request {publication.workflow_request_id}"
    text += f": {publication.status}"
    if publication.public_id:
        text += f" as {publication.public_id}"
    return text


def _logger(req: BchDecisionInput) -> Any:
    log = _log.bind(case_id=req.case_id, message_key=req.message_key)
    if activity.in_activity():
        info = activity.info()
        log = log.bind(
            workflow_id=info.workflow_id, activity_id=info.activity_id, attempt=info.attempt
        )
    return log
