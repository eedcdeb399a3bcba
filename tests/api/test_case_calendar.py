"""Deadlines in every count: a running deadline's remaining days, and each case's own calendar
(``GET /v1/cases/{id}/deadlines.ics``) parsed with icalendar, followed through a clock stop
(CP Art 10(3)(c)), its restart and an extension (10(3)(d)): the same event UIDs throughout, the
dates moving and SEQUENCE growing, so that a subscribed calendar updates, never doubles."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from icalendar import Calendar

from api.calendar import event_uid
from tests.api.conftest import (
    Callers,
    assert_problem,
    case_id_of,
    eventually,
    notification_body,
)
from tests.support.temporal import Stack
from workflows.kernel.deadlines import refresh
from workflows.models import DeadlineStatus, DeadlineView


def events(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    return {str(e["uid"]): e for e in cal.walk("VEVENT")}


def day(event: Any) -> date:
    value: date = event.decoded("dtstart")
    return value


async def test_a_case_calendar_follows_its_clock(api: httpx.AsyncClient, stack: Stack) -> None:
    body = notification_body()
    cid = case_id_of(body)
    base = f"/v1/cases/{cid}"
    opened = (await api.post("/v1/aia/notifications", json=body)).json()
    today = date.fromisoformat(opened["today"])
    due = {d["key"]: date.fromisoformat(d["due"]) for d in opened["deadlines"]}
    ack_uid, dec_uid = event_uid(cid, "acknowledgement"), event_uid(cid, "decision")

    first = events(await api.get(f"{base}/deadlines.ics"))
    assert set(first) == {ack_uid, dec_uid}
    assert day(first[dec_uid]) == due["decision"] == today + timedelta(days=270)
    assert day(first[ack_uid]) == due["acknowledgement"]
    assert str(first[dec_uid]["summary"]) == f"{cid}: Decision on the import (CP Art 10(3)) due"
    assert str(first[dec_uid]["status"]) == "CONFIRMED"
    assert "Határidő: " in str(first[dec_uid]["description"])

    # Acknowledged, then information requested: the decision clock stops (Art 10(3)(c)).
    assert (await api.post(f"{base}/acknowledgement", json={})).status_code == 200
    await stack.env.sleep(timedelta(days=30))
    r = await api.post(f"{base}/information-requests", json={"items": ["field trial data"]})
    assert r.status_code == 200, r.text
    stopped = events(await api.get(f"{base}/deadlines.ics"))
    assert set(stopped) == {ack_uid, dec_uid}  # the same events, not new ones
    decision = stopped[dec_uid]
    assert str(decision["status"]) == "TENTATIVE"
    # The earliest it can end: were the information received today, 240 days would remain.
    assert day(decision) == today + timedelta(days=30 + 240)
    assert "clock stopped, 240 days remain" in str(decision["summary"])
    assert int(decision["sequence"]) > int(first[dec_uid]["sequence"])
    assert str(stopped[ack_uid]["summary"]).endswith(f"met on {today}")
    assert decision.decoded("dtstamp") > first[dec_uid].decoded("dtstamp")

    # Received ten days later: 10 days not counted; then extended by 30 days (Art 10(3)(d)).
    await stack.env.sleep(timedelta(days=10))
    assert (await api.post(f"{base}/information-received", json={})).status_code == 200
    running = events(await api.get(f"{base}/deadlines.ics"))
    assert day(running[dec_uid]) == due["decision"] + timedelta(days=10)
    assert str(running[dec_uid]["status"]) == "CONFIRMED"
    r = await api.post(f"{base}/extensions", json={"days": 30, "reasons": "Expert opinion."})
    assert r.status_code == 200, r.text
    extended = events(await api.get(f"{base}/deadlines.ics"))
    assert set(extended) == {ack_uid, dec_uid}
    assert day(extended[dec_uid]) == due["decision"] + timedelta(days=40)
    assert int(extended[dec_uid]["sequence"]) > int(running[dec_uid]["sequence"])
    assert "+30 days extension notified" in str(extended[dec_uid]["description"])

    # The authority-wide feed names the same events by the same UIDs.
    async def in_register() -> bool:
        feed = events(await api.get("/v1/deadlines.ics"))
        return dec_uid in feed and day(feed[dec_uid]) == due["decision"] + timedelta(days=40)

    assert await eventually(in_register)


async def test_running_deadlines_count_their_remaining_days(callers: Callers, stack: Stack) -> None:
    """In the case read and in the register's list (its next deadline), running or stopped."""
    body = notification_body()
    body["notifier"] = dict(body["notifier"], email=callers.alice_email)
    cid = case_id_of(body)
    assert (await callers.alice.post("/v1/aia/notifications", json=body)).status_code == 201
    await stack.env.sleep(timedelta(days=5))
    view = (await callers.alice.get(f"/v1/cases/{cid}")).json()
    ack = next(d for d in view["deadlines"] if d["key"] == "acknowledgement")
    assert ack["status"] == "running" and ack["remaining_days"] == 85
    assert view["next_deadline"]["remaining_days"] == 85

    async def listed(**expected: Any) -> dict[str, Any] | None:
        rows = (await callers.alice.get("/v1/cases")).json()  # her own cases: this one
        row: dict[str, Any] | None = next((r for r in rows if r["case_id"] == cid), None)
        return row if row and all(row[k] == v for k, v in expected.items()) else None

    row = await eventually(lambda: listed(next_deadline_key="acknowledgement"))
    assert row is not None and row["next_deadline_remaining_days"] == 85

    # Acknowledged and information requested on day 5: the decision clock stops with 265 days
    # (Art 10(3)(c)); the list shows them while it stands, whatever the day.
    base = f"/v1/cases/{cid}"
    assert (await callers.staff.post(f"{base}/acknowledgement", json={})).status_code == 200
    r = await callers.staff.post(f"{base}/information-requests", json={"items": ["data"]})
    assert r.status_code == 200, r.text
    await stack.env.sleep(timedelta(days=3))
    row = await eventually(lambda: listed(clock_stopped=True))
    assert row is not None and row["next_deadline_remaining_days"] == 265


