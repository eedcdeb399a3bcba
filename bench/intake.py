"""``python -m bench.intake``: figure 1 of the suite (intake) alone, larger, on a fresh dev
stack: what a notification costs each process, from its answer to its case's first steps.

Starts ``--cases`` bare workflows by the client (the baseline), then sends as many
notifications through the API with ``Prefer: return=minimal``, 8 clients at a time, as the
suite's storm cases are sent: received 90 days before in a time zone made for the run, so that
their acknowledgement deadlines (CP Art 9(1)) end minutes later and each case's opening finds
the nearest reminder already due, as a notification entered late does. Prints the answers'
rate and latency against the bare starts', the cores each process used while the answers came,
and the CPU each spent per case until every case's first steps were done (its reminder sent,
its register row written). Writes
``bench/results/<date>-intake.json``. About a minute and a half with 1,000 cases; nothing else
should run meanwhile. Settings come from the environment as the stack's do and are written with
the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import live
from bench.suite import machine, write_result


def figures(m: live.Measured) -> dict[str, Any]:
    """The intake's figures from what the live run measured."""
    ours, bare = m.intake.per_second(), m.bare_starts.per_second()
    ratio = ours / bare if bare and not math.isnan(ours) else None
    settled = m.intake_settled_seconds
    return {
        "intake": m.intake.summary(),
        "bare_starts": m.bare_starts.summary(),
        "ratio": None if ratio is None else round(ratio, 3),
        "cores_during_answers": m.cpu_during_intake,
        "settled_seconds": None if math.isnan(settled) else round(settled, 1),
        "cpu_ms_per_case": {k: round(v * 1000, 2) for k, v in m.cpu_per_case_opened.items()},
    }


async def measure(cases: int) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="biosafety-bench-intake-"))
    run = live.LiveRun(live.Options(cases=cases, commands=0), folder)
    try:
        await run.start()
        await run.warm_up()
        await run.bare_baselines()
        await run.intake()
    finally:
        await run.stop()
    return {
        **figures(run.measured),
        "notes": [*run.measured.notes, f"stack state and logs kept in {folder}"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.intake", description=__doc__)
    parser.add_argument("--cases", type=int, default=1000, help="notifications sent (1,000)")
    parser.add_argument("--label", default="", help="a word for the result file's name")
    args = parser.parse_args(argv)
    started = datetime.now(UTC)
    host = machine()
    measured = asyncio.run(measure(args.cases))
    fields = {"cases": args.cases, **measured}
    result, path = write_result("intake", args.label, started, host, fields)
    for key in ("intake", "bare_starts"):
        print(f"{key:>11}: {result[key]}")
    print(f"      ratio: {result['ratio']} (goal ≥ 0.5, aim 0.7)")
    print(f"cores while answering: {result['cores_during_answers']}")
    print(f"CPU ms per case until its first steps were done ({result['settled_seconds']} s):")
    print(f"  {result['cpu_ms_per_case']}")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
