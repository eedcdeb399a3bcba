"""A worker split in two processes' roles (BIOSAFETY_WORKER_RUNS): one runs only the cases'
workflows, the other only the activities, both on one task queue. A case goes through as with
one worker. The workflows' worker takes no activity task: it runs the register write and the
first attempt at each e-mail itself, as local activities inside the workflow task that changed
the case; the activities' worker, which holds no workflow, takes what those leave to the
activity (here, nothing)."""

from __future__ import annotations

import uuid

import asyncpg
from temporalio.testing import WorkflowEnvironment

from activities import register
from api.cases import run_command, submit_notification
from tests.support.samples import notification
from tests.support.temporal import stack_settings
from tests.workflows.test_aia import eventually
from worker import build_worker, close_activities
from workflows.aia.models import Acknowledge


async def test_workflows_and_activities_in_workers_of_their_own(
    time_env: WorkflowEnvironment, pg_url: str, db_pool: asyncpg.Pool, smtp_sink, bch_standin
) -> None:
    settings = stack_settings(
        pg_url, smtp_sink.port, bch_standin.base_url, f"test-{uuid.uuid4().hex[:8]}"
    )
    workflows = build_worker(
        time_env.client, settings.model_copy(update={"worker_runs": "workflows"}), db_pool
    )
    activities = build_worker(
        time_env.client, settings.model_copy(update={"worker_runs": "activities"}), db_pool
    )
    local = [a.__name__ for a in workflows.config().get("activities", [])]
    assert local == ["sync_register", "send_email"]
    assert workflows.config().get("no_remote_activities") is True
    assert not activities.config().get("workflows")
    async with workflows, activities:
        case, created = await submit_notification(
            time_env.client,
            settings,
            notification("SPLIT-1"),
            now=await time_env.get_current_time(),
        )
        assert created and case.stage == "received"
        await run_command(time_env.client, case.case_id, "acknowledge", Acknowledge())

        async def acknowledged_by_mail() -> list[object]:
            return [
                m
                for m in smtp_sink.messages
                if m["X-Biosafety-Case"] == case.case_id
                and m["X-Template"] == "en/aia_acknowledgement"
            ]

        assert len(await eventually(acknowledged_by_mail)) == 1

        async def registered() -> str | None:
            async with db_pool.acquire() as conn:
                stage = await conn.fetchval(
                    "SELECT stage FROM cases WHERE case_id = $1", case.case_id
                )
            return stage if stage == "acknowledged" else None

        assert await eventually(registered) == "acknowledged"
        trail = await register.audit_trail(db_pool, case.case_id)
        assert [r["kind"] for r in trail][:2] == ["notification_received", "acknowledged"]
    await close_activities(activities)
    await close_activities(workflows)
