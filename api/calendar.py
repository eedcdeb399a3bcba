"""Deadlines as iCalendar (RFC 5545) events, for the authority-wide feed (``/v1/deadlines.ics``)
and each case's own (``/v1/cases/{id}/deadlines.ics``).

An event's UID names the case and the deadline, never its date: when the clock stops or a period
is extended (CP Art 10(3)(c)-(d)) the same event moves, and a subscribed calendar updates it
instead of adding a second one. ``SEQUENCE`` is the case's state version, which only grows, and
``DTSTAMP`` the moment the feed was made.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any, Literal

from fastapi import Response
from icalendar import Calendar, Event

from workflows.models import CaseView, DeadlineStatus, DeadlineView

MEDIA_TYPE = "text/calendar"
UID_DOMAIN = "biosafety.example"

EventStatus = Literal["CONFIRMED", "TENTATIVE", "CANCELLED"]


def new_calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//Biosafety procedures//Statutory deadlines//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    return cal


def event_uid(case_id: str, key: str) -> str:
    """The same for a case's deadline whatever its date (see the module's doc)."""
    return f"{case_id}-{key}@{UID_DOMAIN}"


def deadline_event(
    *,
    case_id: str,
    key: str,
    day: date,
    summary: str,
    description: Iterable[str],
    categories: list[str],
    sequence: int,
    stamp: datetime,
    status: EventStatus = "CONFIRMED",
) -> Event:
    """One all-day event on a deadline's last day."""
    event = Event()
    event.add("uid", event_uid(case_id, key))
    event.add("sequence", sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("summary", summary)
    event.add("description", "\n".join(description))
    event.add("categories", categories)
    event.add("status", status)
    event.add("transp", "TRANSPARENT")
    return event


def ics_response(cal: Calendar, filename: str) -> Response:
    return Response(
        content=cal.to_ical(),
        media_type=MEDIA_TYPE,
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


def _case_event(case: CaseView[Any], d: DeadlineView, stamp: datetime) -> Event | None:
    where = f"{case.case_id}: {d.label} ({d.article})"
    status: EventStatus = "CONFIRMED"
    if d.status == DeadlineStatus.STOPPED:
        # No last day while the clock stands: the earliest it can be, were the information
        # received today. The event moves each day the clock stands still.
        left = d.remaining_days or 0
        day = case.today + timedelta(days=left)
        summary = f"{where}: clock stopped, {left} days remain (earliest {day})"
        status = "TENTATIVE"
    elif d.due is None:
        return None
    else:
        day = d.due
        if d.status == DeadlineStatus.MISSED:
            summary = f"OVERDUE ({d.days_overdue} days): {where} was due"
        elif d.status == DeadlineStatus.RUNNING:
            summary = f"{where} due"
        elif d.status == DeadlineStatus.CANCELLED:
            summary = f"{where}: cancelled, the case closed"
            status = "CANCELLED"
        else:
            summary = f"{where}: {d.status.value.replace('_', ' ')}" + (
                f" on {d.met_on}" if d.met_on else ""
            )
    lines = [f"Case {case.case_id} ({case.procedure.value}, {case.stage.replace('_', ' ')})"]
    if case.lmo_name:
        lines.append(f"LMO: {case.lmo_name}")
    lines += [f"Deadline: {d.explanation}", f"Határidő: {d.explanation_hu or d.explanation}"]
    lines.append(f"Details: /v1/cases/{case.case_id}")
    return deadline_event(
        case_id=case.case_id,
        key=d.key,
        day=day,
        summary=summary,
        description=lines,
        categories=[case.procedure.value.upper(), d.key],
        sequence=case.version,
        stamp=stamp,
        status=status,
    )


def case_calendar(case: CaseView[Any], stamp: datetime) -> Calendar:
    """Every deadline of one case, read as of now: running, stopped, met, missed or cancelled."""
    cal = new_calendar(f"Deadlines of case {case.case_id}")
    for d in case.deadlines:
        event = _case_event(case, d, stamp)
        if event is not None:
            cal.add_component(event)
    return cal
