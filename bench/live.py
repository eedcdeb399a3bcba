"""The dev-server measurements (issue 14): the stack ``make run`` starts (infra/devstack.py), on
free ports in a temporary folder (as tests/soak does), side by side with bare Temporal and bare
FastAPI (bench/bare.py) on the same server in the same run.

In order: bare workflow starts and a bare workflow running a case's first activities; intake
through ``POST /v1/aia/notifications`` (the storm's cases, received 90 days back, CP Art 9(1));
the deadline storm: every acknowledgement deadline passes on one instant (bench/storm_zone.py);
reads with 20 clients against a bare constant endpoint; commands (Update round trips) against a
bare Update; then as many bare workflows sleep until one instant of their own and run three
no-op activities. The worker's resident memory is read along the way. Each phase returns plain
numbers; bench/suite.py turns them into figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
import zoneinfo
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from temporalio.api.enums.v1 import TimeoutType
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from api.procedures import example_notification
from bench import bare, storm_zone
from bench.verdicts import percentile
from infra.supervisor import ROOT
from tests.soak.stack import LiveStack, Principals, free_ports
from workflows.aia.models import Acknowledge
from workflows.models import CommandResult

ACKNOWLEDGEMENT_DAYS = 90  # CP Art 9(1)
BARE_QUEUE = "bench-bare"
STOP_PROFILE_SECONDS = 60.0
SETTLE_SECONDS = 120.0
STAFF = "staff:bench"


@dataclass(frozen=True)
class Options:
    cases: int = 200  # the storm's cases, opened through the API (the intake figure)
    background: int = 0  # more open cases, received today (their deadlines far off)
    commands: int = 400  # cases opened to be acknowledged, one Update each
    hot: int = 50
    intake_clients: int = 8
    readers: int = 20
    read_seconds: float = 10.0
    storm_timeout: float = 900.0
    # Seconds the plan allows per case opened before the storm (a few cases a second through
    # the API on a loaded 2-core machine).
    seconds_per_case: float = 0.6
    startup_allowance: float = 150.0


@dataclass
class Latencies:
    seconds: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    wall: float = 0.0

    def p(self, q: float) -> float:
        return percentile(self.seconds, q)

    @property
    def count(self) -> int:
        return len(self.seconds)

    def per_second(self, status: str | None = None) -> float:
        """Answers (of ``status``, or all) per second of the scenario's wall time."""
        n = self.count if status is None else self.statuses.get(status, 0)
        return n / self.wall if self.wall else math.nan

    def summary(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "wall_seconds": round(self.wall, 3),
            "per_second": round(self.per_second(), 2) if self.wall else None,
            "p50_ms": _ms(self.p(50)),
            "p90_ms": _ms(self.p(90)),
            "p99_ms": _ms(self.p(99)),
            "max_ms": _ms(max(self.seconds) if self.seconds else math.nan),
            "statuses": dict(self.statuses),
        }


def _ms(seconds: float) -> float | None:
    return None if math.isnan(seconds) else round(seconds * 1000, 1)


