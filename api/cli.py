"""``biosafety``: the operator's command line. It lists and shows cases (with the deadline ledger),
opens cases and gives commands, all through the REST API with a bearer token, and prints tables.

Built on Click (maintained by the Pallets project, and already installed with uvicorn) and rich
(tables and colours). Every request goes to the API, never to Temporal or the database: the CLI
has exactly the rights of its token (api/auth.py), and its errors are the API's problem+json
answers, printed as they are.

    export BIOSAFETY_API_URL=http://localhost:8000 BIOSAFETY_API_TOKEN=...
    biosafety cases --overdue
    biosafety show aia-hu-exs-2027-014
    biosafety request-information aia-hu-exs-2027-014 --item "field trial data"
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click
import httpx
from rich.console import Console
from rich.table import Table

from api import saved_views

DEFAULT_URL = "http://localhost:8000"
TIMEOUT = 60.0  # a command waits for its workflow's answer (a Temporal Update)


@dataclass
class Api:
    """The API the CLI talks to."""

    url: str
    token: str | None
    console: Console

    def client(self) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=TIMEOUT)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        params = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            with self.client() as client:
                response = client.request(method, path, params=params, json=body, headers=headers)
        except httpx.HTTPError as err:
            raise click.ClickException(f"cannot reach the API at {self.url}: {err}") from err
        if response.status_code >= 400:
            raise ApiError(response)
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.request(method, path, **kwargs).json()


class ApiError(click.ClickException):
    """The API's answer to a refused request (problem+json: title, detail, each field's error)."""

    exit_code = 2

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        try:
            problem = response.json()
        except ValueError:
            problem = {}
        if not isinstance(problem, dict):
            problem = {}
        title = problem.get("title") or response.reason_phrase
        lines = [f"{response.status_code} {title}: {problem.get('detail') or response.text}"]
        for error in problem.get("errors") or []:
            if isinstance(error, dict):
                lines.append(f"  {error.get('field', '')}: {error.get('message', error)}")
        super().__init__("\n".join(lines))


pass_api = click.make_pass_decorator(Api)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--url",
    envvar="BIOSAFETY_API_URL",
    default=DEFAULT_URL,
    show_default=True,
    help="The REST API's address (env BIOSAFETY_API_URL).",
)
@click.option(
    "--token",
    envvar="BIOSAFETY_API_TOKEN",
    default=None,
    help="Bearer token (env BIOSAFETY_API_TOKEN); see README, Access.",
)
@click.pass_context
def cli(ctx: click.Context, url: str, token: str | None) -> None:
    """The biosafety authority's cases, from the command line (through the REST API)."""
    console = Console(width=160, soft_wrap=False, highlight=False)
    ctx.obj = Api(url.rstrip("/"), token, console)


# ---- reading ------------------------------------------------------------------------------------


def _days(view: dict[str, Any]) -> str:
    if view.get("status") == "stopped":
        return f"{view.get('remaining_days') or 0} remain (stopped)"
    if view.get("status") == "missed":
        return f"overdue {view.get('days_overdue', 0)}"
    if view.get("remaining_days") is not None and view.get("status") == "running":
        return f"{view['remaining_days']} left"
    return ""


