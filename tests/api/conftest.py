"""The API over the real stack: the app in-process (httpx ASGI transport) on the time-skipping
Temporal test server, a worker with the real activities, and the PostgreSQL register."""

from __future__ import annotations

import asyncio
import copy
import re
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import pytest_asyncio

from api.app import create_app
from api.problems import PROBLEM_JSON
from api.procedures import example_notification
from tests.support.temporal import Stack

T = TypeVar("T")


# A problem's rule: a kebab-case name. A citation of an article in its words: "Art 9",
# "Arts 7-10", "SP Art 5(2)" ("Annex I" is not one). tests/api/test_problem_rules.py uses both.
RULE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
CITES = re.compile(r"\bArts? \d+")


async def check_problem(response: httpx.Response) -> None:
    """Every problem any API test meets names its rule, and its article where its words cite
    one (issue 13: errors people can act on; tests/api/test_problem_rules.py reads the source)."""
    if not response.headers.get("content-type", "").startswith(PROBLEM_JSON):
        return
    await response.aread()
    problem = response.json()
    where = f"{response.request.method} {response.request.url.path} -> {problem}"
    assert RULE.match(str(problem.get("rule"))), f"no rule: {where}"
    if CITES.search(str(problem.get("detail"))):
        assert problem.get("article"), f"the detail cites an article, none named: {where}"


HOOKS: dict[str, list[Callable[..., Any]]] = {"response": [check_problem]}


@pytest_asyncio.fixture
async def api(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        stack.settings, client=stack.client, pool=stack.pool, clock=stack.env.get_current_time
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", event_hooks=HOOKS
    ) as client:
        yield client


def unique_reference(prefix: str = "T") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def notification_body(reference: str | None = None, **overrides: Any) -> dict[str, Any]:
    """The README's example notification (api/examples/notification.json) under a fresh
    reference: the register is shared by every test of the session."""
    body = copy.deepcopy(example_notification())
    body["notifier_reference"] = reference or unique_reference()
    body.update(overrides)
    return body


def case_id_of(body: dict[str, Any]) -> str:
    return f"aia-{body['party_of_import'].lower()}-{body['notifier_reference'].lower()}"


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["title"]
    assert problem["type"]
    assert problem["detail"]
    assert problem["instance"] == response.request.url.path
    assert RULE.match(problem["rule"]), problem
    return problem


async def eventually(
    probe: Callable[[], Awaitable[T]], timeout: float = 10.0, interval: float = 0.1
) -> T:
    """Poll until ``probe`` returns something truthy: the register is written asynchronously
    by an activity. Returns the last result (falsy on timeout, for the assertion to show)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = await probe()
        if result or loop.time() > deadline:
            return result
        await asyncio.sleep(interval)


@dataclass
class Callers:
    """One app with tokens configured, and a client per principal (sharing its transport)."""

    staff: httpx.AsyncClient  # staff:kovacs
    alice: httpx.AsyncClient  # a notifier
    bob: httpx.AsyncClient  # another notifier
    anonymous: httpx.AsyncClient  # no token
    alice_email: str
    bob_email: str


@pytest_asyncio.fixture
async def callers(stack: Stack) -> AsyncIterator[Callers]:
    # The register is shared by the whole session: unique e-mails keep the notifiers' lists ours.
    run = uuid.uuid4().hex[:8]
    alice_email, bob_email = f"alice-{run}@acme.example", f"bob-{run}@other.example"
    staff_token, alice_token, bob_token = (secrets.token_urlsafe(32) for _ in range(3))
    tokens = {
        staff_token: "staff:kovacs",
        alice_token: f"notifier:{alice_email}",
        bob_token: f"notifier:{bob_email}",
    }
    settings = stack.settings.model_copy(update={"api_tokens": tokens})
    app = create_app(
        settings, client=stack.client, pool=stack.pool, clock=stack.env.get_current_time
    )
    transport = httpx.ASGITransport(app=app)

    def client(token: str | None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(
            transport=transport, base_url="http://test", headers=headers, event_hooks=HOOKS
        )

    async with (
        client(staff_token) as staff,
        client(alice_token) as alice,
        client(bob_token) as bob,
        client(None) as anonymous,
    ):
        yield Callers(staff, alice, bob, anonymous, alice_email, bob_email)
