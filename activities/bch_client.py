"""The BCH's HTTP API (``api.cbd.int``, /api/v2013) as the documentation describes it: a token
from the CBD account, then every call with ``Authorization``, ``Realm`` and
``Accept: application/json``. Shared by the publication activity and ``make bch-check``.

Answers map to the error types the workflows know (workflows/errors.py): an outage or a slow BCH
is retried, refused credentials are retried until someone fixes them, the validation report is
the BCH's own error list, and any other refusal is a fault no retry can change.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, overload

import httpx
from temporalio.exceptions import ApplicationError

from infra.settings import Settings
from workflows.errors import (
    BCH_AUTHENTICATION_FAILED,
    BCH_REQUEST_REJECTED,
    BCH_UNAVAILABLE,
)

API = "/api/v2013"
TOKEN_PATH = f"{API}/authentication/token"


@dataclass
class Validation:
    """The BCH's validation report: ``errors`` is empty when the document is valid."""

    status: int
    errors: list[dict[str, Any]] = field(default_factory=list)
    body: Any = None


@dataclass
class SavedDraft:
    """A draft saved (``info`` is the BCH's answer), or found locked by a publication request
    (``locked_by`` is that request's id, from the draft's ``workingDocumentLock``)."""

    info: dict[str, Any]
    locked_by: str | None = None


