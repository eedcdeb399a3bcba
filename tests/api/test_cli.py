"""The operator CLI (``biosafety``, api/cli.py) against the real API: the app served by uvicorn on a
free port, over the time-skipping Temporal server, the register and the worker of the other API
tests. The CLI is the installed console script, run as a process of its own; the server runs in
the test's event loop.

An AIA case (CP Arts 8-10) is opened from a file, listed, shown with its deadline ledger, taken
through a clock stop (Art 10(3)(c)), its restart, an extension (10(3)(d)), a generic command by
path (the Art 15 risk assessment) and a decision; refusals come back as the API's problems."""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
import pytest_asyncio
import uvicorn
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.saved_views import VIEWS
from infra.serve import tcp_listener
from tests.api.conftest import case_id_of, notification_body
from tests.support.role_bodies import RISK_ASSESSMENT
from tests.support.temporal import Stack, _binary, register_search_attributes
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES


@dataclass(frozen=True)
class Result:
    exit_code: int
    output: str  # standard output and standard error


SCRIPT = Path(sys.executable).parent / "biosafety"  # the package's console script


@dataclass
class Biosafety:
    """Runs the installed ``biosafety ...`` against the served API with a principal's token."""

    url: str
    tokens: dict[str, str]  # principal -> token
    owner: str = ""  # the notifier principal whose cases the test opens

    async def __call__(
        self, *args: str, who: str = "staff:kovacs", token: str | None = None
    ) -> Result:
        env = os.environ | {
            "BIOSAFETY_API_URL": self.url,
            "BIOSAFETY_API_TOKEN": token or self.tokens[who],
        }
        process = await asyncio.create_subprocess_exec(
            str(SCRIPT),
            *args,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(process.communicate(), timeout=120)
        assert process.returncode is not None
        return Result(process.returncode, out.decode())


@pytest_asyncio.fixture
async def biosafety(stack: Stack) -> AsyncIterator[Biosafety]:
    owner = f"notifier:cli-{secrets.token_hex(4)}@acme.example"  # its list: this test's cases
    principals = ["staff:kovacs", owner]
    tokens = {p: secrets.token_urlsafe(32) for p in principals}
    settings = stack.settings.model_copy(update={"api_tokens": {t: p for p, t in tokens.items()}})
    app = create_app(
        settings, client=stack.client, pool=stack.pool, clock=stack.env.get_current_time
    )
    sock = tcp_listener()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(500):  # uvicorn says it has started by a flag, not an event
        if server.started:
            break
        await asyncio.sleep(0.01)
    try:
        yield Biosafety(f"http://127.0.0.1:{port}", tokens, owner)
    finally:
        server.should_exit = True
        await serving
        sock.close()


def ok(result: Result) -> str:
    assert result.exit_code == 0, (result.exit_code, result.output)
    return result.output


async def test_an_officer_runs_a_case_from_the_command_line(
    biosafety: Biosafety, stack: Stack, tmp_path: Path
) -> None:
    body = notification_body()
    body["notifier"] = dict(body["notifier"], email=biosafety.owner.removeprefix("notifier:"))
    cid = case_id_of(body)
    path = tmp_path / "notification.json"
    path.write_text(json.dumps(body), encoding="utf-8")

    # Art 8: opened from a file; the answer is the case with its ledger.
    out = ok(await biosafety("open", "aia/notifications", f"@{path}"))
    assert cid in out and "Deadline ledger" in out
    assert "Acknowledgement of receipt" in out and "90 left" in out
    assert "270 left" in out

    # Listed (the register is written by an activity: wait for the row), filtered.
    async def listed() -> str:
        result = await biosafety("cases", "--stage", "received", who=biosafety.owner)
        return result.output if cid in result.output else ""

    for _ in range(100):
        if await listed():
            break
        await asyncio.sleep(0.1)
    out = await listed()
    assert "Cases (1)" in out and "acknowledgement" in out
    rows = json.loads(
        ok(await biosafety("cases", "--stage", "received", "--json", who=biosafety.owner))
    )
    assert cid in {r["case_id"] for r in rows}
    rows = json.loads(
        ok(await biosafety("cases", "--stage", "decided", "--json", who=biosafety.owner))
    )
    assert cid not in {r["case_id"] for r in rows}

    # Art 9 (a field without an option of its own given by --set), then Art 10(3)(c): the
    # decision clock stops, and runs again.
    complete = ("--set", '{"prima_facie_complete": true}')
    out = ok(await biosafety("acknowledge", cid, "--idempotency-key", "cli-ack-1", *complete))
    assert f"{cid}: Receipt acknowledged" in out and "stage acknowledged" in out
    again = ok(await biosafety("acknowledge", cid, "--idempotency-key", "cli-ack-1", *complete))
    assert "Receipt acknowledged" in again  # the same key: run once, the first answer again
    await stack.env.sleep(timedelta(days=20))
    out = ok(await biosafety("request-information", cid, "--item", "field trial data"))
    assert "stage awaiting_information" in out
    out = ok(await biosafety("show", cid))
    assert "stopped" in out and "250 remain (stopped)" in out
    out = ok(await biosafety("information-received", cid))
    assert "stage acknowledged" in out
    out = ok(await biosafety("extend", cid, "--days", "30", "--reasons", "Expert opinion."))
    assert "extended by 30 days" in out

    # Any command by its path, with a JSON body: the Art 15 risk assessment.
    out = ok(await biosafety("command", cid, "risk-assessment", json.dumps(RISK_ASSESSMENT)))
    assert f"{cid}: Risk assessment recorded" in out and "280 left" in out

    # A refused command is the API's problem, named: Art 10(4) wants reasons for a prohibition.
    refused = await biosafety("decide", cid, "--result", "prohibition")
    assert refused.exit_code == 2
    assert "422" in refused.output and "reasons" in refused.output
    out = ok(
        await biosafety(
            "decide", cid, "--result", "prohibition", "--reasons", "Gene flow cannot be excluded."
        )
    )
    assert "stage decided" in out

    # Shown with its ledger and history; the notifier sees its own case, and may not decide.
    out = ok(await biosafety("show", cid, "--history", "20"))
    assert "Deadline ledger" in out and "History" in out
    assert "information_requested" in out and "extended" in out and "decided" in out
    assert f"/v1/cases/{cid}/timeline.svg" in out
    view = json.loads(ok(await biosafety("show", cid, "--json")))
    assert view["stage"] == "decided"
    owner = biosafety.owner
    assert json.loads(ok(await biosafety("show", cid, "--json", who=owner)))["case_id"] == cid
    forbidden = await biosafety("decide", cid, "--result", "approval", who=owner)
    assert forbidden.exit_code == 2 and "403" in forbidden.output


async def test_wrong_tokens_cases_and_servers_are_said_plainly(biosafety: Biosafety) -> None:
    result = await biosafety("cases", token="not-a-known-token")
    assert result.exit_code == 2 and "401" in result.output
    result = await biosafety("show", "aia-hu-no-such-case")
    assert (
        result.exit_code == 2
        and "404" in result.output
        and "no case aia-hu-no-such-case" in (result.output)
    )
    result = await biosafety("command", "aia-hu-x", "decision", "{not json")
    assert result.exit_code == 2 and "not JSON" in result.output
    unreachable = Biosafety("http://127.0.0.1:9", biosafety.tokens)
    result = await unreachable("cases")
    assert result.exit_code == 1 and "cannot reach the API at http://127.0.0.1:9" in result.output


def test_the_console_script_is_installed() -> None:
    """``biosafety`` is the package's [project.scripts] entry (pyproject.toml)."""
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "biosafety"]
    assert script.value == "api.cli:main"