@cli.command("cases")
@click.option("--procedure", help="aia, ffp, review, treaty_status, ...")
@click.option("--stage", help="e.g. received, acknowledged, awaiting_information, decided")
@click.option("--overdue/--not-overdue", default=None, help="with or without a missed deadline")
@click.option("--due-before", metavar="YYYY-MM-DD", help="next deadline before this date")
@click.option("--party", "party_of_import", metavar="CC", help="Party of import, e.g. HU")
@click.option("--limit", type=click.IntRange(1, 200), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0)
@click.option("--json", "as_json", is_flag=True, help="print the API's JSON")
@pass_api
def list_cases(
    api: Api,
    procedure: str | None,
    stage: str | None,
    overdue: bool | None,
    due_before: str | None,
    party_of_import: str | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """List cases from the register, soonest deadline first."""
    params = {
        "procedure": procedure,
        "stage": stage,
        "overdue": None if overdue is None else str(overdue).lower(),
        "due_before": due_before,
        "party_of_import": party_of_import,
        "limit": limit,
        "offset": offset,
    }
    rows = api.json("GET", "/v1/cases", params=params)
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table(title=f"Cases ({len(rows)})", title_justify="left")
    for column in ("case", "procedure", "stage", "LMO", "next deadline", "due", "days"):
        table.add_column(column, overflow="fold")
    for r in rows:
        left = r.get("next_deadline_remaining_days")
        if r.get("overdue"):
            days = f"[red]overdue {r['days_overdue']}[/red]"
        elif left is not None:
            days = f"{left} remain (stopped)" if r.get("clock_stopped") else f"{left} left"
        else:
            days = ""
        table.add_row(
            r["case_id"],
            r["procedure"],
            r["stage"],
            r.get("lmo_name") or "",
            (r.get("next_deadline_key") or "").replace("_", " ")
            + (" (clock stopped)" if r.get("clock_stopped") else ""),
            r.get("next_deadline_on") or "",
            days,
        )
    api.console.print(table)


def _ledger(api: Api, view: dict[str, Any]) -> None:
    table = Table(title="Deadline ledger", title_justify="left")
    for column in ("deadline", "article", "status", "due", "days", "explanation"):
        table.add_column(column, overflow="fold")
    colours = {"missed": "red", "stopped": "yellow", "running": "cyan", "met": "green"}
    for d in view["deadlines"]:
        colour = colours.get(d["status"], "white")
        table.add_row(
            d["label"],
            d["article"],
            f"[{colour}]{d['status']}[/{colour}]",
            d.get("due") or "",
            _days(d),
            d["explanation"],
        )
    api.console.print(table)


def _show(api: Api, view: dict[str, Any], history: int) -> None:
    api.console.print(f"[bold]{view['case_id']}[/bold]  {view['title']}")
    api.console.print(f"{view['procedure']} · stage {view['stage']} · today {view['today']}")
    api.console.print(view["status_text"])
    _ledger(api, view)
    steps = view.get("history") or []
    if steps and history:
        table = Table(title="History", title_justify="left")
        for column in ("#", "on", "step", "by", "summary"):
            table.add_column(column, overflow="fold")
        for s in steps[-history:]:
            table.add_row(str(s["seq"]), s["on"], s["kind"], s["actor"], s["summary"])
        api.console.print(table)
    api.console.print(f"Timeline: {api.url}/v1/cases/{view['case_id']}/timeline.svg")
    api.console.print(f"Calendar: {api.url}/v1/cases/{view['case_id']}/deadlines.ics")


@cli.command("show")
@click.argument("case_id")
@click.option(
    "--history",
    type=click.IntRange(0),
    default=10,
    show_default=True,
    help="how many of the last steps to show",
)
@click.option("--json", "as_json", is_flag=True, help="print the API's JSON")
@pass_api
def show(api: Api, case_id: str, history: int, as_json: bool) -> None:
    """Show a case: its stage, deadline ledger and last steps."""
    view = api.json("GET", f"/v1/cases/{case_id}")
    if as_json:
        click.echo(json.dumps(view, indent=2, ensure_ascii=False))
    else:
        _show(api, view, history)


# ---- opening cases and giving commands ----------------------------------------------------------


def _body(text: str | None) -> Any:
    """A JSON body from the option: inline JSON, ``@file.json``, or ``-`` for standard input."""
    if text is None:
        return {}
    if text == "-":
        text = sys.stdin.read()
    elif text.startswith("@"):
        path = Path(text[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as err:
            raise click.BadParameter(f"cannot read {path}: {err.strerror}") from err
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise click.BadParameter(f"not JSON: {err}") from err


def _result(api: Api, result: dict[str, Any]) -> None:
    nxt = result.get("next_deadline") or {}
    line = f"{result['case_id']}: {result['summary']} (stage {result['stage']})"
    api.console.print(line)
    if nxt:
        api.console.print(
            f"next: {nxt['label']} ({nxt['article']}) {nxt.get('due') or ''} {_days(nxt)}".rstrip()
        )


def _run(api: Api, case_id: str, path: str, body: Any, key: str | None) -> None:
    result = api.json(
        "POST", f"/v1/cases/{case_id}/{path.strip('/')}", body=body, idempotency_key=key
    )
    _result(api, result)


idempotency = click.option(
    "--idempotency-key", "key", help="the same key again runs the command once (a safe retry)"
)


@cli.command("open")
@click.argument("path")
@click.argument("body", metavar="JSON|@FILE|-")
@pass_api
def open_case(api: Api, path: str, body: str) -> None:
    """Open a case: POST the body to /v1/PATH, e.g. `open aia/notifications @notification.json`."""
    view = api.json("POST", f"/v1/{path.strip('/').removeprefix('v1/')}", body=_body(body))
    _show(api, view, history=0)


@cli.command("command")
@click.argument("case_id")
@click.argument("path")
@click.argument("body", metavar="[JSON|@FILE|-]", required=False)
@idempotency
@pass_api
def command(api: Api, case_id: str, path: str, body: str | None, key: str | None) -> None:
    """Any procedure's command by its path: POST /v1/cases/CASE_ID/PATH with a JSON body."""
    _run(api, case_id, path, _body(body), key)


def _simple(
    name: str, path: str, doc: str, make: Callable[..., dict[str, Any]], *options: Any
) -> None:
    """A command with options for its usual fields; ``--set`` adds any other field."""

    def run(api: Api, case_id: str, key: str | None, extra: str | None, **fields: Any) -> None:
        body = make(**fields)
        body.update(_body(extra) if extra else {})
        _run(api, case_id, path, body, key)

    run.__doc__ = doc
    decorated: Any = pass_api(run)
    for option in reversed(options):
        decorated = option(decorated)
    decorated = click.option(
        "--set", "extra", metavar="JSON", help="more fields of the command's body, as JSON"
    )(decorated)
    decorated = idempotency(decorated)
    decorated = click.argument("case_id")(decorated)
    cli.command(name)(decorated)


def _clean(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v not in (None, ())}


_simple(
    "acknowledge",
    "acknowledgement",
    "Acknowledge receipt (CP Art 9) and choose the Art 10(2) route.",
    lambda procedure, incomplete: _clean(
        procedure=procedure, prima_facie_complete=False if incomplete else None
    ),
    click.option(
        "--procedure",
        type=click.Choice(["article_10", "domestic_framework"]),
        help="Art 9(2)(c): the procedure the case follows",
    ),
    click.option("--incomplete", is_flag=True, help="not prima facie complete (Art 9(2)(b))"),
)
_simple(
    "request-information",
    "information-requests",
    "Request additional information (CP Art 10(3)(c)); the decision clock stops.",
    lambda item, note: _clean(items=list(item), note=note),
    click.option("--item", multiple=True, required=True, help="what is requested (repeatable)"),
    click.option("--note"),
)
_simple(
    "information-received",
    "information-received",
    "Record the requested information as received; the decision clock runs again.",
    lambda on, summary: _clean(received_on=on, summary=summary),
    click.option("--on", metavar="YYYY-MM-DD", help="the day it arrived (default today)"),
    click.option("--summary"),
)
_simple(
    "extend",
    "extensions",
    "Extend the decision period by a defined number of days (CP Art 10(3)(d)).",
    lambda days, reasons: {"days": days, "reasons": reasons},
    click.option("--days", type=int, required=True),
    click.option("--reasons", required=True),
)
_simple(
    "decide",
    "decision",
    "Decide on the import (CP Art 10(3)); reasons are required unless consent is unconditional "
    "(Art 10(4)).",
    lambda result, condition, reasons, subsequent_imports: _clean(
        result=result,
        conditions=list(condition),
        reasons=reasons,
        subsequent_imports=subsequent_imports,
    ),
    click.option(
        "--result",
        type=click.Choice(["approval", "approval_with_conditions", "prohibition"]),
        required=True,
    ),
    click.option("--condition", multiple=True, help="a condition of approval (repeatable)"),
    click.option("--reasons"),
    click.option("--subsequent-imports", help="how an approval applies to later imports"),
)
_simple(
    "withdraw",
    "withdrawal",
    "Withdraw the notification (the notifier; staff on its behalf); the case closes.",
    lambda reason: _clean(reason=reason),
    click.option("--reason"),
)


@cli.command("views")
@click.option("--web-ui", default=saved_views.WEB_UI, show_default=True, envvar="BIOSAFETY_WEB_UI")
@click.option("--namespace", default=saved_views.NAMESPACE, show_default=True)
@click.option("--today", metavar="YYYY-MM-DD", help="the day the links are made for")
def views(web_ui: str, namespace: str, today: str | None) -> None:
    """Print the saved Web UI views (README, "Saved Web UI views") as links for today."""
    try:
        day = date.fromisoformat(today) if today else datetime.now(UTC).date()
    except ValueError as err:
        raise click.BadParameter(f"{today!r} is not a date (YYYY-MM-DD)") from err
    for view in saved_views.VIEWS:
        click.echo(f"{view.name} ({view.why}):\n  {view.link(day, web_ui, namespace)}")


def main() -> None:
    cli(prog_name="biosafety")


if __name__ == "__main__":
    main()
