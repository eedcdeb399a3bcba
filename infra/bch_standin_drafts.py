"""The BCH stand-in's drafts (save, read, info, delete) and the validation of a document, as
``/documents/...`` routes; a draft locked by a pending publication request cannot change."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from infra.bch_standin_auth import Session
from infra.bch_standin_records import ApiError, draft_info
from infra.bch_standin_rules import validate
from infra.bch_standin_state import Draft, StandinState, utc_now
from infra.bch_standin_workflows import WORKFLOW_TYPES

RECORD_LOCKED = "The record is locked for workflow, cannot proceed."


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


def drafts_router(state: StandinState, session: Session) -> APIRouter:
    router = APIRouter()

    def locked(uid: str) -> None:
        if state.pending_request(uid) is not None:
            raise ApiError(400, "Error.RecordLocked", RECORD_LOCKED)

    @router.put("/documents/{uid}/versions/draft")
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

    @router.get("/documents/{uid}/versions/draft")
    async def get_draft(
        uid: str, info: str | None = None, realm: str = Depends(session)
    ) -> dict[str, Any]:
        """The draft as stored; with ``?info``, its info (as the BCH front end reads it)."""
        draft = draft_or_404(uid)
        return draft_info(state, draft, with_body=False) if info is not None else draft.body

    @router.get("/documents/{uid}/versions/draft/info")
    async def get_draft_info(uid: str, realm: str = Depends(session)) -> dict[str, Any]:
        return draft_info(state, draft_or_404(uid), with_body=False)

    @router.delete("/documents/{uid}/versions/draft")
    async def delete_draft(uid: str, realm: str = Depends(session)) -> dict[str, Any]:
        draft_or_404(uid)
        locked(uid)
        del state.drafts[uid]
        return {"identifier": uid, "deleted": True}

    @router.post("/documents/x/validate")
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

    return router