README = Path(__file__).parent.parent.parent / "README.md"
README_DAY = date(2027, 3, 1)  # the day the README's dated link was made for


async def test_the_saved_views_are_valid_queries_and_in_the_readme() -> None:
    """Each saved view is a query the real Temporal dev server accepts, over attributes that
    exist; the README links open exactly these views; ``biosafety views`` prints them."""
    attributes = {key.name for key in ALL_SEARCH_ATTRIBUTES}
    for view in VIEWS:
        used = set(re.findall(r"\b([A-Z][A-Za-z]+) (?:=|<|IN)", view.query))
        assert used - {"ExecutionStatus"} <= attributes, view.name

    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=_binary("temporal"), dev_server_log_level="error"
    )
    try:
        await register_search_attributes(env.client)
        for view in VIEWS:
            async for _ in env.client.list_workflows(view.query_on(README_DAY)):
                pass  # no workflows; an invalid query raises
        with pytest.raises(RPCError):  # as it does for an attribute the cluster does not know
            async for _ in env.client.list_workflows('NoSuchAttribute = "x"'):
                pass
    finally:
        await env.shutdown()

    linked = {
        unquote(q)
        for q in re.findall(
            r"\(http://localhost:8233/namespaces/default/workflows\?query=([^)\s]+)\)",
            README.read_text(encoding="utf-8"),
        )
    }
    assert {view.query_on(README_DAY) for view in VIEWS} <= linked

    process = await asyncio.create_subprocess_exec(
        str(SCRIPT), "views", "--today", README_DAY.isoformat(), stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    assert process.returncode == 0
    for view in VIEWS:
        assert view.link(README_DAY) in out.decode()
