"""What the statutory clock's worked examples share (tests/workflows/test_clock*.py): the
counting rules, the receipt date every example counts from, and short ways to write stops,
extensions and the Art 10(3) decision deadline.

Dates are chosen so that every figure can be checked by hand: 270 days from 2027-01-10 is
2027-10-07 and 90 days from 2027-01-10 is 2027-04-10.
"""

from __future__ import annotations

from datetime import date

from workflows.clock import (
    CountingRules,
    Deadline,
    Extension,
    Stop,
    compute_deadline,
)

DEFAULT = CountingRules()
DAY_ONE = CountingRules(day_of_event_is_day_one=True)
ROLL = CountingRules(roll_forward_to_working_day=True)
RECEIPT = date(2027, 1, 10)
BASE_270 = date(2027, 10, 7)  # 2027-01-10 + 270 days


def d(text: str) -> date:
    return date.fromisoformat(text)


def stop(requested: str, received: str | None = None) -> Stop:
    return Stop(requested_on=d(requested), received_on=d(received) if received else None)


def ext(days: int, notified: str, reasons: str = "risk assessment needs more time") -> Extension:
    return Extension(days=days, notified_on=d(notified), reasons=reasons)


def decision(
    *,
    stops: list[Stop] | None = None,
    extensions: list[Extension] | None = None,
    rules: CountingRules = DEFAULT,
    period_days: int = 270,
    start: date = RECEIPT,
) -> Deadline:
    """Art 10(3): within 270 days of the date of receipt of the notification."""
    return compute_deadline(
        period_days=period_days,
        start=start,
        start_label="receipt",
        rules=rules,
        stops=stops or [],
        extensions=extensions or [],
    )
