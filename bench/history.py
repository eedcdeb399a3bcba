"""``python -m bench.history``: how large a case's Temporal history grows, in events and bytes per
run, for a decided case and for a case left overdue for three years (silence is never consent,
Art 9(4), 10(5): it never ends by itself). Writes ``bench/HISTORY.md``.

On the time-skipping test server with the real register, SMTP sink and BCH stand-in and an
in-process worker. A case continues as new past ``CaseStart.continue_as_new_after_events``
(5,000 by default); the second overdue case is run with a threshold of 200 to show the runs
stay bounded when it is reached.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.client import Client

from api import procedures
from api.cases import run_command
from bench.procedures import COMMANDS, bench_stack
from infra import db
from tests.support.samples import notification
from worker import build_worker, close_activities
from workflows import clock

RESULTS = Path(__file__).resolve().parent / "HISTORY.md"
YEARS = 3


@dataclass(frozen=True)
class Run:
    events: int
    bytes: int


@dataclass(frozen=True)
class Figure:
    case: str
    runs: list[Run]


async def _runs(client: Client, case_id: str, first_run_id: str | None) -> list[Run]:
    """Every run of the workflow, first to current, following continue-as-new."""
    run_id = first_run_id
    runs = []
    while run_id:
        history = await client.get_workflow_handle(case_id, run_id=run_id).fetch_history()
        runs.append(Run(len(history.events), sum(e.ByteSize() for e in history.events)))
        last = history.events[-1]
        attrs = last.workflow_execution_continued_as_new_event_attributes
        run_id = (
            attrs.new_execution_run_id
            if last.HasField("workflow_execution_continued_as_new_event_attributes")
            else None
        )
    return runs


async def measure() -> list[Figure]:
    async with bench_stack() as stack:
        env, settings = stack.env, stack.settings
        pool = await db.create_pool(settings.database_url or "")
        worker = build_worker(env.client, settings, pool)
        figures = []
        try:
            async with worker:
                ref = uuid.uuid4().hex[:6].upper()
                now = await env.get_current_time()
                today = clock.local_date(now, settings.timezone)
                # Cases never acknowledged nor decided, left for three years.
                overdue = []
                for label, threshold in (("default threshold", 5000), ("threshold 200", 200)):
                    o = procedures.AIA.open(
                        settings, notification(f"HIST-{ref}-{threshold}"), today, now
                    )
                    start = o.start.model_copy(update={"continue_as_new_after_events": threshold})
                    started = await env.client.start_workflow(
                        "AdvanceInformedAgreement", start, id=o.case_id,
                        task_queue=settings.task_queue,
                    )  # fmt: skip
                    overdue.append((label, o.case_id, started.first_execution_run_id))
                for _ in range(YEARS * 365 // 30):  # a month at a time: one long skip times out
                    await env.sleep(timedelta(days=30))
                for label, case_id, first_run in overdue:
                    runs = await _runs(env.client, case_id, first_run)
                    figures.append(Figure(f"AIA case overdue {YEARS} years, {label}", runs))
                # Last, a decided case (the test server stops skipping time once a case has
                # started a BCH publication child, so it comes after the long sleep).
                # A decided case: acknowledged, assessed, prohibited (Art 9, 15, 10(3)(b)).
                decided = f"HIST-{ref}-DECIDED"
                later = await env.get_current_time()
                today = clock.local_date(later, settings.timezone)
                opened = procedures.AIA.open(settings, notification(decided), today, later)
                handle = await env.client.start_workflow(
                    "AdvanceInformedAgreement", opened.start, id=opened.case_id,
                    task_queue=settings.task_queue,
                )  # fmt: skip
                for name, command in COMMANDS:
                    await run_command(env.client, opened.case_id, name, command)
                await handle.result()
                runs = await _runs(env.client, opened.case_id, handle.first_execution_run_id)
                figures.append(Figure("decided AIA case", runs))
        finally:
            await close_activities(worker)
            await pool.close()
        return figures


def write(figures: list[Figure]) -> str:
    lines = [
        "# Case history size",
        "",
        "Written by `python -m bench.history` "
        f"({datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}): Temporal events and bytes "
        "(protobuf size of the events) of each run of a case's workflow.",
        "",
        "| case | runs | events per run | bytes per run | largest run |",
        "|---|---|---|---|---|",
    ]
    for f in figures:
        largest = max(f.runs, key=lambda r: r.bytes)
        lines.append(
            f"| {f.case} | {len(f.runs)} | {', '.join(str(r.events) for r in f.runs)} | "
            f"{', '.join(f'{r.bytes:,}' for r in f.runs)} | "
            f"{largest.events} events, {largest.bytes / 1024:.1f} KiB |"
        )
    lines += [
        "",
        "Temporal warns at 10,240 events or 10 MB and ends a workflow at 51,200 events or 50 MB.",
        "An overdue case wakes only when something can become due (reminders, deadlines, a "
        "30-day recheck): its days overdue are counted when it is read, not by waking daily.",
        "",
    ]
    text = "\n".join(lines)
    RESULTS.write_text(text)
    return text


def main() -> None:
    print(write(asyncio.run(measure())))


if __name__ == "__main__":
    main()
