"""The officers' and notifier's commands over HTTP: each a Temporal Update, refused with 409 when
the case's stage does not allow it, 422 when the command itself is wrong, 404 for an unknown
case; an Idempotency-Key makes a retried request run the command once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from tests.api.conftest import assert_problem, eventually, notification_body
from tests.support.temporal import Stack

RISK_ASSESSMENT = {
    "carried_out_by": "exporter",
    "cost_borne_by_notifier": True,
    "summary": "Cry1Ab affects lepidopteran pests only; no wild relatives of maize in Hungary.",
    "overall_risk": "low",
    "recommendation": "Risks are manageable with a 200 m isolation distance.",
}


async def submit(api: httpx.AsyncClient) -> str:
    r = await api.post("/v1/aia/notifications", json=notification_body())
    assert r.status_code == 201, r.text
    case_id: str = r.json()["case_id"]
    return case_id


async def command(
    api: httpx.AsyncClient, case_id: str, path: str, body: dict[str, Any], key: str | None = None
) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return await api.post(f"/v1/cases/{case_id}/{path}", json=body, headers=headers)


async def test_full_procedure_over_http(stack: Stack, api: httpx.AsyncClient) -> None:
    case_id = await submit(api)
    await stack.env.sleep(timedelta(days=20))

    r = await command(api, case_id, "acknowledgement", {"actor": "officer.kovacs"})
    assert r.status_code == 200, r.text
    assert r.json()["stage"] == "acknowledged"
    assert r.json()["next_deadline"]["key"] == "decision"

    problem = assert_problem(await command(api, case_id, "acknowledgement", {}), 409)
    assert problem["type"].endswith("/command-refused")
    assert "already acknowledged" in problem["detail"]

    problem = assert_problem(await command(api, case_id, "information-received", {}), 409)
    assert "no open request" in problem["detail"]

    await stack.env.sleep(timedelta(days=10))
    request = {"items": ["isolation distance justification", "seed lot purity certificate"]}
    first = await command(api, case_id, "information-requests", request, key="req-1")
    assert first.status_code == 200, first.text
    assert first.json()["stage"] == "awaiting_information"
    # The same request retried with the same key: the first result, no second request, no 409.
    again = await command(api, case_id, "information-requests", request, key="req-1")
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    # ...whereas a new request while one is open is refused.
    assert_problem(await command(api, case_id, "information-requests", request, key="req-2"), 409)
    case = (await api.get(f"/v1/cases/{case_id}")).json()
    assert len(case["details"]["information_requests"]) == 1
    assert [s["kind"] for s in case["history"]].count("information_requested") == 1
    assert case["clock_stopped"] is True

    await stack.env.sleep(timedelta(days=12))
    r = await command(api, case_id, "information-received", {"summary": "both documents"})
    assert r.status_code == 200, r.text
    assert r.json()["stage"] == "acknowledged"
    case = (await api.get(f"/v1/cases/{case_id}")).json()
    decision = next(d for d in case["deadlines"] if d["key"] == "decision")
    received = case["received_on"]
    assert decision["status"] == "running"
    assert "12" in decision["explanation"], decision  # the 12 days waited are not counted

    r = await command(api, case_id, "extensions", {"days": 0, "reasons": "x"})
    problem = assert_problem(r, 422)
    assert problem["errors"][0]["field"] == "command.days"

    r = await command(api, case_id, "risk-assessment", RISK_ASSESSMENT)
    assert r.status_code == 200, r.text

    # A prohibition needs reasons (Art 10(4)): 422, and nothing is decided.
    problem = assert_problem(
        await command(api, case_id, "decision", {"result": "prohibition"}), 422
    )
    assert problem["type"].endswith("/invalid-command")
    assert "Art 10(4)" in problem["detail"]
    assert (await api.get(f"/v1/cases/{case_id}")).json()["stage"] == "acknowledged"

    decision_body = {
        "result": "approval_with_conditions",
        "conditions": ["200 m isolation distance", "post-harvest monitoring for two seasons"],
        "reasons": "The risk assessment shows low, manageable risks.",
        "subsequent_imports": "Applies to further imports of seed of this event for trials.",
    }
    r = await command(api, case_id, "decision", decision_body, key="decide-1")
    assert r.status_code == 200, r.text
    assert r.json()["stage"] == "decided"
    again = await command(api, case_id, "decision", decision_body, key="decide-1")
    assert again.status_code == 200, again.text
    assert again.json() == r.json()

    case = (await api.get(f"/v1/cases/{case_id}")).json()
    assert case["stage"] == "decided" and case["closed"] is True
    assert [s["kind"] for s in case["history"]] == [
        "notification_received",
        "acknowledged",
        "information_requested",
        "information_received",
        "risk_assessment_recorded",
        "decided",
    ]
    assert case["details"]["decided_on"] > received

    # After the decision no command is allowed, whether the workflow is still delivering or done.
    problem = assert_problem(await command(api, case_id, "withdrawal", {}), 409)
    assert "closed" in problem["detail"]

    # The register's audit log and the delivery evidence, written asynchronously.
    async def audit_complete() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = (await api.get(f"/v1/cases/{case_id}/audit")).json()
        return rows if any(row["kind"] == "decided" for row in rows) else []

    rows = await eventually(audit_complete)
    assert [row["seq"] for row in rows] == list(range(1, len(rows) + 1))
    assert rows[-1]["kind"] == "decided"

    async def decision_mailed() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = (await api.get(f"/v1/cases/{case_id}/messages")).json()
        sent = [m for m in rows if m["template"] == "aia_decision" and m["status"] == "sent"]
        return rows if sent else []

    messages = await eventually(decision_mailed)
    to_notifier = [m for m in messages if m["recipient"] == "regulatory@example.com"]
    assert {m["template"] for m in to_notifier} >= {
        "aia_acknowledgement",
        "aia_information_request",
        "aia_decision",
    }
    assert all(m["message_id"] for m in to_notifier if m["status"] == "sent")


async def test_withdrawn_case_refuses_a_decision(stack: Stack, api: httpx.AsyncClient) -> None:
    case_id = await submit(api)
    assert (await command(api, case_id, "acknowledgement", {})).status_code == 200
    assert (await command(api, case_id, "risk-assessment", RISK_ASSESSMENT)).status_code == 200
    r = await command(api, case_id, "withdrawal", {"reason": "commercial reasons"})
    assert r.status_code == 200, r.text
    assert r.json()["stage"] == "withdrawn"
    decision = {"result": "prohibition", "reasons": "unacceptable risk"}
    problem = assert_problem(await command(api, case_id, "decision", decision), 409)
    assert "withdrawn" in problem["detail"]
    # Still readable, still withdrawn, once the workflow has finished too.
    await stack.client.get_workflow_handle(case_id).result()
    problem = assert_problem(await command(api, case_id, "decision", decision), 409)
    assert "withdrawn" in problem["detail"]
    case = (await api.get(f"/v1/cases/{case_id}")).json()
    assert case["stage"] == "withdrawn" and case["details"]["decision"] is None


async def test_an_idempotency_key_belongs_to_one_command(
    stack: Stack, api: httpx.AsyncClient
) -> None:
    """Reusing a key for a different command must not return the first command's result, nor
    run the second command silently: the key is refused, naming it."""
    case_id = await submit(api)
    r = await command(api, case_id, "acknowledgement", {}, key="k-1")
    assert r.status_code == 200 and r.json()["stage"] == "acknowledged"
    r = await command(api, case_id, "information-requests", {"items": ["site map"]}, key="k-1")
    problem = assert_problem(r, 422)
    assert "another command (acknowledge)" in problem["detail"]
    case = (await api.get(f"/v1/cases/{case_id}")).json()
    assert case["stage"] == "acknowledged" and case["details"]["information_requests"] == []

    too_long = "k" * 201
    problem = assert_problem(await command(api, case_id, "extensions", {}, key=too_long), 422)
    fields = {e["field"] for e in problem["errors"]}
    assert "header Idempotency-Key" in fields


async def test_unknown_case_is_404(stack: Stack, api: httpx.AsyncClient) -> None:
    unknown = "aia-hu-no-such-case"
    for r in [
        await api.get(f"/v1/cases/{unknown}"),
        await api.get(f"/v1/cases/{unknown}/audit"),
        await api.get(f"/v1/cases/{unknown}/messages"),
        await command(api, unknown, "acknowledgement", {}),
        await command(api, unknown, "withdrawal", {}, key="w-1"),
    ]:
        problem = assert_problem(r, 404)
        assert problem["type"].endswith("/case-not-found")
        assert unknown in problem["detail"]
