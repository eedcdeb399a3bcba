"""The statutory clock and the calendar: rolling a deadline forward to a working day (the
Hungarian calendar's weekends and holidays) and what a working day is.
"""

from __future__ import annotations

import pytest

from tests.workflows.clock_examples import BASE_270, DEFAULT, RECEIPT, ROLL, d, decision, ext, stop
from workflows.clock import (
    ClockError,
    CountingRules,
    compute_deadline,
    is_working_day,
)

# --------------------------------------------------------------------------- roll-forward


def test_roll_forward_over_a_weekend() -> None:
    # 272 days from 2027-01-10 + 12 + 30 = 2027-11-20, a Saturday.
    deadline = decision(
        period_days=272,
        rules=ROLL,
        stops=[stop("2027-03-01", "2027-03-13")],
        extensions=[ext(30, "2027-09-01")],
    )
    assert deadline.due == d("2027-11-22")
    assert deadline.rolled_forward_from == d("2027-11-20")
    assert deadline.explanation == (
        "272 days from receipt 2027-01-10, +12 days waiting for information requested "
        "2027-03-01 and received 2027-03-13, +30 days extension notified 2027-09-01 "
        "= 2027-11-20 (Saturday, not a working day), moved to the next working day 2027-11-22"
    )


def test_roll_forward_is_off_by_default() -> None:
    deadline = decision(
        period_days=272,
        stops=[stop("2027-03-01", "2027-03-13")],
        extensions=[ext(30, "2027-09-01")],
    )
    assert deadline.due == d("2027-11-20")
    assert deadline.rolled_forward_from is None
    assert deadline.explanation.endswith("= 2027-11-20")


def test_roll_forward_on_a_working_day_changes_nothing() -> None:
    deadline = decision(rules=ROLL)  # 2027-10-07 is a Thursday
    assert deadline.due == BASE_270
    assert deadline.rolled_forward_from is None
    assert deadline.explanation == "270 days from receipt 2027-01-10 = 2027-10-07"


def test_roll_forward_over_hungarian_national_day() -> None:
    # 2027-03-15 (Monday) is National Day in Hungary.
    deadline = compute_deadline(period_days=64, start=RECEIPT, start_label="receipt", rules=ROLL)
    assert deadline.due == d("2027-03-16")
    assert deadline.rolled_forward_from == d("2027-03-15")
    assert deadline.explanation == (
        "64 days from receipt 2027-01-10 = 2027-03-15 (Monday, public holiday: National Day), "
        "moved to the next working day 2027-03-16"
    )
    # Saturday 13th, Sunday 14th and the holiday on the 15th are all skipped.
    weekend = compute_deadline(period_days=62, start=RECEIPT, start_label="receipt", rules=ROLL)
    assert weekend.rolled_forward_from == d("2027-03-13")
    assert weekend.due == d("2027-03-16")


def test_roll_forward_over_christmas_and_easter() -> None:
    christmas = compute_deadline(
        period_days=14, start=d("2027-12-10"), start_label="receipt", rules=ROLL
    )
    assert christmas.rolled_forward_from == d("2027-12-24")  # Christmas Eve, a Friday
    assert christmas.due == d("2027-12-27")
    assert "(Friday, public holiday: Christmas Eve)" in christmas.explanation
    easter = compute_deadline(
        period_days=16, start=d("2027-03-10"), start_label="receipt", rules=ROLL
    )
    assert easter.rolled_forward_from == d("2027-03-26")  # Good Friday ... Easter Monday
    assert easter.due == d("2027-03-30")


def test_roll_forward_moves_validity_checks_to_the_rolled_day() -> None:
    # Unrolled last day Saturday 2027-11-20, the deadline passes at the end of Monday 11-22.
    assert decision(period_days=314, rules=ROLL).due == d("2027-11-22")
    for notified in ("2027-11-21", "2027-11-22"):
        deadline = decision(period_days=314, rules=ROLL, extensions=[ext(10, notified)])
        assert deadline.due == d("2027-11-30")
    with pytest.raises(ClockError, match="2027-11-23.*2027-11-22"):
        decision(period_days=314, rules=ROLL, extensions=[ext(10, "2027-11-23")])
    with pytest.raises(ClockError, match="2027-11-23.*2027-11-22"):
        decision(period_days=314, rules=ROLL, stops=[stop("2027-11-23")])


def test_stop_only_alive_by_roll_forward_is_refused() -> None:
    # Without roll-forward accounting, a stop on Monday 11-22 would leave 2027-11-20 - 11-22
    # = -2 days; the clock module refuses it rather than clamp it.
    with pytest.raises(ClockError) as err:
        decision(period_days=314, rules=ROLL, stops=[stop("2027-11-22", "2027-11-25")])
    message = str(err.value)
    assert "2027-11-22" in message and "2027-11-20" in message and "-2 days" in message
    assert "Saturday" in message
    # The last day as counted can still be used to stop the clock.
    deadline = decision(period_days=314, rules=ROLL, stops=[stop("2027-11-20", "2027-11-25")])
    assert deadline.due == d("2027-11-25")


def test_roll_forward_with_an_open_stop_has_no_due_date() -> None:
    deadline = decision(period_days=314, rules=ROLL, stops=[stop("2027-11-19")])
    assert deadline.due is None and deadline.rolled_forward_from is None
    assert deadline.remaining_days == 1


# --------------------------------------------------------------------------- working days


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2027-03-12", True),  # Friday
        ("2027-03-13", False),  # Saturday
        ("2027-03-14", False),  # Sunday
        ("2027-03-15", False),  # National Day
        ("2027-03-16", True),
        ("2027-08-20", False),  # State Foundation Day
        ("2027-11-01", False),  # All Saints' Day
        ("2027-12-24", False),  # Christmas Eve
        ("2024-08-03", True),  # Saturday, a transferred working day in Hungary
        ("2024-08-19", False),  # Monday, the day off it was transferred to
        ("2024-12-07", True),  # Saturday, a transferred working day
    ],
)
def test_is_working_day_in_hungary(day: str, working: bool) -> None:
    assert is_working_day(d(day), DEFAULT) is working


def test_is_working_day_other_calendar() -> None:
    germany = CountingRules(holiday_country="DE")
    assert is_working_day(d("2027-03-15"), germany) is True
    assert is_working_day(d("2027-10-03"), germany) is False  # a Sunday anyway
    assert is_working_day(d("2027-12-27"), germany) is True
