"""The deadlines of one case in time: which reminders are due, which deadlines have lapsed,
which moments have arrived, and when the case must wake up next.

The procedure hands the ledger its open periods (each an :class:`Entry`: the period, the
deadline the clock derived, whether it was met or the case closed) every time; the ledger keeps
only what it has already acted on, and hands back what happened for the case to record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from workflows import clock
from workflows.common import pure
from workflows.kernel import deadlines
from workflows.kernel.periods import Period
from workflows.models import ClockRules, DeadlineStatus, DeadlineView

IDLE_RECHECK = timedelta(days=30)  # wake-up when no deadline is pending; keeps timeouts uniform


@dataclass(frozen=True)
class Entry:
    """One period of the case as the procedure sees it now."""

    period: Period
    deadline: clock.Deadline
    met_on: date | None = None
    closed_on: date | None = None


@dataclass(frozen=True)
class Reminder:
    view: DeadlineView
    offset: int  # the nearest of the offsets now due (a case entered late owes several)
    days_left: int


@dataclass(frozen=True)
class Lapse:
    view: DeadlineView


@dataclass(frozen=True)
class Arrival:
    """A moment that is not the authority's deadline has come (e.g. CP Art 10(2)(b))."""

    view: DeadlineView


Event = Reminder | Lapse | Arrival


# The clock is pure and its deadlines frozen: a case asks for the same deadline several times
# in one activation (its ledger is listed for the loop, the wake-up, the view and the register),
# and cases received the same day under the same rules share them. A few hundred entries, a
# few hundred KiB of the worker at most; what is not held is simply computed again.
@lru_cache(maxsize=256)
def _deadline(
    period_days: int,
    start: date,
    start_label: str,
    start_label_hu: str,
    rules: ClockRules,
    stops: tuple[clock.Stop, ...],
    extensions: tuple[clock.Extension, ...],
) -> clock.Deadline:
    return pure(
        clock.compute_deadline,
        period_days=period_days,
        start=start,
        start_label=start_label,
        start_label_hu=start_label_hu,
        rules=rules,
        stops=stops,
        extensions=extensions,
    )


class Ledger:
    def __init__(self, rules: ClockRules, fired: list[str]) -> None:
        self.rules = rules
        self.fired = fired  # ordered, so that the state carried over is deterministic

    def compute(
        self,
        period: Period,
        start: date,
        stops: Sequence[clock.Stop] = (),
        extensions: Sequence[clock.Extension] = (),
    ) -> clock.Deadline:
        """The clock's deadline for ``period`` counted from ``start`` (Art 10(3)(c)-(d) stops
        and extensions only where the period allows them)."""
        return _deadline(
            period.days,
            start,
            period.counted_from,
            period.counted_from_hu,
            self.rules,
            tuple(stops),
            tuple(extensions),
        )

    def views(self, entries: Sequence[Entry], now: datetime) -> list[DeadlineView]:
        return [
            pure(
                deadlines.build_view,
                e.period,
                e.deadline,
                met_on=e.met_on,
                closed_on=e.closed_on,
                now=now,
                timezone=self.rules.timezone,
            )
            for e in entries
        ]

    def today(self, now: datetime) -> date:
        return pure(clock.local_date, now, self.rules.timezone)

    def reminder_at(self, due: date, offset: int) -> datetime:
        at: datetime = pure(clock.start_of_day, due - timedelta(days=offset), self.rules.timezone)
        return at

    def due_events(self, entries: Sequence[Entry], now: datetime, *, closed: bool) -> list[Event]:
        """What has become due by ``now`` and was not acted on before; marked as acted on."""
        events: list[Event] = []
        today = self.today(now)
        for entry, v in zip(entries, self.views(entries, now), strict=True):
            if v.due is None or v.ends_at is None:
                continue
            if not entry.period.lapses:
                key = f"arrived:{v.key}:{v.due}"
                if now >= v.ends_at and not closed and key not in self.fired:
                    self.fired.append(key)
                    events.append(Arrival(v))
                continue
            if v.status == DeadlineStatus.MISSED:
                key = f"missed:{v.key}:{v.due}"
                if key not in self.fired:
                    self.fired.append(key)
                    events.append(Lapse(v))
                continue
            if v.status != DeadlineStatus.RUNNING or not entry.period.reminders:
                continue
            due_now = [
                off
                for off in self._offsets(v)
                if f"reminder:{v.key}:{v.due}:{off}" not in self.fired
                and now >= self.reminder_at(v.due, off)
            ]
            if due_now:
                self.fired.extend(f"reminder:{v.key}:{v.due}:{off}" for off in due_now)
                events.append(Reminder(v, min(due_now), (v.due - today).days))
        return events

    def _offsets(self, v: DeadlineView) -> list[int]:
        """The reminder offsets that fall inside the period: a 30-day reminder of a 30-day
        period would only repeat what the case just said."""
        assert v.due is not None
        return [
            off for off in self.rules.reminder_offsets_days if v.due - timedelta(days=off) > v.start
        ]

    def next_wake(
        self, entries: Sequence[Entry], now: datetime, *, daily_while_overdue: bool
    ) -> tuple[datetime, str]:
        """The next instant something can become due, and why (the Web UI shows the reason on
        the timer). An overdue case needs no daily wake-up: its days overdue are computed when
        read; ``daily_while_overdue`` keeps the wake-ups of cases started before that."""
        candidates: list[tuple[datetime, str]] = []
        for entry, v in zip(entries, self.views(entries, now), strict=True):
            if v.due is None or v.ends_at is None:
                continue
            if v.status == DeadlineStatus.RUNNING:
                candidates.append((v.ends_at, f"{v.label} ends {v.due} ({v.article})"))
                if entry.period.reminders:
                    for off in self._offsets(v):
                        at = self.reminder_at(v.due, off)
                        if at > now:
                            candidates.append((at, f"reminder: {v.label.lower()} due {v.due}"))
            elif v.status == DeadlineStatus.MISSED and daily_while_overdue:
                tomorrow = self.today(now) + timedelta(days=1)
                morning: datetime = pure(clock.start_of_day, tomorrow, self.rules.timezone)
                candidates.append((morning, "daily overdue update"))
        if not candidates:
            return now + IDLE_RECHECK, "no deadline running (clock stopped or case closing)"
        return min(candidates, key=lambda c: c[0])
