"""The BCH stand-in's publication requests (``/workflows``): which request each record type
takes, creating one from a valid draft, and reading it back."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from infra.bch_standin_auth import Session
from infra.bch_standin_records import ApiError, publish, request_json, schema_of
from infra.bch_standin_rules import CONTACT, DECISION, validate
from infra.bch_standin_state import PublicationRequest, StandinState, utc_now

# Which publication request each record type takes: national records go to the focal point,
# reference records (contacts, in the BCH front end's mapping) are published by the BCH.
WORKFLOW_TYPES = {
    DECISION: ("publishNationalRecord", "0.4"),
    CONTACT: ("publishReferenceRecord", None),
}
ADDITIONAL_INFO_MAX = 1000


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


def workflows_router(state: StandinState, session: Session) -> APIRouter:
    router = APIRouter()

    @router.post("/workflows")
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

    @router.get("/workflows/{request_id}")
    async def get_workflow(request_id: str, realm: str = Depends(session)) -> dict[str, Any]:
        req = state.requests.get(request_id)
        if req is None:
            raise ApiError(404, "Error.NotFound", f"no workflow {request_id}")
        return request_json(req)

    return router
