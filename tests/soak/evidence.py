"""Reading back what happened, from every place it left a trace, and comparing them:

- the workflows' own state: each case read live (``GET /v1/cases/{id}``, a Temporal Query) and
  Temporal's visibility store (one run per workflow id, all completed) and histories (activity
  attempts lost with a killed worker and retried);
- the register: ``GET /v1/cases`` (each row's state version) and each case's audit log;
- delivery evidence: ``GET /v1/cases/{id}/messages`` (key, Message-ID, attempts, status);
- the SMTP sink's stored messages (``<state>/mail/index.jsonl`` and the ``.eml`` files), counted
  by Message-ID;
- the BCH stand-in's state: publication requests and published records, by document uid.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowExecutionStatus

from activities.bch import document_uid
from activities.email_message import message_id_for
from infra.settings import Settings
from tests.soak.driver import Api, FocalPoint
from tests.soak.report import Section
from tests.soak.stack import Kill

MAIL_DOMAIN = Settings().mail_from.rpartition("@")[2] or "biosafety.local"
# A copy stored up to this long before a SIGKILL counts as delivered in the SMTP crash window
# (the worker commits within milliseconds of the 250 when it is not loaded), and so does one
# stored up to CRASH_LEAD after it (the message was on the wire: a PostgreSQL connection lost
# mid-transaction, or the client's last bytes already in the sink's socket).
CRASH_WINDOW = 5.0
CRASH_LEAD = 1.0
SMTP_WINDOW_CRASHES = ("worker", "smtp")


def expected_messages(case_id: str) -> dict[str, str]:
    """The messages a decided AIA case owes, by key: the notifier's acknowledgement and decision
    letters (Art 9, 10(3)), the decision's BCH record (Art 10(3)), and the officer's e-mail that
    the focal point published it."""
    publication = f"bch-{case_id}-decision"
    return {
        f"{case_id}:acknowledgement": "email",
        f"{case_id}:decision": "email",
        f"{case_id}:bch:decision": "bch",
        f"{publication}:{case_id}:bch:decision:published": "email",
    }


# ---- the SMTP sink ------------------------------------------------------------------------------


@dataclass
class Mailbox:
    """What the sink stored: Message-ID → how many times and when (each file's modification
    time), and each stored file's case."""

    counts: Counter[str]
    files: int
    index_lines: int
    case_of: dict[str, str]
    stored_at: dict[str, list[float]] = field(default_factory=dict)

    @classmethod
    def read(cls, folder: Path) -> Mailbox:
        counts: Counter[str] = Counter()
        lines = 0
        index = folder / "index.jsonl"
        if index.exists():
            for line in index.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a line cut short by a killed sink; the .eml files still count
                lines += 1
                counts[str(entry.get("message_id", "")).strip()] += 1
        case_of: dict[str, str] = {}
        files = sorted(folder.glob("*.eml"))
        parser = BytesHeaderParser()
        file_counts: Counter[str] = Counter()
        stored_at: dict[str, list[float]] = {}
        for path in files:
            with path.open("rb") as eml:
                headers = parser.parse(eml)
            message_id = str(headers.get("Message-ID", "")).strip()
            file_counts[message_id] += 1
            case_of[message_id] = str(headers.get("X-Biosafety-Case", ""))
            stored_at.setdefault(message_id, []).append(path.stat().st_mtime)
        # Files are written before the index line: a sink killed in between kept the file.
        for message_id, n in file_counts.items():
            counts[message_id] = max(counts[message_id], n)
        return cls(counts, len(files), lines, case_of, stored_at)

    def duplicates(self) -> dict[str, int]:
        return {m: n for m, n in self.counts.items() if n > 1}

    def crashes(self, message_id: str, kills: list[Kill]) -> list[str]:
        """For each copy but the last, which component was SIGKILLed around the time the sink
        stored it (from CRASH_LEAD before to CRASH_WINDOW after; "" for none): the crash that
        kept the worker from recording the delivery, so that the message went again (with the
        same Message-ID)."""
        copies = sorted(self.stored_at.get(message_id, []))
        causes = []
        for at in copies[:-1]:
            near = {k.component for k in kills if -CRASH_LEAD <= k.wall - at <= CRASH_WINDOW}
            causes.append(
                next((c for c in SMTP_WINDOW_CRASHES if c in near), min(near, default=""))
            )
        return causes

    def in_smtp_window(self, message_id: str, kills: list[Kill]) -> bool:
        """Whether every extra copy follows a SIGKILL of the worker (after the sink's 250,
        before the worker's commit) or of the sink (after it stored the message, before its
        250 reached the worker): the one window in which SMTP itself cannot tell a delivered
        message from a lost one. Anything else (a PostgreSQL crash after the 250, say) is a
        duplicate the system could have avoided."""
        causes = self.crashes(message_id, kills)
        return bool(causes) and all(c in SMTP_WINDOW_CRASHES for c in causes)

    def why_twice(self, message_id: str, kills: list[Kill]) -> str:
        causes = [c or "no SIGKILL" for c in self.crashes(message_id, kills)]
        return ", ".join(f"after a {c} SIGKILL" if c != "no SIGKILL" else c for c in causes)


