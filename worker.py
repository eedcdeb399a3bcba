"""The worker: runs every procedure's workflows and the activities that reach the outside world.

`python -m worker` connects to Temporal and PostgreSQL per settings and polls the task queue until
SIGINT/SIGTERM, then finishes in-flight activities (graceful shutdown) and exits.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import asyncpg
import structlog
from temporalio.client import Client
from temporalio.worker import Worker

from activities.bch import BchActivities
from activities.email import EmailActivities
from activities.register import LmoActivities, RegisterActivities
from infra import db
from infra.logging import CaseLoggingInterceptor, configure_logging
from infra.settings import Settings, get_settings
from infra.temporal import connect
from workflows.aia import AdvanceInformedAgreement
from workflows.bch_publication import BchPublicationWorkflow
from workflows.ffp import FoodFeedProcessing
from workflows.review import ReviewOfDecision
from workflows.sandbox import workflow_runner
from workflows.treaty import TreatyStatus

WORKFLOWS: Sequence[type] = [
    AdvanceInformedAgreement,
    ReviewOfDecision,
    BchPublicationWorkflow,
    TreatyStatus,
    FoodFeedProcessing,
]

log = structlog.get_logger("worker")


def activities(settings: Settings, pool: asyncpg.Pool) -> list[Any]:
    register = RegisterActivities(pool)
    email = EmailActivities(settings, pool)
    bch = BchActivities(settings, pool)
    lmo = LmoActivities(pool)
    return [register.sync_register, lmo.notifiers_of_lmo, email.send_email, bch.publish_decision]


def build_worker(
    client: Client, settings: Settings, pool: asyncpg.Pool, task_queue: str | None = None
) -> Worker:
    return Worker(
        client,
        task_queue=task_queue or settings.task_queue,
        workflows=list(WORKFLOWS),
        activities=activities(settings, pool),
        interceptors=[CaseLoggingInterceptor()],
        workflow_runner=workflow_runner(),
        graceful_shutdown_timeout=timedelta(seconds=15),
    )


async def close_activities(worker: Worker) -> None:
    """Release what the activities hold open (the BCH adapter's HTTP client)."""
    for fn in worker.config().get("activities", []):
        close = getattr(getattr(fn, "__self__", None), "aclose", None)
        if close is not None:
            await close()


async def main() -> None:
    settings = get_settings()
    configure_logging(settings)
    if not settings.database_url:
        raise SystemExit("DATABASE_URL is not set (make run sets it for the dev stack)")
    client = await connect(settings)
    pool = await db.create_pool(settings.database_url)
    worker = build_worker(client, settings, pool)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker started", task_queue=settings.task_queue, temporal=settings.temporal_address)
    async with worker:
        await stop.wait()
        log.info("worker stopping: finishing in-flight activities")
    await close_activities(worker)
    await pool.close()
    log.info("worker stopped")


if __name__ == "__main__":
    asyncio.run(main())
