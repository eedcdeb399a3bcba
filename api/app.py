"""The REST API's app factory, served by ``python -m infra.serve`` (uvicorn with our limits).

One Temporal client and one register pool per process, opened by the lifespan and kept on
``app.state`` (tests inject their own); routers per procedure under ``/v1``; bearer tokens and
roles checked per route (api/auth.py); every error an RFC 9457 problem (api/problems.py); OpenAPI
at ``/docs`` and ``/openapi.json``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Literal

import asyncpg
import structlog
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from temporalio.client import Client

from api import problem_docs, problems, procedures, simplified, site
from api.auth import PUBLIC_SECURITY, OptionalPrincipalDep, load_access, log_access
from api.deps import ClientDep, Clock, PoolDep, system_clock
from api.routers import case_pictures, cases, consultations, documents, public, publications
from api.routers import procedures as procedure_routes
from infra import db
from infra.documents import store_from
from infra.logging import configure_logging
from infra.metrics import METRICS_PATH, ApiMetrics, MetricsMiddleware
from infra.settings import Settings, get_settings
from infra.temporal import connect

log = structlog.get_logger("api")

# The one route whose body may exceed the JSON limit: a document upload.
DOCUMENT_UPLOAD = re.compile(r"/v1/cases/[^/]+/documents")

DESCRIPTION = """
The statutory procedures of the **Cartagena Protocol on Biosafety**, run by a national competent
authority as long-running Temporal workflows whose durable timers are the legal deadlines.

* Submit a notification (Art 8) and run the officers' commands on the case: acknowledgement
  (Art 9), requests for information (Art 10(3)(c), the clock stops), extensions (10(3)(d)), the
  risk assessment (Art 15), the decision (10(3)), withdrawal.
* Read a case with its deadline ledger (every date explained), list and filter cases, follow the
  deadlines in a calendar.
* A public register of cases that never shows information claimed confidential (Art 21).
* Commands take an optional `Idempotency-Key` header: a retried request runs the command once.
* Errors are RFC 9457 `application/problem+json`: 422 names the invalid fields (a body that is
  not valid JSON included), 404 an unknown case, 409 a command the case's stage does not allow,
  401 a missing or unknown bearer token, 403 a command the caller's role does not allow, 413 a
  body over 256 KiB, 415 a body not sent as `application/json`, 503 the case service or
  register unavailable (retry after `Retry-After`).

