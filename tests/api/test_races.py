"""Requests that race each other, in-process: 100 identical submissions start one case, 100 copies
of one command under one Idempotency-Key run it once, 100 different attempts at the same
one-time command let exactly one through, and two officers deciding one case at the same moment
give one decision, the other officer a 409. (The soak, tests/soak/, repeats them over HTTP
against the real development stack.)"""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio

from api.app import create_app
from tests.api.conftest import case_id_of, eventually, notification_body
from tests.support.role_bodies import DECISION, RISK_ASSESSMENT
from tests.support.temporal import Stack

COPIES = 100


@pytest_asyncio.fixture
async def officers(stack: Stack) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """Two officers, kovacs and nagy, each with a token of their own."""
    kovacs, nagy = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    settings = stack.settings.model_copy(
        update={"api_tokens": {kovacs: "staff:kovacs", nagy: "staff:nagy"}}
    )
    app = create_app(
        settings, client=stack.client, pool=stack.pool, clock=stack.env.get_current_time
    )
    transport = httpx.ASGITransport(app=app)

    def client(token: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=transport,
            base_url="http://test",
            headers={"Authorization": f"Bearer {token}"},
        )

    async with client(kovacs) as first, client(nagy) as second:
        yield first, second


async def _submitted(api: httpx.AsyncClient, *steps: tuple[str, dict[str, Any]]) -> str:
    body = notification_body()
    r = await api.post("/v1/aia/notifications", json=body)
    assert r.status_code == 201, r.text
    case_id = case_id_of(body)
    for path, command in steps:
        r = await api.post(f"/v1/cases/{case_id}/{path}", json=command)
        assert r.status_code == 200, (path, r.text)
    return case_id


def _kinds(case: dict[str, Any]) -> Counter[str]:
    return Counter(step["kind"] for step in case["history"])


async def test_a_hundred_identical_submissions_start_one_case(
    stack: Stack, api: httpx.AsyncClient
) -> None:
    body = notification_body()
    responses = await asyncio.gather(
        *(api.post("/v1/aia/notifications", json=body) for _ in range(COPIES))
    )
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 200: COPIES - 1}, statuses
    assert {r.json()["case_id"] for r in responses} == {case_id_of(body)}
    history = await stack.client.get_workflow_handle(case_id_of(body)).fetch_history()
    starts = [
        e for e in history.events if e.HasField("workflow_execution_started_event_attributes")
    ]
    assert len(starts) == 1
    case = (await api.get(f"/v1/cases/{case_id_of(body)}")).json()
    assert _kinds(case)["notification_received"] == 1


async def test_a_hundred_copies_of_one_command_under_one_key_run_it_once(
    api: httpx.AsyncClient,
) -> None:
    case_id = await _submitted(api)
    url = f"/v1/cases/{case_id}/acknowledgement"
    responses = await asyncio.gather(
        *(api.post(url, json={}, headers={"Idempotency-Key": "ack-once"}) for _ in range(COPIES))
    )
    assert Counter(r.status_code for r in responses) == {200: COPIES}
    assert len({r.text for r in responses}) == 1  # the first result, a hundred times
    case = (await api.get(f"/v1/cases/{case_id}")).json()
    assert _kinds(case)["acknowledged"] == 1
    letters = [m for m in case["outgoing"] if m["purpose"] == "aia_acknowledgement"]
    assert len(letters) == 1, case["outgoing"]


async def test_a_hundred_different_attempts_at_one_command_let_one_through(
    api: httpx.AsyncClient,
) -> None:
    case_id = await _submitted(api)
    url = f"/v1/cases/{case_id}/acknowledgement"
    responses = await asyncio.gather(
        *(api.post(url, json={}, headers={"Idempotency-Key": f"ack-{n}"}) for n in range(COPIES))
    )
    assert Counter(r.status_code for r in responses) == {200: 1, 409: COPIES - 1}
    refused = [r.json() for r in responses if r.status_code == 409]
    assert all("already acknowledged" in p["detail"] for p in refused), refused[0]
    case = (await api.get(f"/v1/cases/{case_id}")).json()
    assert _kinds(case)["acknowledged"] == 1


async def test_two_officers_deciding_one_case_at_once_give_one_decision(
    officers: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    kovacs, nagy = officers
    winners: Counter[str] = Counter()
    for _ in range(5):
        case_id = await _submitted(
            kovacs, ("acknowledgement", {}), ("risk-assessment", RISK_ASSESSMENT)
        )
        url = f"/v1/cases/{case_id}/decision"
        approval = {
            "result": "approval_with_conditions",
            "conditions": ["post-market monitoring"],
            "reasons": "Risks manageable.",
            "subsequent_imports": "Applies to subsequent imports of the same event.",
        }
        first, second = await asyncio.gather(
            kovacs.post(url, json=approval), nagy.post(url, json=DECISION)
        )
        assert sorted([first.status_code, second.status_code]) == [200, 409], (first, second)
        winner, result = ("kovacs", approval) if first.status_code == 200 else ("nagy", DECISION)
        loser = second if first.status_code == 200 else first
        assert loser.json()["type"].endswith("/command-refused"), loser.text
        winners[winner] += 1

        case = (await kovacs.get(f"/v1/cases/{case_id}")).json()
        assert case["details"]["decision"]["result"] == result["result"]
        decided = [s for s in case["history"] if s["kind"] == "decided"]
        assert [s["actor"] for s in decided] == [winner]
        letters = [m for m in case["outgoing"] if m["purpose"] == "aia_decision"]
        assert len(letters) == 1
        assert len(case["bch_publications"]) == 1

        async def audited(case_id: str = case_id) -> list[dict[str, Any]]:
            rows: list[dict[str, Any]] = (await kovacs.get(f"/v1/cases/{case_id}/audit")).json()
            return [r for r in rows if r["kind"] == "decided"]

        rows = await eventually(audited)
        assert [r["actor"] for r in rows] == [winner]
    assert sum(winners.values()) == 5
