"""Benchmark of whole AIA procedures on the real components, submission to decision.

In-process: the time-skipping Temporal test server, embedded PostgreSQL (migrated), the SMTP
sink and the BCH stand-in. The worker is ``python -m worker`` (``worker.build_worker``) in a
process of its own, so that its peak RSS is its own (``os.wait4`` returns its rusage).

Each case: submit the notification (Art 8), acknowledge (Art 9), record the risk assessment
(Art 15), decide a prohibition with reasons (Art 10(3)(b), 10(4)); then wait until the case
workflow has closed, i.e. its e-mails are sent, its BCH publication is started and the
register is written. Commands are Temporal Updates, timed one by one (the round trip a REST
call adds to).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from api.cases import run_command, submit_notification
from infra import db
from infra.bch_standin import BchStandinServer
from infra.postgres import ensure_database, start_embedded
from infra.settings import Settings
from infra.smtp_sink import SmtpSink
from tests.support.samples import notification
from tests.support.temporal import _binary, register_search_attributes
from workflows.aia.models import Acknowledge, AiaDetails, Decide, RiskAssessment, Stage
from workflows.models import CaseView

ROOT = Path(__file__).resolve().parent.parent

RISK_ASSESSMENT = RiskAssessment(
    carried_out_by="exporter",
    cost_borne_by_notifier=True,
    summary="Gene flow to wild relatives cannot be excluded under Hungarian conditions.",
    overall_risk="moderate",
    recommendation="Risks are not manageable for an open field trial in this region.",
)
PROHIBITION = Decide(
    result="prohibition",
    reasons="The risk assessment found risks to maize landraces that cannot be managed.",
)
COMMANDS = (
    ("acknowledge", Acknowledge()),
    ("record_risk_assessment", RISK_ASSESSMENT),
    ("decide", PROHIBITION),
)


@dataclass(frozen=True)
class CaseTiming:
    case_id: str
    update_seconds: tuple[float, ...]  # one per command, in COMMANDS order
    decided_after: float  # submission → decide Update returned
    closed_after: float  # submission → workflow result (deliveries done)


@dataclass(frozen=True)
class ProcedureFigures:
    cases: int
    wall_seconds: float  # first submission → last case closed
    decided_wall_seconds: float  # first submission → last decision recorded
    update_p50_ms: float
    update_p95_ms: float
    update_max_ms: float
    update_p95_by_command_ms: dict[str, float]
    unloaded_update_ms: tuple[float, ...]  # the warm-up case, alone: acknowledge, RA, decide
    decided_p50_seconds: float  # one case, submission → decision recorded
    decided_p95_seconds: float
    closed_p50_seconds: float  # one case, submission → closed (awaited once all are decided)
    closed_p95_seconds: float
    worker_peak_rss_bytes: int
    worker_cpu_seconds: float  # user + system, whole worker lifetime (warm-up case included)
    bench_process_peak_rss_bytes: int
    emails_delivered: int
    startup_seconds: float

    @property
    def cases_per_minute(self) -> float:
        return self.cases / self.wall_seconds * 60


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation: a reported p95 is a measured value)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil
    return ordered[int(rank) - 1]


async def _one_case(
    client: Client, env: WorkflowEnvironment, settings: Settings, reference: str
) -> tuple[str, float, tuple[float, ...], float]:
    started = time.perf_counter()
    case, created = await submit_notification(
        client, settings, notification(reference), now=await env.get_current_time()
    )
    assert created, reference
    latencies: list[float] = []
    for name, command in COMMANDS:
        sent = time.perf_counter()
        await run_command(client, case.case_id, name, command, f"{reference}-{name}")
        latencies.append(time.perf_counter() - sent)
    decided = time.perf_counter()
    return case.case_id, started, tuple(latencies), decided


async def _closed(client: Client, case_id: str) -> tuple[CaseView, float]:
    handle = client.get_workflow_handle(case_id, result_type=CaseView[AiaDetails])
    final: CaseView = await handle.result()
    return final, time.perf_counter()


async def _run_cases(
    client: Client, env: WorkflowEnvironment, settings: Settings, references: Sequence[str]
) -> list[CaseTiming]:
    # All cases are decided before any result is awaited: the time-skipping server moves its
    # (shared) clock only while a client waits for a result, and it must not jump weeks ahead
    # while other cases are still between commands.
    decided = await asyncio.gather(*(_one_case(client, env, settings, r) for r in references))
    closed = await asyncio.gather(*(_closed(client, case_id) for case_id, *_ in decided))
    timings = []
    for (case_id, started, latencies, decided_at), (final, closed_at) in zip(
        decided, closed, strict=True
    ):
        assert final.stage == Stage.DECIDED, (case_id, final.stage)
        assert final.details.decision is not None
        assert final.details.decision.result == "prohibition"
        assert all(o.status == "sent" for o in final.outgoing), final.outgoing
        timings.append(CaseTiming(case_id, latencies, decided_at - started, closed_at - started))
    return timings


class _WorkerProcess:
    """``python -m worker`` against the benchmark's servers; its rusage is read at exit."""

    def __init__(self, settings: Settings, log_path: Path) -> None:
        environ = os.environ | {
            "BIOSAFETY_ENVIRONMENT": "test",
            "BIOSAFETY_TEMPORAL_ADDRESS": settings.temporal_address,
            "BIOSAFETY_TEMPORAL_NAMESPACE": settings.temporal_namespace,
            "BIOSAFETY_TASK_QUEUE": settings.task_queue,
            "DATABASE_URL": settings.database_url or "",
            "BIOSAFETY_SMTP_HOST": settings.smtp_host,
            "BIOSAFETY_SMTP_PORT": str(settings.smtp_port),
            "BIOSAFETY_SMTP_SECURITY": "none",
            "BIOSAFETY_BCH_BASE_URL": settings.bch_base_url,
            "BIOSAFETY_LOG_LEVEL": "INFO",  # what production runs with: logging is part of the cost
        }
        self._log = log_path.open("wb")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "worker"],
            cwd=ROOT,
            env=environ,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def stop(self, timeout: float = 30.0) -> tuple[int, float]:
        """SIGTERM (graceful shutdown), wait; return the worker's peak RSS in bytes and the CPU
        seconds it used."""
        pid = self._proc.pid
        try:
            self._proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while True:
                reaped, status, usage = os.wait4(pid, os.WNOHANG)
                if reaped == pid:
                    break
                if time.monotonic() > deadline:
                    self._proc.kill()
                    reaped, status, usage = os.wait4(pid, 0)
                    break
                time.sleep(0.05)
            self._proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        finally:
            self._log.close()
        return usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime  # Linux: ru_maxrss in KiB

    def kill(self) -> None:
        if self._proc.returncode is None:
            self._proc.kill()
            self._proc.wait()
        self._log.close()