**Access.** Send `Authorization: Bearer <token>`. A token belongs to the authority's **staff**
(everything) or to a **notifier** (submits under its own e-mail, reads, lists and withdraws its own
cases; another notifier's case is answered 404; never an officer's command). The **public
register** and the health check need no token. Every command's `actor` is set from the token's
principal, whatever the body says, so the audit log names who really gave it. Outside production,
with no tokens configured, a request without a token acts as staff `developer`.
"""

TAGS = [
    *({"name": p.tag, "description": p.tag_description} for p in procedures.PROCEDURES),
    {"name": cases.TAG, "description": "Reading cases: live state, register, audit log, messages."},
    {"name": cases.CALENDAR_TAG, "description": "The deadlines as an iCalendar feed."},
    {
        "name": public.TAG,
        "description": "What anyone may know about each case, without a token; never an item "
        "claimed confidential (Art 21).",
    },
    {"name": "Service", "description": "Health of the API and what it depends on."},
]


def _version() -> str:
    try:
        return version("biosafety-procedures")
    except PackageNotFoundError:
        return "0.0.0"


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    temporal: str
    database: str
    version: str


class ComponentHealth(BaseModel):
    status: Literal["ok", "unavailable"]
    error: str | None = Field(
        default=None,
        examples=["ConnectionRefusedError", "TimeoutError"],
        description="the kind of error that makes the component unavailable (its details are "
        "in the API's log, not here: this answer is public)",
    )


class Components(BaseModel):
    temporal: ComponentHealth = Field(description="the case service (Temporal frontend)")
    database: ComponentHealth = Field(description="the case register (PostgreSQL)")


class Liveness(BaseModel):
    status: Literal["alive"]
    version: str


class Readiness(BaseModel):
    status: Literal["ready"]
    components: Components
    version: str


class NotReady(problems.Problem):
    """A 503 from ``/readyz``: which component does not answer."""

    components: Components


def create_app(
    settings: Settings | None = None,
    *,
    client: Client | None = None,
    pool: asyncpg.Pool | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """The API. Without ``client``/``pool`` the lifespan connects to Temporal and opens the
    register pool per ``settings`` (and closes what it opened); given them, it uses them.

    Raises AccessConfigError (and so the server does not start) when ``api_tokens`` is
    malformed, or empty in production."""
    settings = settings or get_settings()
    access = load_access(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened: asyncpg.Pool | None = None
        if app.state.client is None or app.state.pool is None:
            configure_logging(settings)
        if app.state.client is None:
            app.state.client = await connect(settings)
        if app.state.pool is None:
            if not settings.database_url:
                raise RuntimeError("DATABASE_URL is not set: the API reads the case register")
            opened = app.state.pool = await db.create_pool(settings.database_url)
        log_access(access)
        log.info("api started", temporal=settings.temporal_address, task_queue=settings.task_queue)
        try:
            yield
        finally:
            if opened is not None:
                await opened.close()
                app.state.pool = None

    app = FastAPI(
        title="Biosafety procedures API",
        description=DESCRIPTION,
        version=_version(),
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.client = client
    app.state.pool = pool
    app.state.clock = clock or system_clock
    app.state.access = access
    # Document uploads may be larger than any JSON body (api/routers/documents.py).
    problems.install(
        app, large_bodies=[(DOCUMENT_UPLOAD, settings.documents_max_bytes + 64 * 1024)]
    )
    app.state.document_store = store_from(settings)
    # This replica's Prometheus metrics at /metrics, outside the OpenAPI contract (infra/metrics.py)
    metrics = app.state.metrics = ApiMetrics()
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_route(METRICS_PATH, metrics.endpoint, include_in_schema=False)
    app.include_router(procedure_routes.router)
    app.include_router(cases.router)
    app.include_router(case_pictures.router)
    app.include_router(publications.router)
    app.include_router(public.router)
    app.include_router(consultations.router)
    app.include_router(documents.router)
    app.include_router(site.router)  # the public web pages (HTML, not in OpenAPI)
    app.include_router(simplified.router)

    @app.get(
        "/healthz",
        response_model=Health,
        tags=["Service"],
        summary="Health check",
        description="No token needed. 503 when Temporal or the database does not answer. "
        "Kept for compatibility: probes should use `/livez` and `/readyz`.",
        responses={
            **problem_docs.problem_responses(401),
            503: {"model": Health, "description": "Temporal or the database does not answer"},
        },
        openapi_extra=PUBLIC_SECURITY,
    )
    async def healthz(
        response: Response, _: OptionalPrincipalDep, client: ClientDep, pool: PoolDep
    ) -> Health:
        temporal, database = await asyncio.gather(_check_temporal(client), _check_db(pool))
        ok = temporal.status == "ok" and database.status == "ok"
        if not ok:
            response.status_code = 503
        return Health(
            status="ok" if ok else "degraded",
            temporal=_health_word(temporal),
            database=_health_word(database),
            version=app.version,
        )

    @app.get(
        "/livez",
        response_model=Liveness,
        tags=["Service"],
        summary="Liveness: the API process is up",
        description="No token needed. Checks nothing the API depends on, so an outage of "
        "Temporal or the database never makes a supervisor restart a healthy API process.",
        openapi_extra=PUBLIC_SECURITY,
    )
    async def livez() -> Liveness:
        return Liveness(status="alive", version=app.version)

    @app.get(
        "/readyz",
        response_model=Readiness,
        tags=["Service"],
        summary="Readiness: Temporal and the database both answer",
        description="No token needed. 200 when the case service (Temporal) and the case "
        "register (PostgreSQL) both answer within 3 s; otherwise a 503 problem with a "
        "`Retry-After` header, reporting each component's status separately.",
        responses={
            503: {
                "model": NotReady,
                "description": "Temporal or the database does not answer",
                "headers": problem_docs.problem_responses(503)[503]["headers"],
            }
        },
        openapi_extra=PUBLIC_SECURITY,
    )
    async def readyz(
        request: Request, client: ClientDep, pool: PoolDep
    ) -> Readiness | JSONResponse:
        temporal, database = await asyncio.gather(_check_temporal(client), _check_db(pool))
        components = Components(temporal=temporal, database=database)
        down = [
            name
            for name, check in (("temporal", temporal), ("database", database))
            if check.status != "ok"
        ]
        if not down:
            return Readiness(status="ready", components=components, version=app.version)
        return problems.problem_response(
            request,
            503,
            "Not ready",
            "not answering: " + ", ".join(down),
            "service-unavailable",
            rule="service-available",
            headers={"Retry-After": "5"},
            extra={"components": components.model_dump()},
        )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = FastAPI.openapi(app)
            schema = problem_docs.problem_media_types(schema)
            schema = _notified_to_us(schema, settings.authority_party)
            schema = _moved_from_another_party(schema, settings.authority_party)
            schema = _discriminators_required(schema)
            app.openapi_schema = _actor_is_the_principal(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


ACTOR_DESCRIPTION = (
    "Who gave the command. Set by the API from the authenticated principal (a staff member's "
    "name, or `notifier:<email>`): a value sent in a request is ignored, so the audit log is "
    "trustworthy."
)


def _actor_is_the_principal(schema: dict[str, Any]) -> dict[str, Any]:
    """Every command's ``actor`` is read-only: the API sets it (api/routers/procedures.py)."""
    for component in schema.get("components", {}).get("schemas", {}).values():
        actor = component.get("properties", {}).get("actor")
        if isinstance(actor, dict) and "default" in actor:  # a command's field, not a Step's
            actor["description"] = ACTOR_DESCRIPTION
            actor["readOnly"] = True
            del actor["default"]  # the API always sets it
    return schema


