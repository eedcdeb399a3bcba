"""The scenarios: each drives its own cases (references ``SOAK-<run>-<letter>-NNNN``) through the
real stack while it breaks something, waits until every workflow it started has closed, and
checks the outcome against every trace (tests/soak/evidence.py). Figures and checks go to the
run's report (tests/soak/report.py)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client

from tests.soak.driver import (
    DECISIONS,
    Answer,
    Api,
    CaseRun,
    FocalPoint,
    Recorder,
    case_id_for,
    drive_cases,
    notification,
    read_continuously,
)
from tests.soak.evidence import Mailbox, count, register_rows, settle, verify_decided
from tests.soak.report import Report, Section, latency, percentile, secs
from tests.soak.stack import LiveStack, Principals
from tests.support import role_fixture, role_outcomes, roles
from tests.support.role_bodies import RISK_ASSESSMENT
from tests.support.role_matrix import run_matrix, table

ALICE = "notifier:alice@acme-seeds.example"
BOB = "notifier:bob@other-seeds.example"


@dataclass
class SoakConfig:
    quick: bool = False
    cases: int = 300  # (a)
    concurrency: int = 8
    worker_kills: int = 5  # (a): the last one holds the worker down while timers fire
    temporal_kills: int = 3  # (f): the last one after the decisions, while timers run
    outage_cases: int = 60  # (d), (e), (f) each
    outage_seconds: float = 20.0  # (d), (e): how long PostgreSQL, the sink and the BCH stay down
    duplicates: int = 100  # (b)
    officer_races: int = 20  # (c)
    approve_after: float = 6.0  # the focal point approves a request this long after it is made
    poll_interval: float = 5.0  # BIOSAFETY_BCH_POLL_INTERVAL_SECONDS: the publications' timers
    settle_timeout: float = 900.0
    scenarios: tuple[str, ...] = ("matrix", "b", "c", "a", "d", "e", "f")

    @classmethod
    def quick_mode(cls) -> SoakConfig:
        return cls(
            quick=True,
            cases=30,
            concurrency=8,
            worker_kills=2,
            outage_cases=15,
            outage_seconds=10.0,
            officer_races=5,
        )


@dataclass
class Soak:
    """One run: the stack, a client per caller, the focal point, the report."""

    config: SoakConfig
    stack: LiveStack
    temporal: Client
    report: Report
    run: str = field(default_factory=lambda: secrets.token_hex(3))
    apis: dict[str, Api] = field(default_factory=dict)
    focal: FocalPoint | None = None
    recorders: list[Recorder] = field(default_factory=list)

    def api(self, principal: str | None, recorder: Recorder) -> Api:
        token = self.stack.principals.token(principal) if principal else None
        api = Api(self.stack.api_url, token, recorder)
        self.apis[f"{principal}-{id(recorder)}"] = api
        return api

    def recorder(self) -> Recorder:
        recorder = Recorder()
        self.recorders.append(recorder)
        return recorder

    def references(self, letter: str, n: int) -> list[str]:
        return [f"SOAK-{self.run}-{letter}-{i:04d}".upper() for i in range(1, n + 1)]

    def prefix(self, letter: str) -> str:
        return f"aia-hu-soak-{self.run}-{letter}-".lower()

    @property
    def mail(self) -> Path:
        return self.stack.state / "mail"

    async def aclose(self) -> None:
        for api in self.apis.values():
            await api.aclose()
        if self.focal is not None:
            await self.focal.aclose()


# ---- helpers ------------------------------------------------------------------------------------


def decisions_of(runs: list[CaseRun]) -> dict[str, str]:
    return {r.case_id: r.decision["result"] for r in runs}


def check_runs(section: Section, runs: list[CaseRun]) -> None:
    problems = [f"{r.case_id}: {p}" for r in runs for p in r.problems]
    section.check(
        f"every case driven to its decision ({len(runs) - len({p.split(':')[0] for p in problems})}"
        f" of {len(runs)}), every command answered 200",
        not problems,
        "; ".join(problems[:5]),
    )


def check_answers(section: Section, recorder: Recorder, *, expect_503: bool) -> None:
    """No 5xx but 503; every 503 a problem+json with Retry-After; 503s seen iff expected."""
    errors = recorder.server_errors()
    section.check(
        f"no 500 (nor any 5xx but 503) in {len(recorder.answers)} answers",
        not errors,
        "; ".join(f"{a.status} {a.method} {a.path}" for a in errors[:5]),
    )
    unavailable = recorder.unavailable()
    shaped = [a for a in unavailable if a.problem_json and a.retry_after]
    if expect_503:
        section.check(
            f"the outage answered 503 problem+json with Retry-After ({len(unavailable)} times)",
            bool(unavailable) and len(shaped) == len(unavailable),
            f"{len(unavailable) - len(shaped)} without problem+json or Retry-After",
        )
    else:
        section.check("no 503", not unavailable, f"{len(unavailable)} answers were 503")


def figures_of_answers(section: Section, recorder: Recorder, ops: tuple[str, ...]) -> None:
    for op in ops:
        times = recorder.seconds(op)
        if times:
            section.figure(
                f"`{op}` latency p50 / p99 / max ({len(times)} answered 2xx)", latency(times)
            )


def status_table(recorder: Recorder) -> str:
    """Answers by operation and status, as Markdown."""
    by_op: dict[str, Counter[str]] = {}
    for a in recorder.answers:
        by_op.setdefault(a.op, Counter())[str(a.status) if a.status else "no answer"] += 1
    statuses = sorted({s for c in by_op.values() for s in c})
    lines = ["| operation | " + " | ".join(statuses) + " |", "|---" * (len(statuses) + 1) + "|"]
    for op, counts in sorted(by_op.items()):
        lines.append(
            f"| {op} | " + " | ".join(str(counts.get(s, 0) or "") for s in statuses) + " |"
        )
    return "\n".join(lines)


async def wait_for(
    probe: Callable[[], Awaitable[bool]], timeout: float, pause: float = 1.0
) -> float:
    began = time.monotonic()
    while not await probe():
        if time.monotonic() - began > timeout:
            raise TimeoutError(f"not within {timeout:.0f} s")
        await asyncio.sleep(pause)
    return time.monotonic() - began


def reached_decision(run: CaseRun) -> bool:
    """Driven to its decision (or, in the races, decided by the scenario itself)."""
    return run.decided_at is not None or not run.problems


def decided(runs: list[CaseRun]) -> int:
    return sum(1 for r in runs if r.decided_at is not None)


async def when_decided(done: list[CaseRun], at_least: float) -> None:
    """Wait until ``at_least`` of the runs in ``done`` (filled as they finish) are decided."""
    while decided(done) < at_least:  # noqa: ASYNC110 - progress is a list other tasks fill
        await asyncio.sleep(0.2)


async def settle_and_verify(
    soak: Soak, section: Section, letter: str, runs: list[CaseRun], api: Api
) -> None:
    began = time.monotonic()
    # A case whose driving broke off (a 500 the client gave up on) stays where it is: the
    # failed check says so; the others are checked in full.
    decided_runs = [r for r in runs if reached_decision(r)]
    waited = await settle(
        soak.temporal,
        soak.prefix(letter),
        [r.case_id for r in decided_runs],
        soak.config.settle_timeout,
    )
    section.figure("time until every workflow of the scenario had closed", secs(waited))
    assert soak.focal is not None
    await verify_decided(
        section,
        api,
        soak.temporal,
        soak.mail,
        soak.focal,
        soak.prefix(letter),
        decisions_of(decided_runs),
        soak.stack.kills,
    )
    section.figure("verification time", secs(time.monotonic() - began - waited))


# ---- the role matrix ----------------------------------------------------------------------------


async def role_matrix(soak: Soak) -> None:
    section = soak.report.section(
        "matrix",
        "Role matrix over HTTP",
        "Every operation of the API for every kind of caller (no token, an unknown token, "
        "another notifier, the case's own notifier, staff), against the README's Access rules "
        "(tests/support/roles.py; the same matrix runs in-process in `make test`).",
    )
    recorder = soak.recorder()
    wrong = Api(soak.stack.api_url, f"unknown-{secrets.token_urlsafe(24)}", recorder)
    soak.apis["wrong"] = wrong
    apis = {
        role_outcomes.Caller.ANONYMOUS: soak.api(None, recorder),
        role_outcomes.Caller.WRONG_TOKEN: wrong,
        role_outcomes.Caller.OTHER: soak.api(BOB, recorder),
        role_outcomes.Caller.OWNER: soak.api(ALICE, recorder),
        role_outcomes.Caller.STAFF: soak.api("staff:kovacs", recorder),
    }
    clients = {caller: api.http for caller, api in apis.items()}

    async def eventually(probe: Callable[[], Awaitable[bool]]) -> bool:
        with contextlib.suppress(TimeoutError):
            await wait_for(probe, 30, 0.2)
            return True
        return False

    fixture = role_fixture.Fixture(
        clients[role_outcomes.Caller.OWNER],
        clients[role_outcomes.Caller.STAFF],
        ALICE.removeprefix("notifier:"),
        eventually,
        tag=f"{soak.run}M",
    )
    openapi = (await clients[role_outcomes.Caller.ANONYMOUS].get("/openapi.json")).json()
    rows = roles.rows_for(openapi)
    cells = await run_matrix(clients, fixture, rows)
    section.tables.append(table(cells))
    wrong_cells = [c for c in cells if not c.ok]
    section.figure(
        "operations × callers", f"{len(rows)} × {len(role_outcomes.CALLER_ORDER)} = {len(cells)}"
    )
    section.check(
        "every cell as the Access rules say",
        not wrong_cells,
        "; ".join(f"{c.row.operation} as {c.caller}: {c.status}" for c in wrong_cells[:5]),
    )
    missing = roles.operations(openapi) - {row.operation for row in roles.ROWS}
    section.check(
        "the matrix covers every operation of the OpenAPI document",
        not missing,
        str(sorted(missing)),
    )


# ---- (b) duplicates -----------------------------------------------------------------------------


async def duplicates(soak: Soak) -> None:
    n = soak.config.duplicates
    section = soak.report.section(
        "b",
        f"(b) {n} concurrent duplicates",
        f"{n} identical submissions at once start one case; {n} copies of one command under one "
        f"Idempotency-Key run it once and all get its result; {n} different attempts at the same "
        "one-time command (the decision) let exactly one through and refuse the rest with 409. "
        "Afterwards the case owes, and has sent, each of its messages once.",
    )
    recorder = soak.recorder()
    api = soak.api("staff:soak", recorder)
    (reference,) = soak.references("b", 1)
    case_id = case_id_for(reference)
    body = notification(reference)

    async def burst(
        op: str, path: str, bodies: list[Any], keys: list[str | None]
    ) -> list[httpx.Response | None]:
        began = time.monotonic()
        answers = await asyncio.gather(
            *(api.once(op, "POST", path, json=b, key=k) for b, k in zip(bodies, keys, strict=True))
        )
        section.figure(f"{op}: {n} requests at once, wall time", secs(time.monotonic() - began))
        return list(answers)

    def statuses(answers: list[httpx.Response | None]) -> Counter[int]:
        return Counter(a.status_code if a is not None else 0 for a in answers)

    submits = await burst("submit ×n", "/v1/aia/notifications", [body] * n, [None] * n)
    got = statuses(submits)
    section.check(
        f"{n} identical submissions: one 201, {n - 1} × 200",
        got == {201: 1, 200: n - 1},
        str(dict(got)),
    )
    ids = {a.json()["case_id"] for a in submits if a is not None and a.status_code < 300}
    section.check("all answered with the same case", ids == {case_id}, str(ids))
    runs = await count(soak.temporal, f'WorkflowId = "{case_id}"')
    section.check("one workflow execution for the case", runs == 1, f"{runs} executions")

    base = f"/v1/cases/{case_id}"
    acks = await burst(
        "acknowledge ×n, one key", f"{base}/acknowledgement", [{}] * n, ["b-ack"] * n
    )
    got = statuses(acks)
    same = {a.text for a in acks if a is not None}
    section.check(
        f"{n} copies under one Idempotency-Key: {n} × 200 with the one result",
        got == {200: n} and len(same) == 1,
        f"{dict(got)}, {len(same)} different bodies",
    )
    r = await api.answered(
        "risk-assessment", "POST", f"{base}/risk-assessment", json=RISK_ASSESSMENT, key="b-ra"
    )
    section.check(
        "risk assessment recorded", r.status_code == 200, "" if r.status_code == 200 else r.text
    )
    decision = DECISIONS[0]
    decides = await burst(
        "decide ×n, n keys", f"{base}/decision", [decision] * n, [f"b-dec-{i}" for i in range(n)]
    )
    got = statuses(decides)
    section.check(
        f"{n} different attempts at the decision: one 200, {n - 1} × 409",
        got == {200: 1, 409: n - 1},
        str(dict(got)),
    )
    for op in ("submit ×n", "acknowledge ×n, one key", "decide ×n, n keys"):
        section.figure(f"`{op}` latency p50 / p99 / max", latency(recorder.seconds(op, ok=False)))
    check_answers(section, recorder, expect_503=False)
    run = CaseRun(reference, case_id, decision)
    await settle_and_verify(soak, section, "b", [run], api)


# ---- (c) two officers ---------------------------------------------------------------------------


async def two_officers(soak: Soak) -> None:
    rounds = soak.config.officer_races
    section = soak.report.section(
        "c",
        "(c) Two officers deciding one case at once",
        f"On {rounds} cases, officers kovacs and nagy send different decisions at the same "
        "moment: one decision is recorded, by its officer, the other officer gets 409; the "
        "case's history, audit log, letters and BCH record hold the one decision only.",
    )
    recorder = soak.recorder()
    kovacs, nagy = soak.api("staff:kovacs", recorder), soak.api("staff:nagy", recorder)
    references = soak.references("c", rounds)
    gate = asyncio.Semaphore(soak.config.concurrency)

    async def prepare(reference: str) -> str:
        async with gate:
            case_id = case_id_for(reference)
            await kovacs.answered(
                "submit", "POST", "/v1/aia/notifications", json=notification(reference)
            )
            for op, path, body in [
                ("acknowledge", "acknowledgement", {}),
                ("risk-assessment", "risk-assessment", RISK_ASSESSMENT),
            ]:
                await kovacs.answered(
                    op, "POST", f"/v1/cases/{case_id}/{path}", json=body, key=f"{case_id}:{op}"
                )
            return case_id

    case_ids = await asyncio.gather(*(prepare(r) for r in references))
    winners: Counter[str] = Counter()
    wrong: list[str] = []
    runs: list[CaseRun] = []
    gaps: list[float] = []
    for reference, case_id in zip(references, case_ids, strict=True):
        url = f"/v1/cases/{case_id}/decision"
        first, second = await asyncio.gather(
            kovacs.once("decide (kovacs)", "POST", url, json=DECISIONS[0]),
            nagy.once("decide (nagy)", "POST", url, json=DECISIONS[1]),
        )
        statuses = sorted(a.status_code if a is not None else 0 for a in (first, second))
        if statuses != [200, 409]:
            wrong.append(f"{case_id}: {statuses}")
            continue
        kovacs_won = first is not None and first.status_code == 200
        winner = "kovacs" if kovacs_won else "nagy"
        winners[winner] += 1
        runs.append(CaseRun(reference, case_id, DECISIONS[0] if kovacs_won else DECISIONS[1]))
        mine = [a for a in recorder.answers if a.op.startswith("decide (") and a.path == url]
        if len(mine) == 2:
            gaps.append(abs(mine[0].at - mine[1].at))
    section.check(
        f"every race: one 200 and one 409 ({rounds} races)", not wrong, "; ".join(wrong[:5])
    )
    section.figure("races won by kovacs / nagy", f"{winners['kovacs']} / {winners['nagy']}")
    section.figure(
        "the two requests left the client within (max)",
        f"{max(gaps) * 1000:.1f} ms" if gaps else "–",
    )
    section.figure(
        "decision latency p50 / p99 / max (both officers)",
        latency(recorder.seconds("decide (kovacs)", "decide (nagy)", ok=False)),
    )
    check_answers(section, recorder, expect_503=False)
    await settle_and_verify(soak, section, "c", runs, kovacs)
    actors: list[str] = []
    for run in runs:
        audit = (
            await kovacs.answered("read audit", "GET", f"/v1/cases/{run.case_id}/audit")
        ).json()
        want = "kovacs" if run.decision is DECISIONS[0] else "nagy"
        got = [a["actor"] for a in audit if a["kind"] == "decided"]
        if got != [want]:
            actors.append(f"{run.case_id}: {got}, expected [{want}]")
    section.check(
        "the audit log names the winning officer, once", not actors, "; ".join(actors[:5])
    )


# ---- (a) the soak with worker kills -------------------------------------------------------------


async def soak_with_worker_kills(soak: Soak) -> None:
    config = soak.config
    n, kills = config.cases, config.worker_kills
    hold = 2 * config.poll_interval + 2
    section = soak.report.section(
        "a",
        f"(a) Soak: {n} cases, the worker SIGKILLed {kills} times",
        f"{n} notifications submitted and taken to a decision (acknowledgement, risk assessment, "
        f"decision), {config.concurrency} at a time, while the worker is killed with SIGKILL "
        f"{kills - 1} times during the run (activities in flight: register writes, e-mails, BCH "
        f"calls) and once more after the last decision, held down for {hold:.0f} s while the BCH "
        "publication processes' timers fire (the focal point approves each request "
        f"{config.approve_after:.0f} s after it is made; the processes poll every "
        f"{config.poll_interval:.0f} s). The supervisor restarts the worker each time. At the "
        "end every case is decided, every e-mail delivered exactly once, every BCH record "
        "requested once and published, and every register row at its workflow's version.",
    )
    recorder = soak.recorder()
    api = soak.api("staff:soak", recorder)
    done: list[CaseRun] = []
    downtimes: list[float] = []
    began = time.monotonic()

    async def chaos() -> None:
        for i in range(1, kills):
            await when_decided(done, i * n / kills)
            kill = soak.stack.kill("worker")
            print(f"    worker killed (pid {kill.pid}) at {decided(done)} decided", flush=True)
            downtimes.append(
                await asyncio.to_thread(
                    soak.stack.wait_restarted, kill, soak.stack.worker_started(kill)
                )
            )

    chaos_task = asyncio.create_task(chaos())
    runs = await drive_cases(
        api, soak.references("a", n), concurrency=config.concurrency, done=done
    )
    driven = time.monotonic() - began
    await chaos_task
    # The last kill: held down while the publication processes' timers fire.
    killed_at = time.monotonic()
    times = await asyncio.to_thread(soak.stack.hold_down, "worker", hold)
    print(f"    worker held down {hold:.0f} s ({times} kills)", flush=True)
    await wait_for(
        lambda: asyncio.to_thread(lambda: soak.stack.pid("worker") is not None), 120, 0.2
    )
    last_back = time.monotonic() - killed_at
    check_runs(section, runs)
    submitted_to_decided = [r.decided_at - r.submitted_at for r in runs if r.decided_at]
    section.figure(
        "cases submitted and decided",
        f"{decided(runs)} in {secs(driven)} ({decided(runs) / driven * 60:.0f} cases/min)",
    )
    section.figure(
        "one case, submission to decision: p50 / p99 / max", latency(submitted_to_decided)
    )
    figures_of_answers(section, recorder, ("submit", "acknowledge", "risk-assessment", "decide"))
    section.figure(
        "worker kills during the run, each: kill → `worker started`",
        ", ".join(secs(d) for d in downtimes) or "–",
    )
    section.figure(
        "last kill (after the decisions): worker held down, then back after",
        f"{times} SIGKILLs over {hold:.0f} s; a worker process again after {secs(last_back)}",
    )
    check_answers(section, recorder, expect_503=False)
    await settle_and_verify(soak, section, "a", runs, api)


# ---- (d) PostgreSQL -----------------------------------------------------------------------------


async def probe_case(soak: Soak, api: Api, letter: str) -> str:
    """A case the readers read throughout (submitted before the outage)."""
    reference = f"SOAK-{soak.run}-PROBE-{letter}".upper()
    r = await api.answered("submit", "POST", "/v1/aia/notifications", json=notification(reference))
    r.raise_for_status()
    case_id: str = r.json()["case_id"]
    return case_id


def read_paths(case_id: str) -> list[str]:
    return [
        "/v1/cases?limit=20",
        f"/v1/cases/{case_id}",
        f"/v1/cases/{case_id}/audit",
        f"/v1/cases/{case_id}/messages",
        "/v1/register?limit=20",
        f"/v1/register/{case_id}",
        "/v1/deadlines.ics",
    ]


def outage_window(answers: list[Answer]) -> float:
    """Seconds from the first 503 to the last one."""
    times = [a.at for a in answers if a.status == 503]
    return max(times) - min(times) if times else 0.0


def read_table(recorder: Recorder, windows: list[tuple[float, float]]) -> str:
    """Reads by endpoint: their answers, and their latency outside and inside the outage
    ``windows`` (pairs of time.monotonic(): from the kill until the component answered)."""

    def down(a: Answer) -> bool:
        return any(since <= a.at <= until for since, until in windows)

    lines = [
        "| read | answers | 200 | 503 | other | p50 / p99 while up | p50 / p99 during the outage |",
        "|---|---|---|---|---|---|---|",
    ]
    by_op: dict[str, list[Answer]] = {}
    for a in recorder.answers:
        if a.op.startswith("read "):
            by_op.setdefault(a.op.removeprefix("read "), []).append(a)
    for op, answers in sorted(by_op.items()):
        statuses = Counter(a.status for a in answers)
        up = [a.seconds for a in answers if a.status == 200 and not down(a)]
        during = [a.seconds for a in answers if down(a)]
        other = sum(v for k, v in statuses.items() if k not in (200, 503))
        lines.append(
            f"| `{op}` | {len(answers)} | {statuses[200]} | {statuses[503]} | {other} | "
            f"{_pair(up)} | {_pair(during)} |"
        )
    return "\n".join(lines)


def _pair(values: list[float]) -> str:
    if not values:
        return "–"
    return f"{percentile(values, 50) * 1000:.0f} / {percentile(values, 99) * 1000:.0f} ms"


async def postgres_outage(soak: Soak) -> None:
    config = soak.config
    m, down = config.outage_cases, config.outage_seconds
    section = soak.report.section(
        "d",
        f"(d) PostgreSQL down for {down:.0f} s with cases running",
        f"{m} cases driven to a decision while readers read lists, cases, audit logs, messages, "
        "the public register and the calendar. A third of the way in, PostgreSQL's whole "
        f"process group is SIGKILLed, and killed again at each restart, for {down:.0f} s. "
        "Reads that need the register answer 503 problem+json with Retry-After, never 500; so do "
        "submissions (which look in the register for a closed case of the same id) and commands "
        "sent with an Idempotency-Key (the key is bound to its command in the register): the "
        "client retries them with the same key. Once PostgreSQL is back, the register catches "
        "up with no gap: every row at its workflow's version, every audit log equal to its "
        "workflow's history.",
    )
    recorder = soak.recorder()
    api = soak.api("staff:soak", recorder)
    probe = await probe_case(soak, api, "d")
    stop = asyncio.Event()
    readers = [
        asyncio.create_task(read_continuously(api, read_paths(probe)[i::3], stop)) for i in range(3)
    ]
    done: list[CaseRun] = []
    window: dict[str, float] = {}

    async def outage() -> None:
        await when_decided(done, m / 3)
        window["start"] = time.monotonic()
        kills = await asyncio.to_thread(soak.stack.hold_down, "postgres", down)
        window["held"] = time.monotonic()
        await wait_for(lambda: asyncio.to_thread(soak.stack.component_ready("database")), 120, 0.2)
        window["back"] = time.monotonic()
        window["kills"] = kills
        window["back_at_wall"] = datetime.now(UTC).timestamp()

    outage_task = asyncio.create_task(outage())
    runs = await drive_cases(
        api, soak.references("d", m), concurrency=config.concurrency, done=done
    )
    await outage_task
    await asyncio.sleep(3)
    stop.set()
    await asyncio.gather(*readers)
    wanted = {r.case_id for r in runs if reached_decision(r)}

    async def register_complete() -> bool:
        rows = await register_rows(api)
        ours = [r for r in rows.values() if r["case_id"] in wanted]
        return len(ours) == len(wanted) and all(
            r["stage"] == "decided" and r["closed"] for r in ours
        )

    await wait_for(register_complete, config.settle_timeout, 1.0)
    caught_up = time.monotonic() - window["back"]
    check_runs(section, runs)
    outage_seconds = window["back"] - window["start"]
    section.figure(
        "PostgreSQL down (first SIGKILL → `/readyz` says the database answers)",
        f"{secs(outage_seconds)} ({window['kills']:.0f} SIGKILLs of its process group)",
    )
    section.figure("first to last 503 seen by the readers", secs(outage_window(recorder.answers)))
    section.figure(
        "register complete (every case decided and closed there) after PostgreSQL was back",
        secs(caught_up),
    )
    section.tables.append(read_table(recorder, [(window["start"], window["back"])]))
    section.tables.append(status_table(recorder))
    figures_of_answers(section, recorder, ("submit", "acknowledge", "risk-assessment", "decide"))
    submits_503 = sum(1 for a in recorder.of("submit") if a.status == 503)
    section.figure("submissions answered 503 and retried by the client", submits_503)
    check_answers(section, recorder, expect_503=True)
    await settle_and_verify(soak, section, "d", runs, api)


# ---- (e) SMTP and BCH outages -------------------------------------------------------------------


async def smtp_outage(soak: Soak) -> None:
    config = soak.config
    m, down = config.outage_cases, config.outage_seconds
    section = soak.report.section(
        "e-smtp",
        f"(e) SMTP sink down for {down:.0f} s",
        f"The SMTP sink's process is SIGKILLed, and killed again at each restart, for {down:.0f} "
        f"s, while {m} cases are taken to a decision. Their letters wait: the case shows them "
        "pending and the register's delivery evidence has the last error; once the sink is back "
        "each is delivered, once, with the Message-ID it had from the start.",
    )
    recorder = soak.recorder()
    api = soak.api("staff:soak", recorder)
    before = Mailbox.read(soak.mail).files
    held = asyncio.create_task(asyncio.to_thread(soak.stack.hold_down, "smtp", down))
    await asyncio.sleep(0.5)
    drive = asyncio.create_task(
        drive_cases(api, soak.references("esmtp", m), concurrency=config.concurrency)
    )
    await asyncio.sleep(down * 0.7)
    pending, example = await pending_email(
        api, [case_id_for(r) for r in soak.references("esmtp", m)]
    )
    stored_during = Mailbox.read(soak.mail).files - before
    kills = await held
    await wait_for(lambda: asyncio.to_thread(soak.stack.port_open("smtp")), 120, 0.2)
    back = datetime.now(UTC)
    runs = await drive
    check_runs(section, runs)
    section.figure("SMTP sink SIGKILLs (it is restarted by the supervisor after each)", kills)
    section.figure("e-mails pending with an error, seen mid-outage (via /messages)", pending)
    section.figure("example of the recorded error", f"`{example}`" if example else "–")
    section.check(
        "letters were held pending while the sink was down", pending > 0, f"{pending} pending"
    )
    section.check(
        "the sink stored nothing while it was down", stored_during == 0, f"{stored_during} stored"
    )
    check_answers(section, recorder, expect_503=False)
    await settle_and_verify(soak, section, "esmtp", runs, api)
    last = await last_sent(api, [r.case_id for r in runs])
    section.figure(
        "last letter delivered after the sink was back",
        secs((last - back).total_seconds()) if last else "–",
    )


async def pending_email(api: Api, case_ids: list[str]) -> tuple[int, str]:
    pending, example = 0, ""
    for case_id in case_ids:
        r = await api.once("read messages", "GET", f"/v1/cases/{case_id}/messages")
        if r is None or r.status_code != 200:
            continue
        for m in r.json():
            if m["channel"] == "email" and m["status"] == "pending" and m["last_error"]:
                pending += 1
                example = example or m["last_error"]
    return pending, example[:160]


async def last_sent(api: Api, case_ids: list[str]) -> datetime | None:
    latest: datetime | None = None
    for case_id in case_ids:
        r = await api.answered("read messages", "GET", f"/v1/cases/{case_id}/messages")
        for m in r.json():
            if m["sent_at"] and m["channel"] == "email" and ":bch:" not in m["message_key"]:
                at = datetime.fromisoformat(m["sent_at"])
                latest = at if latest is None or at > latest else latest
    return latest


async def bch_outage(soak: Soak) -> None:
    config = soak.config
    m, down = config.outage_cases, config.outage_seconds
    section = soak.report.section(
        "e-bch",
        f"(e) BCH down for {down:.0f} s, then the stand-in killed with requests pending",
        f"The BCH stand-in answers every API call 503 for {down:.0f} s (its fault switch) while "
        f"{m} cases are decided: their decisions' records wait (the publication process is "
        "still submitting, the delivery evidence has the error). Once the BCH answers, each "
        "record is put, validated and requested once. Then, with every request pending at the "
        "focal point, the stand-in's process is SIGKILLed; the supervisor restarts it and it "
        "still knows every request (its state file), so each is approved and published once.",
    )
    recorder = soak.recorder()
    api = soak.api("staff:soak", recorder)
    focal = soak.focal
    assert focal is not None
    focal.paused = True
    await focal.set_faults("fail")
    began = time.monotonic()
    runs = await drive_cases(api, soak.references("ebch", m), concurrency=config.concurrency)
    await asyncio.sleep(max(0.0, down - (time.monotonic() - began)))
    case_ids = [r.case_id for r in runs]
    submitting = await publication_states(api, case_ids)
    await focal.set_faults("none")
    section.figure("publication states at the end of the outage", dict(submitting))
    section.check(
        "records held while the BCH was down (publication still submitting)",
        submitting.get("submitting", 0) > 0,
        str(dict(submitting)),
    )

    async def all_requested() -> bool:
        states = await publication_states(api, case_ids)
        return states.get("publication_requested", 0) == m

    requested = await wait_for(all_requested, config.settle_timeout, 2.0)
    section.figure("every record requested after the BCH was back", secs(requested))
    pending_before = {q["_id"] for q in await focal.pending()}
    kill = soak.stack.kill("bch")
    restart = await asyncio.to_thread(soak.stack.wait_restarted, kill, soak.stack.port_open("bch"))
    pending_after = {q["_id"] for q in await focal.pending()}
    section.figure("BCH stand-in SIGKILLed with requests pending; back after", secs(restart))
    section.check(
        f"every pending request known after the restart ({len(pending_before)})",
        pending_before <= pending_after,
        f"{len(pending_before - pending_after)} forgotten",
    )
    focal.paused = False
    check_runs(section, runs)
    check_answers(section, recorder, expect_503=False)
    await settle_and_verify(soak, section, "ebch", runs, api)


async def publication_states(api: Api, case_ids: list[str]) -> Counter[str]:
    states: Counter[str] = Counter()
    for case_id in case_ids:
        r = await api.answered("read publications", "GET", f"/v1/cases/{case_id}/publications")
        items = r.json() if r.status_code == 200 else []
        states.update(p["state"] for p in items)
        if not items:
            states["not started"] += 1
    return states


# ---- (f) Temporal -------------------------------------------------------------------------------


async def temporal_restart(soak: Soak) -> None:
    config = soak.config
    m = config.outage_cases
    section = soak.report.section(
        "f",
        "(f) Temporal dev server killed and restarted with cases in flight",
        f"{m} cases driven to a decision while readers read; {config.temporal_kills - 1} times "
        "during the run the Temporal dev server (its whole process group) is SIGKILLed and the "
        "supervisor restarts it on the same SQLite file; once more after the last decision, "
        "while the publication processes wait on their timers. Requests that reach Temporal "
        "meanwhile answer 503 problem+json with Retry-After, never 500; clients retry with the "
        "same Idempotency-Key; every case resumes and ends decided, nothing lost or sent twice.",
    )
    recorder = soak.recorder()
    api = soak.api("staff:soak", recorder)
    probe = await probe_case(soak, api, "f")
    stop = asyncio.Event()
    readers = [
        asyncio.create_task(read_continuously(api, read_paths(probe)[i::3], stop)) for i in range(3)
    ]
    done: list[CaseRun] = []
    restarts: list[float] = []

    windows: list[tuple[float, float]] = []

    async def restart() -> None:
        kill = soak.stack.kill("temporal")
        restarts.append(
            await asyncio.to_thread(
                soak.stack.wait_restarted, kill, soak.stack.component_ready("temporal")
            )
        )
        windows.append((kill.at, kill.at + restarts[-1]))

    async def chaos() -> None:
        for i in range(1, config.temporal_kills):
            await when_decided(done, i * m / config.temporal_kills)
            await restart()

    chaos_task = asyncio.create_task(chaos())
    runs = await drive_cases(
        api, soak.references("f", m), concurrency=config.concurrency, done=done
    )
    await chaos_task
    await restart()
    await asyncio.sleep(3)
    stop.set()
    await asyncio.gather(*readers)
    check_runs(section, runs)
    section.figure(
        "Temporal restarts: SIGKILL → `/readyz` says Temporal answers",
        ", ".join(secs(r) for r in restarts),
    )
    section.figure("first to last 503 seen", secs(outage_window(recorder.answers)))
    section.tables.append(read_table(recorder, windows))
    section.tables.append(status_table(recorder))
    figures_of_answers(section, recorder, ("submit", "acknowledge", "risk-assessment", "decide"))
    check_answers(section, recorder, expect_503=True)
    await settle_and_verify(soak, section, "f", runs, api)


# ---- the whole run ------------------------------------------------------------------------------


async def final_checks(soak: Soak) -> None:
    section = soak.report.section(
        "final",
        "Whole run: nothing sent twice anywhere",
        "Across every scenario of the run (and the role matrix's cases): no Message-ID stored "
        "twice by the SMTP sink (but where a SIGKILL of the worker or the sink fell between the "
        "sink storing the message and the worker recording it: SMTP's one window, see Found), "
        "no BCH record requested twice, no workflow failed, terminated or timed out, and no 500 "
        "answered to any request.",
    )
    mailbox = Mailbox.read(soak.mail)
    twice = mailbox.duplicates()
    in_crash = {m: n for m, n in twice.items() if mailbox.in_smtp_window(m, soak.stack.kills)}
    unexplained = {m: n for m, n in twice.items() if m not in in_crash}
    section.figure(
        "messages stored by the SMTP sink / distinct Message-IDs",
        f"{mailbox.files} / {len(mailbox.counts)}",
    )
    section.figure(
        "Message-IDs stored twice, each just before a SIGKILL of the worker or the sink "
        "(the SMTP window)",
        f"{len(in_crash)} of {len(mailbox.counts)}"
        + (f" ({', '.join(mailbox.case_of.get(m, '?') for m in in_crash)})" if in_crash else ""),
    )
    section.figure("SIGKILLs sent (worker / sink / others)", kill_counts(soak))
    section.check(
        "no Message-ID stored twice but in the SMTP window (a worker or sink SIGKILL)",
        not unexplained,
        "; ".join(
            f"{mailbox.case_of.get(m)} {m} ×{n} ({mailbox.why_twice(m, soak.stack.kills)})"
            for m, n in list(unexplained.items())[:5]
        ),
    )
    assert soak.focal is not None
    state = await soak.focal.state()
    requests = Counter(q["data"]["identifier"] for q in state["requests"].values())
    section.figure(
        "BCH publication requests / documents / published",
        f"{sum(requests.values())} / {len(requests)} / {len(state['published'])}",
    )
    section.check(
        "no BCH document requested twice",
        all(v == 1 for v in requests.values()),
        str([k for k, v in requests.items() if v > 1][:5]),
    )
    bad = await count(
        soak.temporal,
        'ExecutionStatus = "Failed" OR ExecutionStatus = "Terminated" '
        'OR ExecutionStatus = "TimedOut"',
    )
    total = await count(soak.temporal, "")
    section.figure("workflow executions in the namespace", total)
    section.check("no workflow failed, terminated or timed out", bad == 0, f"{bad}")
    answers = [a for r in soak.recorders for a in r.answers]
    errors = [a for a in answers if a.status is not None and a.status >= 500 and a.status != 503]
    statuses = Counter(a.status for a in answers)
    section.figure(
        "HTTP requests made / 503 / 500", f"{len(answers)} / {statuses[503]} / {statuses[500]}"
    )
    section.check(
        "no 500 in the whole run", not errors, "; ".join(f"{a.status} {a.path}" for a in errors[:5])
    )


def kill_counts(soak: Soak) -> str:
    kills = Counter(k.component for k in soak.stack.kills)
    others = sum(n for c, n in kills.items() if c not in ("worker", "smtp"))
    return f"{kills['worker']} / {kills['smtp']} / {others}"


SCENARIOS: dict[str, Callable[[Soak], Awaitable[None]]] = {
    "matrix": role_matrix,
    "b": duplicates,
    "c": two_officers,
    "a": soak_with_worker_kills,
    "d": postgres_outage,
    "e": lambda soak: _both(soak, smtp_outage, bch_outage),
    "f": temporal_restart,
}


async def _both(soak: Soak, *scenarios: Callable[[Soak], Awaitable[None]]) -> None:
    for scenario in scenarios:
        await scenario(soak)


async def run_scenarios(soak: Soak) -> None:
    stop = asyncio.Event()
    soak.focal = FocalPoint(soak.stack.bch_url, soak.config.approve_after)
    focal = asyncio.create_task(soak.focal.run(stop))
    try:
        for key in soak.config.scenarios:
            section_count = len(soak.report.sections)
            try:
                await SCENARIOS[key](soak)
            except Exception as err:  # a scenario that breaks is a failed check, not the end
                section = (
                    soak.report.sections[-1]
                    if len(soak.report.sections) > section_count
                    else soak.report.section(key, key, "")
                )
                section.check("the scenario ran to its end", False, f"{type(err).__name__}: {err}")
        await final_checks(soak)
    finally:
        stop.set()
        await focal


def new_stack(state: Path, config: SoakConfig) -> LiveStack:
    return LiveStack(
        state,
        Principals(),
        {
            "BIOSAFETY_BCH_POLL_INTERVAL_SECONDS": f"{config.poll_interval:g}",
            "BIOSAFETY_LOG_LEVEL": os.environ.get("BIOSAFETY_LOG_LEVEL", "INFO"),
        },
    )
