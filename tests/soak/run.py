"""One soak run (tests/soak/scenarios.py): its settings, the stack and a client per caller,
and the helpers every scenario uses to drive its cases, check their answers and wait for them
to settle."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from temporalio.client import Client

from tests.soak.driver import (
    Api,
    CaseRun,
    FocalPoint,
    Recorder,
)
from tests.soak.evidence import settle, verify_decided
from tests.soak.report import Report, Section, latency, secs
from tests.soak.stack import LiveStack

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