# ---- Temporal -----------------------------------------------------------------------------------


async def count(client: Client, query: str) -> int:
    return (await client.count_workflows(query)).count


def workflows_of(case_ids: Iterable[str]) -> set[str]:
    """The decided cases' workflows: each case's own and its decision's publication process."""
    return {w for c in case_ids for w in (c, f"bch-{c}-decision")}


async def settle(client: Client, prefix: str, case_ids: Iterable[str], timeout: float) -> float:
    """Wait until the workflows of the decided cases ``case_ids`` (whose CaseId starts with
    ``prefix``) have all closed; seconds waited. A decided case closes only once its outbox has
    started its publication process, so "none of them running" covers both."""
    began = time.monotonic()
    wanted = workflows_of(case_ids)
    query = f'CaseId STARTS_WITH "{prefix}" AND ExecutionStatus = "Running"'
    running: set[str] = set()
    while True:
        try:
            running = {wf.id async for wf in client.list_workflows(query)} & wanted
            if not running:
                return time.monotonic() - began
        except Exception as err:  # Temporal restarting: keep waiting
            print(f"    (visibility not answering: {type(err).__name__})", flush=True)
        if time.monotonic() - began > timeout:
            raise TimeoutError(
                f"{prefix}*: not settled after {timeout:.0f} s ({len(running)} still running, "
                f"e.g. {sorted(running)[:3]})"
            )
        await asyncio.sleep(2.0)


@dataclass
class Executions:
    runs: dict[str, list[tuple[str, WorkflowExecutionStatus | None]]] = field(default_factory=dict)
    retried_activities: int = 0  # activities that needed more than one attempt
    extra_attempts: int = 0  # attempts lost with a killed worker or failed by an outage
    activity_timeouts: Counter[str] = field(default_factory=Counter)
    workflow_task_timeouts: int = 0
    workflow_task_failures: list[str] = field(default_factory=list)

    @property
    def statuses(self) -> Counter[str]:
        return Counter(str(s.name if s else None) for runs in self.runs.values() for _, s in runs)


