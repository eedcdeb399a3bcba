"""``python -m bench.commands``: figure 5 of the suite (commands) alone, larger, on a fresh dev
stack: where an officer's command spends its CPU, process by process, beside a bare Update.

Opens ``--commands`` cases through the API, then acknowledges them 20 at a time: half through
the API, half by the client directly (the suite's goal figure), after as many bare Updates on
trivial workflows (``bench/bare.py``), first on workflows their worker holds, then on workflows
a second bare worker with a cache of 40 has evicted (what a command among 10,000 open cases
pays Temporal for its replay). ``--background N`` opens N more cases after the command cases:
past the worker's cache they push the command cases out of it (``--background 3000``: about
four minutes). Prints p50/p99, commands per second and the CPU each
process spent per command (its e-mail and register write included), and writes them to
``bench/results/<date>-commands.json``. Settings come from the environment as the stack's do
(``BIOSAFETY_SMTP_IDLE_CONNECTIONS=0 python -m bench.commands``: a connection per e-mail) and
are written with the figures. About two minutes; nothing else should run meanwhile.
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


async def measure(commands: int, background: int = 0) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="biosafety-bench-commands-"))
    run = live.LiveRun(live.Options(cases=0, commands=commands, background=background), folder)
    try:
        await run.start()
        await run.warm_up()
        await run.intake()
        await run.commands()
    finally:
        await run.stop()
    m = run.measured
    return {
        "direct": m.commands_direct.summary(),
        "api": m.commands.summary(),
        "bare": m.bare_updates.summary(),
        "bare_evicted": m.bare_updates_evicted.summary(),
        "cpu_ms_per_command": {k: round(v * 1000, 2) for k, v in m.cpu_per_command.items()},
        "cpu_ms_per_bare_update": {k: round(v * 1000, 2) for k, v in m.cpu_per_bare_update.items()},
        "cpu_ms_per_bare_update_evicted": {
            k: round(v * 1000, 2) for k, v in m.cpu_per_bare_update_evicted.items()
        },
        "rss": m.rss,
        "notes": [*m.notes, f"stack state and logs kept in {folder}"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.commands", description=__doc__)
    parser.add_argument("--commands", type=int, default=600, help="cases acknowledged (600)")
    parser.add_argument(
        "--background",
        type=int,
        default=0,
        help="more cases opened after the command cases (0); past the worker's cache (1,000) "
        "they push the command cases out of it, as 10,000 open cases do",
    )
    parser.add_argument("--label", default="", help="a word for the result file's name")
    args = parser.parse_args(argv)
    started = datetime.now(UTC)
    host = machine()
    figures = asyncio.run(measure(args.commands, args.background))
    result, path = write_result(
        "commands",
        args.label,
        started,
        host,
        {"commands": args.commands, "background": args.background, **figures},
    )
    for key in ("direct", "api", "bare", "bare_evicted"):
        print(f"{key:>7}: {result[key]}")
    print(f"CPU ms per command: {result['cpu_ms_per_command']}")
    print(f"CPU ms per bare Update: {result['cpu_ms_per_bare_update']}")
    print(f"CPU ms per evicted bare Update: {result['cpu_ms_per_bare_update_evicted']}")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
