"""Every ClockError the statutory clock raises, with what it says, and its frozen models."""

from __future__ import annotations

import pydantic
import pytest

from tests.workflows.clock_examples import DEFAULT, ROLL, d, decision, ext, stop
from workflows.clock import (
    ClockError,
    CountingRules,
    Deadline,
    Stop,
    is_working_day,
)

# --------------------------------------------------------------------------- every ClockError


@pytest.mark.parametrize("period", [0, -1, -270])
def test_error_period_must_be_positive(period: int) -> None:
    with pytest.raises(ClockError, match=f"{period} days from receipt 2027-01-10"):
        decision(period_days=period)


def test_error_stop_before_start() -> None:
    with pytest.raises(ClockError, match="2027-01-09.*2027-01-10"):
        decision(stops=[stop("2027-01-09", "2027-01-20")])


def test_error_information_received_before_requested() -> None:
    with pytest.raises(ClockError, match="requested on 2027-03-13.*earlier, on 2027-03-01"):
        decision(stops=[stop("2027-03-13", "2027-03-01")])


def test_error_two_open_stops() -> None:
    with pytest.raises(ClockError, match="2027-03-01, 2027-05-01"):
        decision(stops=[stop("2027-05-01"), stop("2027-03-01")])


def test_error_open_stop_must_be_the_latest() -> None:
    with pytest.raises(ClockError, match="2027-03-01 is still open.*2027-05-01"):
        decision(stops=[stop("2027-05-01", "2027-05-10"), stop("2027-03-01")])


@pytest.mark.parametrize(
    ("second", "end"),
    [
        (stop("2027-03-05", "2027-03-20"), "received 2027-03-20"),  # starts inside the first
        (stop("2027-03-05", "2027-03-10"), "received 2027-03-10"),  # inside the first
        (stop("2027-03-01", "2027-03-05"), "received only on 2027-03-05"),  # same request date
        (stop("2027-03-12"), "still open"),  # an open one inside the first
    ],
)
def test_error_overlapping_stops(second: Stop, end: str) -> None:
    with pytest.raises(ClockError, match="overlap") as err:
        decision(stops=[stop("2027-03-01", "2027-03-13"), second])
    assert "2027-03-13" in str(err.value) and end in str(err.value)


def test_error_stop_after_deadline() -> None:
    with pytest.raises(ClockError, match="run out"):
        decision(stops=[stop("2027-10-08")])


def test_error_stop_in_roll_forward_gap() -> None:
    with pytest.raises(ClockError, match="only by roll-forward"):
        decision(period_days=314, rules=ROLL, stops=[stop("2027-11-21")])


@pytest.mark.parametrize("days", [0, -5])
def test_error_extension_must_add_days(days: int) -> None:
    with pytest.raises(ClockError, match=f"2027-09-01 adds {days}"):
        decision(extensions=[ext(days, "2027-09-01")])


def test_error_extension_before_start() -> None:
    with pytest.raises(ClockError, match="2027-01-09.*2027-01-10"):
        decision(extensions=[ext(30, "2027-01-09")])


def test_error_extension_after_deadline() -> None:
    with pytest.raises(ClockError, match="too late"):
        decision(extensions=[ext(30, "2027-10-08")])


def test_error_extension_after_stopped_clock_resumed_and_ran_out() -> None:
    # Stopped 10-01..10-05: in force 2027-10-11 afterwards; an extension on 10-12 is late.
    with pytest.raises(ClockError, match="2027-10-12.*2027-10-11"):
        decision(stops=[stop("2027-10-01", "2027-10-05")], extensions=[ext(30, "2027-10-12")])


def test_error_first_event_in_time_is_reported() -> None:
    with pytest.raises(ClockError, match="2027-10-08"):
        decision(stops=[stop("2027-12-01")], extensions=[ext(30, "2027-10-08")])


def test_error_unknown_holiday_calendar() -> None:
    rules = CountingRules(roll_forward_to_working_day=True, holiday_country="XX")
    with pytest.raises(ClockError, match="'XX'"):
        decision(rules=rules)
    with pytest.raises(ClockError, match="XX"):
        is_working_day(d("2027-01-11"), CountingRules(holiday_country="XX"))


def test_clock_error_is_a_value_error() -> None:
    assert issubclass(ClockError, ValueError)


# --------------------------------------------------------------------------- models


def test_models_are_frozen_and_strict_about_fields() -> None:
    with pytest.raises(pydantic.ValidationError):
        DEFAULT.timezone = "UTC"  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        CountingRules(roll_forward=True)  # type: ignore[call-arg]
    with pytest.raises(pydantic.ValidationError):
        stop("2027-03-01").received_on = d("2027-03-02")  # type: ignore[misc]


def test_models_round_trip_through_json() -> None:
    deadline = decision(
        stops=[stop("2027-03-01", "2027-03-13")], extensions=[ext(30, "2027-09-01")]
    )
    assert Deadline.model_validate_json(deadline.model_dump_json()) == deadline
    rules = CountingRules(timezone="UTC", day_of_event_is_day_one=True)
    assert CountingRules.model_validate_json(rules.model_dump_json()) == rules