async def executions(
    client: Client, prefix: str, *, only: set[str] | None = None, histories: bool = True
) -> Executions:
    """Every run of every workflow of the prefix (of those ``only``, if given), and what their
    histories say about retries."""
    found = Executions()
    async for wf in client.list_workflows(f'CaseId STARTS_WITH "{prefix}"'):
        if only is None or wf.id in only:
            found.runs.setdefault(wf.id, []).append((wf.run_id, wf.status))
    if not histories:
        return found
    gate = asyncio.Semaphore(8)

    async def read(workflow_id: str, run_id: str) -> None:
        async with gate:
            history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        names: dict[int, str] = {}
        for event in history.events:
            if event.HasField("activity_task_scheduled_event_attributes"):
                names[event.event_id] = (
                    event.activity_task_scheduled_event_attributes.activity_type.name
                )
            elif event.HasField("activity_task_started_event_attributes"):
                attempt = event.activity_task_started_event_attributes.attempt
                if attempt > 1:
                    found.retried_activities += 1
                    found.extra_attempts += attempt - 1
                    scheduled = event.activity_task_started_event_attributes.scheduled_event_id
                    found.activity_timeouts[names.get(scheduled, "?")] += attempt - 1
            elif event.HasField("workflow_task_timed_out_event_attributes"):
                found.workflow_task_timeouts += 1
            elif event.HasField("workflow_task_failed_event_attributes"):
                failure = event.workflow_task_failed_event_attributes
                found.workflow_task_failures.append(
                    f"{workflow_id}: {failure.cause} {failure.failure.message[:200]}"
                )

    await asyncio.gather(*(read(wid, run) for wid, runs in found.runs.items() for run, _ in runs))
    return found


# ---- the API's reads ----------------------------------------------------------------------------


async def register_rows(api: Api) -> dict[str, dict[str, Any]]:
    """Every row of the register (``GET /v1/cases``, page by page)."""
    rows: dict[str, dict[str, Any]] = {}
    offset = 0
    while True:
        r = await api.answered("list", "GET", "/v1/cases", params={"limit": 200, "offset": offset})
        r.raise_for_status()
        page = r.json()
        rows.update({row["case_id"]: row for row in page})
        if len(page) < 200:
            return rows
        offset += 200


@dataclass
class CaseEvidence:
    view: dict[str, Any]
    audit: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    publications: list[dict[str, Any]]


async def read_cases(
    api: Api, case_ids: Iterable[str], concurrency: int = 6
) -> dict[str, CaseEvidence]:
    gate = asyncio.Semaphore(concurrency)

    async def read(case_id: str) -> tuple[str, CaseEvidence]:
        base = f"/v1/cases/{case_id}"
        async with gate:
            parts = []
            for op, path in [
                ("read case", base),
                ("read audit", f"{base}/audit"),
                ("read messages", f"{base}/messages"),
                ("read publications", f"{base}/publications"),
            ]:
                r = await api.answered(op, "GET", path)
                r.raise_for_status()
                parts.append(r.json())
        return case_id, CaseEvidence(*parts)

    return dict(await asyncio.gather(*(read(c) for c in case_ids)))


# ---- the comparison -----------------------------------------------------------------------------


@dataclass
class Outcome:
    """The comparisons of one scenario's cases, each a list of what is wrong (empty: right)."""

    wrong_stage: list[str] = field(default_factory=list)
    undelivered: list[str] = field(default_factory=list)
    history: list[str] = field(default_factory=list)
    register: list[str] = field(default_factory=list)
    audit: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    mail_missing: list[str] = field(default_factory=list)
    mail_twice: list[str] = field(default_factory=list)  # and no crash explains it
    mail_twice_in_crash: list[str] = field(default_factory=list)  # a SIGKILL in the SMTP window
    bch: list[str] = field(default_factory=list)
    publications: list[str] = field(default_factory=list)
    emails_expected: int = 0
    emails_delivered: int = 0
    attempts: Counter[int] = field(default_factory=Counter)
    bch_records: int = 0


ONE_EACH = ("notification_received", "acknowledged", "risk_assessment_recorded", "decided")


