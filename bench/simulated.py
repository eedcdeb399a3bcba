"""Figure 6: a whole AIA procedure with two stops and an extension, simulated on the
time-skipping test server (months pass in moments): wall seconds from the notification to the
closed case.

The case: notification (CP Art 8), acknowledgement (Art 9), two requests for information that
stop the decision clock (Art 10(3)(c)) each answered weeks later, an extension (Art 10(3)(d)),
the risk assessment (Art 15) and a prohibition with reasons (Art 10(3)(b), 10(4)); then the
workflow's result (its e-mails sent, its BCH publication started, its register row written).
The worker is in-process (``worker.build_worker``) with the real register, the SMTP sink and the
BCH stand-in (bench/procedures.py, ``bench_stack``), warmed up by a first case.
"""

from __future__ import annotations

import statistics
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from api import procedures
from api.cases import run_command
from bench.procedures import PROHIBITION, RISK_ASSESSMENT, bench_stack
from infra import db
from infra.logging import configure_logging
from infra.settings import Settings
from tests.support.samples import notification
from worker import build_worker, close_activities
from workflows import clock
from workflows.aia.models import Acknowledge, Extend, RecordInformationReceived, RequestInformation
from workflows.models import Command

ROUNDS = 2


@dataclass(frozen=True)
class Round:
    seconds: float
    parts: dict[str, float]  # where the wall time went: commands, simulated waits, the end


@dataclass(frozen=True)
class Simulated:
    rounds: list[Round]  # each on a fresh test server with a warmed-up worker

    @property
    def seconds(self) -> list[float]:
        return [r.seconds for r in self.rounds]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def parts(self) -> dict[str, float]:
        """Each part's median over the rounds."""
        return {k: statistics.median(r.parts[k] for r in self.rounds) for k in self.rounds[0].parts}


def _steps() -> list[tuple[str, Command, timedelta]]:
    """(command, its input, simulated time to let pass before the next one)."""
    ask = RequestInformation(items=["Field trial site maps and isolation distances"])
    again = RequestInformation(items=["Monitoring plan for volunteer plants"])
    return [
        ("acknowledge", Acknowledge(), timedelta(days=20)),
        ("request_information", ask, timedelta(days=12)),
        ("record_information_received", RecordInformationReceived(), timedelta(days=40)),
        ("request_information", again, timedelta(days=18)),
        ("record_information_received", RecordInformationReceived(), timedelta(days=30)),
        (
            "extend",
            Extend(days=30, reasons="The monitoring plan needs a second expert opinion."),
            timedelta(days=20),
        ),
        ("record_risk_assessment", RISK_ASSESSMENT, timedelta(days=5)),
        ("decide", PROHIBITION, timedelta(0)),
    ]


async def _open(env: WorkflowEnvironment, settings: Settings) -> tuple[str, WorkflowHandle]:
    now = await env.get_current_time()
    today = clock.local_date(now, settings.timezone)
    body = notification(f"SIM-{uuid.uuid4().hex[:8].upper()}", confidential=[])
    opened = procedures.AIA.open(settings, body, today, now)
    handle: WorkflowHandle = await env.client.start_workflow(
        procedures.AIA.workflow_type, opened.start, id=opened.case_id,
        task_queue=settings.task_queue,
    )  # fmt: skip
    return opened.case_id, handle


async def _round() -> Round:
    """One procedure on a fresh test server: the server stops skipping time once a case has
    started a BCH publication (bench/history.py), so each round has its own. A first case,
    only acknowledged (no publication), warms the worker up."""
    async with bench_stack() as stack:
        env, settings = stack.env, stack.settings
        pool = await db.create_pool(settings.database_url or "")
        worker = build_worker(env.client, settings, pool)
        try:
            async with worker:
                warm_id, _ = await _open(env, settings)
                await run_command(env.client, warm_id, "acknowledge", Acknowledge())
                parts = {"start": 0.0, "8 commands (Updates)": 0.0, "6 simulated waits": 0.0}
                began = time.perf_counter()
                case_id, handle = await _open(env, settings)
                parts["start"] = time.perf_counter() - began
                for name, command, then in _steps():
                    mark = time.perf_counter()
                    await run_command(env.client, case_id, name, command)
                    parts["8 commands (Updates)"] += time.perf_counter() - mark
                    if then:
                        mark = time.perf_counter()
                        await env.sleep(then)
                        parts["6 simulated waits"] += time.perf_counter() - mark
                mark = time.perf_counter()
                await handle.result()
                parts["decision to closed case (deliveries, register)"] = time.perf_counter() - mark
                return Round(time.perf_counter() - began, parts)
        finally:
            await close_activities(worker)
            await pool.close()


async def measure() -> Simulated:
    # The in-process worker logs every e-mail and publication: only warnings here.
    configure_logging(Settings(log_level="WARNING"))
    return Simulated([await _round() for _ in range(ROUNDS)])
