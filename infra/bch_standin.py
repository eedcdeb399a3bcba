"""A local stand-in for the Biosafety Clearing-House (BCH) API, ``api.cbd.int``, for dev and tests.

It speaks the documented API (scbd/clearing-house-documentation; reference/bch-api.md in the
project's shared folder): token, drafts (save, read, info, delete), validation, publication requests
(``publishNationalRecord`` for decisions, ``publishReferenceRecord`` for contacts), published
records, a minimal search index and the public thesaurus. National users can only *request* the
publication of a national record; the national focal point approves or rejects, here through the
stand-in-only control endpoints under ``/_standin/`` (which also inject faults). Reference
records (contacts) are published at once unless ``/_standin/config`` says otherwise: whether the
real BCH does so is for bch-dev to settle (README, "Before going live"). State is kept in memory
and, given a state folder, in ``<folder>/state.json`` too (documents, drafts, publication
requests, document numbers; written atomically after every change, read at start), so a restart
forgets no publication request. Tokens are not kept: after a restart the BCH client's old token
is answered 401 and it fetches a new one, as with the real BCH.

Validation is as strict as the documentation describes it (infra/bch_standin_rules.py): unknown
properties, wrong types, undeclared locales, terms outside their domain, missing mandatory fields,
and references that do not name an existing revision of a record of the right kind are refused;
an invalid document is answered 400 with the ``errors`` list. A draft locked by a pending
publication request cannot be changed (``Error.RecordLocked``).

Besides the records published here, a small registry of public records is always present
(``SEEDED_AUTHORITY_RECORDS``, ``SEEDED_LMO_RECORDS``, ``SEEDED_RISK_ASSESSMENT_RECORDS`` in
infra/bch_standin_state.py, with the records and the state file): the
dev stack's competent national authority (the settings' placeholder), and sample
``modifiedOrganism`` and ``nationalRiskAssessment`` records with fixed ids, readable at
``GET /api/v2013/documents/{uid}`` and searchable, e.g.
``GET /api/v2013/index?q=uniqueIdentification_s:MON-00810-6`` (a slashed zero Ø matches a plain
0). Their content is a stand-in summary, not the BCH's record.

Standalone: ``python -m infra.bch_standin --port 8300 [--state-dir .stack/bch] [--auto-approve]``.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from infra.bch_standin_records import (
    ApiError,
    draft_info,
    index_doc,
    publish,
    published_info,
    request_json,
    schema_of,
    search,
)
from infra.bch_standin_rules import CONTACT, DECISION, validate
from infra.bch_standin_state import (
    STATE_FILE,
    Draft,
    PublicationRequest,
    StandinState,
    iso_z,
    load_state,
    save_state,
    seed_registry,
    utc_now,
)
from infra.bch_thesaurus import THESAURUS

API = "/api/v2013"
SCHEMA = DECISION
# Which publication request each record type takes: national records go to the focal point,
# reference records (contacts, in the BCH front end's mapping) are published by the BCH.
WORKFLOW_TYPES = {
    DECISION: ("publishNationalRecord", "0.4"),
    CONTACT: ("publishReferenceRecord", None),
}
ADDITIONAL_INFO_MAX = 1000
RECORD_LOCKED = "The record is locked for workflow, cannot proceed."


# --- request and response bodies -----------------------------------------------------------------


class Credentials(BaseModel):
    email: str
    password: str


class WorkflowData(BaseModel):
    realm: str
    documentID: int
    identifier: str
    title: dict[str, str] | str | None = None
    abstract: dict[str, str] | str | None = None
    metadata: dict[str, Any] | None = None
    additionalInfo: Any = None  # documented: a string of at most 1,000 characters (checked)


class WorkflowCreate(BaseModel):
    type: str
    version: str | None = None
    data: WorkflowData


class Faults(BaseModel):
    mode: Literal["none", "fail", "hang"]
    hang_seconds: float = 30.0


class Rejection(BaseModel):
    reason: str | None = None


class StandinConfig(BaseModel):
    auto_approve: bool | None = None
    token_ttl_seconds: float | None = None
    publish_reference_records: bool | None = None


# --- the app -------------------------------------------------------------------------------------


def create_app(
    token_ttl_seconds: float = 3600, auto_approve: bool = False, state_dir: Path | None = None
) -> FastAPI:
    """The stand-in's app; with ``state_dir``, its state is kept in ``state_dir/state.json``
    (loaded now, saved after every request that may change it), otherwise in memory only."""
    app = FastAPI(
        title="Biosafety Clearing-House stand-in",
        description="Local stand-in for api.cbd.int (BCH). State is in memory"
        + (f", and in {state_dir / STATE_FILE}." if state_dir else "."),
    )
    state = StandinState(token_ttl_seconds=token_ttl_seconds, auto_approve=auto_approve)
    state_file = state_dir / STATE_FILE if state_dir is not None else None
    if state_file is not None:
        load_state(state, state_file)
    app.state.bch = state

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        body = {"statusCode": exc.status, "code": exc.code, "message": exc.message, **exc.extra}
        return JSONResponse(body, status_code=exc.status)

    @app.middleware("http")
    async def faults_and_call_log(request: Request, call_next: Any) -> Response:
        entry: dict[str, Any] = {
            "at": iso_z(utc_now()),
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "accept": request.headers.get("accept"),
        }
        if request.url.path.startswith("/api/"):
            state.calls.append(entry)
            del state.calls[:-5000]  # a long dev session keeps only the recent calls
            if state.fault_mode == "fail":
                entry["status"] = 503
                return JSONResponse(
                    {
                        "statusCode": 503,
                        "code": "ServiceUnavailable",
                        "message": "(stand-in fault)",
                    },
                    status_code=503,
                )
            if state.fault_mode == "hang":
                await asyncio.sleep(state.hang_seconds)
        response: Response = await call_next(request)
        entry["status"] = response.status_code
        if state_file is not None and request.method not in ("GET", "HEAD", "OPTIONS"):
            # Before the answer leaves: a client that saw its request accepted finds it again
            # after a restart. (Handlers change the state without awaiting: no torn snapshot.)
            save_state(state, state_file)
        return response

    async def session(
        authorization: str | None = Header(default=None),
        realm: str | None = Header(default=None),
    ) -> str:
        token = (authorization or "").removeprefix("Bearer ").strip()
        if not authorization or not authorization.startswith("Bearer ") or not token:
            raise ApiError(401, "Unauthorized", "missing bearer token")
        expiry = state.tokens.get(token)
        if expiry is None:
            raise ApiError(401, "Unauthorized", "unknown token")
        if time.monotonic() >= expiry:
            raise ApiError(401, "TokenExpired", "token expired")
        if not realm:
            raise ApiError(400, "Error.MissingRealm", "header Realm is required")
        return realm

    # authentication
    @app.post(f"{API}/authentication/token")
    async def token(credentials: Credentials) -> dict[str, Any]:
        if not credentials.email or not credentials.password:
            raise ApiError(403, "Forbidden", "invalid credentials")
        value = secrets.token_urlsafe(32)
        state.tokens[value] = time.monotonic() + state.token_ttl_seconds
        expiration = utc_now() + timedelta(seconds=state.token_ttl_seconds)
        return {"authenticationToken": value, "expiration": iso_z(expiration)}

    def document_of(body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiError(400, "Error.InvalidDocument", "the document must be a JSON object")
        return body

    def configured(schema: str | None) -> str:
        if not schema:
            raise ApiError(400, "Error.MissingSchema", "query parameter schema is required")
        if schema not in WORKFLOW_TYPES:
            raise ApiError(
                400,
                "Error.SchemaNotConfigured",
                f"Schema not configured for the given realm: {schema}",
            )
        return schema

    def locked(uid: str) -> None:
        if state.pending_request(uid) is not None:
            raise ApiError(400, "Error.RecordLocked", RECORD_LOCKED)

    # drafts
    @app.put(f"{API}/documents/{{uid}}/versions/draft")
    async def put_draft(
        uid: str, request: Request, schema: str | None = None, realm: str = Depends(session)
    ) -> JSONResponse:
        schema = configured(schema)
        body = document_of(await request.json())
        header = body.get("header") or {}
        if header.get("identifier") != uid:
            raise ApiError(400, "Error.IdentifierMismatch", "header.identifier must equal the uid")
        if header.get("schema") != schema:
            raise ApiError(400, "Error.SchemaMismatch", "header.schema must equal ?schema")
        locked(uid)  # the draft of a pending publication request cannot change, not even to itself
        existing = state.drafts.get(uid)
        now = utc_now()
        if existing is None:
            draft = Draft(uid, state.document_id(uid), realm, body, now, now)
            state.drafts[uid] = draft
            return JSONResponse(draft_info(state, draft, with_body=False), status_code=201)
        existing.body, existing.updated_on, existing.realm = body, now, realm
        return JSONResponse(draft_info(state, existing, with_body=False))

    def draft_or_404(uid: str) -> Draft:
        draft = state.drafts.get(uid)
        if draft is None:
            raise ApiError(404, "notFound", f"no draft {uid}")
        return draft

    @app.get(f"{API}/documents/{{uid}}/versions/draft")
    async def get_draft(
        uid: str, info: str | None = None, realm: str = Depends(session)
    ) -> dict[str, Any]:
        """The draft as stored; with ``?info``, its info (as the BCH front end reads it)."""
        draft = draft_or_404(uid)
        return draft_info(state, draft, with_body=False) if info is not None else draft.body

    @app.get(f"{API}/documents/{{uid}}/versions/draft/info")
    async def get_draft_info(uid: str, realm: str = Depends(session)) -> dict[str, Any]:
        return draft_info(state, draft_or_404(uid), with_body=False)

    @app.delete(f"{API}/documents/{{uid}}/versions/draft")
    async def delete_draft(uid: str, realm: str = Depends(session)) -> dict[str, Any]:
        draft_or_404(uid)
        locked(uid)
        del state.drafts[uid]
        return {"identifier": uid, "deleted": True}

    @app.post(f"{API}/documents/x/validate")
    async def validate_document(
        request: Request, schema: str | None = None, realm: str = Depends(session)
    ) -> JSONResponse:
        """The documented answer: 400 with ``errors`` when the document is invalid, else 200."""
        schema = configured(schema)
        body = document_of(await request.json())
        header = body.get("header")
        header = header if isinstance(header, dict) else {}
        answer: dict[str, Any] = {
            "identifier": header.get("identifier"),
            "schema": schema,
            "locales": header.get("languages"),
            "title": body.get("title") or body.get("organization"),
            "summary": body.get("summary"),
        }
        errors = validate(schema, body, state.referenceable())
        if errors:
            return JSONResponse(answer | {"errors": errors}, status_code=400)
        government = body.get("government")
        metadata = (
            {"government": government.get("identifier")} if isinstance(government, dict) else {}
        )
        return JSONResponse(answer | {"links": [], "metaData": metadata})

    # publication requests
    @app.post(f"{API}/workflows")
    async def create_workflow(body: WorkflowCreate, realm: str = Depends(session)) -> JSONResponse:
        if body.data.realm.lower() != realm.lower():
            raise ApiError(400, "Error.RealmMismatch", "data.realm differs from header Realm")
        info = body.data.additionalInfo
        if info is not None and (not isinstance(info, str) or len(info) > ADDITIONAL_INFO_MAX):
            raise ApiError(
                400,
                "invalidParameter",
                f"additionalInfo is a string of at most {ADDITIONAL_INFO_MAX} characters",
                fields=["additionalInfo"],
            )
        draft = state.drafts.get(body.data.identifier)
        if draft is None or draft.document_id != body.data.documentID:
            raise ApiError(404, "notFound", "no draft with this identifier and documentID")
        schema = schema_of(draft.body) or ""
        if WORKFLOW_TYPES.get(schema) != (body.type, body.version):
            raise ApiError(
                400, "Error.UnsupportedWorkflow", f"{body.type} {body.version} for {schema}"
            )
        pending = state.pending_request(draft.uid)
        if pending is not None:
            return JSONResponse(request_json(pending))
        if validate(schema, draft.body, state.referenceable()):
            raise ApiError(400, "Error.InvalidDocument", "the draft does not validate")
        req = PublicationRequest(
            id=secrets.token_hex(12),
            uid=draft.uid,
            document_id=draft.document_id,
            realm=realm,
            data=body.data.model_dump(),
            created_on=utc_now(),
            type=body.type,
        )
        state.requests[req.id] = req
        reference = schema != DECISION
        if state.publish_reference_records if reference else state.auto_approve:
            publish(state, req)
        return JSONResponse(request_json(req), status_code=201)

    @app.get(f"{API}/workflows/{{request_id}}")
    async def get_workflow(request_id: str, realm: str = Depends(session)) -> dict[str, Any]:
        req = state.requests.get(request_id)
        if req is None:
            raise ApiError(404, "Error.NotFound", f"no workflow {request_id}")
        return request_json(req)

    # published records
    @app.get(f"{API}/documents/{{uid}}")
    async def get_document(
        uid: str, info: str | None = None, realm: str = Depends(session)
    ) -> dict[str, Any]:
        pub = state.record(uid)
        if pub is None:
            raise ApiError(404, "Error.NotFound", f"no published record {uid}")
        return published_info(pub) if info is not None else pub.body

    @app.get(f"{API}/index")
    async def index(
        q: str = "*:*", start: int = 0, rows: int = 25, realm: str = Depends(session)
    ) -> dict[str, Any]:
        found = search(state, q)
        docs = [index_doc(p) for p in found[start : start + rows]]
        return {"response": {"numFound": len(found), "start": start, "docs": docs}}

    @app.get(f"{API}/thesaurus/domains/{{domain}}/terms")
    async def terms(domain: str) -> list[dict[str, Any]]:
        """Public, as documented (no token); domains spelled as the documentation spells them."""
        if domain not in THESAURUS:
            raise ApiError(404, "notFound", f"Domain not found: {domain}")
        return THESAURUS[domain]

    # stand-in controls (no auth; never part of the real API)
    def pending_or_404(request_id: str) -> PublicationRequest:
        req = state.requests.get(request_id)
        if req is None:
            raise ApiError(404, "Error.NotFound", f"no workflow {request_id}")
        if req.state != "pending":
            raise ApiError(409, "Error.NotPending", f"workflow {request_id} is {req.state}")
        return req

    @app.post("/_standin/requests/{request_id}/approve")
    async def approve(request_id: str) -> dict[str, Any]:
        req = pending_or_404(request_id)
        publish(state, req)
        return request_json(req)

    @app.post("/_standin/requests/{request_id}/reject")
    async def reject(request_id: str, body: Rejection | None = None) -> dict[str, Any]:
        req = pending_or_404(request_id)
        req.state, req.closed_on = "rejected", utc_now()
        req.result = {"action": "reject", "reason": body.reason if body else None}
        return request_json(req)

    @app.post("/_standin/faults")
    async def set_faults(body: Faults) -> dict[str, Any]:
        state.fault_mode, state.hang_seconds = body.mode, body.hang_seconds
        return {"mode": state.fault_mode, "hang_seconds": state.hang_seconds}

    @app.post("/_standin/expire-tokens")
    async def expire_tokens() -> dict[str, Any]:
        expired = len(state.tokens)
        for token in state.tokens:
            state.tokens[token] = 0.0
        return {"expired": expired}

    @app.post("/_standin/config")
    async def configure(body: StandinConfig) -> dict[str, Any]:
        if body.auto_approve is not None:
            state.auto_approve = body.auto_approve
        if body.token_ttl_seconds is not None:
            state.token_ttl_seconds = body.token_ttl_seconds
        if body.publish_reference_records is not None:
            state.publish_reference_records = body.publish_reference_records
        return {
            "auto_approve": state.auto_approve,
            "token_ttl_seconds": state.token_ttl_seconds,
            "publish_reference_records": state.publish_reference_records,
        }

    @app.post("/_standin/reset")
    async def reset() -> dict[str, Any]:
        for name in ("tokens", "document_ids", "drafts", "requests", "published"):
            getattr(state, name).clear()
        state.registry = seed_registry()
        state.calls.clear()
        state.fault_mode, state.hang_seconds = "none", 30.0
        state.auto_approve, state.token_ttl_seconds = auto_approve, token_ttl_seconds
        state.publish_reference_records = True
        return {"reset": True}

    @app.get("/_standin/state")
    async def get_state() -> dict[str, Any]:
        return {
            "auto_approve": state.auto_approve,
            "token_ttl_seconds": state.token_ttl_seconds,
            "faults": {"mode": state.fault_mode, "hang_seconds": state.hang_seconds},
            "drafts": {
                uid: draft_info(state, d, with_body=True) for uid, d in state.drafts.items()
            },
            "requests": {rid: request_json(r) for rid, r in state.requests.items()},
            "published": {uid: published_info(p) for uid, p in state.published.items()},
            "registry": {uid: published_info(p) for uid, p in state.registry.items()},
            "calls": list(state.calls),
        }

    return app


# --- running it ----------------------------------------------------------------------------------


class BchStandinServer:
    """Runs the stand-in with uvicorn in a background thread (tests); with ``state_dir``, its
    state survives a restart (see ``create_app``)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        token_ttl_seconds: float = 3600,
        auto_approve: bool = False,
        state_dir: Path | None = None,
    ) -> None:
        import uvicorn

        from infra.serve import tcp_listener, uvicorn_config
        from infra.settings import Settings

        self.app = create_app(
            token_ttl_seconds=token_ttl_seconds, auto_approve=auto_approve, state_dir=state_dir
        )
        self._socket = tcp_listener(host, port)
        self.host, self.port = host, self._socket.getsockname()[1]
        config = uvicorn_config(
            self.app,
            Settings(),
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def state(self) -> StandinState:
        return self.app.state.bch  # type: ignore[no-any-return]

    def start(self, timeout: float = 10.0) -> None:
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the BCH stand-in did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._socket.close()


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    from infra.serve import uvicorn_config
    from infra.settings import get_settings

    parser = argparse.ArgumentParser(description="Local Biosafety Clearing-House stand-in.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8300)
    parser.add_argument("--token-ttl", type=float, default=3600)
    parser.add_argument("--auto-approve", action="store_true")
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help=f"keep the state in STATE_DIR/{STATE_FILE} across restarts (default: memory only)",
    )
    args = parser.parse_args(argv)
    where = f"state in {args.state_dir / STATE_FILE}" if args.state_dir else "state in memory"
    print(
        f"BCH stand-in on http://{args.host}:{args.port}{API} "
        f"(controls under /_standin/, state at /_standin/state, OpenAPI at /docs; {where})",
        flush=True,
    )
    app = create_app(
        token_ttl_seconds=args.token_ttl, auto_approve=args.auto_approve, state_dir=args.state_dir
    )
    # The same slow-client limits as the API's server (infra/serve.py).
    config = uvicorn_config(app, get_settings(), host=args.host, port=args.port, log_level="info")
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
