"""The review of decisions (CP Art 12) over HTTP: opened from the registry's routes, commands by
their paths, roles, and a read weeks after the workflow last woke that shows today's figures."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx

from tests.api.conftest import Callers, assert_problem, eventually, notification_body
from tests.support.temporal import Stack


def review_request(email: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "origin": "request",
        "reference": f"REV-{uuid.uuid4().hex[:8]}",
        "requested_by": "notifier",
        "requester": {"name": "Acme Seeds", "address": "Wageningen", "email": email},
        "party_of_export": "NL",
        "grounds": "change_in_circumstances",
        "statement": "Teosinte was found near the trial site.",
        "decision": {"lmo_name": "Maize MON 810", "lmo_id": "MON-ØØ81Ø-6"},
    }
    return body | overrides


async def test_a_notifier_requests_a_review_and_staff_answer_it(callers: Callers) -> None:
    body = review_request(callers.alice_email)
    r = await callers.alice.post("/v1/reviews", json=body)
    assert r.status_code == 201, r.text
    case = r.json()
    cid = case["case_id"]
    assert cid == f"review-hu-{body['reference'].lower()}"
    assert r.headers["location"] == f"/v1/cases/{cid}"
    assert case["procedure"] == "review" and case["stage"] == "review_requested"
    assert case["details"]["procedure"] == "review" and case["details"]["grounds"]
    (answer,) = case["deadlines"]
    assert answer["key"] == "answer" and answer["article"] == "CP Art 12(3)"
    assert "notifier_email" not in case  # personal data stays out of views

    # The same request again: the same case; another notifier: as if it did not exist.
    assert (await callers.alice.post("/v1/reviews", json=body)).status_code == 200
    assert_problem(await callers.bob.get(f"/v1/cases/{cid}"), 404)
    # A notifier files only under its own e-mail, and never the authority's own review.
    problem = assert_problem(
        await callers.alice.post("/v1/reviews", json=review_request(callers.bob_email)), 403
    )
    assert "requester.email" in problem["detail"]
    own_review = {
        "origin": "authority",
        "reference": f"OWN-{uuid.uuid4().hex[:8]}",
        "decision": body["decision"],
        "new_information": "A new study.",
    }
    assert_problem(await callers.alice.post("/v1/reviews", json=own_review), 403)
    # Officers' commands only; an AIA command on a review is refused by name.
    assert_problem(
        await callers.alice.post(f"/v1/cases/{cid}/review-answer", json={"reasons": "x"}), 403
    )
    problem = assert_problem(
        await callers.staff.post(f"/v1/cases/{cid}/acknowledgement", json={}), 409
    )
    assert "review procedure" in problem["detail"] and "acknowledge" in problem["detail"]

    r = await callers.staff.post(
        f"/v1/cases/{cid}/review-answer",
        json={"reasons": "The finding does not change the risk assessment."},
    )
    assert r.status_code == 200, r.text
    assert r.json()["stage"] == "answered"
    problem = assert_problem(
        await callers.staff.post(f"/v1/cases/{cid}/review-answer", json={"reasons": "again"}), 409
    )
    assert "closed" in problem["detail"]

    # The public register shows the review with its common facts, never the requester's e-mail.
    async def listed() -> Any:
        r = await callers.anonymous.get(f"/v1/register/{cid}")
        return r if r.status_code == 200 and r.json()["stage"] == "answered" else None

    public = await eventually(listed)
    assert public.json()["procedure"] == "review" and public.json()["decision"] is None
    assert callers.alice_email not in public.text


async def test_review_commands_refuse_bad_input_with_422(callers: Callers) -> None:
    r = await callers.staff.post("/v1/reviews", json=review_request(callers.alice_email))
    cid = r.json()["case_id"]
    problem = assert_problem(
        await callers.staff.post(
            f"/v1/cases/{cid}/decision-change",
            json={"result": "approval_with_conditions", "reasons": "x"},
        ),
        422,
    )
    assert "at least one condition" in problem["detail"]
    problem = assert_problem(
        await callers.staff.post(f"/v1/cases/{cid}/decision-change", json={"result": "maybe"}),
        422,
    )
    assert {e["field"] for e in problem["errors"]} >= {"command.result", "command.reasons"}
    bad = review_request(callers.alice_email, grounds="because")
    problem = assert_problem(await callers.staff.post("/v1/reviews", json=bad), 422)
    assert [e["field"] for e in problem["errors"]] == ["review.request.grounds"]


async def test_a_case_read_weeks_after_its_last_activation_shows_today(
    stack: Stack, api: httpx.AsyncClient
) -> None:
    """A Query answers as of the workflow's last activation; the API answers as of now."""
    r = await api.post("/v1/aia/notifications", json=notification_body())
    cid = r.json()["case_id"]
    received = date.fromisoformat(r.json()["received_on"])
    await stack.env.sleep(timedelta(days=91))  # the acknowledgement lapses on day 91
    await stack.env.sleep(timedelta(days=20))  # then nothing wakes the case for 20 days
    case = (await api.get(f"/v1/cases/{cid}")).json()
    now = await stack.env.get_current_time()
    today = now.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Budapest")).date()
    ack = next(d for d in case["deadlines"] if d["key"] == "acknowledgement")
    assert case["today"] == today.isoformat()
    assert ack["status"] == "missed"
    assert ack["days_overdue"] == (today - (received + timedelta(days=90))).days >= 20
    assert f"{ack['days_overdue']} days ago" in case["status_text"]
    decision = next(d for d in case["deadlines"] if d["key"] == "decision")
    assert decision["status"] == "running"
    assert decision["remaining_days"] == (date.fromisoformat(decision["due"]) - today).days
    # The list counts the days overdue as of now too.
    page = (await api.get("/v1/cases", params={"overdue": "true", "limit": 200})).json()
    (row,) = [c for c in page if c["case_id"] == cid]
    assert row["days_overdue"] == ack["days_overdue"]
