"""The worker: runs every procedure's workflows and the activities that reach the outside world.

`python -m worker` connects to Temporal and PostgreSQL per settings and polls the task queue until
SIGINT/SIGTERM, then stops polling, lets in-flight activities finish for
``BIOSAFETY_WORKER_GRACEFUL_SHUTDOWN_SECONDS`` (those still running are cancelled and retried by
another worker) and exits. Workers are stateless: run as many as the load needs. With
``BIOSAFETY_WORKER_METRICS_BIND_ADDRESS`` set, the Temporal SDK runtime serves Prometheus metrics.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import asyncpg
import structlog
from temporalio.client import Client
from temporalio.worker import (
    PollerBehavior,
    PollerBehaviorAutoscaling,
    PollerBehaviorSimpleMaximum,
    Worker,
)

from activities.bch import BchActivities
from activities.email import EmailActivities
from activities.register import LmoActivities, RegisterActivities
from activities.simplified import SimplifiedActivities
from infra import db
from infra.logging import CaseLoggingInterceptor, configure_logging
from infra.memory import release_periodically, set_aside_what_lives_forever
from infra.settings import Settings, get_settings
from infra.temporal import connect, worker_runtime
from workflows.aia import AdvanceInformedAgreement
from workflows.bch_publication import BchPublicationWorkflow
from workflows.confidentiality import ConfidentialInformation
from workflows.emergency import Emergency
from workflows.ffp import FoodFeedProcessing
from workflows.illegal import IllegalTransboundaryMovement
from workflows.response import ResponseMeasures
from workflows.review import ReviewOfDecision
from workflows.sandbox import workflow_runner
from workflows.simplified.workflow import SimplifiedProcedure
from workflows.treaty import TreatyStatus

WORKFLOWS: Sequence[type] = [
    AdvanceInformedAgreement,
    ReviewOfDecision,
    BchPublicationWorkflow,
    TreatyStatus,
    FoodFeedProcessing,
    IllegalTransboundaryMovement,
    SimplifiedProcedure,
    ConfidentialInformation,
    Emergency,
    ResponseMeasures,
]

log = structlog.get_logger("worker")


def activities(settings: Settings, pool: asyncpg.Pool) -> list[Any]:
    register = RegisterActivities(pool)
    email = EmailActivities(settings, pool)
    bch = BchActivities(settings, pool)
    lmo = LmoActivities(pool)
    simplified = SimplifiedActivities(pool)
    return [
        register.sync_register,
        lmo.notifiers_of_lmo,
        lmo.registered_case,
        email.send_email,
        bch.publish_decision,
        simplified.sync_specification,
        simplified.publication_status,
    ]


def local_activities(settings: Settings, pool: asyncpg.Pool) -> list[Any]:
    """What a worker that runs only workflows still runs itself, as local activities inside the
    workflow task that changed the case: the register write (workflows/kernel/runtime.py) and
    the first attempt at each e-mail (workflows/kernel/outbox.py)."""
    return [RegisterActivities(pool).sync_register, EmailActivities(settings, pool).send_email]


def poller_behavior(settings: Settings) -> PollerBehavior:
    most = settings.worker_max_task_polls
    if settings.worker_task_pollers == "fixed":
        return PollerBehaviorSimpleMaximum(maximum=most)
    return PollerBehaviorAutoscaling(minimum=1, maximum=most, initial=min(5, most))


def build_worker(
    client: Client, settings: Settings, pool: asyncpg.Pool, task_queue: str | None = None
) -> Worker:
    runs = settings.worker_runs
    runs_activities = activities(settings, pool) if runs != "workflows" else []
    return Worker(
        client,
        task_queue=task_queue or settings.task_queue,
        workflows=list(WORKFLOWS) if runs != "activities" else [],
        activities=runs_activities or local_activities(settings, pool),
        no_remote_activities=runs == "workflows",
        workflow_task_poller_behavior=poller_behavior(settings),
        activity_task_poller_behavior=poller_behavior(settings),
        interceptors=[CaseLoggingInterceptor()],
        workflow_runner=workflow_runner(settings.worker_sandbox, client.data_converter),
        max_cached_workflows=settings.worker_max_cached_workflows,
        sticky_queue_schedule_to_start_timeout=timedelta(
            seconds=settings.worker_sticky_queue_timeout_seconds
        ),
        max_concurrent_workflow_tasks=settings.worker_max_concurrent_workflow_tasks,
        max_concurrent_activities=settings.worker_max_concurrent_activities,
        max_concurrent_local_activities=settings.worker_max_concurrent_local_activities,
        graceful_shutdown_timeout=timedelta(seconds=settings.worker_graceful_shutdown_seconds),
    )


async def open_pool(settings: Settings, database_url: str) -> asyncpg.Pool:
    """The worker's PostgreSQL pool: the register writes and the e-mails' evidence."""
    return await db.create_pool(database_url, max_size=settings.worker_database_connections)


async def close_activities(worker: Worker) -> None:
    """Release what the activities hold open (the BCH adapter's HTTP client)."""
    for fn in worker.config().get("activities", []):
        close = getattr(getattr(fn, "__self__", None), "aclose", None)
        if close is not None:
            await close()


async def main(runs: str | None = None) -> None:
    """``runs`` (``python -m worker --runs activities``) overrides BIOSAFETY_WORKER_RUNS, so that
    the processes of a split worker tell apart by their command line too."""
    settings = get_settings()
    if runs is not None:
        settings = settings.model_copy(update={"worker_runs": runs})
    configure_logging(settings)
    if not settings.database_url:
        raise SystemExit("DATABASE_URL is not set (make run sets it for the dev stack)")
    client = await connect(settings, runtime=worker_runtime(settings))
    pool = await open_pool(settings, settings.database_url)
    worker = build_worker(client, settings, pool)
    frozen = set_aside_what_lives_forever()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info(
        "worker started",
        task_queue=settings.task_queue,
        runs=settings.worker_runs,
        temporal=settings.temporal_address,
        namespace=settings.temporal_namespace,
        metrics=settings.worker_metrics_bind_address,
        objects_set_aside=frozen,
    )
    trim = (
        asyncio.create_task(release_periodically(settings.worker_memory_trim_seconds))
        if settings.worker_memory_trim_seconds > 0
        else None
    )
    async with worker:
        await stop.wait()
        log.info("worker stopping: finishing in-flight activities")
    if trim is not None:
        trim.cancel()
    await close_activities(worker)
    await pool.close()
    log.info("worker stopped")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The Temporal worker of the cases.")
    parser.add_argument(
        "--runs",
        choices=["all", "workflows", "activities"],
        help="what this process runs (default: BIOSAFETY_WORKER_RUNS, else all)",
    )
    asyncio.run(main(parser.parse_args().runs))
