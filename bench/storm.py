"""``python -m bench.storm``: figure 3 of the suite (the deadline storm) alone, on a fresh dev
stack, with what each lapse costs every process: the meter for cuts of the work per lapse.

Opens ``--cases`` cases through the API, received 90 days back so that every acknowledgement
deadline (CP Art 9(1)) passes on one instant a few minutes after the stack starts
(bench/storm_zone.py), waits for the storm and measures it as the suite does (the lapse
recorded, both escalation e-mails delivered), then the bare storm (as many bare workflows asleep
until one instant, then three no-op activities). Prints p50/p99 of each, their ratios, and the
CPU per lapse of the dev server, the worker, the API, the SMTP sink and PostgreSQL (its
backends), and the cores each used while the lapses were recorded and while the e-mails went
out, beside the CPU per bare sleeper of the dev server and the bare worker. Writes
``bench/results/<date>-storm.json``. About six minutes with 1,000 cases; nothing else should run
meanwhile. Settings come from the environment as the stack's do and are written with the
figures.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import live
from bench.suite import machine, write_result
from bench.verdicts import percentile


def _seconds(values: list[float]) -> dict[str, float | int | None]:
    def at(q: float) -> float | None:
        v = percentile(values, q)
        return None if v != v else round(v, 2)  # NaN: nothing measured

    return {"count": len(values), "p50_s": at(50), "p99_s": at(99)}


def _ratio(ours: list[float], bare: list[float]) -> float | None:
    a, b = percentile(ours, 99), percentile(bare, 99)
    return round(a / b, 2) if a == a and b == b and b > 0 else None


async def measure(cases: int, seconds_per_case: float) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="biosafety-bench-storm-"))
    options = live.Options(
        cases=cases, commands=0, background=0, seconds_per_case=seconds_per_case,
        startup_allowance=120.0,
    )  # fmt: skip
    run = live.LiveRun(options, folder)
    try:
        await run.start()
        await run.warm_up()
        print(f"  intake: {cases} notifications …", flush=True)
        await run.intake()
        await run.storm()
        if run.measured.lapse_delays:
            await run.bare_storm()
    finally:
        await run.stop()
    m = run.measured
    ms = {k: round(v * 1000, 2) for k, v in m.cpu_per_lapse.items()}
    bare_ms = {k: round(v * 1000, 2) for k, v in m.cpu_per_bare_sleeper.items()}
    return {
        "lapse_recorded": _seconds(m.lapse_delays),
        "lapse_task_completed": _seconds(m.lapse_task_done),
        "timer_fired": _seconds(m.timer_delays),
        "emails_delivered": _seconds(m.email_delays),
        "bare_woke": _seconds(m.bare_woke),
        "bare_done": _seconds(m.bare_done),
        "ratio_lapse_to_bare_woke_p99": _ratio(m.lapse_delays, m.bare_woke),
        "ratio_emails_to_bare_done_p99": _ratio(m.email_delays, m.bare_done),
        "task_timeouts_by_type": m.storm_timeouts_by_type,
        "cpu_during_storm_cores": m.cpu_during_storm,
        "cpu_while_lapses_cores": m.cpu_while_lapses,
        "cpu_while_emails_cores": m.cpu_while_emails,
        "cpu_while_bare_woke_cores": m.cpu_while_bare_woke,
        "cpu_while_bare_ran_cores": m.cpu_while_bare_ran,
        "cpu_ms_per_lapse": ms | {"all": round(sum(ms.values()), 2)},
        "cpu_ms_per_bare_sleeper": bare_ms | {"all": round(sum(bare_ms.values()), 2)},
        "worker_profile": m.worker_profile,
        "notes": [*m.notes, f"stack state and logs kept in {folder}"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.storm", description=__doc__)
    parser.add_argument("--cases", type=int, default=1000, help="lapses on one instant (1,000)")
    parser.add_argument(
        "--seconds-per-case", type=float, default=0.05,
        help="seconds the plan allows per case before the storm (0.05)",
    )  # fmt: skip
    parser.add_argument("--label", default="", help="a word for the result file's name")
    args = parser.parse_args(argv)
    started = datetime.now(UTC)
    host = machine()
    figures = asyncio.run(measure(args.cases, args.seconds_per_case))
    result, path = write_result(
        "storm", args.label, started, host, {"cases": args.cases, **figures}
    )
    for key in ("lapse_recorded", "lapse_task_completed", "emails_delivered", "bare_woke",
                "bare_done"):  # fmt: skip
        print(f"{key:>22}: {result[key]}")
    print(f"lapse p99 / bare woke p99: {result['ratio_lapse_to_bare_woke_p99']}; e-mails p99 / "
          f"bare done p99: {result['ratio_emails_to_bare_done_p99']}")  # fmt: skip
    print(f"cores until the last lapse: {result['cpu_while_lapses_cores']}; from then until the "
          f"last e-mail: {result['cpu_while_emails_cores']}")  # fmt: skip
    print(f"bare: cores until the last woke: {result['cpu_while_bare_woke_cores']}; from then "
          f"until the last was done: {result['cpu_while_bare_ran_cores']}")  # fmt: skip
    print(f"CPU ms per lapse: {result['cpu_ms_per_lapse']}")
    print(f"CPU ms per bare sleeper: {result['cpu_ms_per_bare_sleeper']}")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
