"""The commands (figure 5): bare Updates (on workflows their worker holds, then on workflows it
has evicted), then the acknowledgement of the command cases, half through the API and half as
the same Update sent by the client, with the CPU each costs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from temporalio.client import WorkflowHandle

from bench import bare
from bench.live.load import Latencies, gather_limited, timed
from bench.live.processes import cpu_per, tree_cpu_seconds
from bench.live.stack import BARE_EVICTING_CACHE, BARE_EVICTING_QUEUE, BARE_QUEUE, StackRun
from workflows.aia.models import Acknowledge
from workflows.models import CommandResult

SETTLE_SECONDS = 120.0


class CommandsPhase(StackRun):
    async def commands(self) -> None:
        k = len(self.command_ids)
        handles = [
            await self.client.start_workflow(
                bare.BareUpdate.run, id=f"bare-update-{self.run_id}-{i}", task_queue=BARE_QUEUE
            )
            for i in range(k)
        ]

        def ours(case_id: str) -> Callable[[], Awaitable[None]]:
            async def job() -> None:
                async def call() -> str:
                    r = await self.api.post(
                        f"/v1/cases/{case_id}/acknowledgement",
                        json={},
                        headers={"Idempotency-Key": f"bench-{case_id}"},
                    )
                    return str(r.status_code)

                await timed(self.measured.commands, call)

            return job

        pids = self._component_pids() | {"bare-worker": self.spawned["bare-worker"].pid}
        # The SMTP sink and PostgreSQL share the two cores too (our side's, not the bare one's).
        pids |= self._sink_and_database()
        cpu0 = {c: tree_cpu_seconds(p) for c, p in pids.items()}
        self.measured.bare_updates.wall = await gather_limited(
            self.options.readers, _bare_updates(handles, self.measured.bare_updates)
        )
        self.measured.cpu_per_bare_update = cpu_per(pids, cpu0, k)
        for handle in handles:
            await handle.signal(bare.BareUpdate.finish)
        await self._bare_evicted_updates(k)

        def direct(case_id: str) -> Callable[[], Awaitable[None]]:
            async def job() -> None:
                async def call() -> str:
                    await self.client.get_workflow_handle(case_id).execute_update(
                        "acknowledge", Acknowledge(), id=f"acknowledge:bench-{case_id}",
                        result_type=CommandResult,
                    )  # fmt: skip
                    return "200"

                await timed(self.measured.commands_direct, call)

            return job

        # Half through the API (HTTP, token, Idempotency-Key in PostgreSQL, the Update), half
        # as the same Update sent by the client directly, as the bare one is.
        half = len(self.command_ids) // 2
        via_api, via_client = self.command_ids[:half], self.command_ids[half:]
        self.measured.commands.wall = await gather_limited(
            self.options.readers, [ours(c) for c in via_api]
        )
        cpu0 = {c: tree_cpu_seconds(p) for c, p in pids.items()}
        self.measured.commands_direct.wall = await gather_limited(
            self.options.readers, [direct(c) for c in via_client]
        )
        # The command's e-mail and the register write after it are part of what it costs.
        await self._settled(via_client, "aia_acknowledgement")
        self.measured.cpu_per_command = cpu_per(pids, cpu0, len(via_client))

    async def _bare_evicted_updates(self, k: int) -> None:
        """The same bare Update on ``k`` workflows their worker no longer holds: more workflows
        are started than its cache keeps, and the first ``k`` are sent the Update in the order
        they started, each after the later ones pushed it out. What Temporal itself costs when
        a command finds its workflow evicted (the worker fetches its history and replays it)."""
        started = max(k, 4 * BARE_EVICTING_CACHE)
        handles = [
            await self.client.start_workflow(
                bare.BareUpdate.run,
                id=f"bare-evicted-{self.run_id}-{i}",
                task_queue=BARE_EVICTING_QUEUE,
            )
            for i in range(started)
        ]
        # Every workflow's first task done (each has been in the cache once).
        for handle in handles[-BARE_EVICTING_CACHE:]:
            await handle.query("__temporal_workflow_metadata")

        pids = {
            "temporal": self._pid("temporal"),
            "bare-worker": self.spawned["bare-worker-evicting"].pid,
        }
        cpu0 = {c: tree_cpu_seconds(p) for c, p in pids.items()}
        self.measured.bare_updates_evicted.wall = await gather_limited(
            self.options.readers, _bare_updates(handles[:k], self.measured.bare_updates_evicted)
        )
        self.measured.cpu_per_bare_update_evicted = cpu_per(pids, cpu0, k)
        for handle in handles:
            await handle.signal(bare.BareUpdate.finish)

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
        self.measured.notes.append(f"commands: {template} not settled in {SETTLE_SECONDS:.0f} s")


def _bare_updates(
    handles: Sequence[WorkflowHandle[Any, Any]], out: Latencies
) -> list[Callable[[], Awaitable[None]]]:
    """One job per workflow: the bare Update sent to it, timed into ``out``."""

    def job(i: int) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            async def call() -> str:
                await handles[i].execute_update(bare.BareUpdate.command, i)
                return "200"

            await timed(out, call)

        return run

    return [job(i) for i in range(len(handles))]
