"""The BCH stand-in's own controls under ``/_standin/`` (no auth; never part of the real API):
the focal point's approval or rejection, faults, token expiry, configuration, reset and state."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel

from infra.bch_standin_records import (
    ApiError,
    draft_info,
    publish,
    published_info,
    request_json,
)
from infra.bch_standin_state import PublicationRequest, StandinState, seed_registry, utc_now


class Faults(BaseModel):
    mode: Literal["none", "fail", "hang"]
    hang_seconds: float = 30.0


class Rejection(BaseModel):
    reason: str | None = None


class StandinConfig(BaseModel):
    auto_approve: bool | None = None
    token_ttl_seconds: float | None = None
    publish_reference_records: bool | None = None


def controls_router(
    state: StandinState, *, auto_approve: bool, token_ttl_seconds: float
) -> APIRouter:
    """``auto_approve`` and ``token_ttl_seconds`` are the app's own, which a reset restores."""
    router = APIRouter()

    def pending_or_404(request_id: str) -> PublicationRequest:
        req = state.requests.get(request_id)
        if req is None:
            raise ApiError(404, "Error.NotFound", f"no workflow {request_id}")
        if req.state != "pending":
            raise ApiError(409, "Error.NotPending", f"workflow {request_id} is {req.state}")
        return req

    @router.post("/requests/{request_id}/approve")
    async def approve(request_id: str) -> dict[str, Any]:
        req = pending_or_404(request_id)
        publish(state, req)
        return request_json(req)

    @router.post("/requests/{request_id}/reject")
    async def reject(request_id: str, body: Rejection | None = None) -> dict[str, Any]:
        req = pending_or_404(request_id)
        req.state, req.closed_on = "rejected", utc_now()
        req.result = {"action": "reject", "reason": body.reason if body else None}
        return request_json(req)

    @router.post("/faults")
    async def set_faults(body: Faults) -> dict[str, Any]:
        state.fault_mode, state.hang_seconds = body.mode, body.hang_seconds
        return {"mode": state.fault_mode, "hang_seconds": state.hang_seconds}

    @router.post("/expire-tokens")
    async def expire_tokens() -> dict[str, Any]:
        expired = len(state.tokens)
        for token in state.tokens:
            state.tokens[token] = 0.0
        return {"expired": expired}

    @router.post("/config")
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

    @router.post("/reset")
    async def reset() -> dict[str, Any]:
        for name in ("tokens", "document_ids", "drafts", "requests", "published"):
            getattr(state, name).clear()
        state.registry = seed_registry()
        state.calls.clear()
        state.fault_mode, state.hang_seconds = "none", 30.0
        state.auto_approve, state.token_ttl_seconds = auto_approve, token_ttl_seconds
        state.publish_reference_records = True
        return {"reset": True}

    @router.get("/state")
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

    return router
