"""Bare Temporal and bare FastAPI: the baselines the dev-server suite measures our figures
against, on the same server in the same run.

``python -m bench.bare worker --address HOST:PORT --task-queue Q`` runs a worker of trivial
workflows with the SDK's defaults (its own process, like ours; ``--max-cached-workflows N``
gives it a workflow cache of N instead of the SDK's 1,000); ``python -m bench.bare api
--port N`` serves one FastAPI endpoint returning a constant with uvicorn (one process, like
ours). Nothing here knows the procedures: it is what Temporal and FastAPI cost by themselves.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import time
from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

NOOP_TIMEOUT = timedelta(seconds=60)


@activity.defn
async def noop() -> float:
    """Does nothing; says when it ran (wall clock, seconds since the epoch)."""
    return time.time()


@workflow.defn
class BareStart:
    """Ends at once: what a workflow start costs."""

    @workflow.run
    async def run(self) -> None:
        return None


@workflow.defn
class BareActivities:
    """Runs ``count`` no-op activities one after another, as a case's first steps do."""

    @workflow.run
    async def run(self, count: int) -> None:
        for _ in range(count):
            await workflow.execute_activity(noop, start_to_close_timeout=NOOP_TIMEOUT)


@workflow.defn
class BareUpdate:
    """Takes Updates until told to finish: a bare command round trip."""

    def __init__(self) -> None:
        self.done = False
        self.count = 0

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self.done)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.count

    @workflow.update
    async def command(self, value: int) -> int:
        self.count += 1
        return value

    @command.validator
    def validate(self, value: int) -> None:
        if value < 0:
            raise ValueError("negative")

    @workflow.signal
    def finish(self) -> None:
        self.done = True


@dataclass
class Wake:
    at: float  # the instant to sleep until, seconds since the epoch
    activities: int = 3


@workflow.defn
class BareTimer:
    """Sleeps until ``at``, then runs three no-op activities (a lapse: the register write and
    two e-mails). Returns when it woke and when the last activity ran."""

    @workflow.run
    async def run(self, wake: Wake) -> list[float]:
        await workflow.sleep(max(wake.at - workflow.now().timestamp(), 1.0))
        woke = workflow.now().timestamp()
        done = woke
        for _ in range(wake.activities):
            done = await workflow.execute_activity(noop, start_to_close_timeout=NOOP_TIMEOUT)
        return [woke, done]


WORKFLOWS = [BareStart, BareActivities, BareUpdate, BareTimer]


async def run_worker(
    address: str, namespace: str, task_queue: str, max_cached_workflows: int = 1000
) -> None:
    client = await Client.connect(address, namespace=namespace)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=[noop],
        max_cached_workflows=max_cached_workflows,
        graceful_shutdown_timeout=timedelta(seconds=5),
    )
    async with worker:
        print("bare worker ready", flush=True)
        await stop.wait()


def constant_app() -> object:
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/constant")
    async def constant() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bare", description=__doc__)
    sub = parser.add_subparsers(dest="what", required=True)
    w = sub.add_parser("worker")
    w.add_argument("--address", required=True)
    w.add_argument("--namespace", default="default")
    w.add_argument("--task-queue", required=True)
    w.add_argument("--max-cached-workflows", type=int, default=1000)
    a = sub.add_parser("api")
    a.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    if args.what == "worker":
        asyncio.run(
            run_worker(args.address, args.namespace, args.task_queue, args.max_cached_workflows)
        )
    else:
        import uvicorn

        from infra.serve import uvicorn_config
        from infra.settings import get_settings

        # The server our API runs in (infra/serve.py), with the same limits: only the app differs.
        config = uvicorn_config(
            constant_app(), get_settings(), host="127.0.0.1", port=args.port, log_level="warning"
        )
        uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
