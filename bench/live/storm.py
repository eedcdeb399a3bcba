"""The deadline storm (figure 3): every storm case's acknowledgement deadline passes on one
instant; then its baseline, as many bare workflows asleep until one instant of their own."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from temporalio.api.enums.v1 import TimeoutType
from temporalio.client import Client

from bench import bare
from bench.live.processes import cores_between, cpu_per, cpu_sample, cpu_seconds, rss_bytes
from bench.live.stack import BARE_QUEUE, StackRun

STOP_PROFILE_SECONDS = 60.0


class StormPhases(StackRun):
    def _profile(self, pid: int, seconds: float) -> Path | None:
        """Sample the worker with py-spy during the storm, when py-spy is installed."""
        spy = Path(sys.executable).with_name("py-spy")
        if not spy.exists():
            self.measured.notes.append("py-spy is not installed: the worker was not profiled")
            return None
        out = self.folder / "worker-storm.txt"
        argv = [str(spy), "record", "--pid", str(pid), "--duration", str(int(seconds)),
                "--rate", "50", "--format", "raw", "--output", str(out),
                "--nonblocking"]  # fmt: skip
        self.profiler = self._spawn("py-spy", argv)
        return out

    async def storm(self) -> None:
        wait = (self.storm_at - datetime.now(UTC)).total_seconds()
        if wait < 5:
            self.measured.notes.append(
                f"the storm's instant came {-wait:.0f} s before intake, reads and commands were "
                "done: the storm is not measured (raise --seconds-per-case)"
            )
            return
        print(f"  waiting {wait:.0f} s for the storm at {self.storm_at:%H:%M:%S} UTC", flush=True)
        await asyncio.sleep(max(wait - 2, 0))
        pids = self._component_pids()
        cpu0 = {c: cpu_seconds(p) for c, p in pids.items()}
        every = pids | self._sink_and_database()
        samples = [cpu_sample(every)]  # cumulative, the first the CPU per lapse counts from
        tree0 = samples[0][1]
        profile = self._profile(pids["worker"], min(self.options.storm_timeout, 180.0))
        t_cpu = time.monotonic()
        n = len(self.storm_ids)
        self.measured.lapses_expected, self.measured.emails_expected = n, 2 * n
        deadline = time.monotonic() + self.options.storm_timeout + wait
        lapses, emails = 0, 0
        while time.monotonic() < deadline:
            await asyncio.sleep(1)
            samples.append(cpu_sample(every))
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
        samples.append(cpu_sample(every))
        elapsed = time.monotonic() - t_cpu
        self.measured.cpu_during_storm = {
            c: round((cpu_seconds(p) - cpu0[c]) / elapsed, 2) for c, p in pids.items()
        }
        self.measured.cpu_per_lapse = cpu_per(every, tree0, lapses)
        self.measured.rss["after the storm"] = rss_bytes(self._pid("worker"))
        if profile is not None and self.profiler is not None:
            self.profiler.send_signal(signal.SIGINT)  # py-spy writes what it has, and ends
            with contextlib.suppress(subprocess.TimeoutExpired):
                await asyncio.to_thread(self.profiler.wait, STOP_PROFILE_SECONDS)
            self.measured.worker_profile = await asyncio.to_thread(_profile_summary, profile)
        self.measured.rss["peak (VmHWM)"] = rss_bytes(self._pid("worker"), "VmHWM")
        if lapses < n or emails < 2 * n:
            self.measured.notes.append(
                f"storm: after {self.options.storm_timeout:.0f} s only {lapses}/{n} lapses "
                f"recorded and {emails}/{2 * n} e-mails delivered"
            )
        at = self.storm_at.timestamp()
        rows = await self.pool.fetch(
            "SELECT case_id, min(at) AS at FROM audit_log WHERE kind = 'deadline_missed' "
            "AND case_id = ANY($1::text[]) GROUP BY case_id",
            self.storm_ids,
        )
        self.measured.lapse_delays = [r["at"].timestamp() - at for r in rows]
        fired = await _timers_fired(self.client, self.storm_ids, at)
        self.measured.timer_delays, self.measured.lapse_task_done = fired.delays, fired.done
        self.measured.storm_task_timeouts, self.measured.storm_cases_timed_out = (
            fired.timeouts,
            fired.cases,
        )
        self.measured.storm_timeouts_by_type = dict(fired.by_type)
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
        self.measured.email_delays = [t - at for c, t in last.items() if complete[c] >= 2]
        if self.measured.lapse_delays:
            lapsed = at + max(self.measured.lapse_delays)
            self.measured.cpu_while_lapses = cores_between(samples, at, lapsed)
            if self.measured.email_delays:
                mailed = at + max(self.measured.email_delays)
                self.measured.cpu_while_emails = cores_between(samples, lapsed, mailed)

    async def bare_storm(self) -> None:
        n = len(self.storm_ids)
        lead = max(30.0, n / 20)  # time to start them all before they are due
        wake = math.ceil(time.time() + lead)
        self.measured.bare_storm_at = datetime.fromtimestamp(wake, UTC).isoformat()
        print(f"  bare storm: {n} sleepers due at {self.measured.bare_storm_at}", flush=True)
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
            self.measured.notes.append(
                "bare storm: the sleepers were not all started before their instant"
            )
        # What a sleeper costs the server and the bare worker, from just before the instant.
        pids = {"temporal": self._pid("temporal"), "bare-worker": self.spawned["bare-worker"].pid}
        await asyncio.sleep(max(wake - 1 - time.time(), 0))
        samples = [cpu_sample(pids)]
        cpu0 = samples[0][1]

        async def sample() -> None:
            while True:
                await asyncio.sleep(1)
                samples.append(cpu_sample(pids))

        sampler = asyncio.create_task(sample())
        results = await asyncio.gather(
            *(asyncio.wait_for(h.result(), self.options.storm_timeout + lead) for h in handles),
            return_exceptions=True,
        )
        sampler.cancel()
        samples.append(cpu_sample(pids))
        self.measured.cpu_per_bare_sleeper = cpu_per(pids, cpu0, n)
        for r in results:
            if isinstance(r, list):
                self.measured.bare_woke.append(r[0] - wake)
                self.measured.bare_done.append(r[1] - wake)
        if self.measured.bare_woke:
            woke = wake + max(self.measured.bare_woke)
            self.measured.cpu_while_bare_woke = cores_between(samples, wake, woke)
            if self.measured.bare_done:
                self.measured.cpu_while_bare_ran = cores_between(
                    samples, woke, wake + max(self.measured.bare_done)
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
