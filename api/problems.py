"""Every error the API returns is an RFC 9457 problem (``application/problem+json``).

Domain errors (api/errors.py) are mapped here, once, together with request validation errors
(422, naming each field in words: api/field_errors.py; a body that is not valid JSON is one), a
body not sent as JSON (415) or too large (413), unknown routes and methods (404/405), an
unreachable Temporal service or register database (503, with ``Retry-After``; api/outages.py
tells an outage from a bug) and, as a last resort, unexpected errors (500 with a correlation id
in the log). The OpenAPI document says which of them each route may answer
(api/problem_docs.py); tests/api/test_contract.py holds the API to it.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ProblemError
from api.field_errors import FieldError, body_name, detail_of, field_errors
from api.outages import NO_ANSWER, UNAVAILABLE, database_unavailable, not_ready, transport_broken

PROBLEM_JSON = "application/problem+json"
JSON = "application/json"
# A notification is structured metadata (documents are referenced, not uploaded); the bound keeps
# every workflow input far below Temporal's 2 MB payload limit, which would otherwise be a 500.
MAX_BODY_BYTES = 256 * 1024
TYPE_BASE = "https://biosafety.example/problems/"

log = structlog.get_logger("api")


class Problem(BaseModel):
    """RFC 9457 problem details. Further members (e.g. ``case_id``) may follow."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(
        default="about:blank", examples=[f"{TYPE_BASE}command-refused"], description="problem type"
    )
    title: str = Field(examples=["Command not allowed in this stage"])
    status: int = Field(examples=[409])
    detail: str | None = Field(
        default=None,
        examples=["receipt was already acknowledged on 2027-01-20 (Art 9(1))"],
        description="what went wrong with this request, in words",
    )
    instance: str | None = Field(
        default=None, examples=["/v1/cases/aia-hu-acme-2027-001/acknowledgement"]
    )
    rule: str = Field(
        examples=["acknowledge-once"],
        description="the rule the request broke, a stable kebab-case name to branch on",
    )
    article: str | None = Field(
        default=None,
        examples=["Art 9(1)"],
        description="the treaty article the rule comes from (Cartagena Protocol, or 'SP Art' "
        "for the Supplementary Protocol), when it comes from one",
    )
    field: str | None = Field(
        default=None,
        examples=["command.reasons"],
        description="the request's field the problem concerns, when one does (a 422 also "
        "lists it in errors)",
    )


class ValidationProblem(Problem):
    """A 422: the request names fields that are missing or invalid."""

    errors: list[FieldError] = Field(default_factory=list)


def problem_response(
    request: Request,
    status: int,
    title: str,
    detail: str | None = None,
    type_slug: str | None = None,
    *,
    rule: str,
    article: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"{TYPE_BASE}{type_slug}" if type_slug else "about:blank",
        "title": title,
        "status": status,
    }
    if detail is not None:
        body["detail"] = detail
    body["instance"] = request.url.path
    body["rule"] = rule
    if article is not None:
        body["article"] = article
    body.update({k: v for k, v in (extra or {}).items() if k not in body})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


# ---- handlers ---------------------------------------------------------------------------------


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    extra = dict(exc.extra)
    detail = exc.detail
    field = extra.pop("field", None)
    if field is not None:
        # Named like a validation error's field, so clients handle both alike.
        name = f"header {field}" if "-" in str(field) else f"{body_name(request)}.{field}"
        extra["field"] = name
        if exc.status == 422:
            error = FieldError(field=name, message=exc.detail)
            extra["errors"] = [error.model_dump()]
            detail = detail_of([error])
    return problem_response(
        request,
        exc.status,
        exc.title,
        detail,
        exc.type_slug,
        rule=exc.rule or exc.type_slug,
        article=exc.article,
        headers=exc.headers,
        extra=extra,
    )


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if isinstance(exc.body, bytes | bytearray) and exc.body:
        # FastAPI reads a body as JSON only when it is sent as JSON; any other body reaches the
        # route as bytes, which no request model accepts: the media type is what is wrong.
        return _unsupported_media_type(request)
    return _invalid(request, field_errors(exc.errors(), body_name(request)))


