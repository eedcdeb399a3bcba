"""POST /v1/aia/notifications: creating a case, idempotent resubmission, conflicts, and 422s
that name the field (and start nothing)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import httpx
from temporalio.service import RPCError, RPCStatusCode

from tests.api.conftest import assert_problem, case_id_of, notification_body
from tests.support.temporal import Stack
from workflows import clock


def _today(stack: Stack) -> date:
    return clock.local_date(datetime.now(UTC), stack.settings.timezone)


async def _workflow_exists(stack: Stack, case_id: str) -> bool:
    try:
        await stack.client.get_workflow_handle(case_id).describe()
    except RPCError as err:
        assert err.status == RPCStatusCode.NOT_FOUND
        return False
    return True


async def test_submit_creates_a_case_and_resubmission_returns_it(
    stack: Stack, api: httpx.AsyncClient
) -> None:
    body = notification_body()
    r = await api.post("/v1/aia/notifications", json=body)
    assert r.status_code == 201, r.text
    case_id = case_id_of(body)
    assert r.headers["location"] == f"/v1/cases/{case_id}"
    created = r.json()
    assert created["case_id"] == case_id
    assert created["stage"] == "received"
    assert created["details"]["missing_annex_i_items"] == []
    assert created["confidential_items"] == ["j"]
    run_id = (await stack.client.get_workflow_handle(case_id).describe()).run_id

    # The Location names the case, with its deadline ledger: Art 9(1) and Art 10(3).
    case = (await api.get(r.headers["location"])).json()
    received = date.fromisoformat(case["received_on"])
    assert received == _today(stack)
    deadlines = {d["key"]: d for d in case["deadlines"]}
    assert set(deadlines) == {"acknowledgement", "decision"}
    ack, decision = deadlines["acknowledgement"], deadlines["decision"]
    assert date.fromisoformat(ack["due"]) == received + timedelta(days=90)
    assert date.fromisoformat(decision["due"]) == received + timedelta(days=270)
    assert (ack["article"], decision["article"]) == ("CP Art 9(1)", "CP Art 10(3)")
    assert ack["status"] == decision["status"] == "running"
    assert "90 days" in ack["explanation"] and received.isoformat() in ack["explanation"]
    assert "270 days" in decision["explanation"]
    assert case["next_deadline"]["key"] == "acknowledgement"
    assert [s["kind"] for s in case["history"]] == ["notification_received"]

    # The same notification again: the same case, 200, no second workflow run.
    again = await api.post("/v1/aia/notifications", json=body)
    assert again.status_code == 200, again.text
    assert again.json()["case_id"] == case_id
    assert again.headers["content-location"] == f"/v1/cases/{case_id}"
    assert "location" not in again.headers
    assert (await stack.client.get_workflow_handle(case_id).describe()).run_id == run_id

    # A different notification under the same reference is refused and changes nothing.
    other = notification_body(body["notifier_reference"])
    other["annex_i"]["j_quantity"] = "50 kg of seed"
    conflict = assert_problem(await api.post("/v1/aia/notifications", json=other), 409)
    assert conflict["type"].endswith("/reference-conflict")
    assert conflict["case_id"] == case_id
    assert body["notifier_reference"] in conflict["detail"]
    case = (await api.get(f"/v1/cases/{case_id}")).json()
    assert (
        case["details"]["notification_fingerprint"]
        == created["details"]["notification_fingerprint"]
    )
    assert [s["kind"] for s in case["history"]] == ["notification_received"]
    assert (await stack.client.get_workflow_handle(case_id).describe()).run_id == run_id


async def test_return_minimal_answers_with_the_case_opened_and_opens_it_the_same(
    stack: Stack, api: httpx.AsyncClient
) -> None:
    """RFC 7240 ``Prefer: return=minimal``: for bulk submission, the answer does not wait for
    the case's first steps; the case it names is the same as without the preference."""
    minimal = {"Prefer": "respond-async, return=minimal"}
    body = notification_body()  # it claims item (j) confidential: its Art 21 case opens too
    case_id = case_id_of(body)
    r = await api.post("/v1/aia/notifications", json=body, headers=minimal)
    assert r.status_code == 201, r.text
    assert r.headers["preference-applied"] == "return=minimal"
    assert r.headers["location"] == f"/v1/cases/{case_id}"
    assert r.json() == {
        "case_id": case_id,
        "procedure": "aia",
        "received_on": _today(stack).isoformat(),
        "location": f"/v1/cases/{case_id}",
    }
    case = (await api.get(r.headers["location"])).json()
    assert case["stage"] == "received"
    assert [s["kind"] for s in case["history"]] == ["notification_received"]
    assert (await api.get(f"/v1/cases/conf-{case_id}")).status_code == 200

    # Resubmitted: 200 and the same minimal answer; with other content: the conflict, as ever.
    again = await api.post("/v1/aia/notifications", json=body, headers=minimal)
    assert again.status_code == 200, again.text
    assert again.json() == r.json()
    assert again.headers["content-location"] == f"/v1/cases/{case_id}"
    other = notification_body(body["notifier_reference"])
    other["annex_i"]["j_quantity"] = "50 kg of seed"
    conflict = await api.post("/v1/aia/notifications", json=other, headers=minimal)
    assert assert_problem(conflict, 409)["rule"] == "reference-unique"

    # Without the preference (or with another one) the answer is the whole case.
    full = await api.post(
        "/v1/aia/notifications", json=body, headers={"Prefer": "return=representation"}
    )
    assert full.status_code == 200 and full.json()["stage"] == "received"
    assert "preference-applied" not in full.headers


