"""What a case's Temporal history shows about how its work ran, and register faults for tests
that need PostgreSQL to be busy or slow for one case's rows."""

from __future__ import annotations

import json

from temporalio.api.enums.v1 import EventType

from tests.support.temporal import Stack


async def local_and_remote(stack: Stack, case_id: str, activity: str) -> tuple[int, int]:
    """(local activities recorded, ``activity`` tasks scheduled on the server) in the history."""
    history = await stack.client.get_workflow_handle(case_id).fetch_history()
    local = remote = 0
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            local += event.marker_recorded_event_attributes.marker_name == "core_local_activity"
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attributes = event.activity_task_scheduled_event_attributes
            remote += attributes.activity_type.name == activity
    return local, remote


async def local_activities_after_update(stack: Stack, case_id: str) -> list[str]:
    """The activity types of the local activities recorded after the case's last Update."""
    history = await stack.client.get_workflow_handle(case_id).fetch_history()
    types: list[str] = []
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
            types = []
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            attributes = event.marker_recorded_event_attributes
            if attributes.marker_name == "core_local_activity":
                data = json.loads(attributes.details["data"].payloads[0].data)
                types.append(data["activity_type"])
    return types


async def workflow_tasks(stack: Stack, case_id: str, run_id: str | None = None) -> list[list[str]]:
    """What each completed workflow task of the case's run (None: its latest) did, in order:
    ``local:<activity>`` for a local activity, ``activity:<activity>`` for an activity scheduled
    on the server, ``timer:<summary>`` for a timer started (its summary, or its id), ``upsert``
    for search attributes; a task that did none of these is an empty list."""
    history = await stack.client.get_workflow_handle(case_id, run_id=run_id).fetch_history()
    tasks: list[list[str]] = []
    for event in history.events:
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            tasks.append([])
        elif kind == EventType.EVENT_TYPE_MARKER_RECORDED and tasks:
            attributes = event.marker_recorded_event_attributes
            if attributes.marker_name == "core_local_activity":
                data = json.loads(attributes.details["data"].payloads[0].data)
                tasks[-1].append(f"local:{data['activity_type']}")
        elif kind == EventType.EVENT_TYPE_TIMER_STARTED and tasks:
            summary = event.user_metadata.summary.data
            name = json.loads(summary) if summary else event.timer_started_event_attributes.timer_id
            tasks[-1].append(f"timer:{name}")
        elif kind == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES and tasks:
            tasks[-1].append("upsert")
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED and tasks:
            scheduled = event.activity_task_scheduled_event_attributes
            tasks[-1].append(f"activity:{scheduled.activity_type.name}")
    return tasks


def row_fault(name: str, action: str) -> tuple[str, str]:
    """SQL that runs ``action`` (PL/pgSQL) before every write of a register row whose case is
    listed in the table ``{name}_cases``, and SQL that removes it all again."""
    install = f"""
CREATE TABLE IF NOT EXISTS {name}_cases (case_id text PRIMARY KEY);
CREATE OR REPLACE FUNCTION {name}_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM {name}_cases WHERE case_id = NEW.case_id) THEN
        {action}
    END IF;
    RETURN NEW;
END;
$$;
DROP TRIGGER IF EXISTS {name}_rows ON cases;
CREATE TRIGGER {name}_rows BEFORE INSERT OR UPDATE ON cases
    FOR EACH ROW EXECUTE FUNCTION {name}_rows();
"""
    remove = f"""
DROP TRIGGER IF EXISTS {name}_rows ON cases;
DROP FUNCTION IF EXISTS {name}_rows();
DROP TABLE IF EXISTS {name}_cases;
"""
    return install, remove
