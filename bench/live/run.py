"""The whole live run: every phase on one stack, in the suite's order (``measure``); the
single-figure benchmarks (bench/intake.py, storm.py, commands.py) run a few phases of a
``LiveRun`` themselves."""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.live.commands import CommandsPhase
from bench.live.intake import IntakePhases
from bench.live.measured import Measured, Options
from bench.live.reads import ReadsPhase
from bench.live.storm import StormPhases


class LiveRun(IntakePhases, StormPhases, ReadsPhase, CommandsPhase):
    """A run on a fresh dev stack with every phase; ``start`` it, run phases, ``stop`` it."""


async def measure(options: Options) -> Measured:
    folder = Path(tempfile.mkdtemp(prefix="biosafety-bench-"))
    run = LiveRun(options, folder)
    try:
        await run.start()
        print("  warm-up case …", flush=True)
        await run.warm_up()
        print(f"  bare baselines ({options.cases} starts, {options.cases} runs) …", flush=True)
        await run.bare_baselines()
        print(f"  intake: {options.cases} notifications …", flush=True)
        await run.intake()
        print(f"    {run.measured.intake.summary()}", flush=True)
        await run.storm()
        print("  reads …", flush=True)
        await run.reads()
        print(f"  commands: {options.commands} …", flush=True)
        await run.commands()
        if run.measured.lapse_delays:
            await run.bare_storm()
    finally:
        await run.stop()
    run.measured.notes.append(f"stack state and logs kept in {folder}")
    return run.measured