# An article as the models' messages cite it: "Art 10(3)(c)", "SP Art 5(2)", "Arts 7-10".
_CITATION = re.compile(r"\b(?:SP )?Arts? \d+[a-z]?(?:\([0-9a-z]+\))*(?:-\d+)?")


def _invalid(request: Request, errors: list[FieldError]) -> JSONResponse:
    # A model's validator that enforces a treaty rule says its article in the message; the
    # problem names them once more as its ``article``, as a refusal does.
    cited = list(dict.fromkeys(c for e in errors for c in _CITATION.findall(e.message)))
    return problem_response(
        request,
        422,
        "Invalid request",
        detail_of(errors),
        "validation-error",
        rule="request-fields",
        article="; ".join(cited) or None,
        extra={"errors": [e.model_dump() for e in errors]},
    )


def _unsupported_media_type(request: Request) -> JSONResponse:
    sent = request.headers.get("content-type")
    return problem_response(
        request,
        415,
        "Unsupported media type",
        f"the request body must be JSON, sent as Content-Type: {JSON} (it was sent "
        + (f"as {sent})" if sent else "without a Content-Type)"),
        "unsupported-media-type",
        rule="json-body",
    )


def _unreadable_body(request: Request, cause: BaseException | None) -> JSONResponse:
    """A body sent as JSON that FastAPI could not even decode (it answers a bare 400): named
    like any other JSON syntax error, a 422 on the body."""
    if isinstance(cause, UnicodeDecodeError):
        why = f"it is not UTF-8 text (byte {cause.object[cause.start]:#04x} at {cause.start})"
    elif isinstance(cause, RecursionError):
        why = "it is nested too deeply"
    else:
        why = "it cannot be decoded"
    message = f"the request body is not valid JSON: {why}"
    return _invalid(request, [FieldError(field=body_name(request), message=message)])


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError | RecursionError):
        return _unreadable_body(request, exc.__cause__)
    titles = {404: "Not found", 405: "Method not allowed", 413: "Request body too large"}
    slugs = {404: "not-found", 405: "method-not-allowed", 413: "payload-too-large"}
    rules = {404: "known-resource", 405: "allowed-method", 413: "body-size"}
    detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"there is no resource at {request.url.path}; see /docs for the API"
    elif exc.status_code == 413:
        limit = int(detail.removeprefix("limit:")) if detail.startswith("limit:") else 0
        detail = (
            f"the request body is larger than the {(limit or MAX_BODY_BYTES) // 1024} KiB this "
            "API accepts" + (" here" if limit and limit != MAX_BODY_BYTES else "")
        )
    headers = dict(exc.headers) if exc.headers else None
    if exc.status_code == 405:
        allowed = _allowed_methods(request) or (exc.headers or {}).get("Allow")
        if allowed:
            headers = {"Allow": allowed}
        detail = f"{request.method} is not allowed on {request.url.path}" + (
            f"; allowed: {allowed}" if allowed else ""
        )
    return problem_response(
        request,
        exc.status_code,
        titles.get(exc.status_code, detail),
        detail,
        slugs.get(exc.status_code),
        rule=rules.get(exc.status_code, "http"),
        headers=headers,
    )


def _allowed_methods(request: Request) -> str:
    """Every method the path has, across the routes that serve it (Starlette names only the
    first route's, so a path read by GET and written by POST would answer ``Allow: POST``)."""
    routes = getattr(request.app, "routes", [])
    methods = {
        method
        for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
        if any(r.matches({**request.scope, "method": method})[0] == Match.FULL for r in routes)
    }
    return ", ".join(sorted(methods))