@dataclass
class Measured:
    """Everything the live run measured, as plain numbers (bench/suite.py makes figures)."""

    first_activities: int = 0
    bare_starts: Latencies = field(default_factory=Latencies)
    bare_activities: Latencies = field(default_factory=Latencies)
    intake: Latencies = field(default_factory=Latencies)  # Prefer: return=minimal
    intake_whole: Latencies = field(default_factory=Latencies)  # the whole case in the answer
    commands_direct: Latencies = field(default_factory=Latencies)  # the Update by the client
    intake_settled_seconds: float = math.nan
    reads: dict[str, Latencies] = field(default_factory=dict)
    bare_updates: Latencies = field(default_factory=Latencies)
    commands: Latencies = field(default_factory=Latencies)
    rss: dict[str, int] = field(default_factory=dict)  # moment → worker RSS bytes
    open_cases: dict[str, int] = field(default_factory=dict)  # moment → open cases
    lapse_delays: list[float] = field(default_factory=list)
    timer_delays: list[float] = field(default_factory=list)  # each storm case's timer fired
    # each storm case's workflow task after its timer completed: the lapse in the history
    lapse_task_done: list[float] = field(default_factory=list)
    # workflow tasks of the storm cases the server timed out, and in how many cases
    storm_task_timeouts: int = 0
    storm_cases_timed_out: int = 0
    # the same by the kind of timeout: SCHEDULE_TO_START (waited on the queue, e.g. a worker's
    # sticky queue, longer than allowed) or START_TO_CLOSE (taken, not finished in time)
    storm_timeouts_by_type: dict[str, int] = field(default_factory=dict)
    email_delays: list[float] = field(default_factory=list)
    lapses_expected: int = 0
    emails_expected: int = 0
    bare_woke: list[float] = field(default_factory=list)
    bare_done: list[float] = field(default_factory=list)
    cpu_during_storm: dict[str, float] = field(default_factory=dict)  # component → cores
    cpu_during_intake: dict[str, float] = field(default_factory=dict)
    # component → CPU seconds per case opened, from the first notification until every case's
    # first steps were done (what its opening owed: reminders due, the register), SMTP sink
    # and PostgreSQL too
    cpu_per_case_opened: dict[str, float] = field(default_factory=dict)
    # component → CPU seconds per command: our Update (the direct half) and the bare Update
    cpu_per_command: dict[str, float] = field(default_factory=dict)
    cpu_per_bare_update: dict[str, float] = field(default_factory=dict)
    # component → CPU seconds per lapse (its e-mails and register write included), SMTP sink and
    # PostgreSQL too; and per bare sleeper (woken, its three no-op activities run)
    cpu_per_lapse: dict[str, float] = field(default_factory=dict)
    cpu_per_bare_sleeper: dict[str, float] = field(default_factory=dict)
    # component → cores used from the instant until the last lapse was recorded, and from then
    # until the last e-mail was delivered: which process the storm's two phases wait for
    cpu_while_lapses: dict[str, float] = field(default_factory=dict)
    cpu_while_emails: dict[str, float] = field(default_factory=dict)
    # the same of the bare storm: until the last sleeper woke, and from then until the last one
    # had run its three activities
    cpu_while_bare_woke: dict[str, float] = field(default_factory=dict)
    cpu_while_bare_ran: dict[str, float] = field(default_factory=dict)
    storm_at: str = ""
    bare_storm_at: str = ""
    notes: list[str] = field(default_factory=list)
    worker_settings: dict[str, str] = field(default_factory=dict)
    worker_profile: dict[str, float] = field(default_factory=dict)  # share of CPU samples


# --- processes ------------------------------------------------------------------------------------


def rss_bytes(pid: int, field_name: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) * 1024
    raise LookupError(f"{field_name} not in /proc/{pid}/status")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its waited-for children."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and every live process below it (PostgreSQL's backends)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(stat.parent.name))
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        with contextlib.suppress(OSError):
            total += cpu_seconds(current)
        todo += children.get(current, [])
    return total


def environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    pairs = (item.decode(errors="replace").split("=", 1) for item in raw if b"=" in item)
    return {k: v for k, v in pairs}


async def _gather_limited(concurrency: int, jobs: Sequence[Callable[[], Awaitable[None]]]) -> float:
    """Run ``jobs`` with ``concurrency`` workers pulling from one queue; the wall seconds."""
    queue: asyncio.Queue[Callable[[], Awaitable[None]]] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)

    async def pull() -> None:
        while not queue.empty():
            await queue.get_nowait()()

    began = time.monotonic()
    await asyncio.gather(*(pull() for _ in range(concurrency)))
    return time.monotonic() - began


async def _timed(out: Latencies, call: Callable[[], Awaitable[str]]) -> None:
    began = time.monotonic()
    try:
        status = await call()
    except Exception as err:  # a failure is counted by its kind, never raised out of a load run
        status = type(err).__name__
    out.seconds.append(time.monotonic() - began)
    out.statuses[status] += 1


# --- the run -----------------------------------------------------------------------------------


