"""The worker's sizing comes from the settings (docs/performance.md, "Sizing the worker"): the
workflow cache and the concurrent workflow tasks and activities reach the Temporal worker, and a
size that cannot work is refused when the settings are read."""

from __future__ import annotations

import uuid
from datetime import timedelta

import asyncpg
import pytest
from pydantic import ValidationError
from temporalio.testing import WorkflowEnvironment

from infra.settings import Settings
from worker import build_worker, close_activities, open_pool


async def test_the_worker_is_sized_by_the_settings(
    time_env: WorkflowEnvironment, db_pool: asyncpg.Pool
) -> None:
    settings = Settings(
        environment="test",
        task_queue=f"sizing-{uuid.uuid4().hex[:8]}",
        worker_max_cached_workflows=2500,
        worker_max_concurrent_workflow_tasks=20,
        worker_max_concurrent_activities=30,
        worker_max_concurrent_local_activities=40,
        worker_sticky_queue_timeout_seconds=90,
    )
    worker = build_worker(time_env.client, settings, db_pool)
    try:
        config = worker.config()
        assert config["max_cached_workflows"] == 2500
        assert config["max_concurrent_workflow_tasks"] == 20
        assert config["max_concurrent_activities"] == 30
        assert config["max_concurrent_local_activities"] == 40
        assert config["sticky_queue_schedule_to_start_timeout"] == timedelta(seconds=90)
    finally:
        await close_activities(worker)


def test_the_defaults_are_the_sdks_but_the_workflow_task_slots() -> None:
    settings = Settings(environment="test")
    assert settings.worker_max_cached_workflows == 1000
    assert settings.worker_max_concurrent_activities == 100
    assert settings.worker_max_concurrent_local_activities == 100
    # A workflow task holds its slot while its e-mails and register write run inside it: the
    # SDK's 100 made half of a 200-case deadline storm wait for the other half's e-mails, and
    # 400 let the worker take more of a 1,000-case storm than it finished in time.
    assert settings.worker_max_concurrent_workflow_tasks == 200
    assert settings.worker_database_connections == 10
    # A storm's cases wait for the worker that has them cached, not 5 s (the SDK's): after
    # that the server hands the task to the task queue, and it is replayed before it runs.
    assert settings.worker_sticky_queue_timeout_seconds == 60


async def test_the_workers_database_pool_is_sized_by_the_settings(pg_url: str) -> None:
    pool = await open_pool(Settings(environment="test", worker_database_connections=3), pg_url)
    try:
        assert pool.get_max_size() == 3
        # The pool runs no reset statement when a connection comes back (infra/db.py), but a
        # transaction left open is still rolled back.
        async with pool.acquire() as conn:
            tx = conn.transaction()
            await tx.start()
            await conn.execute("CREATE TEMPORARY TABLE left_open (x int)")
        async with pool.acquire() as conn:
            assert not conn.is_in_transaction()
            assert await conn.fetchval("SELECT to_regclass('left_open')") is None
    finally:
        await pool.close()


@pytest.mark.parametrize(
    "field",
    [
        "worker_max_concurrent_workflow_tasks",
        "worker_max_concurrent_activities",
        "worker_max_concurrent_local_activities",
    ],
)
def test_a_worker_that_could_run_nothing_is_refused(field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        Settings(environment="test", **{field: 0})


def test_a_negative_cache_is_refused() -> None:
    with pytest.raises(ValidationError, match="worker_max_cached_workflows"):
        Settings(environment="test", worker_max_cached_workflows=-1)