async def test_concurrent_duplicate_submissions_start_one_case(
    stack: Stack, api: httpx.AsyncClient
) -> None:
    body = notification_body()
    first, second = await asyncio.gather(
        api.post("/v1/aia/notifications", json=body),
        api.post("/v1/aia/notifications", json=body),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 201], (first, second)
    assert first.json()["case_id"] == second.json()["case_id"] == case_id_of(body)
    history = await stack.client.get_workflow_handle(case_id_of(body)).fetch_history()
    starts = [
        e for e in history.events if e.HasField("workflow_execution_started_event_attributes")
    ]
    assert len(starts) == 1


def _invalid_bodies(stack: Stack) -> list[tuple[str, dict[str, object], str, str]]:
    """(what, body, field named, words the message must contain)"""
    bad_oecd = notification_body()
    bad_oecd["annex_i"]["c_lmo_unique_identifier"] = "MON810"
    lowercase = notification_body(party_of_export="us")
    no_email = notification_body()
    del no_email["notifier"]["email"]
    bad_email = notification_body()
    bad_email["notifier"]["email"] = "regulatory at example.com"
    item_c = notification_body(confidential=[{"item": "c", "justification": "trade secret"}])
    other_party = notification_body(party_of_import="AT")
    future = notification_body(received_on=(_today(stack) + timedelta(days=3)).isoformat())
    bad_reference = notification_body(reference="has spaces/and slashes")
    unknown_field = notification_body(colour="green")
    return [
        (
            "bad OECD unique identifier",
            bad_oecd,
            "notification.annex_i.c_lmo_unique_identifier",
            "must be an OECD unique identifier",
        ),
        (
            "lowercase country code",
            lowercase,
            "notification.party_of_export",
            "ISO 3166-1 alpha-2",
        ),
        ("missing notifier e-mail", no_email, "notification.notifier.email", "field required"),
        ("malformed e-mail", bad_email, "notification.notifier.email", "e-mail address"),
        ("item (c) claimed confidential", item_c, "notification.confidential", "Art 21(6)"),
        ("another Party of import", other_party, "notification.party_of_import", "HU"),
        ("received in the future", future, "notification.received_on", "in the future"),
        ("bad reference", bad_reference, "notification.notifier_reference", "letters, digits"),
        ("unknown field", unknown_field, "notification.colour", "not a field"),
    ]


async def test_invalid_notifications_are_422_naming_the_field_and_start_nothing(
    stack: Stack, api: httpx.AsyncClient
) -> None:
    for what, body, field, words in _invalid_bodies(stack):
        r = await api.post("/v1/aia/notifications", json=body)
        problem = assert_problem(r, 422)
        fields = [e["field"] for e in problem["errors"]]
        assert field in fields, (what, problem)
        message = next(e["message"] for e in problem["errors"] if e["field"] == field)
        assert words in message, (what, problem)
        assert field in problem["detail"] and words in problem["detail"], (what, problem)
        if isinstance(body.get("party_of_import"), str) and isinstance(
            body.get("notifier_reference"), str
        ):
            assert not await _workflow_exists(stack, case_id_of(body)), what

    # Not JSON at all: 422 too (see api/problems.py), naming the body and where it broke.
    r = await api.post(
        "/v1/aia/notifications",
        content=b'{"notifier_reference": "X-1",',
        headers={"content-type": "application/json"},
    )
    problem = assert_problem(r, 422)
    assert problem["errors"][0]["field"] == "notification"
    assert "not valid JSON" in problem["detail"]

    # No body, or not an object
    assert_problem(await api.post("/v1/aia/notifications"), 422)
    problem = assert_problem(await api.post("/v1/aia/notifications", json=[1, 2]), 422)
    assert problem["errors"][0]["field"] == "notification"
