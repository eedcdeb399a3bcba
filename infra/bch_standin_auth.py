"""The BCH stand-in's authentication: the token route, and the session every other API route
depends on (a live bearer token and a ``Realm`` header)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Header
from pydantic import BaseModel

from infra.bch_standin_records import ApiError
from infra.bch_standin_state import StandinState, iso_z, utc_now

Session = Callable[..., Awaitable[str]]


class Credentials(BaseModel):
    email: str
    password: str


def bearer_session(state: StandinState) -> Session:
    """The dependency that answers the caller's realm, or 401/400 as the BCH does."""

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

    return session


def auth_router(state: StandinState) -> APIRouter:
    router = APIRouter()

    @router.post("/authentication/token")
    async def token(credentials: Credentials) -> dict[str, Any]:
        if not credentials.email or not credentials.password:
            raise ApiError(403, "Forbidden", "invalid credentials")
        value = secrets.token_urlsafe(32)
        state.tokens[value] = time.monotonic() + state.token_ttl_seconds
        expiration = utc_now() + timedelta(seconds=state.token_ttl_seconds)
        return {"authenticationToken": value, "expiration": iso_z(expiration)}

    return router
