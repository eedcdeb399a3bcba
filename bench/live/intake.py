"""The phases before the storm: the warm-up case, the bare baselines of figure 1 (starts and
runs) and the intake of every case through the API (figures 1 and 2)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

from api.procedures import example_notification
from bench import bare
from bench.live.load import Latencies, gather_limited, timed
from bench.live.processes import cpu_per, cpu_seconds, tree_cpu_seconds
from bench.live.stack import BARE_QUEUE, StackRun


class IntakePhases(StackRun):
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

        await timed(out, call)
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
        self.measured.first_activities = sum(
            1 for e in history.events if e.HasField("activity_task_scheduled_event_attributes")
        )
        self._note_rss("idle (1 case)", 1)

    async def bare_baselines(self) -> None:
        n, k = self.options.cases, max(self.measured.first_activities, 1)

        def start(i: int) -> Callable[[], Awaitable[None]]:
            async def job() -> None:
                async def call() -> str:
                    await self.client.start_workflow(
                        bare.BareStart.run, id=f"bare-start-{self.run_id}-{i}",
                        task_queue=BARE_QUEUE,
                    )  # fmt: skip
                    return "started"

                await timed(self.measured.bare_starts, call)

            return job

        def run_to_end(i: int) -> Callable[[], Awaitable[None]]:
            async def job() -> None:
                async def call() -> str:
                    await self.client.execute_workflow(
                        bare.BareActivities.run, k, id=f"bare-act-{self.run_id}-{i}",
                        task_queue=BARE_QUEUE,
                    )  # fmt: skip
                    return "done"

                await timed(self.measured.bare_activities, call)

            return job

        clients = self.options.intake_clients
        self.measured.bare_starts.wall = await gather_limited(clients, [start(i) for i in range(n)])
        self.measured.bare_activities.wall = await gather_limited(
            clients, [run_to_end(i) for i in range(n)]
        )

    async def intake(self) -> None:
        refs = [f"BENCH-{self.run_id}-S{i:05d}" for i in range(self.options.cases)]
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
        self.measured.intake.wall = await gather_limited(
            # Bulk submission: the answer names the case without waiting for its first steps.
            self.options.intake_clients,
            [submit(r, self.received_on, self.measured.intake, True) for r in refs],
        )
        self.measured.cpu_during_intake = {
            c: round((cpu_seconds(p) - cpu0[c]) / self.measured.intake.wall, 2)
            for c, p in pids.items()
        }
        others = self.measured.intake_whole
        command_refs = [f"BENCH-{self.run_id}-C{i:05d}" for i in range(self.options.commands)]
        background_refs = [f"BENCH-{self.run_id}-B{i:05d}" for i in range(self.options.background)]
        self.command_ids = [f"aia-hu-{r.lower()}" for r in command_refs]
        self.background_ids = [f"aia-hu-{r.lower()}" for r in background_refs]
        # The command cases as one notifier submits: the answer is the whole case.
        others.wall = await gather_limited(
            self.options.intake_clients, [submit(r, None, others, False) for r in command_refs]
        )
        await gather_limited(
            self.options.intake_clients,
            [submit(r, None, Latencies(), True) for r in background_refs],
        )
        if set(others.statuses) - {"201"}:
            self.measured.notes.append(f"opening the other cases: {dict(others.statuses)}")
        # Settled: every case's row in the register (its first steps done).
        total = 1 + len(self.storm_ids) + len(self.command_ids) + len(self.background_ids)
        for _ in range(600):
            rows = await self.pool.fetchval("SELECT count(*) FROM cases WHERE procedure = 'aia'")
            if rows >= total:
                self.measured.intake_settled_seconds = time.monotonic() - began
                self.measured.cpu_per_case_opened = cpu_per(every, tree0, total - 1)
                break
            await asyncio.sleep(1)
        self._note_rss("all opened", total)
