"""The role matrix (tests/support/roles.py) in-process: every operation of the API for every kind
of caller, against the README's "Access" section; and no operation is left out of it."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from api.app import create_app
from tests.api.conftest import eventually
from tests.support.role_fixture import Fixture
from tests.support.role_matrix import run_matrix, table
from tests.support.role_outcomes import CALLER_ORDER, Caller
from tests.support.roles import ROWS, operations, rows_for
from tests.support.temporal import Stack


@pytest_asyncio.fixture
async def matrix_clients(
    stack: Stack,
) -> AsyncIterator[tuple[dict[Caller, httpx.AsyncClient], str]]:
    run = uuid.uuid4().hex[:8]
    owner_email, other_email = f"owner-{run}@acme.example", f"other-{run}@other.example"
    staff, owner, other = (secrets.token_urlsafe(32) for _ in range(3))
    tokens = {
        staff: "staff:kovacs",
        owner: f"notifier:{owner_email}",
        other: f"notifier:{other_email}",
    }
    settings = stack.settings.model_copy(update={"api_tokens": tokens})
    app = create_app(
        settings, client=stack.client, pool=stack.pool, clock=stack.env.get_current_time
    )
    transport = httpx.ASGITransport(app=app)
    headers = {
        Caller.ANONYMOUS: {},
        Caller.WRONG_TOKEN: {"Authorization": f"Bearer {secrets.token_urlsafe(32)}"},
        Caller.OTHER: {"Authorization": f"Bearer {other}"},
        Caller.OWNER: {"Authorization": f"Bearer {owner}"},
        Caller.STAFF: {"Authorization": f"Bearer {staff}"},
    }
    clients = {
        caller: httpx.AsyncClient(transport=transport, base_url="http://test", headers=h)
        for caller, h in headers.items()
    }
    try:
        yield clients, owner_email
    finally:
        for client in clients.values():
            await client.aclose()


async def test_every_caller_gets_what_the_access_rules_say(
    matrix_clients: tuple[dict[Caller, httpx.AsyncClient], str],
) -> None:
    clients, owner_email = matrix_clients
    openapi = (await clients[Caller.ANONYMOUS].get("/openapi.json")).json()
    rows = rows_for(openapi)
    fixture = Fixture(clients[Caller.OWNER], clients[Caller.STAFF], owner_email, eventually)
    cells = await run_matrix(clients, fixture, rows)
    assert len(cells) == len(rows) * len(CALLER_ORDER)
    wrong = [c for c in cells if not c.ok]
    assert not wrong, (
        table(cells)
        + "\n\n"
        + "\n".join(f"{c.row.operation} as {c.caller}: {c.status} {c.detail}" for c in wrong)
    )


async def test_the_matrix_covers_every_operation(
    matrix_clients: tuple[dict[Caller, httpx.AsyncClient], str],
) -> None:
    """A new route needs its row in tests/support/roles.py: who may call it is a decision."""
    clients, _ = matrix_clients
    openapi = (await clients[Caller.ANONYMOUS].get("/openapi.json")).json()
    missing = operations(openapi) - {row.operation for row in ROWS}
    assert not missing, f"operations without a row in the role matrix: {sorted(missing)}"