def test_the_as_of_computation_counts_a_running_deadline() -> None:
    """The pure part (workflows/kernel/deadlines.py): as of any moment, a running deadline has
    its days left; a stopped clock keeps what it had; a passed one is overdue instead."""
    row = DeadlineView(
        key="decision",
        label="Decision on the import",
        article="CP Art 10(3)",
        period_days=270,
        start=date(2027, 1, 10),
        due=date(2027, 10, 7),
        ends_at=datetime(2027, 10, 7, 22, 0, tzinfo=UTC),  # midnight in Budapest (CEST)
        status=DeadlineStatus.RUNNING,
        explanation="270 days from receipt 2027-01-10 = 2027-10-07",
    )
    zone = "Europe/Budapest"
    at = refresh(row, datetime(2027, 10, 1, 9, tzinfo=UTC), zone)
    assert (at.status, at.remaining_days, at.days_overdue) == (DeadlineStatus.RUNNING, 6, 0)
    last_day = refresh(row, datetime(2027, 10, 7, 21, 59, tzinfo=UTC), zone)
    assert last_day.remaining_days == 0 and last_day.status == DeadlineStatus.RUNNING
    after = refresh(row, datetime(2027, 10, 9, 9, tzinfo=UTC), zone)
    assert (after.status, after.remaining_days, after.days_overdue) == (
        DeadlineStatus.MISSED,
        None,
        2,
    )
    stopped = row.model_copy(
        update={"status": DeadlineStatus.STOPPED, "due": None, "remaining_days": 120}
    )
    assert refresh(stopped, datetime(2027, 12, 1, tzinfo=UTC), zone).remaining_days == 120


async def test_a_case_calendar_is_read_as_the_case_is(callers: Callers) -> None:
    body = notification_body()
    body["notifier"] = dict(body["notifier"], email=callers.alice_email)
    cid = case_id_of(body)
    assert (await callers.alice.post("/v1/aia/notifications", json=body)).status_code == 201
    url = f"/v1/cases/{cid}/deadlines.ics"
    assert event_uid(cid, "decision") in events(await callers.alice.get(url))
    assert event_uid(cid, "decision") in events(await callers.staff.get(url))
    assert_problem(await callers.bob.get(url), 404)
    assert_problem(await callers.anonymous.get(url), 401)
