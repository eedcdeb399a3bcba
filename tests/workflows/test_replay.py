"""Replay recorded histories against today's workflow code.

A change that would break running cases (a non-deterministic change to the AIA workflow) fails
here. The histories in tests/histories/ were recorded from real runs of the procedure tests;
re-record them deliberately (RECORD_HISTORIES=1 make test) only when a change is meant to be
incompatible and is shipped with workflow.patched() or a new workflow type.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from worker import WORKFLOWS
from workflows.sandbox import workflow_runner

HISTORIES = Path(__file__).parent.parent / "histories"


def recorded() -> list[Path]:
    return sorted(HISTORIES.glob("*.json"))


def test_there_are_recorded_histories() -> None:
    assert recorded(), "no histories in tests/histories/"


@pytest.mark.parametrize("strength", ["strict", "shared"])
@pytest.mark.parametrize("path", recorded(), ids=lambda p: p.stem)
async def test_history_replays_with_current_code(path: Path, strength: str) -> None:
    """Under the strict sandbox the tests run and the shared one the worker runs by default
    (workflows/sandbox.py)."""
    events = json.loads(path.read_text())
    history = WorkflowHistory.from_json(path.stem, events)
    replayer = Replayer(
        workflows=list(WORKFLOWS),
        data_converter=pydantic_data_converter,
        workflow_runner=workflow_runner(strength, pydantic_data_converter),
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
