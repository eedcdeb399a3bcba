"""The app itself: OpenAPI, health, problem+json for unknown routes and methods, an unreachable
Temporal service (503), and the last-resort 500."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest_asyncio
from fastapi import FastAPI
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RetryConfig
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.problems import PROBLEM_JSON
from infra import db
from infra.settings import Settings
from tests.api.conftest import assert_problem, notification_body
from tests.support.temporal import Stack, _binary

ROUTES = {
    ("post", "/v1/aia/notifications"),
    ("get", "/v1/cases"),
    ("get", "/v1/cases/{case_id}"),
    ("get", "/v1/cases/{case_id}/audit"),
    ("get", "/v1/cases/{case_id}/messages"),
    ("post", "/v1/cases/{case_id}/acknowledgement"),
    ("post", "/v1/cases/{case_id}/information-requests"),
    ("post", "/v1/cases/{case_id}/information-received"),
    ("post", "/v1/cases/{case_id}/extensions"),
    ("post", "/v1/cases/{case_id}/risk-assessment"),
    ("post", "/v1/cases/{case_id}/decision"),
    ("post", "/v1/cases/{case_id}/withdrawal"),
    ("get", "/v1/deadlines.ics"),
    ("get", "/v1/register"),
    ("get", "/v1/register/{case_id}"),
    ("get", "/healthz"),
    ("get", "/livez"),
    ("get", "/readyz"),
}


def _app(client: Client, pool: asyncpg.Pool | None = None) -> FastAPI:
    # Without a pool: the routes those tests call never reach the database.
    app = create_app(Settings(environment="test"), client=client, pool=pool or object())  # type: ignore[arg-type]

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    return app


@pytest_asyncio.fixture
async def offline() -> AsyncIterator[httpx.AsyncClient]:
    """The app with a Temporal client that is never connected (these tests don't reach it)."""
    client = await Client.connect("127.0.0.1:1", data_converter=pydantic_data_converter, lazy=True)
    transport = httpx.ASGITransport(app=_app(client), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest_asyncio.fixture
async def temporal_down(db_pool: asyncpg.Pool) -> AsyncIterator[httpx.AsyncClient]:
    """The app with a client that was connected to a Temporal server which then went away."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=_binary("temporal-test-server")
    )
    client = await Client.connect(
        env.client.service_client.config.target_host,
        data_converter=pydantic_data_converter,
        retry_config=RetryConfig(max_retries=1),
    )
    await env.shutdown()
    transport = httpx.ASGITransport(app=_app(client, db_pool), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def test_register_database_unavailable_is_503(pg_url: str, stack: Stack) -> None:
    pool = await db.create_pool(pg_url)
    await pool.close()  # as if the database had gone away
    app = create_app(stack.settings, client=stack.client, pool=pool)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        for r in [
            await http.get("/v1/cases"),
            await http.post("/v1/aia/notifications", json=notification_body()),
        ]:
            problem = assert_problem(r, 503)
            assert "nothing was changed" in problem["detail"]


async def test_openapi_lists_every_route_with_problem_responses(
    offline: httpx.AsyncClient,
) -> None:
    doc = (await offline.get("/openapi.json")).json()
    assert doc["info"]["title"] == "Biosafety procedures API"
    routes = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    assert ROUTES <= routes, ROUTES - routes
    for method, path in ROUTES:
        op = doc["paths"][path][method]
        assert op["tags"], path
        if path in {"/v1/deadlines.ics", "/healthz"}:
            continue
        for status, response in op["responses"].items():
            if status.startswith(("4", "5")):
                assert list(response["content"]) == [PROBLEM_JSON], (method, path, status)
            else:
                assert "application/json" in response["content"], (method, path, status)
    submit = doc["paths"]["/v1/aia/notifications"]["post"]
    assert {"200", "201", "409", "422"} <= set(submit["responses"])
    examples = submit["requestBody"]["content"]["application/json"]["examples"]
    assert next(iter(examples.values()))["value"]["party_of_import"] == "HU"
    assert (
        "text/calendar" in doc["paths"]["/v1/deadlines.ics"]["get"]["responses"]["200"]["content"]
    )
    docs = await offline.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


async def test_unknown_routes_and_methods_are_problems(offline: httpx.AsyncClient) -> None:
    problem = assert_problem(await offline.get("/v1/nothing-here"), 404)
    assert problem["type"].endswith("/not-found")
    r = await offline.delete("/v1/aia/notifications")
    problem = assert_problem(r, 405)
    assert "POST" in r.headers["allow"] and "POST" in problem["detail"]


async def test_temporal_unavailable_is_503(temporal_down: httpx.AsyncClient) -> None:
    for r in [
        await temporal_down.post("/v1/aia/notifications", json=notification_body()),
        await temporal_down.get("/v1/cases/aia-hu-anything"),
        await temporal_down.post("/v1/cases/aia-hu-anything/acknowledgement", json={}),
    ]:
        problem = assert_problem(r, 503)
        assert "nothing was changed" in problem["detail"]
        assert r.headers["retry-after"]


async def test_an_unexpected_error_is_a_500_problem_with_a_correlation_id(
    offline: httpx.AsyncClient,
) -> None:
    problem = assert_problem(await offline.get("/boom"), 500)
    assert len(problem["correlation_id"]) == 32
    assert "a bug" not in problem["detail"]  # internals stay in the log


async def test_healthz(stack: Stack) -> None:
    app = create_app(
        stack.settings, client=stack.client, pool=stack.pool, clock=stack.env.get_current_time
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        r = await http.get("/healthz")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ok"


async def test_an_oversized_body_is_413(offline: httpx.AsyncClient) -> None:
    body = notification_body()
    body["annex_i"]["h_modification"] = "x" * 300_000
    problem = assert_problem(await offline.post("/v1/aia/notifications", json=body), 413)
    assert "256 KiB" in problem["detail"]


async def test_an_oversized_streamed_body_is_413(offline: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"notifier_reference": "X-1", "notifier": {"name": "'
        for _ in range(40):
            yield b"x" * 10_000

    r = await offline.post(
        "/v1/aia/notifications", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_problem(r, 413)


async def test_a_body_that_is_not_json_is_415(offline: httpx.AsyncClient) -> None:
    r = await offline.post(
        "/v1/cases/aia-hu-x/acknowledgement", content=b"{}", headers={"content-type": "text/plain"}
    )
    problem = assert_problem(r, 415)
    assert problem["type"].endswith("/unsupported-media-type")
    assert (
        "Content-Type: application/json" in problem["detail"] and "text/plain" in problem["detail"]
    )
    r = await offline.post("/v1/aia/notifications", content=b'{"notifier_reference": "X-1"}')
    assert "without a Content-Type" in assert_problem(r, 415)["detail"]


async def test_a_body_that_cannot_be_decoded_is_422_naming_the_body(
    offline: httpx.AsyncClient,
) -> None:
    """FastAPI answers a bare 400 for these; they are JSON syntax errors like any other."""
    for content, why in [
        (b'{"notifier_reference": "\xff"}', "it is not UTF-8 text (byte 0xff at 24)"),
        (b"[" * 200_000, "it is nested too deeply"),
    ]:
        r = await offline.post(
            "/v1/aia/notifications", content=content, headers={"content-type": "application/json"}
        )
        problem = assert_problem(r, 422)
        message = f"the request body is not valid JSON: {why}"
        assert problem["errors"] == [{"field": "notification", "message": message}]


async def test_every_route_with_a_body_documents_413_415_and_422(
    offline: httpx.AsyncClient,
) -> None:
    doc = (await offline.get("/openapi.json")).json()
    with_body = [op for ops in doc["paths"].values() for op in ops.values() if "requestBody" in op]
    assert len(with_body) >= 10
    for op in with_body:
        for status, schema in [
            ("413", "Problem"),
            ("415", "Problem"),
            ("422", "ValidationProblem"),
        ]:
            content = op["responses"][status]["content"]
            assert content[PROBLEM_JSON]["schema"]["$ref"].endswith(f"/{schema}"), op["summary"]
    assert "HTTPValidationError" not in str(doc)
