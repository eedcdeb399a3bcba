"""Worked examples for the statutory clock (workflows/clock/): the DESIGN example, the
counting rules, stops (CP Art 10(3)(c)), extensions (Art 10(3)(d)) and the day-one rule.

Dates are chosen so that every figure can be checked by hand (tests/workflows/clock_examples.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.workflows.clock_examples import (
    BASE_270,
    DAY_ONE,
    DEFAULT,
    RECEIPT,
    d,
    decision,
    ext,
    stop,
)
from workflows.clock import (
    ClockError,
    Deadline,
    compute_deadline,
    end_of_day,
)

# --------------------------------------------------------------------------- DESIGN example


def test_design_example() -> None:
    deadline = decision(
        stops=[stop("2027-03-01", "2027-03-13")], extensions=[ext(30, "2027-09-01")]
    )
    assert deadline == Deadline(
        period_days=270,
        start=RECEIPT,
        start_label="receipt",
        base_due=BASE_270,
        stopped_days=12,
        extension_days=30,
        due=d("2027-11-18"),
        rolled_forward_from=None,
        stopped_since=None,
        remaining_days=None,
        explanation=(
            "270 days from receipt 2027-01-10, +12 days waiting for information requested "
            "2027-03-01 and received 2027-03-13, +30 days extension notified 2027-09-01 "
            "= 2027-11-18"
        ),
        explanation_hu=(
            "270 nap a kézhezvétel napjától (2027-01-10) számítva, +12 nap várakozás a "
            "2027-03-01-jén kért és 2027-03-13-án beérkezett információra, +30 nap a "
            "2027-09-01-jén közölt hosszabbítás alapján = 2027-11-18"
        ),
    )
    # The deadline passes at the end of 2027-11-18 in Budapest (CET, UTC+1).
    assert end_of_day(d("2027-11-18"), DEFAULT.timezone) == datetime(2027, 11, 18, 23, tzinfo=UTC)


def test_defaults_of_counting_rules() -> None:
    assert DEFAULT.timezone == "Europe/Budapest"
    assert DEFAULT.day_of_event_is_day_one is False
    assert DEFAULT.roll_forward_to_working_day is False
    assert DEFAULT.holiday_country == "HU"


def test_art_9_acknowledgement_within_90_days() -> None:
    deadline = compute_deadline(period_days=90, start=RECEIPT, start_label="receipt", rules=DEFAULT)
    assert deadline.due == d("2027-04-10")
    assert deadline.base_due == d("2027-04-10")
    assert (deadline.stopped_days, deadline.extension_days) == (0, 0)
    assert deadline.explanation == "90 days from receipt 2027-01-10 = 2027-04-10"
    # Summer time by then: the acknowledgement is due before 2027-04-10T22:00Z.
    assert end_of_day(d("2027-04-10"), DEFAULT.timezone) == datetime(2027, 4, 10, 22, tzinfo=UTC)


def test_art_10_decision_without_events() -> None:
    deadline = decision()
    assert deadline.due == BASE_270
    assert deadline.explanation == "270 days from receipt 2027-01-10 = 2027-10-07"


def test_period_across_a_leap_day() -> None:
    deadline = compute_deadline(
        period_days=90, start=d("2028-01-10"), start_label="receipt", rules=DEFAULT
    )
    assert deadline.due == d("2028-04-09")


def test_singular_wording_for_one_day() -> None:
    deadline = compute_deadline(
        period_days=1,
        start=RECEIPT,
        start_label="receipt",
        rules=DEFAULT,
        stops=[stop("2027-01-10", "2027-01-11")],
        extensions=[ext(1, "2027-01-12")],
    )
    assert deadline.due == d("2027-01-13")
    assert deadline.explanation == (
        "1 day from receipt 2027-01-10, +1 day waiting for information requested 2027-01-10 "
        "and received 2027-01-11, +1 day extension notified 2027-01-12 = 2027-01-13"
    )
    stopped = compute_deadline(
        period_days=2,
        start=RECEIPT,
        start_label="receipt",
        rules=DEFAULT,
        stops=[stop("2027-01-11")],
    )
    assert stopped.explanation.endswith(": 1 day remains")


def test_custom_start_label() -> None:
    deadline = compute_deadline(
        period_days=15, start=d("2027-05-03"), start_label="final decision", rules=DAY_ONE
    )
    assert deadline.explanation == (
        "15 days from final decision 2027-05-03 (day of final decision counted as day 1) "
        "= 2027-05-17"
    )


# --------------------------------------------------------------------------- stops, Art 10(3)(c)


def test_open_stop_has_no_due_date_only_remaining_days() -> None:
    deadline = decision(stops=[stop("2027-03-01")])
    assert deadline.due is None
    assert deadline.rolled_forward_from is None
    assert deadline.stopped_since == d("2027-03-01")
    assert deadline.remaining_days == 220  # 2027-10-07 - 2027-03-01
    assert deadline.stopped_days == 0
    assert deadline.explanation == (
        "270 days from receipt 2027-01-10; clock stopped since 2027-03-01 "
        "waiting for requested information: 220 days remain"
    )


def test_open_stop_after_closed_stop_and_extension() -> None:
    deadline = decision(
        stops=[stop("2027-03-01", "2027-03-13"), stop("2027-10-04")],
        extensions=[ext(30, "2027-09-01")],
    )
    # In force before the open stop: 2027-10-07 + 12 + 30 = 2027-11-18.
    assert deadline.remaining_days == 45  # 2027-11-18 - 2027-10-04
    assert deadline.explanation == (
        "270 days from receipt 2027-01-10, +12 days waiting for information requested "
        "2027-03-01 and received 2027-03-13, +30 days extension notified 2027-09-01; "
        "clock stopped since 2027-10-04 waiting for requested information: 45 days remain"
    )


def test_stop_on_the_very_last_day() -> None:
    open_ = decision(stops=[stop("2027-10-07")])
    assert open_.remaining_days == 0
    assert open_.explanation.endswith(
        "clock stopped since 2027-10-07 waiting for requested information: 0 days remain"
    )
    closed = decision(stops=[stop("2027-10-07", "2027-10-20")])
    assert closed.due == d("2027-10-20")  # resumed with no day left: due the day it resumes
    assert closed.stopped_days == 13


def test_stop_the_day_after_the_last_day_is_refused() -> None:
    with pytest.raises(ClockError) as err:
        decision(stops=[stop("2027-10-08", "2027-10-20")])
    message = str(err.value)
    assert "2027-10-08" in message and "2027-10-07" in message
    assert "270 days from receipt 2027-01-10 = 2027-10-07" in message


def test_stop_on_the_day_of_receipt() -> None:
    deadline = decision(stops=[stop("2027-01-10", "2027-01-20")])
    assert deadline.due == BASE_270 + timedelta(days=10)


def test_two_stops() -> None:
    deadline = decision(stops=[stop("2027-05-02", "2027-06-01"), stop("2027-03-01", "2027-03-13")])
    assert deadline.stopped_days == 42
    assert deadline.due == d("2027-11-18")
    assert deadline.explanation == (
        "270 days from receipt 2027-01-10, +12 days waiting for information requested "
        "2027-03-01 and received 2027-03-13, +30 days waiting for information requested "
        "2027-05-02 and received 2027-06-01 = 2027-11-18"
    )


def test_second_stop_judged_against_deadline_extended_by_the_first() -> None:
    # Without the first stop the clock would have run out on 2027-10-07; with it, 2027-10-19.
    deadline = decision(stops=[stop("2027-03-01", "2027-03-13"), stop("2027-10-19", "2027-10-29")])
    assert deadline.due == d("2027-10-29")
    with pytest.raises(ClockError, match="2027-10-20.*2027-10-19"):
        decision(stops=[stop("2027-03-01", "2027-03-13"), stop("2027-10-20", "2027-10-29")])


def test_stops_that_touch_are_allowed() -> None:
    # Information arrives on 03-13, is found insufficient and requested again the same day.
    deadline = decision(stops=[stop("2027-03-13", "2027-03-20"), stop("2027-03-01", "2027-03-13")])
    assert deadline.stopped_days == 19
    assert deadline.due == BASE_270 + timedelta(days=19)


def test_stop_answered_on_the_same_day_counts_zero_days() -> None:
    deadline = decision(stops=[stop("2027-03-01", "2027-03-01")])
    assert deadline.due == BASE_270
    assert deadline.explanation == (
        "270 days from receipt 2027-01-10, +0 days waiting for information requested "
        "2027-03-01 and received 2027-03-01 = 2027-10-07"
    )


def test_zero_day_stop_then_open_stop_on_the_same_day() -> None:
    deadline = decision(stops=[stop("2027-03-01"), stop("2027-03-01", "2027-03-01")])
    assert deadline.stopped_since == d("2027-03-01")
    assert deadline.remaining_days == 220


# --------------------------------------------------------------------------- extensions, 10(3)(d)


def test_extension_notified_on_the_last_day_is_allowed() -> None:
    deadline = decision(extensions=[ext(30, "2027-10-07")])
    assert deadline.due == d("2027-11-06")
    assert deadline.extension_days == 30


def test_extension_notified_one_day_late_is_refused() -> None:
    with pytest.raises(ClockError) as err:
        decision(extensions=[ext(30, "2027-10-08")])
    message = str(err.value)
    assert "2027-10-08" in message and "2027-10-07" in message
    assert "Art 10(3)(d)" in message


def test_extension_judged_against_the_deadline_then_in_force() -> None:
    stops = [stop("2027-03-01", "2027-03-13")]  # in force from 2027-03-13: 2027-10-19
    assert decision(stops=stops, extensions=[ext(10, "2027-10-19")]).due == d("2027-10-29")
    with pytest.raises(ClockError) as err:
        decision(stops=stops, extensions=[ext(10, "2027-10-20")])
    assert (
        "270 days from receipt 2027-01-10, +12 days waiting for information requested "
        "2027-03-01 and received 2027-03-13 = 2027-10-19"
    ) in str(err.value)


def test_second_extension_judged_against_the_first() -> None:
    deadline = decision(extensions=[ext(20, "2027-10-27"), ext(20, "2027-10-01")])
    assert deadline.due == d("2027-11-16")
    assert deadline.explanation == (
        "270 days from receipt 2027-01-10, +20 days extension notified 2027-10-01, "
        "+20 days extension notified 2027-10-27 = 2027-11-16"
    )
    with pytest.raises(ClockError, match="2027-10-28"):
        decision(extensions=[ext(20, "2027-10-28"), ext(20, "2027-10-01")])


def test_extension_while_stopped_is_allowed_even_past_the_old_date() -> None:
    stops = [stop("2027-10-01")]
    extensions = [ext(30, "2027-12-01")]  # the clock cannot run out while it is stopped
    open_ = decision(stops=stops, extensions=extensions)
    assert open_.remaining_days == 36  # 2027-10-07 + 30 - 2027-10-01
    assert open_.extension_days == 30
    assert open_.explanation == (
        "270 days from receipt 2027-01-10, +30 days extension notified 2027-12-01; "
        "clock stopped since 2027-10-01 waiting for requested information: 36 days remain"
    )
    closed = decision(stops=[stop("2027-10-01", "2027-12-15")], extensions=extensions)
    assert closed.due == d("2027-12-15") + timedelta(days=36)


def test_extension_on_the_day_information_arrives() -> None:
    deadline = decision(stops=[stop("2027-10-01", "2027-12-01")], extensions=[ext(5, "2027-12-01")])
    assert deadline.due == BASE_270 + timedelta(days=61 + 5)


def test_extension_and_request_on_the_same_day_explained_extension_first() -> None:
    deadline = decision(stops=[stop("2027-10-07", "2027-10-17")], extensions=[ext(5, "2027-10-07")])
    assert deadline.due == d("2027-10-22")
    assert deadline.explanation == (
        "270 days from receipt 2027-01-10, +5 days extension notified 2027-10-07, "
        "+10 days waiting for information requested 2027-10-07 and received 2027-10-17 "
        "= 2027-10-22"
    )


def test_input_order_does_not_matter() -> None:
    stops = [stop("2027-03-01", "2027-03-13"), stop("2027-05-02", "2027-06-01"), stop("2027-11-01")]
    extensions = [ext(30, "2027-09-01"), ext(10, "2027-04-01"), ext(3, "2027-04-01", "a")]
    forward = decision(stops=stops, extensions=extensions)
    backward = decision(stops=stops[::-1], extensions=extensions[::-1])
    assert forward == backward


# --------------------------------------------------------------------------- day-one rule


def test_day_one_rule_ends_one_day_earlier() -> None:
    deadline = decision(
        stops=[stop("2027-03-01", "2027-03-13")], extensions=[ext(30, "2027-09-01")], rules=DAY_ONE
    )
    assert deadline.base_due == d("2027-10-06")
    assert deadline.due == d("2027-11-17")
    assert deadline.explanation == (
        "270 days from receipt 2027-01-10 (day of receipt counted as day 1), +12 days waiting "
        "for information requested 2027-03-01 and received 2027-03-13, +30 days extension "
        "notified 2027-09-01 = 2027-11-17"
    )


def test_day_one_rule_acknowledgement() -> None:
    deadline = compute_deadline(period_days=90, start=RECEIPT, start_label="receipt", rules=DAY_ONE)
    assert deadline.due == d("2027-04-09")


def test_day_one_rule_one_day_period_ends_on_the_day_itself() -> None:
    deadline = compute_deadline(period_days=1, start=RECEIPT, start_label="receipt", rules=DAY_ONE)
    assert deadline.due == RECEIPT


def test_day_one_rule_refuses_an_extension_on_the_day_zero_deadline() -> None:
    with pytest.raises(ClockError, match="2027-10-07.*2027-10-06"):
        decision(extensions=[ext(30, "2027-10-07")], rules=DAY_ONE)