class BchClient:
    """One HTTP client and one cached token for the process's life (building a client per call,
    and its TLS context, cost an eighth of the worker's CPU under load: bench/)."""

    def __init__(self, settings: Settings, *, http_timeout_seconds: float = 30.0) -> None:
        self.settings = settings
        self._timeout = httpx.Timeout(http_timeout_seconds, connect=min(10.0, http_timeout_seconds))
        self._http: httpx.AsyncClient | None = None
        self._token: str | None = None
        self._token_valid_until: datetime | None = None
        self._token_lock = asyncio.Lock()

    def http(self) -> httpx.AsyncClient:
        if self._http is None or self._http.is_closed:
            self._http = httpx.AsyncClient(
                base_url=self.settings.bch_base_url,
                timeout=self._timeout,
                headers={"Accept": "application/json"},
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    # ---- the documented calls -------------------------------------------------------------

    async def published_info(self, uid: str) -> dict[str, Any] | None:
        """The published record's info (documentID, revision, ...), or None if not published."""
        response = await self.call("GET", f"{API}/documents/{uid}", params={"info": ""}, ok=(404,))
        return None if response.status_code == 404 else _json(response)

    async def save_draft(self, uid: str, schema: str, document: dict[str, Any]) -> SavedDraft:
        """PUT the draft. A draft locked by a pending publication request cannot be changed: the
        BCH answers ``Error.RecordLocked``; the lock names the request (``workflow-<id>``)."""
        path = f"{API}/documents/{uid}/versions/draft"
        response = await self.call(
            "PUT", path, params={"schema": schema}, json=document, ok=(400, 403, 409, 423)
        )
        if response.status_code < 400:
            return SavedDraft(_json(response))
        if "locked" not in response.text.lower():
            raise_for_status(response, "PUT", path)
        info = await self.draft_info(uid)
        lock = (info or {}).get("workingDocumentLock") or {}
        lock_id = str(lock.get("lockID") or "")
        if not lock_id.startswith("workflow-"):
            raise_for_status(response, "PUT", path)
        return SavedDraft(info or {}, locked_by=lock_id.removeprefix("workflow-"))

    async def draft_info(self, uid: str) -> dict[str, Any] | None:
        path = f"{API}/documents/{uid}/versions/draft/info"
        response = await self.call("GET", path, ok=(404,))
        return None if response.status_code == 404 else _json(response)

    async def draft(self, uid: str) -> dict[str, Any] | None:
        """The draft as stored (the document itself)."""
        path = f"{API}/documents/{uid}/versions/draft"
        response = await self.call("GET", path, ok=(404,))
        return None if response.status_code == 404 else _json(response)

    async def delete_draft(self, uid: str) -> bool:
        path = f"{API}/documents/{uid}/versions/draft"
        response = await self.call("DELETE", path, ok=(404,))
        return response.status_code != 404

    async def validate(self, schema: str, document: dict[str, Any]) -> Validation:
        """POST the document to the validation endpoint. The documentation answers 400 with an
        ``errors`` list for an invalid document (older BCH versions answered 200 with the same
        list); a 400 without such a list is a refusal of the request itself."""
        path = f"{API}/documents/x/validate"
        response = await self.call(
            "POST", path, params={"schema": schema}, json=document, ok=(400,)
        )
        body = _json(response, default=None)
        errors = body if isinstance(body, list) else (body or {}).get("errors")
        if response.status_code == 400 and not isinstance(errors, list):
            raise_for_status(response, "POST", path)
        return Validation(response.status_code, list(errors or []), body)

    async def request_publication(self, body: dict[str, Any]) -> dict[str, Any]:
        return _json(await self.call("POST", f"{API}/workflows", json=body))

    @overload
    async def publication_request(self, request_id: str) -> dict[str, Any]: ...
    @overload
    async def publication_request(
        self, request_id: str, *, missing_ok: bool
    ) -> dict[str, Any] | None: ...
    async def publication_request(
        self, request_id: str, *, missing_ok: bool = False
    ) -> dict[str, Any] | None:
        """A publication request (workflow); ``missing_ok``: None if the BCH does not know it."""
        path = f"{API}/workflows/{request_id}"
        response = await self.call("GET", path, ok=(404,) if missing_ok else ())
        return None if response.status_code == 404 else _json(response)

    async def terms(self, domain: str) -> list[dict[str, Any]]:
        """A thesaurus domain's terms (public: no token)."""
        path = f"{API}/thesaurus/domains/{domain}/terms"
        response = await self.send("GET", path)
        raise_for_status(response, "GET", path)
        terms: list[dict[str, Any]] = _json(response)
        return terms

    # ---- plumbing -------------------------------------------------------------------------

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        ok: tuple[int, ...] = (),
    ) -> httpx.Response:
        """One authenticated call; a 401 gets a fresh token and one more try. Statuses in ``ok``
        are handed back to the caller instead of raised."""
        for attempt in (1, 2):
            token = await self._get_token(renew=attempt == 2)
            headers = {"Authorization": f"Bearer {token}", "Realm": self.settings.bch_realm}
            response = await self.send(method, path, params=params, json=json, headers=headers)
            if response.status_code == 401 and attempt == 1:
                continue
            if response.status_code in ok:
                return response
            raise_for_status(response, method, path)
            return response
        raise AssertionError("unreachable")

    async def _get_token(self, *, renew: bool) -> str:
        async with self._token_lock:
            now = datetime.now(UTC)
            if (
                not renew
                and self._token is not None
                and (self._token_valid_until is None or now < self._token_valid_until)
            ):
                return self._token
            self._token = None
            s = self.settings
            response = await self.send(
                "POST", TOKEN_PATH, json={"email": s.bch_email, "password": s.bch_password}
            )
            if response.status_code in (400, 401, 403):
                raise ApplicationError(
                    f"the BCH refused our credentials ({response.status_code}): {response.text}",
                    type=BCH_AUTHENTICATION_FAILED,
                )
            raise_for_status(response, "POST", TOKEN_PATH)
            body = _json(response)
            self._token = str(body["authenticationToken"])
            self._token_valid_until = _valid_until(body.get("expiration"), now)
            return self._token

    async def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self.http().request(method, path, **kwargs)
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


def raise_for_status(response: httpx.Response, method: str, path: str) -> None:
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


def unexpected(what: str, response: Any) -> ApplicationError:
    """An answer without what the documentation promises: no retry will bring it."""
    return ApplicationError(
        f"the BCH's answer lacks {what}: {str(response)[:500]}",
        {"status": None, "body": str(response)[:500]},
        type=BCH_REQUEST_REJECTED,
        non_retryable=True,
    )


def _json(response: httpx.Response, default: Any = ...) -> Any:
    try:
        return response.json()
    except ValueError as err:
        if default is not ...:
            return default
        raise ApplicationError(
            f"the BCH answered {response.status_code} with a body that is not JSON: "
            f"{response.text[:200]!r}",
            type=BCH_UNAVAILABLE,
        ) from err


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
