"""The Biosafety Clearing-House adapter: publish a decision as a ``biosafetyDecision`` record.

Flow (reference/bch-api.md): token → PUT draft → validate → POST ``publishNationalRecord``
request. National users can only request publication; the national focal point publishes, so the
usual outcome is ``publication_requested``. Calling again with the same ``message_key`` never
creates a second record: the document uid is ``uuid5(message_key)``, the request id is kept in
``outgoing_messages``, and a repeated call only refreshes the request's state (so it doubles as a
poll for ``published`` / ``rejected``).

Everything on the BCH is public: only the decision's public facts go into the record.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any, Literal

import asyncpg
import httpx
import jsonschema
import structlog
from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from infra.settings import Settings
from workflows.models import BchReference

SCHEMA = "biosafetyDecision"

# BCH thesaurus terms used in our records. These identifiers were taken from the BCH front end
# (scbd/absch.cbd.int, edit-biosafety-decision); they MUST stay aligned with the BCH thesaurus —
# check them with GET /api/v2013/thesaurus/domains/{domain}/terms before going live (the stand-in
# serves the same domains, and tests compare the two). infra/schemas/biosafetyDecision.json
# repeats them in its enums and conditions.
BCH_TERMS: dict[str, dict[str, str]] = {
    "decisionTypes": {
        # "Decision on LMOs for intentional introduction into the environment" (AIA, Art 10)
        "intentional_introduction": "E8C5A15C-A736-4fb7-A1B6-192412BE7E45",
        # The simplified procedure (Art 13): the BCH form shows the Art 13 flags
        # (movementAllowedUnderA131A, exempt…FromAIA, appliesToSubsequentImports) only for this
        # subject (DEC_8_3 in edit-biosafety-decision.directive.js) and clears them otherwise.
        "simplified_procedure": "8979219B-330B-424F-A52C-209D4B4B65C0",
    },
    "decisionResults": {
        "approval": "3B9ECE67-B35C-40FF-8C06-4EA5FF762899",
        "approval_with_conditions": "3EFF4792-A896-4DC7-9945-04FE9C8B5B4F",
        "prohibition": "6DD1B161-4CDB-4900-BD31-DBB97E86B2AE",
        "information_request": "8D91ACEE-C6B3-4204-8FE6-00AE424013FF",
        "extension": "19F9F13E-195E-45B5-88DD-058A07E0D6F6",
    },
}

# Art 13(1)(b) flag. The BCH's API documentation (scbd/clearing-house-documentation, schema table
# of biosafetyDecision) names it exemptFromAIA; the BCH front end's form binds exemptedFromAIA.
# Confirm against a record saved on bch-dev before going live; infra/schemas/biosafetyDecision.json
# repeats the name (properties and the Art 13 rule).
EXEMPT_FROM_AIA = "exemptFromAIA"

# Document uids are uuid5(namespace, message_key): the same key always addresses the same record.
DOCUMENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://bch.cbd.int/biosafetyDecision")

# Error types the workflows can name in retry policies and failure handling.
BCH_UNAVAILABLE = "BchUnavailable"  # 5xx, 429, timeouts, connection errors: retried
BCH_AUTHENTICATION_FAILED = "BchAuthenticationFailed"  # credentials refused: retried until fixed
BCH_VALIDATION_ERROR = "BchValidationError"  # the BCH's validation report is not empty
BCH_RECORD_INVALID = "BchRecordInvalid"  # our record fails our own schema: bad input or a bug
BCH_REQUEST_REJECTED = "BchRequestRejected"  # other 4xx (e.g. 409 draft locked): a bug

_log = structlog.get_logger(__name__)


class BchParty(BaseModel):
    name: str
    address: str | None = None
    country: str | None = None


class BchLink(BaseModel):
    """A link as the BCH stores it (``Link``: ``{url, name, language}``). Public: never a link
    to anything confidential."""

    url: str
    name: str | None = None
    language: str | None = None  # of the linked document, if it is in one language


class BchDecisionInput(BaseModel):
    message_key: str  # e.g. f"{workflow_id}:bch:decision"
    case_id: str
    government: str  # ISO code of the Party of import, e.g. "HU"
    title: str
    decision_date: date
    decision_result: Literal[
        "approval", "approval_with_conditions", "prohibition", "information_request", "extension"
    ]
    conditions: list[str] = []
    reasons: str | None = None
    extension_period_days: int | None = None
    receipt_date: date
    acknowledgement_date: date | None = None
    communication_date: date
    exporters: list[BchParty] = []
    importers: list[BchParty] = []
    lmo_name: str
    lmo_unique_identifier: str | None = None
    applies_to_subsequent_imports: str | None = None
    risk_assessment_summary: str | None = None
    language: str = "en"
    # Links to other BCH records (GUID@revision) and to the decision's documents.
    modified_organisms: list[BchReference] = []  # modifiedOrganism records (LMO identification)
    risk_assessments: list[BchReference] = []  # nationalRiskAssessment records
    documents: list[BchLink] = []  # the decision document(s)
    # Simplified procedure (Art 13(1)(a) and (b)); only sent when set.
    movement_allowed_under_13_1_a: bool | None = None
    exempt_from_aia: bool | None = None
    applies_to_subsequent_imports_art13: bool | None = None
    # Art 12 review: this record amends the earlier record(s), with a summary of what changed.
    amended_records: list[BchReference] = []
    amendment_details: str | None = None


class BchPublication(BaseModel):
    message_key: str
    document_uid: str
    status: Literal["publication_requested", "published", "rejected"]
    workflow_request_id: str | None
    public_id: str | None
    validation_errors: list[dict[str, Any]] = []


# ---------------------------------------------------------------------------------------------
# The record (pure)


def document_uid(message_key: str) -> str:
    return str(uuid.uuid5(DOCUMENT_NAMESPACE, message_key)).upper()


def _contact(party: BchParty, owner: str, role: str, index: int, language: str) -> dict[str, Any]:
    contact: dict[str, Any] = {
        "header": {
            "identifier": str(uuid.uuid5(DOCUMENT_NAMESPACE, f"{owner}:{role}:{index}")).upper(),
            "schema": "contact",
            "languages": [language],
        },
        "type": "organization",
        "organization": {language: party.name},
    }
    if party.address:
        contact["address"] = {language: party.address}
    if party.country:
        contact["country"] = {"identifier": party.country.lower()}
    return contact


def build_decision_record(req: BchDecisionInput, settings: Settings) -> dict[str, Any]:
    """Map a decision to a ``biosafetyDecision`` document (the BCH's own field names)."""
    lang = req.language
    uid = document_uid(req.message_key)
    result = req.decision_result
    record: dict[str, Any] = {
        "header": {"identifier": uid, "schema": SCHEMA, "languages": [lang]},
        "government": {"identifier": req.government.lower()},
        "authorities": [{"identifier": ref} for ref in settings.bch_authority_uids],
        "title": {lang: req.title},
        "date": req.decision_date.isoformat(),
        "isAmendment": False,
        "decisionTypes": [{"identifier": BCH_TERMS["decisionTypes"]["intentional_introduction"]}],
        "expires": False,
        "addressesTransboundaryMovement": True,
        "decisionResult": {"identifier": BCH_TERMS["decisionResults"][result]},
        "receiptDate": req.receipt_date.isoformat(),
        "communicationDate": req.communication_date.isoformat(),
    }
    if req.acknowledgement_date is not None:
        record["receiptAcknowledgementDate"] = req.acknowledgement_date.isoformat()
    if result == "approval_with_conditions" and req.conditions:
        numbered = "\n".join(f"{i}. {text}" for i, text in enumerate(req.conditions, start=1))
        record["conditions"] = {lang: numbered}
    if req.reasons:
        record["reasons"] = {lang: req.reasons}
    if result == "extension" and req.extension_period_days is not None:
        record["extensionPeriod"] = req.extension_period_days
    if req.exporters:
        record["exporters"] = [
            _contact(p, uid, "exporter", i, lang) for i, p in enumerate(req.exporters)
        ]
    if req.importers:
        record["importers"] = [
            _contact(p, uid, "importer", i, lang) for i, p in enumerate(req.importers)
        ]
    if result in ("approval", "approval_with_conditions") and req.applies_to_subsequent_imports:
        record["appliesToSubsequentIntroductions"] = True
    if req.amended_records or req.amendment_details:
        # Art 12: the changed decision amends the record(s) of the earlier one. Our schema requires
        # both the records and the details, so half an amendment never leaves the building.
        record["isAmendment"] = True
        if req.amended_records:
            record["amendedRecords"] = _references(req.amended_records)
        if req.amendment_details:
            record["amendmentsDetails"] = {lang: req.amendment_details}
    art13 = {
        "movementAllowedUnderA131A": req.movement_allowed_under_13_1_a,
        EXEMPT_FROM_AIA: req.exempt_from_aia,
        "appliesToSubsequentImports": req.applies_to_subsequent_imports_art13,
    }
    if any(flag is not None for flag in art13.values()):
        record["decisionTypes"].append(
            {"identifier": BCH_TERMS["decisionTypes"]["simplified_procedure"]}
        )
        record.update({name: flag for name, flag in art13.items() if flag is not None})
    if req.modified_organisms:
        record["modifiedOrganisms"] = _references(req.modified_organisms)
    if req.risk_assessments:
        record["riskAssessments"] = _references(req.risk_assessments)
    if req.documents:
        record["documents"] = [_link(link) for link in req.documents]
    # The LMO's name and unique identifier also go into relevantInformation (modifiedOrganisms,
    # when given, is the machine-readable link), with the other free-text facts.
    lmo = req.lmo_name
    if req.lmo_unique_identifier:
        lmo += f" (unique identifier {req.lmo_unique_identifier})"
    info = [f"Living modified organism: {lmo}"]
    if req.applies_to_subsequent_imports:
        info.append(
            "How the decision applies to subsequent imports of the same LMO (Article 10(3)(a)): "
            + req.applies_to_subsequent_imports
        )
    if req.risk_assessment_summary:
        info.append(
            "Summary of the risk assessment (Article 15, Annex III): " + req.risk_assessment_summary
        )
    record["relevantInformation"] = {lang: "\n\n".join(info)}
    return record


def _references(refs: list[str]) -> list[dict[str, str]]:
    return [{"identifier": ref} for ref in dict.fromkeys(refs)]  # in order, without repeats


def _link(link: BchLink) -> dict[str, str]:
    out = {"url": link.url}
    if link.name:
        out["name"] = link.name
    if link.language:
        out["language"] = link.language
    return out


@cache
def record_schema() -> dict[str, Any]:
    text = (resources.files("infra") / "schemas" / f"{SCHEMA}.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def schema_errors(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Our JSON Schema's findings, shaped like the BCH's validation report ({code, property})."""
    validator = jsonschema.Draft202012Validator(record_schema())
    errors = []
    for err in sorted(validator.iter_errors(record), key=lambda e: list(e.absolute_path)):
        path = ".".join(str(p) for p in err.absolute_path)
        if err.validator == "required":
            missing = re.match(r"'([^']+)' is a required property", err.message)
            name = missing.group(1) if missing else "?"
            errors.append(
                {
                    "code": "Error.Mandatory",
                    "property": f"{path}.{name}" if path else name,
                    "message": err.message,
                }
            )
        else:
            errors.append(
                {
                    "code": "Error.InvalidValue",
                    "property": path or "(record)",
                    "message": err.message,
                }
            )
    return errors


# ---------------------------------------------------------------------------------------------
# The activity

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
        self._settings = settings
        self._pool = pool
        self._timeout = httpx.Timeout(http_timeout_seconds, connect=min(10.0, http_timeout_seconds))
        # One client for the worker's life: building one per call (and its TLS context with
        # the system's CA store) cost an eighth of the worker's CPU under load (bench/).
        self._http: httpx.AsyncClient | None = None
        self._token: str | None = None
        self._token_valid_until: datetime | None = None
        self._token_lock = asyncio.Lock()

    def _http_client(self) -> httpx.AsyncClient:
        if self._http is None or self._http.is_closed:
            self._http = httpx.AsyncClient(
                base_url=self._settings.bch_base_url, timeout=self._timeout
            )
        return self._http

    async def aclose(self) -> None:
        """Close the HTTP client (the worker calls this when it stops)."""
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    @activity.defn(name="publish_bch_decision")
    async def publish_decision(self, req: BchDecisionInput) -> BchPublication:
        log = _logger(req)
        uid = document_uid(req.message_key)
        record = build_decision_record(req, self._settings)
        recipient = f"BCH realm {self._settings.bch_realm} ({self._settings.bch_base_url})"
        payload: dict[str, Any] = {"document_uid": uid, "document": record}
        failure: ApplicationError | None = None

        http = self._http_client()
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
                request = await self._call(http, "GET", f"/api/v2013/workflows/{row['message_id']}")
                publication = self._publication(req, uid, request.json())
                payload = {**(row["payload"] or {}), "publication": publication.model_dump()}
                await conn.execute(
                    _REFRESHED, req.message_key, _describe(request, publication), payload
                )
                log.info("bch.already_requested", status=publication.status)
                return publication

            await conn.execute(
                _START_ATTEMPT, req.message_key, recipient, req.title, req.language, payload
            )
            try:
                publication = await self._publish(http, conn, req, uid, record, payload, log)
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
        http: httpx.AsyncClient,
        conn: Any,
        req: BchDecisionInput,
        uid: str,
        record: dict[str, Any],
        payload: dict[str, Any],
        log: Any,
    ) -> BchPublication:
        own_errors = schema_errors(record)
        if own_errors:
            # Checked before anything leaves the building: a record we cannot vouch for is not sent.
            message = f"the biosafetyDecision record for {req.message_key} fails our schema"
            await self._record_failed(conn, req, payload, own_errors, message)
            log.error("bch.record_invalid", errors=own_errors)
            raise ApplicationError(message, own_errors, type=BCH_RECORD_INVALID, non_retryable=True)

        # A publication may already exist if an earlier attempt got that far and then failed
        # to record it (e.g. auto-approval, or the focal point acting before our retry).
        existing = await self._call(
            http, "GET", f"/api/v2013/documents/{uid}", params={"info": ""}, allow_404=True
        )
        if existing.status_code == 200:
            info = existing.json()
            publication = BchPublication(
                message_key=req.message_key,
                document_uid=uid,
                status="published",
                workflow_request_id=None,
                public_id=info.get("uniqueIdentifier")
                or _public_id(req.government, info.get("documentID"), info.get("revision")),
            )
            await self._record_sent(conn, req, payload, publication, None, "200 already published")
            log.info("bch.already_published", public_id=publication.public_id)
            return publication

        draft = await self._call(
            http,
            "PUT",
            f"/api/v2013/documents/{uid}/versions/draft",
            params={"schema": SCHEMA},
            json=record,
        )
        draft_info = draft.json()
        report = await self._call(
            http, "POST", "/api/v2013/documents/x/validate", params={"schema": SCHEMA}, json=record
        )
        body = report.json()
        errors = body if isinstance(body, list) else (body.get("errors") or [])
        if errors:
            message = f"the BCH refused the biosafetyDecision record for {req.message_key}"
            await self._record_failed(conn, req, payload, errors, message)
            log.error("bch.validation_failed", errors=errors)
            raise ApplicationError(message, errors, type=BCH_VALIDATION_ERROR, non_retryable=True)

        workflow = {
            "type": "publishNationalRecord",
            "version": "0.4",
            "data": {
                "realm": draft_info.get("realm") or self._settings.bch_realm,
                "documentID": draft_info["documentID"],
                "identifier": draft_info.get("identifier", uid),
                "title": draft_info.get("workingDocumentTitle"),
                "abstract": draft_info.get("workingDocumentSummary"),
                "metadata": draft_info.get("workingDocumentMetadata"),
                "additionalInfo": {"caseReference": req.message_key.split(":")[0]},
            },
        }
        request = await self._call(http, "POST", "/api/v2013/workflows", json=workflow)
        publication = self._publication(req, uid, request.json())
        await self._record_sent(
            conn,
            req,
            payload,
            publication,
            publication.workflow_request_id,
            _describe(request, publication),
        )
        log.info(
            "bch.publication_requested",
            request_id=publication.workflow_request_id,
            status=publication.status,
            public_id=publication.public_id,
        )
        return publication

    def _publication(
        self, req: BchDecisionInput, uid: str, request: dict[str, Any]
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
        )

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

    # HTTP -------------------------------------------------------------------------------------

    async def _call(
        self,
        http: httpx.AsyncClient,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        allow_404: bool = False,
    ) -> httpx.Response:
        """One authenticated call; a 401 gets a fresh token and one more try."""
        for attempt in (1, 2):
            token = await self._get_token(http, renew=attempt == 2)
            headers = {"Authorization": f"Bearer {token}", "Realm": self._settings.bch_realm}
            response = await self._send(
                http, method, path, params=params, json=json, headers=headers
            )
            if response.status_code == 401 and attempt == 1:
                continue
            if response.status_code == 404 and allow_404:
                return response
            _raise_for_status(response, method, path)
            return response
        raise AssertionError("unreachable")

    async def _get_token(self, http: httpx.AsyncClient, *, renew: bool) -> str:
        async with self._token_lock:
            now = datetime.now(UTC)
            if (
                not renew
                and self._token is not None
                and (self._token_valid_until is None or now < self._token_valid_until)
            ):
                return self._token
            self._token = None
            s = self._settings
            response = await self._send(
                http,
                "POST",
                "/api/v2013/authentication/token",
                json={"email": s.bch_email, "password": s.bch_password},
            )
            if response.status_code in (400, 401, 403):
                raise ApplicationError(
                    f"the BCH refused our credentials ({response.status_code}): {response.text}",
                    type=BCH_AUTHENTICATION_FAILED,
                )
            _raise_for_status(response, "POST", "/api/v2013/authentication/token")
            body = response.json()
            self._token = str(body["authenticationToken"])
            self._token_valid_until = _valid_until(body.get("expiration"), now)
            return self._token

    async def _send(self, http: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> Any:
        try:
            return await http.request(method, path, **kwargs)
        except httpx.TimeoutException as err:
            raise ApplicationError(
                f"the BCH did not answer {method} {path} in time ({type(err).__name__})",
                type=BCH_UNAVAILABLE,
            ) from err
        except httpx.TransportError as err:
            raise ApplicationError(
                f"the BCH is unreachable for {method} {path}: {type(err).__name__}: {err}",
                type=BCH_UNAVAILABLE,
            ) from err


def _raise_for_status(response: httpx.Response, method: str, path: str) -> None:
    status = response.status_code
    if status < 400:
        return
    text = response.text[:500]
    if status >= 500 or status in (408, 429):
        raise ApplicationError(
            f"the BCH answered {status} to {method} {path}: {text}", type=BCH_UNAVAILABLE
        )
    if status == 401:
        raise ApplicationError(
            f"the BCH refused a fresh token on {method} {path}", type=BCH_AUTHENTICATION_FAILED
        )
    raise ApplicationError(
        f"the BCH rejected {method} {path} with {status}: {text}",
        {"status": status, "body": text},
        type=BCH_REQUEST_REJECTED,
        non_retryable=True,
    )


def _valid_until(expiration: Any, now: datetime) -> datetime | None:
    """Renew a minute before the token's stated expiration (a 401 still triggers renewal)."""
    if not isinstance(expiration, str):
        return None
    try:
        at = datetime.fromisoformat(expiration.replace("Z", "+00:00"))
    except ValueError:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return max(now, at - timedelta(seconds=60))


def _public_id(government: str, document_id: Any, revision: Any) -> str | None:
    if document_id is None or revision is None:
        return None
    return f"bch-dec-{government.lower()}-{document_id}-{revision}"


def _describe(response: httpx.Response, publication: BchPublication) -> str:
    text = f"{response.status_code} publication request {publication.workflow_request_id}"
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
