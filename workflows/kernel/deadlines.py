"""Deadline ledger rows and case status in words, computed purely from a case's deadlines and a
moment in time.

The workflow builds its views with these functions, and the API calls :func:`as_of` on a view it
read, because a Query answers as of the workflow's last activation, which can be weeks ago while a
clock is stopped or a case waits for its next timer: today, remaining and overdue days and the
status text are always recomputed for the moment of reading.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, TypeVar

from workflows import clock
from workflows.kernel.periods import Period
from workflows.kernel.words import days
from workflows.models import CaseView, DeadlineStatus, DeadlineView, OutgoingView

V = TypeVar("V", bound=CaseView[Any])

# Deadlines a case still has to meet or watch: they decide its next deadline.
PENDING = (DeadlineStatus.RUNNING, DeadlineStatus.STOPPED, DeadlineStatus.MISSED)


def build_view(
    period: Period,
    deadline: clock.Deadline,
    *,
    met_on: date | None,
    closed_on: date | None,
    now: datetime,
    timezone: str,
) -> DeadlineView:
    """The ledger row of one period as of ``now``."""
    ends_at = clock.end_of_day(deadline.due, timezone) if deadline.due else None
    if met_on is not None:
        status = (
            DeadlineStatus.MET
            if deadline.due is None or met_on <= deadline.due
            else DeadlineStatus.MET_LATE
        )
    elif closed_on is not None:
        status = DeadlineStatus.CANCELLED
    elif deadline.due is None:
        status = DeadlineStatus.STOPPED
    else:
        status = DeadlineStatus.RUNNING
    view = DeadlineView(
        key=period.key,
        label=period.label,
        label_hu=period.label_hu,
        article=period.article,
        period_days=deadline.period_days,
        start=deadline.start,
        due=deadline.due,
        ends_at=ends_at,
        status=status,
        remaining_days=deadline.remaining_days,
        met_on=met_on,
        explanation=deadline.explanation,
        explanation_hu=getattr(deadline, "explanation_hu", "") or deadline.explanation,
        authority_deadline=period.lapses,
    )
    return refresh(view, now, timezone)


def refresh(view: DeadlineView, now: datetime, timezone: str) -> DeadlineView:
    """The time-dependent part of a ledger row recomputed for ``now``: a running deadline whose
    last day has ended is missed (or, for a moment such as Art 10(2)(b), simply arrived), and its
    remaining or overdue days are counted from today."""
    if view.status not in (DeadlineStatus.RUNNING, DeadlineStatus.MISSED) or view.due is None:
        return view
    today = clock.local_date(now, timezone)
    assert view.ends_at is not None
    if now >= view.ends_at:
        if not view.authority_deadline:
            return view.model_copy(
                update={"status": DeadlineStatus.MET, "remaining_days": 0, "days_overdue": 0}
            )
        return view.model_copy(
            update={
                "status": DeadlineStatus.MISSED,
                "remaining_days": None,
                "days_overdue": clock.days_overdue(view.due, today),
            }
        )
    return view.model_copy(
        update={
            "status": DeadlineStatus.RUNNING,
            "remaining_days": (view.due - today).days,
            "days_overdue": 0,
        }
    )


def next_deadline(deadlines: list[DeadlineView]) -> DeadlineView | None:
    """The soonest deadline still pending; a stopped clock's when none has a date."""
    pending = [d for d in deadlines if d.status in PENDING]
    dated = [d for d in pending if d.due is not None]
    if dated:
        return min(dated, key=lambda d: d.due or date.max)
    return pending[0] if pending else None


def status_text(
    stage_text: str, deadlines: list[DeadlineView], outgoing: list[OutgoingView]
) -> str:
    """The case in one line: its stage, what is overdue or stopped, what comes next, and the
    messages that have not gone out."""
    parts = [stage_text]
    for d in deadlines:
        if d.status == DeadlineStatus.MISSED:
            parts.append(f"OVERDUE: {d.label.lower()} was due {d.due}, {days(d.days_overdue)} ago")
        elif d.status == DeadlineStatus.STOPPED:
            left = d.remaining_days or 0
            parts.append(
                f"{d.label} clock stopped: {days(left)} {'remains' if left == 1 else 'remain'}"
            )
    nxt = next_deadline(deadlines)
    if nxt is not None and nxt.status == DeadlineStatus.RUNNING:
        parts.append(f"next: {nxt.label.lower()} by {nxt.due} ({nxt.article})")
    pending = [o for o in outgoing if o.status == "pending"]
    if pending:
        parts.append(f"{len(pending)} message(s) pending delivery")
    failed = [o for o in outgoing if o.status == "failed"]
    if failed:
        parts.append(
            f"{len(failed)} message(s) FAILED: "
            + "; ".join(f"{o.purpose} to {o.recipient}" for o in failed)
        )
    return "; ".join(parts)


def as_of(view: V, now: datetime) -> V:
    """The case view with its time-dependent part computed for ``now`` (see the module doc)."""
    timezone = view.timezone
    deadlines = [refresh(d, now, timezone) for d in view.deadlines]
    nxt = next_deadline(deadlines)
    return view.model_copy(
        update={
            "today": clock.local_date(now, timezone),
            "deadlines": deadlines,
            "next_deadline": nxt,
            "next_deadline_key": nxt.key if nxt else None,
            "next_deadline_on": nxt.due if nxt else None,
            "next_deadline_at": nxt.ends_at if nxt else None,
            "overdue": any(d.status == DeadlineStatus.MISSED for d in deadlines),
            "days_overdue": max((d.days_overdue for d in deadlines), default=0),
            "status_text": status_text(view.stage_text, deadlines, view.outgoing),
        }
    )
