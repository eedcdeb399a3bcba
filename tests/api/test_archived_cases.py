"""A closed case stays readable after Temporal's retention has removed its workflow: the
register keeps its last state, history included; its reference can never start a second case.

Retention is simulated by copying the register row of a really closed case under the id of a
case whose workflow does not exist."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from temporalio.service import RPCError, RPCStatusCode

from tests.api.conftest import assert_problem, case_id_of, eventually, notification_body
from tests.support.temporal import Stack
from workflows.aia.models import Notification, fingerprint

RA = {
    "carried_out_by": "authority",
    "summary": "No adverse effects expected.",
    "overall_risk": "low",
    "recommendation": "Acceptable.",
}


async def closed_case(api: httpx.AsyncClient, stack: Stack) -> dict[str, Any]:
    body = notification_body()
    cid = case_id_of(body)
    assert (await api.post("/v1/aia/notifications", json=body)).status_code == 201
    await api.post(f"/v1/cases/{cid}/acknowledgement", json={})
    await api.post(f"/v1/cases/{cid}/risk-assessment", json=RA)
    decision = {"result": "prohibition", "reasons": "Gene flow cannot be excluded."}
    assert (await api.post(f"/v1/cases/{cid}/decision", json=decision)).status_code == 200

    async def closed_row() -> Any:
        async with stack.pool.acquire() as conn:
            return await conn.fetchrow(
                "SELECT * FROM cases WHERE case_id = $1 AND closed AND state ? 'history'", cid
            )

    row = await eventually(closed_row)
    assert row is not None
    return dict(row)


async def archive_as(stack: Stack, row: dict[str, Any], body: dict[str, Any]) -> str:
    """Put the closed case into the register under the id `body` would get, with no workflow."""
    cid = case_id_of(body)
    state = dict(row["state"])
    state["case_id"] = cid
    state["notifier_reference"] = body["notifier_reference"]
    state["details"] = dict(state["details"])
    state["details"]["notification_fingerprint"] = fingerprint(Notification.model_validate(body))
    columns = {**row, "case_id": cid, "workflow_id": cid, "state": state}
    names = [c for c in columns if c not in ("created_at", "updated_at")]
    async with stack.pool.acquire() as conn:
        await conn.execute(
            f"INSERT INTO cases ({', '.join(names)}) VALUES "
            f"({', '.join(f'${i + 1}' for i in range(len(names)))})",
            *[columns[n] for n in names],
        )
    return cid


async def test_closed_case_is_read_from_the_register_once_its_workflow_is_gone(
    api: httpx.AsyncClient, stack: Stack
) -> None:
    row = await closed_case(api, stack)
    body = notification_body()
    cid = await archive_as(stack, row, body)

    response = await api.get(f"/v1/cases/{cid}")
    assert response.status_code == 200, response.text
    case = response.json()
    assert case["case_id"] == cid and case["stage"] == "decided" and case["closed"]
    assert [s["kind"] for s in case["history"]][-1] == "decided"
    assert case["details"]["decision"]["reasons"] == "Gene flow cannot be excluded."

    # A command is refused as for any closed case, not answered "no such case".
    problem = assert_problem(await api.post(f"/v1/cases/{cid}/acknowledgement", json={}), 409)
    assert "closed" in problem["detail"]

    # The same notification again returns the archived case and starts no workflow.
    again = await api.post("/v1/aia/notifications", json=body)
    assert again.status_code == 200, again.text
    assert again.json()["case_id"] == cid
    with pytest.raises(RPCError) as no_workflow:
        await stack.client.get_workflow_handle(cid).describe()
    assert no_workflow.value.status == RPCStatusCode.NOT_FOUND

    # A different notification under the reference is a conflict, as while the case was live.
    other = json.loads(json.dumps(body))
    other["annex_i"]["j_quantity"] = "5 kg"
    assert_problem(await api.post("/v1/aia/notifications", json=other), 409)