def _notified_to_us(schema: dict[str, Any], party: str) -> dict[str, Any]:
    """An Art 8 notification goes to the Party of import, and this authority acts for one Party
    (``BIOSAFETY_AUTHORITY_PARTY``): the only ``party_of_import`` it accepts (api/procedures.py)."""
    notification = schema.get("components", {}).get("schemas", {}).get("Notification", {})
    party_of_import = notification.get("properties", {}).get("party_of_import")
    if party_of_import is not None:
        party_of_import["enum"] = [party]
        party_of_import["description"] = (
            f"the Party of import: this authority's, {party} (Art 8 notifications go to the "
            "Party of import)"
        )
    return schema


def _moved_from_another_party(schema: dict[str, Any], party: str) -> dict[str, Any]:
    """An illegal transboundary movement (CP Art 25) comes from another Party than this
    authority's (api/procedures/illegal.py refuses its own as the Party of origin)."""
    origin = schema.get("components", {}).get("schemas", {}).get("PartyOfOrigin", {})
    code = origin.get("properties", {}).get("party")
    if code is not None:
        code["not"] = {"enum": [party]}
        code["description"] = f"the Party of origin: another Party than this authority's, {party}"
    return schema


def _discriminators_required(schema: dict[str, Any]) -> dict[str, Any]:
    """A body that is one of several models (a review's ``origin``, ...) is told apart by its
    discriminator, which pydantic then requires, even where the model gives it a default."""
    components = schema.get("components", {}).get("schemas", {})

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            name = node.get("discriminator", {}).get("propertyName")
            for ref in node.get("discriminator", {}).get("mapping", {}).values():
                member = components.get(str(ref).rsplit("/", 1)[-1], {})
                if name and name not in member.get("required", []):
                    member["required"] = [name, *member.get("required", [])]
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(schema.get("paths", {}))
    visit(components)
    return schema


HEALTH_TIMEOUT_SECONDS = 3


async def _check_temporal(client: Client) -> ComponentHealth:
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS):
            await client.service_client.check_health()
    except Exception as err:  # a health check reports, it does not raise
        return _unavailable(err)
    return ComponentHealth(status="ok")


async def _check_db(pool: asyncpg.Pool) -> ComponentHealth:
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS):
            async with pool.acquire() as conn:
                await conn.fetchval("SELECT 1")
    except Exception as err:
        return _unavailable(err)
    return ComponentHealth(status="ok")


def _unavailable(err: Exception) -> ComponentHealth:
    return ComponentHealth(status="unavailable", error=type(err).__name__)


def _health_word(health: ComponentHealth) -> str:
    """/healthz's own shape: "ok" or "unavailable: <error type>"."""
    return "ok" if health.error is None else f"unavailable: {health.error}"
