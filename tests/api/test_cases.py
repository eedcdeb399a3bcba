"""Listing cases from the register with filters, and the iCalendar feed of deadlines."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
from icalendar import Calendar

from tests.api.conftest import assert_problem, eventually, notification_body
from tests.support.temporal import Stack


async def _submit(api: httpx.AsyncClient) -> dict[str, Any]:
    r = await api.post("/v1/aia/notifications", json=notification_body())
    assert r.status_code == 201, r.text
    case: dict[str, Any] = r.json()
    return case


async def _ids(api: httpx.AsyncClient, **params: Any) -> set[str]:
    r = await api.get("/v1/cases", params={"limit": 200, **params})
    assert r.status_code == 200, r.text
    return {c["case_id"] for c in r.json()}


def _events(ics: bytes, case_id: str) -> list[Any]:
    cal = Calendar.from_ical(ics)
    return [e for e in cal.walk("VEVENT") if str(e["UID"]).startswith(f"{case_id}-")]


async def test_list_filters_overdue_and_calendar(stack: Stack, api: httpx.AsyncClient) -> None:
    waiting = await _submit(api)  # never acknowledged: becomes overdue
    handled = await _submit(api)
    a, b = waiting["case_id"], handled["case_id"]
    r = await api.post(f"/v1/cases/{b}/acknowledgement", json={})
    assert r.status_code == 200, r.text
    received = date.fromisoformat(waiting["received_on"])
    ack_due, decision_due = received + timedelta(days=90), received + timedelta(days=270)

    async def registered() -> bool:
        rows = {c["case_id"]: c for c in (await api.get("/v1/cases", params={"limit": 200})).json()}
        return a in rows and rows.get(b, {}).get("stage") == "acknowledged"

    assert await eventually(registered)

    page = (await api.get("/v1/cases", params={"limit": 200})).json()
    summary = next(c for c in page if c["case_id"] == a)
    assert summary["procedure"] == "aia" and summary["stage"] == "received"
    assert summary["next_deadline_key"] == "acknowledgement"
    assert summary["next_deadline_on"] == ack_due.isoformat()
    assert summary["lmo_id"] == "MON-ØØ81Ø-6"
    assert "state" not in summary

    assert a in await _ids(api, stage="received") and b not in await _ids(api, stage="received")
    assert b in await _ids(api, stage="acknowledged")
    assert {a, b} <= await _ids(api, procedure="aia", party_of_import="HU")
    assert not {a, b} & await _ids(api, party_of_import="AT")
    # due_before is exclusive: the acknowledgement is due on ack_due
    assert a not in await _ids(api, due_before=ack_due.isoformat())
    assert a in await _ids(api, due_before=(ack_due + timedelta(days=1)).isoformat())
    assert b not in await _ids(api, due_before=(ack_due + timedelta(days=1)).isoformat())
    assert b in await _ids(api, due_before=(decision_due + timedelta(days=1)).isoformat())
    first = (await api.get("/v1/cases", params={"limit": 1})).json()
    assert len(first) == 1

    # The calendar: one all-day event per open case, on its next deadline.
    r = await api.get("/v1/deadlines.ics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/calendar")
    (event,) = _events(r.content, a)
    assert event.decoded("DTSTART") == ack_due
    # One UID per case and deadline, whatever its date: a calendar updates the event in place
    # when the clock stops or extends, instead of adding another.
    assert str(event["UID"]) == f"{a}-acknowledgement@biosafety.example"
    assert a in str(event["SUMMARY"]) and "Acknowledgement" in str(event["SUMMARY"])
    assert "90 days" in str(event["DESCRIPTION"])
    (event,) = _events(r.content, b)
    assert event.decoded("DTSTART") == decision_due

    # Day 91 without an acknowledgement: the case is overdue (and stays open, Art 9(4)).
    await stack.env.sleep(timedelta(days=92))

    async def overdue() -> set[str]:
        return await _ids(api, overdue="true")

    assert a in await eventually(overdue)
    assert b not in await _ids(api, overdue="true")
    assert b in await _ids(api, overdue="false")
    case = (await api.get(f"/v1/cases/{a}")).json()
    assert case["overdue"] is True and case["stage"] == "received"
    ack = next(d for d in case["deadlines"] if d["key"] == "acknowledgement")
    assert ack["status"] == "missed" and ack["days_overdue"] >= 1
    (event,) = _events((await api.get("/v1/deadlines.ics")).content, a)
    assert str(event["SUMMARY"]).startswith("OVERDUE")


async def test_list_rejects_bad_filters(stack: Stack, api: httpx.AsyncClient) -> None:
    cases: list[tuple[dict[str, str | int], str]] = [
        ({"stage": "pending"}, "query parameter stage"),
        ({"overdue": "perhaps"}, "query parameter overdue"),
        ({"due_before": "31/12/2027"}, "query parameter due_before"),
        ({"limit": 0}, "query parameter limit"),
        ({"limit": 201}, "query parameter limit"),
        ({"offset": -1}, "query parameter offset"),
        ({"party_of_import": "hu"}, "query parameter party_of_import"),
        ({"procedure": "labelling"}, "query parameter procedure"),  # no such procedure
    ]
    for params, field in cases:
        problem = assert_problem(await api.get("/v1/cases", params=params), 422)
        assert [e["field"] for e in problem["errors"]] == [field], (params, problem)
