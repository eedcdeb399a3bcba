"""The register's database unavailable: every read that needs it is a 503 problem with
Retry-After, /readyz says which component is down while /livez stays 200; and asyncpg's or the
operating system's errors that are our own mistakes stay 500s."""

from __future__ import annotations

import socket
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.outages import database_unavailable
from api.problems import PROBLEM_JSON
from infra import db
from infra.postgres import ensure_database, start_embedded, stop_embedded
from infra.settings import Settings
from tests.api.conftest import assert_problem
from tests.support.temporal import _binary

READS = ["/v1/cases", "/v1/register", "/v1/deadlines.ics", "/v1/cases?overdue=true"]


def app_with(client: object, pool: object) -> FastAPI:
    return create_app(Settings(environment="test"), client=client, pool=pool)  # type: ignore[arg-type]


@pytest_asyncio.fixture
async def stopped_register() -> AsyncIterator[asyncpg.Pool]:
    """A pool whose PostgreSQL (a throwaway embedded server, on a Unix socket) was stopped
    after the pool had connected: its socket file is gone."""
    data = Path(tempfile.mkdtemp(prefix="biosafety-test-pg-stopped-"))
    url = await ensure_database(start_embedded(data, delete_at_exit=True), "register")
    await db.migrate(url)
    pool = await db.create_pool(url)
    assert await pool.fetchval("SELECT 1") == 1
    stop_embedded(data)
    yield pool
    pool.terminate()


def refused_port() -> int:
    """A local TCP port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_stopped_database_is_503_on_every_read_and_readyz_says_so(
    time_env: WorkflowEnvironment, stopped_register: asyncpg.Pool
) -> None:
    app = app_with(time_env.client, stopped_register)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        # Twice over: first the pool's dropped connection, then connecting to a missing socket.
        for path in READS * 2:
            r = await http.get(path)
            problem = assert_problem(r, 503)
            assert problem["type"].endswith("/service-unavailable"), problem
            assert "register (database) is unavailable" in problem["detail"]
            assert int(r.headers["retry-after"]) > 0

        ready = await http.get("/readyz")
        assert ready.status_code == 503, ready.text
        assert ready.headers["content-type"].startswith(PROBLEM_JSON)
        assert int(ready.headers["retry-after"]) > 0
        components = ready.json()["components"]
        assert components["temporal"] == {"status": "ok", "error": None}
        assert components["database"]["status"] == "unavailable"
        assert components["database"]["error"]  # the kind of error, e.g. FileNotFoundError
        assert ready.json()["detail"] == "not answering: database"

        live = await http.get("/livez")
        assert live.status_code == 200, live.text
        assert live.json()["status"] == "alive"

        health = await http.get("/healthz")  # the older check keeps its shape
        assert health.status_code == 503
        assert health.json()["temporal"] == "ok"
        assert health.json()["database"].startswith("unavailable: ")


async def test_a_refused_database_connection_is_503(time_env: WorkflowEnvironment) -> None:
    dsn = f"postgresql://postgres@127.0.0.1:{refused_port()}/register"
    pool = await asyncpg.create_pool(dsn, min_size=0, max_size=1)
    assert pool is not None
    try:
        transport = httpx.ASGITransport(
            app=app_with(time_env.client, pool), raise_app_exceptions=False
        )
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            for path in READS:
                r = await http.get(path)
                assert_problem(r, 503)
                assert r.headers["retry-after"]
            ready = await http.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["components"]["database"] == {
                "status": "unavailable",
                "error": "ConnectionRefusedError",
            }
    finally:
        pool.terminate()


async def test_readyz_and_livez_when_everything_answers(
    time_env: WorkflowEnvironment, db_pool: asyncpg.Pool
) -> None:
    transport = httpx.ASGITransport(app=app_with(time_env.client, db_pool))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        ready = await http.get("/readyz")
        live = await http.get("/livez")
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ready"
    assert ready.json()["components"] == {
        "temporal": {"status": "ok", "error": None},
        "database": {"status": "ok", "error": None},
    }
    assert live.status_code == 200


async def test_readyz_reports_temporal_down_separately(db_pool: asyncpg.Pool) -> None:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=_binary("temporal-test-server")
    )
    client = env.client
    await env.shutdown()
    transport = httpx.ASGITransport(app=app_with(client, db_pool))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        ready = await http.get("/readyz")
        live = await http.get("/livez")
    assert ready.status_code == 503
    components = ready.json()["components"]
    assert components["temporal"]["status"] == "unavailable"
    assert components["database"] == {"status": "ok", "error": None}
    assert ready.json()["detail"] == "not answering: temporal"
    assert live.status_code == 200


async def test_our_own_mistakes_stay_500s(
    time_env: WorkflowEnvironment, db_pool: asyncpg.Pool
) -> None:
    """asyncpg's errors for misuse and an OSError of our own code are bugs, not an outage."""
    app = app_with(time_env.client, db_pool)

    @app.get("/wrong-argument")
    async def wrong_argument() -> None:
        await db_pool.fetchval("SELECT $1::int", "not a number")  # asyncpg DataError

    @app.get("/two-at-once")
    async def two_at_once() -> None:
        async with db_pool.acquire() as conn, conn.transaction():
            async with conn.transaction(isolation="serializable"):
                pass  # asyncpg InterfaceError: a nested transaction can't set isolation

    @app.get("/missing-file")
    async def missing_file() -> None:
        Path("/nonexistent/template.j2").read_text()  # FileNotFoundError, not from asyncpg

    @app.get("/syntax")
    async def syntax() -> None:
        await db_pool.execute("SELEKT 1")  # PostgresSyntaxError

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        for path in ["/wrong-argument", "/two-at-once", "/missing-file", "/syntax"]:
            problem = assert_problem(await http.get(path), 500)
            assert problem["type"].endswith("/internal-error"), (path, problem)


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already"), True),
        (asyncpg.exceptions.CannotConnectNowError("the database system is starting up"), True),
        (asyncpg.exceptions.AdminShutdownError("terminating connection"), True),
        (asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"), True),
        (asyncpg.InterfaceError("pool is closing"), True),
        (asyncpg.InterfaceError("cannot call Connection.fetch(): connection is closed"), True),
        (asyncpg.InterfaceError("another operation is in progress"), False),
        (asyncpg.exceptions.UndefinedTableError('relation "x" does not exist'), False),
        (ValueError("not a database error"), False),
    ],
)
def test_which_database_errors_mean_unavailable(error: Exception, unavailable: bool) -> None:
    assert database_unavailable(error) is unavailable