@dataclass
class BenchStack:
    env: WorkflowEnvironment
    settings: Settings
    sink: SmtpSink


@asynccontextmanager
async def bench_stack() -> AsyncIterator[BenchStack]:
    """The benchmark's servers: embedded PostgreSQL (migrated; its folder is deleted when this
    process exits), the SMTP sink in memory, the BCH stand-in approving every request, and the
    time-skipping Temporal test server with the search attributes registered."""
    pg_dir = Path(tempfile.mkdtemp(prefix="biosafety-bench-pg-"))
    base_uri = await asyncio.to_thread(start_embedded, pg_dir, delete_at_exit=True)
    database_url = await ensure_database(base_uri, "bench")
    await db.migrate(database_url)
    sink = SmtpSink(None)  # in memory: the figures are about the procedure, not the sink's disk
    sink.start()
    bch = BchStandinServer(auto_approve=True)
    bch.start()
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=_binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    try:
        await register_search_attributes(env.client)
        settings = Settings(
            environment="test",
            temporal_address=env.client.service_client.config.target_host,
            temporal_namespace=env.client.namespace,
            task_queue=f"bench-{uuid.uuid4().hex[:8]}",
            database_url=database_url,
            smtp_host="127.0.0.1",
            smtp_port=sink.port,
            bch_base_url=bch.base_url,
        )
        yield BenchStack(env, settings, sink)
    finally:
        await env.shutdown()
        bch.stop()
        sink.stop()


async def run(cases: int = 50) -> ProcedureFigures:
    import resource

    setup_started = time.perf_counter()
    # The worker's log is deleted when all went well.
    log_dir = Path(tempfile.mkdtemp(prefix="biosafety-bench-worker-"))
    worker: _WorkerProcess | None = None
    succeeded = False
    async with bench_stack() as stack:
        env, settings, sink = stack.env, stack.settings, stack.sink
        try:
            worker = _WorkerProcess(settings, log_dir / "worker.log")
            run_id = uuid.uuid4().hex[:6].upper()

            # Warm-up: one case alone (the worker starts, imports, fills its caches); its Update
            # round trips are the unloaded latency.
            [warm] = await _run_cases(env.client, env, settings, [f"BENCH-{run_id}-WARM"])
            startup = time.perf_counter() - setup_started
            sink.clear()

            references = [f"BENCH-{run_id}-{i:03d}" for i in range(cases)]
            started = time.perf_counter()
            timings = await _run_cases(env.client, env, settings, references)
            wall = time.perf_counter() - started
            decided_wall = max(t.decided_after for t in timings)  # cases start together (±ms)
            emails = len(sink.messages)

            worker_rss, worker_cpu = worker.stop()
            worker = None
            succeeded = True
        finally:
            if worker is not None:
                worker.kill()
            if succeeded:
                shutil.rmtree(log_dir, ignore_errors=True)
            else:
                print(f"the worker's log is kept in {log_dir / 'worker.log'}", file=sys.stderr)
    updates = [s for t in timings for s in t.update_seconds]
    by_command = {
        name: percentile([t.update_seconds[i] for t in timings], 95) * 1000
        for i, (name, _) in enumerate(COMMANDS)
    }
    closed = [t.closed_after for t in timings]
    decided_after = [t.decided_after for t in timings]
    return ProcedureFigures(
        cases=cases,
        wall_seconds=wall,
        decided_wall_seconds=decided_wall,
        update_p50_ms=percentile(updates, 50) * 1000,
        update_p95_ms=percentile(updates, 95) * 1000,
        update_max_ms=max(updates) * 1000,
        update_p95_by_command_ms=by_command,
        unloaded_update_ms=tuple(s * 1000 for s in warm.update_seconds),
        decided_p50_seconds=percentile(decided_after, 50),
        decided_p95_seconds=percentile(decided_after, 95),
        closed_p50_seconds=percentile(closed, 50),
        closed_p95_seconds=percentile(closed, 95),
        worker_peak_rss_bytes=worker_rss,
        worker_cpu_seconds=worker_cpu,
        bench_process_peak_rss_bytes=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        emails_delivered=emails,
        startup_seconds=startup,
    )
