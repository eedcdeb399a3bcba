"""Cases open under the case kernel's current generation (CaseStart.generation, set by the API):
they have every change the kernel's patches brought and record none of their markers. A case
opened before generations (generation 1) still asks its history, marker by marker, and ends up
doing the same (workflows/kernel/runtime.py)."""

from __future__ import annotations

import uuid

from temporalio.api.enums.v1 import EventType

from api.cases import run_command
from tests.support.temporal import Stack, read_case
from tests.workflows.test_aia import start, start_with
from workflows.aia.models import Acknowledge
from workflows.kernel.outbox import EMAIL_LOCAL_PATCH
from workflows.kernel.runtime import KERNEL_PATCH, REGISTER_LOCAL_PATCH, WAKE_EARLY_PATCH
from workflows.models import CURRENT_GENERATION

PATCHES = {KERNEL_PATCH, EMAIL_LOCAL_PATCH, REGISTER_LOCAL_PATCH, WAKE_EARLY_PATCH}


async def _markers(stack: Stack, case_id: str) -> tuple[set[str], int]:
    """(the kernel's patches marked in the history, e-mail activities scheduled on the server)"""
    history = await stack.client.get_workflow_handle(case_id).fetch_history()
    marked: set[str] = set()
    remote = 0
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            attributes = event.marker_recorded_event_attributes
            if attributes.marker_name == "core_patch":
                marked |= {p for p in PATCHES if p in str(attributes.details)}
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            remote += event.activity_task_scheduled_event_attributes.activity_type.name == (
                "send_email"
            )
    return marked, remote


async def _acknowledged(stack: Stack, case_id: str) -> None:
    await run_command(stack.client, case_id, "acknowledge", Acknowledge())
    view = await read_case(stack, case_id)
    (letter,) = [o for o in view.outgoing if o.purpose == "aia_acknowledgement"]
    assert letter.status == "sent"  # sent inside the command's workflow task in both


async def test_a_new_case_records_no_patch_marker(stack: Stack) -> None:
    case = await start(stack, f"GEN-{uuid.uuid4().hex[:6]}")
    await _acknowledged(stack, case.case_id)
    assert await _markers(stack, case.case_id) == (set(), 0)
    history = await stack.client.get_workflow_handle(case.case_id).fetch_history()
    first = history.events[0].workflow_execution_started_event_attributes
    assert f'"generation":{CURRENT_GENERATION}' in first.input.payloads[0].data.decode()


async def test_a_case_of_the_first_generation_asks_its_history(stack: Stack) -> None:
    case_id, _ = await start_with(stack, f"GEN-{uuid.uuid4().hex[:6]}", generation=1)
    await _acknowledged(stack, case_id)
    assert await _markers(stack, case_id) == (PATCHES, 0)
