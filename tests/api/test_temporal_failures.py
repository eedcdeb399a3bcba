"""What the case service's failures look like to a client (docs/reliability.md, F1 and F2): a
connection to Temporal broken under a call, and a Query refused while a case's workflow task is
retried after a lost worker, are both a 503 problem with Retry-After, never a 500."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from temporalio.service import RPCError, RPCStatusCode

from api import problems


def _app(error: RPCError) -> FastAPI:
    app = FastAPI()
    problems.install(app)

    @app.get("/v1/cases/{case_id}")
    async def read(case_id: str) -> None:
        raise error

    return app


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (RPCError("transport error", RPCStatusCode.UNKNOWN, b""), "did not answer in time"),
        (
            RPCError(
                "Unable to query workflow due to Workflow Task in failed state",
                RPCStatusCode.FAILED_PRECONDITION,
                b"",
            ),
            "being recovered",
        ),
    ],
)
async def test_temporal_failures_are_503_with_retry_after(error: RPCError, says: str) -> None:
    transport = httpx.ASGITransport(app=_app(error))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        r = await client.get("/v1/cases/aia-hu-x")
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith(problems.PROBLEM_JSON)
    assert r.headers["retry-after"]
    assert says in r.json()["detail"]


async def test_other_rpc_errors_stay_500() -> None:
    transport = httpx.ASGITransport(
        app=_app(RPCError("bad request", RPCStatusCode.INVALID_ARGUMENT, b"")),
        raise_app_exceptions=False,
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        r = await client.get("/v1/cases/aia-hu-x")
    assert r.status_code == 500


async def test_a_command_cut_off_mid_call_may_have_been_applied() -> None:
    app = FastAPI()
    problems.install(app)

    @app.post("/v1/cases/{case_id}/decision")
    async def decide(case_id: str) -> None:
        raise RPCError("transport error", RPCStatusCode.UNKNOWN, b"")

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        r = await client.post("/v1/cases/aia-hu-x/decision")
    assert r.status_code == 503
    assert "may or may not have been applied" in r.json()["detail"]