class LiveRun:
    def __init__(self, options: Options, folder: Path) -> None:
        self.o = options
        self.folder = folder
        self.m = Measured()
        self.token = f"bench-{uuid.uuid4().hex}"
        self.run_id = uuid.uuid4().hex[:6].upper()
        total = options.cases + options.commands + options.background
        began = datetime.now(UTC)
        # Before the storm: the stack's start, the bare starts and runs (next to the intake they
        # are compared with, at the same load) and the intake; the rest follows the storm.
        allowance = options.startup_allowance + options.seconds_per_case * (total + options.cases)
        self.storm_at = (began + timedelta(seconds=allowance)).replace(second=0, microsecond=0)
        self.storm_at += timedelta(minutes=1)
        self.offset = storm_zone.offset_for_midnight_at(self.storm_at)
        self.received_on = storm_zone.receipt_date_for(
            self.storm_at, self.offset, ACKNOWLEDGEMENT_DAYS
        )
        tz_dir = folder / "zoneinfo"
        storm_zone.write_zone(tz_dir, self.offset)
        tzpath = os.pathsep.join([str(tz_dir), *zoneinfo.TZPATH])
        env = {"PYTHONTZPATH": tzpath, "BIOSAFETY_TIMEZONE": storm_zone.ZONE_NAME}
        self.stack = LiveStack(folder / "stack", Principals({self.token: STAFF}), env)
        self.m.storm_at = self.storm_at.isoformat()
        self.m.worker_settings = {
            k: v
            for k, v in os.environ.items()
            if k.startswith(("BIOSAFETY_WORKER_", "BIOSAFETY_DEVSTACK_"))
        }
        self.storm_ids: list[str] = []
        self.command_ids: list[str] = []
        self.background_ids: list[str] = []
        self.processes: list[subprocess.Popen[bytes]] = []
        self.spawned: dict[str, subprocess.Popen[bytes]] = {}
        self.profiler: subprocess.Popen[bytes] | None = None

    # ---- set-up

    async def start(self) -> None:
        print(
            f"  stack starting; the storm's deadlines pass at {self.storm_at:%H:%M:%S} UTC "
            f"(zone offset {self.offset}, receipt {self.received_on})",
            flush=True,
        )
        await asyncio.to_thread(self.stack.start)
        worker = self._pid("worker")
        self.database_url = environ_of(worker)["DATABASE_URL"]
        self.pool = await asyncpg.create_pool(self.database_url, min_size=1, max_size=4)
        self.client = await Client.connect(
            self.stack.temporal_address, data_converter=pydantic_data_converter
        )
        self.api = httpx.AsyncClient(
            base_url=self.stack.api_url,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=httpx.Timeout(120.0, connect=10.0),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
        )
        (bare_port,) = free_ports(1)
        self.bare_url = f"http://127.0.0.1:{bare_port}"
        py = sys.executable
        address = self.stack.temporal_address
        self._spawn(
            "bare-worker",
            [py, "-m", "bench.bare", "worker", "--address", address, "--task-queue", BARE_QUEUE],
        )
        self._spawn("bare-api", [py, "-m", "bench.bare", "api", "--port", str(bare_port)])
        async with httpx.AsyncClient() as probe:
            for _ in range(240):
                with contextlib.suppress(httpx.HTTPError):
                    if (await probe.get(f"{self.bare_url}/constant")).status_code == 200:
                        break
                await asyncio.sleep(0.5)
        await self.client.execute_workflow(
            bare.BareStart.run, id=f"bare-warm-{self.run_id}", task_queue=BARE_QUEUE
        )

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        log = (self.folder / f"{name}.log").open("ab")
        process = subprocess.Popen(argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        self.spawned[name] = process
        return process

    def _profile(self, pid: int, seconds: float) -> Path | None:
        """Sample the worker with py-spy during the storm, when py-spy is installed."""
        spy = Path(sys.executable).with_name("py-spy")
        if not spy.exists():
            self.m.notes.append("py-spy is not installed: the worker was not profiled")
            return None
        out = self.folder / "worker-storm.txt"
        argv = [str(spy), "record", "--pid", str(pid), "--duration", str(int(seconds)),
                "--rate", "50", "--format", "raw", "--output", str(out),
                "--nonblocking"]  # fmt: skip
        self.profiler = self._spawn("py-spy", argv)
        return out

    def _component_pids(self) -> dict[str, int]:
        """The processes whose CPU is sampled: with BIOSAFETY_DEVSTACK_ACTIVITY_WORKER the
        activities' worker beside the workflows' ("worker"), with BIOSAFETY_DEVSTACK_WORKERS
        the workflows' other workers ("worker-2", ...; memory and py-spy follow the first)."""
        pids = {c: pid for c in ("temporal", "activities", "api") if (pid := self.stack.pid(c))}
        for n, pid in enumerate(self.stack.pids("worker"), start=1):
            pids["worker" if n == 1 else f"worker-{n}"] = pid
        return pids

    def _sink_and_database(self) -> dict[str, int]:
        return {c: pid for c in ("smtp", "postgres") if (pid := self.stack.pid(c)) is not None}

    def _pid(self, component: str) -> int:
        pid = self.stack.pid(component)
        if pid is None:
            raise RuntimeError(f"{component} is not running")
        return pid

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            await self.api.aclose()
        with contextlib.suppress(Exception):
            await self.pool.close()
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        await asyncio.to_thread(self.stack.stop)

    # ---- phases

    def _note_rss(self, moment: str, open_cases: int) -> None:
        self.m.rss[moment] = rss_bytes(self._pid("worker"))
        self.m.open_cases[moment] = open_cases

    def _body(self, reference: str, received_on: date | None) -> dict[str, Any]:
        body = json.loads(json.dumps(example_notification()))
        body["notifier_reference"] = reference
        body["confidential"] = []  # an AIA case alone (claims would open a second case)
        if received_on is not None:
            body["received_on"] = received_on.isoformat()
        return body

    async def _submit(
        self, out: Latencies, reference: str, received: date | None, minimal: bool = False
    ) -> str:
        case_id = f"aia-hu-{reference.lower()}"
        headers = {"Prefer": "return=minimal"} if minimal else {}

        async def call() -> str:
            r = await self.api.post(
                "/v1/aia/notifications", json=self._body(reference, received), headers=headers
            )
            return str(r.status_code)

        await _timed(out, call)
        return case_id

    async def warm_up(self) -> None:
        """One case through the API, let it settle; count the activities of its first steps.

        Received a day after the storm's cases, it owes the same catch-up reminder at intake
        (its deadline is a day later, so it stays out of the storm)."""
        warm = Latencies()
        received = self.received_on + timedelta(days=1)
        case_id = await self._submit(warm, f"BENCH-{self.run_id}-WARM", received)
        handle = self.client.get_workflow_handle(case_id)
        for _ in range(240):
            await asyncio.sleep(0.5)
            row = await self.pool.fetchval("SELECT version FROM cases WHERE case_id = $1", case_id)
            described = await handle.describe()
            if row is not None and not described.raw_description.pending_activities:
                break
        history = await handle.fetch_history()
        self.m.first_activities = sum(
            1 for e in history.events if e.HasField("activity_task_scheduled_event_attributes")
        )
        self._note_rss("idle (1 case)", 1)

    async def bare_baselines(self) -> None:
        n, k = self.o.cases, max(self.m.first_activities, 1)

        def start(i: int) -> Callable[[], Awaitable[None]]:
            async def job() -> None:
                async def call() -> str:
                    await self.client.start_workflow(
                        bare.BareStart.run, id=f"bare-start-{self.run_id}-{i}",
                        task_queue=BARE_QUEUE,
                    )  # fmt: skip
                    return "started"

                await _timed(self.m.bare_starts, call)

            return job

        def run_to_end(i: int) -> Callable[[], Awaitable[None]]:
            async def job() -> None:
                async def call() -> str:
                    await self.client.execute_workflow(
                        bare.BareActivities.run, k, id=f"bare-act-{self.run_id}-{i}",
                        task_queue=BARE_QUEUE,
                    )  # fmt: skip
                    return "done"

                await _timed(self.m.bare_activities, call)

            return job

        clients = self.o.intake_clients
        self.m.bare_starts.wall = await _gather_limited(clients, [start(i) for i in range(n)])
        self.m.bare_activities.wall = await _gather_limited(
            clients, [run_to_end(i) for i in range(n)]
        )

    async def intake(self) -> None:
        refs = [f"BENCH-{self.run_id}-S{i:05d}" for i in range(self.o.cases)]
        self.storm_ids = [f"aia-hu-{r.lower()}" for r in refs]

        def submit(
            ref: str, received: date | None, out: Latencies, minimal: bool
        ) -> Callable[[], Awaitable[None]]:
            async def job() -> None:
                await self._submit(out, ref, received, minimal)

            return job

        pids = self._component_pids()
        cpu0 = {c: cpu_seconds(p) for c, p in pids.items()}
        every = pids | self._sink_and_database()
        tree0 = {c: tree_cpu_seconds(p) for c, p in every.items()}
        began = time.monotonic()
        self.m.intake.wall = await _gather_limited(
            # Bulk submission: the answer names the case without waiting for its first steps.
            self.o.intake_clients,
            [submit(r, self.received_on, self.m.intake, True) for r in refs],
        )
        self.m.cpu_during_intake = {
            c: round((cpu_seconds(p) - cpu0[c]) / self.m.intake.wall, 2) for c, p in pids.items()
        }
        others = self.m.intake_whole
        command_refs = [f"BENCH-{self.run_id}-C{i:05d}" for i in range(self.o.commands)]
        background_refs = [f"BENCH-{self.run_id}-B{i:05d}" for i in range(self.o.background)]
        self.command_ids = [f"aia-hu-{r.lower()}" for r in command_refs]
        self.background_ids = [f"aia-hu-{r.lower()}" for r in background_refs]
        # The command cases as one notifier submits: the answer is the whole case.
        others.wall = await _gather_limited(
            self.o.intake_clients, [submit(r, None, others, False) for r in command_refs]
        )
        await _gather_limited(
            self.o.intake_clients,
            [submit(r, None, Latencies(), True) for r in background_refs],
        )
        if set(others.statuses) - {"201"}:
            self.m.notes.append(f"opening the other cases: {dict(others.statuses)}")
        # Settled: every case's row in the register (its first steps done).
        total = 1 + len(self.storm_ids) + len(self.command_ids) + len(self.background_ids)
        for _ in range(600):
            rows = await self.pool.fetchval("SELECT count(*) FROM cases WHERE procedure = 'aia'")
            if rows >= total:
                self.m.intake_settled_seconds = time.monotonic() - began
                self.m.cpu_per_case_opened = _cpu_per(every, tree0, total - 1)
                break
            await asyncio.sleep(1)
        self._note_rss("all opened", total)

    async def reads(self) -> None:
        every = self.storm_ids + self.command_ids + self.background_ids
        hot = random.sample(every, min(self.o.hot, len(every)))

        async def get(url: str, client: httpx.AsyncClient) -> str:
            return str((await client.get(url)).status_code)

        async with httpx.AsyncClient(
            timeout=httpx.Timeout(120.0), limits=httpx.Limits(max_connections=64)
        ) as plain:
            scenarios: list[tuple[str, Callable[[], str], httpx.AsyncClient]] = [
                ("bare constant", lambda: f"{self.bare_url}/constant", plain),
                ("case", lambda: f"/v1/cases/{random.choice(every)}", self.api),
                ("list", lambda: "/v1/cases?stage=received&overdue=false&limit=50", self.api),
                ("register", lambda: f"/v1/register/{random.choice(every)}", self.api),
                ("hot cases", lambda: f"/v1/cases/{random.choice(hot)}", self.api),
            ]
            for name, url, client in scenarios:
                warm = Latencies()
                for _ in range(self.o.readers):
                    await _timed(warm, partial(get, url(), client))
                out = Latencies()
                until = time.monotonic() + self.o.read_seconds

                async def reader(
                    url: Callable[[], str] = url,
                    client: httpx.AsyncClient = client,
                    out: Latencies = out,
                    until: float = until,
                ) -> None:
                    while time.monotonic() < until:
                        await _timed(out, partial(get, url(), client))

                began = time.monotonic()
                await asyncio.gather(*(reader() for _ in range(self.o.readers)))
                out.wall = time.monotonic() - began
                self.m.reads[name] = out
                print(f"    reads, {name}: {out.summary()}", flush=True)

    async def commands(self) -> None:
        k = len(self.command_ids)
        handles = [
            await self.client.start_workflow(
                bare.BareUpdate.run, id=f"bare-update-{self.run_id}-{i}", task_queue=BARE_QUEUE
            )
            for i in range(k)
        ]

        def bare_job(i: int) -> Callable[[], Awaitable[None]]:
            async def job() -> None:
                async def call() -> str:
                    await handles[i].execute_update(bare.BareUpdate.command, i)
                    return "200"

                await _timed(self.m.bare_updates, call)

            return job

        def ours(case_id: str) -> Callable[[], Awaitable[None]]:
            async def job() -> None:
                async def call() -> str:
                    r = await self.api.post(
                        f"/v1/cases/{case_id}/acknowledgement",
                        json={},
                        headers={"Idempotency-Key": f"bench-{case_id}"},
                    )
                    return str(r.status_code)

                await _timed(self.m.commands, call)

            return job

        pids = self._component_pids() | {"bare-worker": self.spawned["bare-worker"].pid}
        # The SMTP sink and PostgreSQL share the two cores too (our side's, not the bare one's).
        pids |= self._sink_and_database()
        cpu0 = {c: tree_cpu_seconds(p) for c, p in pids.items()}
        self.m.bare_updates.wall = await _gather_limited(
            self.o.readers, [bare_job(i) for i in range(k)]
        )
        self.m.cpu_per_bare_update = _cpu_per(pids, cpu0, k)
        for handle in handles:
            await handle.signal(bare.BareUpdate.finish)

        def direct(case_id: str) -> Callable[[], Awaitable[None]]:
            async def job() -> None:
                async def call() -> str:
                    await self.client.get_workflow_handle(case_id).execute_update(
                        "acknowledge", Acknowledge(), id=f"acknowledge:bench-{case_id}",
                        result_type=CommandResult,
                    )  # fmt: skip
                    return "200"

                await _timed(self.m.commands_direct, call)

            return job

        # Half through the API (HTTP, token, Idempotency-Key in PostgreSQL, the Update), half
        # as the same Update sent by the client directly, as the bare one is.
        half = len(self.command_ids) // 2
        via_api, via_client = self.command_ids[:half], self.command_ids[half:]
        self.m.commands.wall = await _gather_limited(self.o.readers, [ours(c) for c in via_api])
        cpu0 = {c: tree_cpu_seconds(p) for c, p in pids.items()}
        self.m.commands_direct.wall = await _gather_limited(
            self.o.readers, [direct(c) for c in via_client]
        )
        # The command's e-mail and the register write after it are part of what it costs.
        await self._settled(via_client, "aia_acknowledgement")
        self.m.cpu_per_command = _cpu_per(pids, cpu0, len(via_client))

    async def _settled(self, case_ids: list[str], template: str) -> None:
        """Until every case's ``template`` e-mail is sent and its register row says so."""
        deadline = time.monotonic() + SETTLE_SECONDS
        while time.monotonic() < deadline:
            left = await self.pool.fetchval(
                "SELECT count(*) FROM cases c WHERE c.case_id = ANY($1::text[]) AND NOT EXISTS ("
                "SELECT 1 FROM jsonb_array_elements(c.state->'outgoing') m "
                "WHERE m->>'purpose' = $2 AND m->>'status' = 'sent')",
                case_ids,
                template,
            )
            if left == 0:
                return
            await asyncio.sleep(0.1)
        self.m.notes.append(f"commands: {template} not settled in {SETTLE_SECONDS:.0f} s")

    async def storm(self) -> None:
        wait = (self.storm_at - datetime.now(UTC)).total_seconds()
        if wait < 5:
            self.m.notes.append(
                f"the storm's instant came {-wait:.0f} s before intake, reads and commands were "
                "done: the storm is not measured (raise --seconds-per-case)"
            )
            return
        print(f"  waiting {wait:.0f} s for the storm at {self.storm_at:%H:%M:%S} UTC", flush=True)
        await asyncio.sleep(max(wait - 2, 0))
        pids = self._component_pids()
        cpu0 = {c: cpu_seconds(p) for c, p in pids.items()}
        every = pids | self._sink_and_database()
        samples = [_cpu_sample(every)]  # cumulative, the first the CPU per lapse counts from
        tree0 = samples[0][1]
        profile = self._profile(pids["worker"], min(self.o.storm_timeout, 180.0))
        t_cpu = time.monotonic()
        n = len(self.storm_ids)
        self.m.lapses_expected, self.m.emails_expected = n, 2 * n
        deadline = time.monotonic() + self.o.storm_timeout + wait
        lapses, emails = 0, 0
        while time.monotonic() < deadline:
            await asyncio.sleep(1)
            samples.append(_cpu_sample(every))
            lapses = await self.pool.fetchval(
                "SELECT count(*) FROM audit_log WHERE kind = 'deadline_missed' "
                "AND case_id = ANY($1::text[])",
                self.storm_ids,
            )
            emails = await self.pool.fetchval(
                "SELECT count(*) FROM outgoing_messages WHERE template = 'deadline_missed' "
                "AND status = 'sent' AND case_id = ANY($1::text[])",
                self.storm_ids,
            )
            if lapses >= n and emails >= 2 * n:
                break
        samples.append(_cpu_sample(every))
        elapsed = time.monotonic() - t_cpu
        self.m.cpu_during_storm = {
            c: round((cpu_seconds(p) - cpu0[c]) / elapsed, 2) for c, p in pids.items()
        }
        self.m.cpu_per_lapse = _cpu_per(every, tree0, lapses)
        self.m.rss["after the storm"] = rss_bytes(self._pid("worker"))
        if profile is not None and self.profiler is not None:
            self.profiler.send_signal(signal.SIGINT)  # py-spy writes what it has, and ends
            with contextlib.suppress(subprocess.TimeoutExpired):
                await asyncio.to_thread(self.profiler.wait, STOP_PROFILE_SECONDS)
            self.m.worker_profile = await asyncio.to_thread(_profile_summary, profile)
        self.m.rss["peak (VmHWM)"] = rss_bytes(self._pid("worker"), "VmHWM")
        if lapses < n or emails < 2 * n:
            self.m.notes.append(
                f"storm: after {self.o.storm_timeout:.0f} s only {lapses}/{n} lapses recorded "
                f"and {emails}/{2 * n} e-mails delivered"
            )
        at = self.storm_at.timestamp()
        rows = await self.pool.fetch(
            "SELECT case_id, min(at) AS at FROM audit_log WHERE kind = 'deadline_missed' "
            "AND case_id = ANY($1::text[]) GROUP BY case_id",
            self.storm_ids,
        )
        self.m.lapse_delays = [r["at"].timestamp() - at for r in rows]
        fired = await _timers_fired(self.client, self.storm_ids, at)
        self.m.timer_delays, self.m.lapse_task_done = fired.delays, fired.done
        self.m.storm_task_timeouts, self.m.storm_cases_timed_out = fired.timeouts, fired.cases
        self.m.storm_timeouts_by_type = dict(fired.by_type)
        delivered = _sink_times(self.stack.state / "mail" / "index.jsonl")
        messages = await self.pool.fetch(
            "SELECT case_id, message_id FROM outgoing_messages WHERE template = 'deadline_missed' "
            "AND status = 'sent' AND case_id = ANY($1::text[])",
            self.storm_ids,
        )
        last: dict[str, float] = {}
        complete: Counter[str] = Counter()
        for r in messages:
            when = delivered.get(r["message_id"])
            if when is not None:
                last[r["case_id"]] = max(last.get(r["case_id"], 0.0), when)
                complete[r["case_id"]] += 1
        self.m.email_delays = [t - at for c, t in last.items() if complete[c] >= 2]
        if self.m.lapse_delays:
            lapsed = at + max(self.m.lapse_delays)
            self.m.cpu_while_lapses = cores_between(samples, at, lapsed)
            if self.m.email_delays:
                mailed = at + max(self.m.email_delays)
                self.m.cpu_while_emails = cores_between(samples, lapsed, mailed)

    async def bare_storm(self) -> None:
        n = len(self.storm_ids)
        lead = max(30.0, n / 20)  # time to start them all before they are due
        wake = math.ceil(time.time() + lead)
        self.m.bare_storm_at = datetime.fromtimestamp(wake, UTC).isoformat()
        print(f"  bare storm: {n} sleepers due at {self.m.bare_storm_at}", flush=True)
        handles = []
        for i in range(n):
            handles.append(
                await self.client.start_workflow(
                    bare.BareTimer.run,
                    bare.Wake(at=float(wake)),
                    id=f"bare-timer-{self.run_id}-{i}",
                    task_queue=BARE_QUEUE,
                )  # fmt: skip
            )
        if time.time() > wake:
            self.m.notes.append(
                "bare storm: the sleepers were not all started before their instant"
            )
        # What a sleeper costs the server and the bare worker, from just before the instant.
        pids = {"temporal": self._pid("temporal"), "bare-worker": self.spawned["bare-worker"].pid}
        await asyncio.sleep(max(wake - 1 - time.time(), 0))
        samples = [_cpu_sample(pids)]
        cpu0 = samples[0][1]

        async def sample() -> None:
            while True:
                await asyncio.sleep(1)
                samples.append(_cpu_sample(pids))

        sampler = asyncio.create_task(sample())
        results = await asyncio.gather(
            *(asyncio.wait_for(h.result(), self.o.storm_timeout + lead) for h in handles),
            return_exceptions=True,
        )
        sampler.cancel()
        samples.append(_cpu_sample(pids))
        self.m.cpu_per_bare_sleeper = _cpu_per(pids, cpu0, n)
        for r in results:
            if isinstance(r, list):
                self.m.bare_woke.append(r[0] - wake)
                self.m.bare_done.append(r[1] - wake)
        if self.m.bare_woke:
            woke = wake + max(self.m.bare_woke)
            self.m.cpu_while_bare_woke = cores_between(samples, wake, woke)
            if self.m.bare_done:
                self.m.cpu_while_bare_ran = cores_between(
                    samples, woke, wake + max(self.m.bare_done)
                )


# What the worker's CPU samples during the storm are spent on: a sample counts for every part
# whose mark is in its stack (a sample in an activity's payload conversion counts for both).
PROFILE_PARTS = {
    "creating sandboxed workflow instances": ("_create_instance",),
    "running workflow code (activations)": ("_workflow_instance.py",),
    "our activities": ("/activities/",),
    "converting payloads": ("converter.py",),
    "PostgreSQL client (asyncpg)": ("asyncpg",),
    "SMTP client": ("aiosmtplib",),
    "the SDK's core bridge": ("temporalio/bridge",),
    "logging": ("structlog", "logging/__init__.py"),
}


CpuSample = tuple[float, dict[str, float]]  # (wall clock, component → CPU seconds so far)


def _cpu_sample(pids: dict[str, int]) -> CpuSample:
    return time.time(), {c: tree_cpu_seconds(p) for c, p in pids.items()}


def cores_between(samples: list[CpuSample], start: float, end: float) -> dict[str, float]:
    """Cores each component used between two instants, from cumulative CPU samples taken about
    a second apart (read between samples on the straight line joining them); empty when the
    samples do not cover the window."""
    if end <= start or not samples or samples[0][0] > start or samples[-1][0] < end:
        return {}

    def at(t: float) -> dict[str, float]:
        for (t0, c0), (t1, c1) in zip(samples, samples[1:], strict=False):
            if t0 <= t <= t1:
                share = (t - t0) / (t1 - t0) if t1 > t0 else 0.0
                return {k: c0[k] + (c1.get(k, c0[k]) - c0[k]) * share for k in c0}
        return dict(samples[-1][1])

    before, after = at(start), at(end)
    return {k: round((after[k] - before[k]) / (end - start), 2) for k in before}


def _cpu_per(pids: dict[str, int], before: dict[str, float], count: int) -> dict[str, float]:
    """CPU seconds each process spent since ``before``, per one of ``count`` operations."""
    return {c: round((tree_cpu_seconds(p) - before[c]) / max(count, 1), 4) for c, p in pids.items()}


@dataclass
class StormHistories:
    delays: list[float] = field(default_factory=list)  # the instant → the timer fired
    done: list[float] = field(default_factory=list)  # the instant → the next task completed
    cases: int = 0  # storm cases with a workflow task timed out
    # workflow tasks timed out, in every storm case's whole history, by the kind of timeout
    by_type: Counter[str] = field(default_factory=Counter)  # "SCHEDULE_TO_START", ...

    @property
    def timeouts(self) -> int:
        return sum(self.by_type.values())


async def _timers_fired(client: Client, case_ids: Sequence[str], at: float) -> StormHistories:
    """Seconds from ``at`` to each case's first timer firing at or after it, and to the end of
    the workflow task that followed (from the case's history): what the server's timers took,
    apart from the wait of the workflow task that follows for a worker to take it; and when the
    lapse was in the case's history for good (and in the register; its e-mails were tried in the
    same task before the kernel's generation 4, in the next one since). Also
    the workflow tasks the server timed out in these histories."""
    out = StormHistories()
    for case_id in case_ids:
        history = await client.get_workflow_handle(case_id).fetch_history()
        fired: float | None = None
        done = False
        timed_out = False
        for e in history.events:
            if e.HasField("workflow_task_timed_out_event_attributes"):
                timed_out = True
                kind = e.workflow_task_timed_out_event_attributes.timeout_type
                out.by_type[TimeoutType.Name(kind).removeprefix("TIMEOUT_TYPE_")] += 1
            if done:
                continue
            when = e.event_time.ToDatetime(tzinfo=UTC).timestamp()
            if fired is None and e.HasField("timer_fired_event_attributes") and when >= at - 0.5:
                fired = when
                out.delays.append(when - at)
            elif fired is not None and e.HasField("workflow_task_completed_event_attributes"):
                out.done.append(when - at)
                done = True
        out.cases += timed_out
    return out


def _profile_summary(raw: Path) -> dict[str, float]:
    """Shares of the samples of a py-spy raw (collapsed stacks) file, by PROFILE_PARTS."""
    total, parts = 0, Counter[str]()
    with contextlib.suppress(OSError):
        for line in raw.read_text(errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            total += int(count)
            for part, marks in PROFILE_PARTS.items():
                if any(mark in stack for mark in marks):
                    parts[part] += int(count)
    if not total:
        return {}
    return {"samples": float(total), **{p: round(n / total, 3) for p, n in parts.items()}}


def _sink_times(index: Path) -> dict[str, float]:
    """Message-ID → when the SMTP sink received it (its index.jsonl)."""
    out: dict[str, float] = {}
    with contextlib.suppress(OSError):
        for line in index.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            out.setdefault(
                entry["message_id"], datetime.fromisoformat(entry["received_at"]).timestamp()
            )
    return out


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
        print(f"    {run.m.intake.summary()}", flush=True)
        await run.storm()
        print("  reads …", flush=True)
        await run.reads()
        print(f"  commands: {options.commands} …", flush=True)
        await run.commands()
        if run.m.lapse_delays:
            await run.bare_storm()
    finally:
        await run.stop()
    run.m.notes.append(f"stack state and logs kept in {folder}")
    return run.m
