"""The processes a live run measures: the dev stack on free ports in its own time zone, the bare
worker and bare API beside it, the clients that drive them, and stopping them all."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import uuid
import zoneinfo
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from bench import bare, storm_zone
from bench.live.measured import Measured, Options
from bench.live.processes import environ_of, rss_bytes
from infra.supervisor import ROOT
from tests.soak.stack import LiveStack, Principals, free_ports

ACKNOWLEDGEMENT_DAYS = 90  # CP Art 9(1)
BARE_QUEUE = "bench-bare"
# A second bare worker whose workflow cache is small beside the workflows it serves: a bare
# Update there finds its workflow evicted, as a command finds its case among 10,000 open cases
# with the worker's cache of 1,000 (figure 5, "At 10,000 open cases" in docs/performance.md).
BARE_EVICTING_QUEUE = "bench-bare-evicting"
BARE_EVICTING_CACHE = 40  # twice the commands' 20 clients: a free slot for every Update
STAFF = "staff:bench"


class StackRun:
    """What every phase shares: the stack and its clients, the cases opened, what was measured.
    The phases are mixins of this class (bench/live/run.py puts them together)."""

    def __init__(self, options: Options, folder: Path) -> None:
        self.options = options
        self.folder = folder
        self.measured = Measured()
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
        self.measured.storm_at = self.storm_at.isoformat()
        self.measured.worker_settings = {
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
        self._spawn(
            "bare-worker-evicting",
            [
                *(py, "-m", "bench.bare", "worker", "--address", address),
                *("--task-queue", BARE_EVICTING_QUEUE),
                *("--max-cached-workflows", str(BARE_EVICTING_CACHE)),
            ],
        )
        self._spawn("bare-api", [py, "-m", "bench.bare", "api", "--port", str(bare_port)])
        async with httpx.AsyncClient() as probe:
            for _ in range(240):
                with contextlib.suppress(httpx.HTTPError):
                    if (await probe.get(f"{self.bare_url}/constant")).status_code == 200:
                        break
                await asyncio.sleep(0.5)
        for queue in (BARE_QUEUE, BARE_EVICTING_QUEUE):
            await self.client.execute_workflow(
                bare.BareStart.run, id=f"bare-warm-{queue}-{self.run_id}", task_queue=queue
            )

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        log = (self.folder / f"{name}.log").open("ab")
        process = subprocess.Popen(argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        self.spawned[name] = process
        return process

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

    def _note_rss(self, moment: str, open_cases: int) -> None:
        self.measured.rss[moment] = rss_bytes(self._pid("worker"))
        self.measured.open_cases[moment] = open_cases
