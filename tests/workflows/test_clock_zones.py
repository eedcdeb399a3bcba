"""The statutory clock and the authority's time zone: where a day starts and ends (summer time
included), the local date of an instant, days overdue and how a period is described.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pydantic
import pytest

from tests.workflows.clock_examples import BASE_270, DEFAULT, d
from workflows.clock import (
    CountingRules,
    compute_deadline,
    days_overdue,
    describe_period,
    end_of_day,
    local_date,
    start_of_day,
)

# --------------------------------------------------------------------------- time zones, DST


def test_start_and_end_of_an_ordinary_day() -> None:
    tz = "Europe/Budapest"
    assert start_of_day(d("2027-01-10"), tz) == datetime(2027, 1, 9, 23, tzinfo=UTC)
    assert end_of_day(d("2027-01-10"), tz) == datetime(2027, 1, 10, 23, tzinfo=UTC)
    assert start_of_day(d("2027-07-01"), tz) == datetime(2027, 6, 30, 22, tzinfo=UTC)
    assert end_of_day(d("2027-07-01"), tz) == datetime(2027, 7, 1, 22, tzinfo=UTC)


def test_end_of_day_when_summer_time_starts() -> None:
    # 2027-03-28: clocks go from 02:00 CET to 03:00 CEST; the day has 23 hours.
    day = d("2027-03-28")
    start, end = start_of_day(day, "Europe/Budapest"), end_of_day(day, "Europe/Budapest")
    assert start == datetime(2027, 3, 27, 23, tzinfo=UTC)
    assert end == datetime(2027, 3, 28, 22, tzinfo=UTC)
    assert end - start == timedelta(hours=23)
    assert start.tzinfo is UTC and end.tzinfo is UTC


def test_end_of_day_when_summer_time_ends() -> None:
    # 2027-10-31: clocks go from 03:00 CEST back to 02:00 CET; the day has 25 hours.
    day = d("2027-10-31")
    start, end = start_of_day(day, "Europe/Budapest"), end_of_day(day, "Europe/Budapest")
    assert start == datetime(2027, 10, 30, 22, tzinfo=UTC)
    assert end == datetime(2027, 10, 31, 23, tzinfo=UTC)
    assert end - start == timedelta(hours=25)


def test_start_of_day_when_midnight_does_not_exist() -> None:
    # Brazil 2018-11-04: clocks jumped from 00:00 to 01:00; the day began at 01:00 -02.
    tz = "America/Sao_Paulo"
    assert start_of_day(d("2018-11-04"), tz) == datetime(2018, 11, 4, 3, tzinfo=UTC)
    assert end_of_day(d("2018-11-03"), tz) == datetime(2018, 11, 4, 3, tzinfo=UTC)
    assert end_of_day(d("2018-11-04"), tz) - start_of_day(d("2018-11-04"), tz) == timedelta(
        hours=23
    )


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (datetime(2027, 1, 10, 22, 59, 59, tzinfo=UTC), "2027-01-10"),  # 23:59:59 CET
        (datetime(2027, 1, 10, 23, 0, tzinfo=UTC), "2027-01-11"),  # midnight CET
        (datetime(2027, 1, 10, 23, 30, tzinfo=UTC), "2027-01-11"),
        (datetime(2027, 1, 11, 0, 30, tzinfo=UTC), "2027-01-11"),
        (datetime(2027, 7, 1, 21, 59, 59, tzinfo=UTC), "2027-07-01"),  # 23:59:59 CEST
        (datetime(2027, 7, 1, 22, 0, tzinfo=UTC), "2027-07-02"),
        (datetime(2027, 7, 2, 3, 0, tzinfo=timezone(timedelta(hours=5))), "2027-07-02"),
        (datetime(2027, 7, 2, 1, 0, tzinfo=timezone(timedelta(hours=5))), "2027-07-01"),
    ],
)
def test_local_date_around_midnight(instant: datetime, expected: str) -> None:
    assert local_date(instant, "Europe/Budapest") == d(expected)


def test_local_date_of_the_day_boundaries() -> None:
    for day in (d("2027-03-28"), d("2027-10-31"), d("2027-01-10")):
        end = end_of_day(day, "Europe/Budapest")
        assert local_date(start_of_day(day, "Europe/Budapest"), "Europe/Budapest") == day
        assert local_date(end - timedelta(microseconds=1), "Europe/Budapest") == day
        assert local_date(end, "Europe/Budapest") == day + timedelta(days=1)


def test_local_date_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        local_date(datetime(2027, 1, 10, 12), "Europe/Budapest")


def test_unknown_time_zone() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus"):
        end_of_day(d("2027-01-10"), "Mars/Olympus")
    with pytest.raises(pydantic.ValidationError, match="Mars/Olympus"):
        CountingRules(timezone="Mars/Olympus")


def test_datetimes_are_not_dates() -> None:
    with pytest.raises(TypeError, match="local_date"):
        compute_deadline(
            period_days=90,
            start=datetime(2027, 1, 10, 12, tzinfo=UTC),
            start_label="receipt",
            rules=DEFAULT,
        )
    with pytest.raises(TypeError):
        end_of_day(datetime(2027, 1, 10, 12, tzinfo=UTC), "Europe/Budapest")


@pytest.mark.parametrize(
    ("today", "overdue"),
    [("2027-10-06", 0), ("2027-10-07", 0), ("2027-10-08", 1), ("2027-11-06", 30)],
)
def test_days_overdue(today: str, overdue: int) -> None:
    assert days_overdue(BASE_270, d(today)) == overdue


# --------------------------------------------------------------------------- describe_period


def test_describe_period() -> None:
    assert describe_period(270, "receipt", DEFAULT) == (
        "within 270 days of receipt: the day of receipt is day 0, so the period ends on day "
        "270, at the end of that day (Europe/Budapest time)"
    )
    text = describe_period(
        90, "receipt", CountingRules(day_of_event_is_day_one=True, roll_forward_to_working_day=True)
    )
    assert "counts as day 1" in text and "next working day" in text and "HU" in text