async def _on_rpc(request: Request, exc: Exception) -> JSONResponse:
    """Temporal could not be reached or did not answer in time."""
    if isinstance(exc, RPCError) and not_ready(exc):
        # The case exists, but its workflow's last task failed or timed out (a worker was lost);
        # the task is retried and the case answers again in a moment.
        detail = "the case is being recovered after a worker failure; retry in a few seconds"
    elif isinstance(exc, RPCError) and exc.status in UNAVAILABLE:
        detail = "case service unavailable, nothing was changed; retry later"
    elif isinstance(exc, WorkflowUpdateRPCTimeoutOrCancelledError) or (
        isinstance(exc, RPCError)
        and (
            exc.status in NO_ANSWER
            or (exc.status == RPCStatusCode.UNKNOWN and transport_broken(exc))
        )
    ):
        # A connection broken mid-call is like no answer: the server may have applied it.
        if request.method in ("GET", "HEAD"):
            detail = "the case service did not answer in time; nothing was changed; retry later"
        else:
            # An Update may have been accepted before the answer timed out: don't claim otherwise.
            detail = (
                "the case service did not answer in time; the command may or may not have been "
                "applied: read the case, or retry with the same Idempotency-Key (it runs at "
                "most once)"
            )
    else:
        return await _on_unexpected(request, exc)
    log.warning("case service unavailable", error=str(exc), path=request.url.path)
    return problem_response(
        request,
        503,
        "Case service unavailable",
        detail,
        "service-unavailable",
        rule="service-available",
        headers={"Retry-After": "5"},
    )


async def _on_database(request: Request, exc: Exception) -> JSONResponse:
    if not database_unavailable(exc):
        return await _on_unexpected(request, exc)
    log.warning(
        "register database unavailable",
        error=f"{type(exc).__name__}: {exc}",
        path=request.url.path,
    )
    return problem_response(
        request,
        503,
        "Register unavailable",
        "the case register (database) is unavailable; nothing was changed; retry later",
        "service-unavailable",
        rule="service-available",
        headers={"Retry-After": "5"},
    )


async def _on_unexpected(request: Request, exc: BaseException) -> JSONResponse:
    correlation_id = uuid.uuid4().hex
    log.error(
        "unexpected error",
        correlation_id=correlation_id,
        path=request.url.path,
        method=request.method,
        exc_info=exc,
    )
    return problem_response(
        request,
        500,
        "Internal server error",
        "an unexpected error occurred; nothing is known to have changed. Quote the correlation "
        "id when reporting it",
        "internal-error",
        rule="unexpected-error",
        extra={"correlation_id": correlation_id},
    )


class UnexpectedErrorMiddleware:
    """Turns an exception no handler knows into a 500 problem, logged once with a correlation
    id. (Starlette's own last-resort handler would re-raise it, logging it twice.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            response = await _on_unexpected(Request(scope), exc)
            await response(scope, receive, send)


class BodySizeLimitMiddleware:
    """Refuses request bodies over MAX_BODY_BYTES with a 413 problem: at once when the
    Content-Length says so, or as soon as a streamed body grows past it. (FastAPI's own limit
    answers the Content-Length case in plain text.) ``large`` names the POST routes that take
    more (document uploads), as path patterns with their limits."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int = MAX_BODY_BYTES,
        large: Sequence[tuple[re.Pattern[str], int]] = (),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.large = tuple(large)

    def _limit(self, scope: Scope) -> int:
        if scope.get("method") == "POST":
            for pattern, limit in self.large:
                if pattern.fullmatch(scope.get("path", "")):
                    return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        too_large = StarletteHTTPException(413, detail=f"limit:{limit}")
        length = Headers(scope=scope).get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            response = await _on_http(Request(scope), too_large)
            await response(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Raised while the route reads the body: the exception handlers answer it.
                    raise too_large
            return message

        await self.app(scope, counting_receive, send)


def install(app: FastAPI, large_bodies: Sequence[tuple[re.Pattern[str], int]] = ()) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(RPCError, _on_rpc)
    app.add_exception_handler(WorkflowUpdateRPCTimeoutOrCancelledError, _on_rpc)
    # Each handler decides with database_unavailable() and passes anything else on as a 500.
    for error in (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
        app.add_exception_handler(error, _on_database)
    app.add_middleware(BodySizeLimitMiddleware, large=large_bodies)
    app.add_middleware(UnexpectedErrorMiddleware)