def compare(
    cases: dict[str, CaseEvidence],
    rows: dict[str, dict[str, Any]],
    mail: Mailbox,
    bch_state: dict[str, Any],
    decisions: dict[str, str],
    kills: list[Kill],
) -> Outcome:
    """Each decided case against every trace it should have left."""
    out = Outcome()
    requests_by_uid: Counter[str] = Counter(
        q["data"]["identifier"] for q in bch_state["requests"].values()
    )
    published = bch_state["published"]
    for case_id, ev in cases.items():
        view = ev.view
        if view["stage"] != "decided" or not view["closed"]:
            out.wrong_stage.append(f"{case_id}: {view['stage']} (closed {view['closed']})")
        if (want := decisions.get(case_id)) and (view["details"]["decision"] or {}).get(
            "result"
        ) != want:
            out.wrong_stage.append(f"{case_id}: decision is not {want}")
        pending = [m["key"] for m in view["outgoing"] if m["status"] != "sent"]
        if pending:
            out.undelivered.append(f"{case_id}: {pending}")

        kinds = Counter(s["kind"] for s in view["history"])
        odd = {k: kinds[k] for k in ONE_EACH if kinds[k] != 1}
        if odd or kinds["message_failed"]:
            out.history.append(f"{case_id}: {dict(kinds)}")

        row = rows.get(case_id)
        if row is None:
            out.register.append(f"{case_id}: no register row")
        elif (row["version"], row["stage"], row["closed"]) != (
            view["version"],
            view["stage"],
            view["closed"],
        ):
            out.register.append(
                f"{case_id}: register v{row['version']} {row['stage']}, "
                f"workflow v{view['version']} {view['stage']}"
            )

        steps = [(s["seq"], s["kind"], s["actor"]) for s in view["history"]]
        audited = [(a["seq"], a["kind"], a["actor"]) for a in ev.audit]
        if audited != steps or [s[0] for s in steps] != list(range(1, len(steps) + 1)):
            out.audit.append(f"{case_id}: audit {audited} vs workflow {steps}")

        expected = expected_messages(case_id)
        by_key = {m["message_key"]: m for m in ev.messages}
        if set(by_key) != set(expected):
            out.messages.append(
                f"{case_id}: keys {sorted(set(by_key) ^ set(expected))} differ from the expected"
            )
        for key, channel in expected.items():
            m = by_key.get(key)
            if m is None:
                continue
            out.attempts[m["attempts"]] += 1
            if m["channel"] != channel or m["status"] != "sent":
                out.messages.append(f"{key}: {m['channel']} {m['status']} ({m['last_error']})")
            if channel == "bch":
                out.bch_records += 1
                uid = document_uid(key)
                if requests_by_uid[uid] != 1 or uid not in published:
                    out.bch.append(
                        f"{key}: {requests_by_uid[uid]} publication requests, "
                        f"{'published' if uid in published else 'not published'}"
                    )
                continue
            out.emails_expected += 1
            message_id = message_id_for(key, MAIL_DOMAIN)
            if m["message_id"] != message_id:
                out.messages.append(f"{key}: Message-ID {m['message_id']} is not {message_id}")
            seen = mail.counts.get(message_id, 0)
            if seen == 0:
                out.mail_missing.append(key)
            elif seen > 1 and mail.in_smtp_window(message_id, kills):
                out.mail_twice_in_crash.append(
                    f"{key} ×{seen} ({mail.why_twice(message_id, kills)})"
                )
            elif seen > 1:
                out.mail_twice.append(
                    f"{key} ({message_id}) ×{seen} ({mail.why_twice(message_id, kills)})"
                )
            out.emails_delivered += min(seen, 1)

        states = [p["state"] for p in ev.publications]
        if states != ["published"]:
            out.publications.append(f"{case_id}: {states}")
    return out


