"""Poison input (the reliability issue, defects 1, 5 and 7): control characters are refused at the
edge naming the field; the register and the outbox store what reaches them by other means; an
Idempotency-Key is bound to its request; implausible receipt dates are refused, and a case
entered late escalates its lapsed deadlines once."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.testing import ActivityEnvironment

from activities.email import EmailActivities
from activities.register import RegisterActivities, RegisterSync
from tests.activities.email_support import request as email_request
from tests.activities.email_support import settings_for
from tests.activities.test_register import sync
from tests.api.conftest import assert_problem, eventually, notification_body
from tests.support.temporal import Stack


@pytest.mark.parametrize(
    ("where", "value", "says"),
    [
        (("annex_i", "c_lmo_name"), "maize\u0000nul", "control character U+0000"),
        (("notifier", "name"), "Acme\u0007Seeds", "control character U+0007"),
        (("annex_i", "h_modification"), "cspB\u001b[31m", "control character U+001B"),
        (("annex_i", "e_recipient_organism"), "lone \ud800 surrogate", "unicode string"),
    ],
)
async def test_control_characters_are_422_naming_the_field(
    api: httpx.AsyncClient, where: tuple[str, str], value: str, says: str
) -> None:
    body = notification_body()
    body[where[0]][where[1]] = value
    # As a client would send it: JSON escapes (a lone surrogate cannot be UTF-8 encoded).
    raw = json.dumps(body, ensure_ascii=True)
    response = await api.post(
        "/v1/aia/notifications", content=raw, headers={"Content-Type": "application/json"}
    )
    problem = assert_problem(response, 422)
    assert [e["field"] for e in problem["errors"]] == [f"notification.{'.'.join(where)}"]
    assert says in problem["errors"][0]["message"]
    case_id = f"aia-hu-{body['notifier_reference'].lower()}"
    assert_problem(await api.get(f"/v1/cases/{case_id}"), 404)  # nothing was started


async def test_tabs_and_line_breaks_are_text(api: httpx.AsyncClient) -> None:
    body = notification_body()
    body["annex_i"]["h_modification"] = "cspB gene;\r\n\tinserted by Agrobacterium"
    assert (await api.post("/v1/aia/notifications", json=body)).status_code == 201


async def test_a_control_character_in_a_command_is_422(api: httpx.AsyncClient) -> None:
    r = await api.post("/v1/aia/notifications", json=notification_body())
    cid = r.json()["case_id"]
    problem = assert_problem(
        await api.post(
            f"/v1/cases/{cid}/information-requests", json={"items": ["site map", "x\u0000"]}
        ),
        422,
    )
    assert problem["errors"][0]["field"] == "command.items"
    assert "(item 2)" in problem["errors"][0]["message"]
    case = (await api.get(f"/v1/cases/{cid}")).json()
    assert [s["kind"] for s in case["history"]] == ["notification_received"]


async def test_the_register_stores_what_postgres_cannot_with_a_replacement(
    db_pool: asyncpg.Pool,
) -> None:
    """A row that reaches the register by another path than the API still goes in: U+0000 and
    lone surrogates become U+FFFD, in columns and in the JSON state alike."""
    request = sync("reg-nul", 1, "received", [1])
    row = request.case.model_copy(
        update={"lmo_name": "maize\u0000nul", "state": {"note": "a\u0000b", "k\ud800": 1}}
    )
    entry = request.entries[0].model_copy(update={"summary": "step \u0000 one"})
    held = await ActivityEnvironment().run(
        RegisterActivities(db_pool).sync_register, RegisterSync(case=row, entries=[entry])
    )
    assert held == 1
    stored = await db_pool.fetchrow("SELECT * FROM cases WHERE case_id = 'reg-nul'")
    assert stored["lmo_name"] == "maize\ufffdnul"
    assert stored["state"] == {"note": "a\ufffdb", "k\ufffd": 1}
    audit = await db_pool.fetchval("SELECT summary FROM audit_log WHERE case_id = 'reg-nul'")
    assert audit == "step \ufffd one"


async def test_a_letter_with_a_nul_in_its_facts_is_delivered_once(
    smtp_sink: Any, db_pool: asyncpg.Pool
) -> None:
    req = email_request("aia_acknowledgement")
    req = req.model_copy(update={"context": req.context | {"lmo_name": "maize\u0000nul"}})
    delivery = await EmailActivities(settings_for(smtp_sink), db_pool).send_email(req)
    assert delivery.server_response.startswith("250 ")
    stored = await db_pool.fetchrow(
        "SELECT status, payload FROM outgoing_messages WHERE message_key = $1", req.message_key
    )
    assert stored["status"] == "sent" and "maize\ufffdnul" in stored["payload"]["body"]


async def test_an_idempotency_key_is_bound_to_its_command_and_body(
    api: httpx.AsyncClient,
) -> None:
    cid = (await api.post("/v1/aia/notifications", json=notification_body())).json()["case_id"]
    first = {"items": ["site map"]}
    headers = {"Idempotency-Key": "req-7"}
    url = f"/v1/cases/{cid}/information-requests"
    r1 = await api.post(url, json=first, headers=headers)
    assert r1.status_code == 200, r1.text
    again = await api.post(url, json=first, headers=headers)
    assert again.status_code == 200 and again.json() == r1.json()
    problem = assert_problem(await api.post(url, json={"items": ["other"]}, headers=headers), 422)
    assert problem["type"].endswith("/idempotency-key-reused")
    assert problem["errors"][0]["field"] == "header Idempotency-Key"
    assert "'req-7'" in problem["detail"] and "different body" in problem["detail"]
    problem = assert_problem(
        await api.post(f"/v1/cases/{cid}/acknowledgement", json={}, headers=headers), 422
    )
    assert "another command" in problem["detail"]
    case = (await api.get(f"/v1/cases/{cid}")).json()
    assert len(case["details"]["information_requests"]) == 1
    assert case["details"]["information_requests"][0]["items"] == ["site map"]


async def test_an_implausible_receipt_date_is_refused(api: httpx.AsyncClient) -> None:
    body = notification_body(received_on="1900-01-01")
    problem = assert_problem(await api.post("/v1/aia/notifications", json=body), 422)
    assert [e["field"] for e in problem["errors"]] == ["notification.received_on"]
    assert "more than 1095 days ago" in problem["detail"]


async def test_a_case_entered_late_escalates_its_lapsed_deadlines_once(
    stack: Stack, api: httpx.AsyncClient
) -> None:
    """Received two years ago and entered today: both the Art 9(1) and the Art 10(3) deadlines
    have lapsed. Each is recorded; the head of unit and the officers get one message each that
    lists both, not one per deadline."""
    today = (await stack.env.get_current_time()).date()
    received = today - timedelta(days=730)
    body = notification_body(received_on=received.isoformat())
    r = await api.post("/v1/aia/notifications", json=body)
    assert r.status_code == 201, r.text
    cid = r.json()["case_id"]

    def escalations() -> list[Any]:
        return [
            m
            for m in stack.smtp.messages  # type: ignore[attr-defined]
            if m["X-Biosafety-Case"] == cid and m["X-Template"].endswith("/deadline_missed")
        ]

    async def delivered() -> list[Any]:
        return escalations() if len(escalations()) >= 2 else []

    sent = await eventually(delivered)
    assert sorted(m["To"] for m in sent) == ["head@authority.example", "officers@authority.example"]
    body_text = sent[0].get_content()
    assert "Also missed" in body_text and "Article 10(3)" in body_text
    case = (await api.get(f"/v1/cases/{cid}")).json()
    kinds = [s["kind"] for s in case["history"]]
    assert kinds.count("deadline_missed") == 2 and "reminder" not in kinds
    assert date.fromisoformat(case["received_on"]) == received
    assert len(escalations()) == 2
