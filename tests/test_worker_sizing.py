"""The worker's sizing comes from the settings (docs/performance.md, "Sizing the worker"): the
workflow cache and the concurrent workflow tasks and activities reach the Temporal worker, and a
size that cannot work is refused when the settings are read."""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from pydantic import ValidationError
from temporalio.testing import WorkflowEnvironment

from infra.settings import Settings
from worker import build_worker, close_activities


async def test_the_worker_is_sized_by_the_settings(
    time_env: WorkflowEnvironment, db_pool: asyncpg.Pool
) -> None:
    settings = Settings(
        environment="test",
        task_queue=f"sizing-{uuid.uuid4().hex[:8]}",
        worker_max_cached_workflows=2500,
        worker_max_concurrent_workflow_tasks=20,
        worker_max_concurrent_activities=30,
    )
    worker = build_worker(time_env.client, settings, db_pool)
    try:
        config = worker.config()
        assert config["max_cached_workflows"] == 2500
        assert config["max_concurrent_workflow_tasks"] == 20
        assert config["max_concurrent_activities"] == 30
    finally:
        await close_activities(worker)


def test_the_defaults_are_the_sdks() -> None:
    settings = Settings(environment="test")
    assert settings.worker_max_cached_workflows == 1000
    assert settings.worker_max_concurrent_workflow_tasks == 100
    assert settings.worker_max_concurrent_activities == 100


@pytest.mark.parametrize(
    "field",
    ["worker_max_concurrent_workflow_tasks", "worker_max_concurrent_activities"],
)
def test_a_worker_that_could_run_nothing_is_refused(field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        Settings(environment="test", **{field: 0})


def test_a_negative_cache_is_refused() -> None:
    with pytest.raises(ValidationError, match="worker_max_cached_workflows"):
        Settings(environment="test", worker_max_cached_workflows=-1)