def report_outcome(section: Section, out: Outcome, cases: int) -> None:
    """The comparisons as checks of ``section``: nothing lost, nothing sent twice."""

    def shown(items: list[str]) -> str:
        return "; ".join(items[:5]) + (f" … ({len(items)} in all)" if len(items) > 5 else "")

    section.check(
        f"every one of the {cases} cases is decided and closed, with the decision given",
        not out.wrong_stage,
        shown(out.wrong_stage),
    )
    section.check(
        "every message of every case delivered (none pending or failed)",
        not out.undelivered,
        shown(out.undelivered),
    )
    section.check(
        "each step once in each case's history, no failed message",
        not out.history,
        shown(out.history),
    )
    section.check(
        "register row at the workflow's version, stage and closed flag, for every case",
        not out.register,
        shown(out.register),
    )
    section.check(
        "audit log = the workflow's history, seq 1..n with no gap", not out.audit, shown(out.audit)
    )
    section.check(
        "delivery evidence: exactly the expected message keys, all sent, stable Message-IDs",
        not out.messages,
        shown(out.messages),
    )
    section.check(
        f"every expected e-mail in the SMTP sink ({out.emails_delivered} of {out.emails_expected})",
        not out.mail_missing,
        shown(out.mail_missing),
    )
    section.check(
        "no e-mail stored twice (each Message-ID once), but where a SIGKILL of the worker or "
        "the sink fell between the sink storing it and the worker recording it",
        not out.mail_twice,
        shown(out.mail_twice),
    )
    section.check(
        f"each BCH record requested once and published ({out.bch_records} records)",
        not out.bch,
        shown(out.bch),
    )
    section.check(
        "each case's BCH publication process published",
        not out.publications,
        shown(out.publications),
    )


async def verify_decided(
    section: Section,
    api: Api,
    client: Client,
    mail_folder: Path,
    focal: FocalPoint,
    prefix: str,
    decisions: dict[str, str],
    kills: list[Kill],
) -> Executions:
    """Every check of a scenario whose cases were all taken to a decision."""
    found = await executions(client, prefix, only=workflows_of(decisions))
    case_ids = sorted(wid for wid in found.runs if wid.startswith("aia-"))
    publications = sorted(wid for wid in found.runs if wid.startswith("bch-"))
    runs = Counter(len(r) for r in found.runs.values())
    section.check(
        f"one workflow run per case ({len(case_ids)}) and per publication ({len(publications)}), "
        "all completed",
        len(case_ids) == len(decisions) == len(publications)
        and set(runs) == {1}
        and found.statuses == Counter({"COMPLETED": len(found.runs)}),
        f"runs per id {dict(runs)}, statuses {dict(found.statuses)}",
    )
    section.check(
        "no workflow task failed (no non-determinism, no sandbox error)",
        not found.workflow_task_failures,
        "; ".join(found.workflow_task_failures[:3]),
    )
    cases = await read_cases(api, case_ids)
    rows = await register_rows(api)
    mail = Mailbox.read(mail_folder)
    out = compare(cases, rows, mail, await focal.state(), decisions, kills)
    report_outcome(section, out, len(decisions))
    twice = len(out.mail_twice) + len(out.mail_twice_in_crash)
    section.figure(
        "e-mails expected / delivered once / twice",
        f"{out.emails_expected} / {out.emails_delivered - twice} / {twice}",
    )
    if out.mail_twice_in_crash:
        section.figure(
            "of which twice because the worker or the sink was SIGKILLed in the SMTP window "
            "(same Message-ID both times)",
            "; ".join(out.mail_twice_in_crash),
        )
    section.figure("BCH records / publication requests per record", f"{out.bch_records} / 1")
    section.figure(
        "delivery attempts per message (from the register's evidence)",
        ", ".join(
            f"{n} attempt{'s' if n != 1 else ''}: {k}" for n, k in sorted(out.attempts.items())
        ),
    )
    section.figure(
        "activities retried (attempts lost with a killed component or failed by an outage)",
        f"{found.retried_activities} activities, {found.extra_attempts} extra attempts"
        + (
            f" ({', '.join(f'{k}: {v}' for k, v in sorted(found.activity_timeouts.items()))})"
            if found.activity_timeouts
            else ""
        ),
    )
    section.figure(
        "workflow tasks timed out (lost with a killed worker)", found.workflow_task_timeouts
    )
    return found
