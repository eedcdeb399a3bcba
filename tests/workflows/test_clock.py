"""Worked examples for the statutory clock (workflows/clock/).

Dates are chosen so that every figure can be checked by hand: 270 days from 2027-01-10 is
2027-10-07 and 90 days from 2027-01-10 is 2027-04-10.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pydantic
import pytest

from workflows.clock import (
    ClockError,
    CountingRules,
    Deadline,
    Extension,
    Stop,
    compute_deadline,
    days_overdue,
    describe_period,
    end_of_day,
    is_working_day,
    local_date,
    start_of_day,
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


# --------------------------------------------------------------------------- in Hungarian


def test_hungarian_explanation_without_events() -> None:
    deadline = compute_deadline(period_days=90, start=RECEIPT, start_label="receipt", rules=DEFAULT)
    assert (
        deadline.explanation_hu
        == "90 nap a kézhezvétel napjától (2027-01-10) számítva = 2027-04-10"
    )


def test_hungarian_explanation_of_a_stopped_clock() -> None:
    open_ = decision(
        stops=[stop("2027-03-01", "2027-03-13"), stop("2027-10-04")],
        extensions=[ext(30, "2027-09-01")],
    )
    assert open_.explanation_hu == (
        "270 nap a kézhezvétel napjától (2027-01-10) számítva, +12 nap várakozás a "
        "2027-03-01-jén kért és 2027-03-13-án beérkezett információra, +30 nap a 2027-09-01-jén "
        "közölt hosszabbítás alapján; a határidő folyása a 2027-10-04-én kért információ "
        "beérkezéséig szünetel: 45 nap van hátra"
    )
    assert decision(stops=[stop("2027-03-01")]).explanation_hu == (
        "270 nap a kézhezvétel napjától (2027-01-10) számítva; a határidő folyása a "
        "2027-03-01-jén kért információ beérkezéséig szünetel: 220 nap van hátra"
    )


def test_hungarian_keeps_the_noun_singular_after_a_numeral() -> None:
    deadline = compute_deadline(
        period_days=1,
        start=RECEIPT,
        start_label="receipt",
        rules=DEFAULT,
        stops=[stop("2027-01-10", "2027-01-11")],
        extensions=[ext(1, "2027-01-12")],
    )
    assert deadline.explanation_hu == (
        "1 nap a kézhezvétel napjától (2027-01-10) számítva, +1 nap várakozás a 2027-01-10-én "
        "kért és 2027-01-11-én beérkezett információra, +1 nap a 2027-01-12-én közölt "
        "hosszabbítás alapján = 2027-01-13"
    )
    stopped = compute_deadline(
        period_days=2,
        start=RECEIPT,
        start_label="receipt",
        rules=DEFAULT,
        stops=[stop("2027-01-11")],
    )
    assert stopped.explanation_hu.endswith(": 1 nap van hátra")


def test_hungarian_day_one_rule() -> None:
    deadline = decision(
        stops=[stop("2027-03-01", "2027-03-13")], extensions=[ext(30, "2027-09-01")], rules=DAY_ONE
    )
    assert deadline.explanation_hu == (
        "270 nap a kézhezvétel napjától (2027-01-10) számítva (a kézhezvétel napja az 1. nap), "
        "+12 nap várakozás a 2027-03-01-jén kért és 2027-03-13-án beérkezett információra, "
        "+30 nap a 2027-09-01-jén közölt hosszabbítás alapján = 2027-11-17"
    )


def test_hungarian_roll_forward_over_a_weekend_and_a_holiday() -> None:
    weekend = decision(
        period_days=272,
        rules=ROLL,
        stops=[stop("2027-03-01", "2027-03-13")],
        extensions=[ext(30, "2027-09-01")],
    )
    assert weekend.explanation_hu == (
        "272 nap a kézhezvétel napjától (2027-01-10) számítva, +12 nap várakozás a "
        "2027-03-01-jén kért és 2027-03-13-án beérkezett információra, +30 nap a "
        "2027-09-01-jén közölt hosszabbítás alapján = 2027-11-20 (szombat, nem munkanap), "
        "ezért a következő munkanapra tolódik: 2027-11-22"
    )
    holiday = compute_deadline(period_days=64, start=RECEIPT, start_label="receipt", rules=ROLL)
    assert holiday.explanation_hu == (
        "64 nap a kézhezvétel napjától (2027-01-10) számítva = 2027-03-15 (hétfő, munkaszüneti "
        "nap: Nemzeti ünnep), ezért a következő munkanapra tolódik: 2027-03-16"
    )
    christmas = compute_deadline(
        period_days=14, start=d("2027-12-10"), start_label="receipt", rules=ROLL
    )
    assert "= 2027-12-24 (péntek, munkaszüneti nap: Szenteste), ezért" in christmas.explanation_hu


@pytest.mark.parametrize(
    ("label", "label_hu", "expected"),
    [
        ("receipt", None, "90 nap a kézhezvétel napjától (2027-01-10)"),
        ("acknowledgement", None, "90 nap a visszaigazolás napjától (2027-01-10)"),
        ("the decision change", None, "90 nap a döntés módosítása napjától (2027-01-10)"),
        (
            "the request for review",
            None,
            "90 nap a felülvizsgálati kérelem kézhezvétele napjától (2027-01-10)",
        ),
        ("receipt", "kérelem beérkezése", "90 nap a kérelem beérkezése napjától (2027-01-10)"),
        ("receipt", "értesítés", "90 nap az értesítés napjától (2027-01-10)"),
        ("receipt", "a végleges döntés", "90 nap a végleges döntés napjától (2027-01-10)"),
        ("final decision", None, "90 nap a final decision napjától (2027-01-10)"),  # fallback
    ],
)
def test_hungarian_start_labels(label: str, label_hu: str | None, expected: str) -> None:
    deadline = compute_deadline(
        period_days=90, start=RECEIPT, start_label=label, rules=DEFAULT, start_label_hu=label_hu
    )
    assert deadline.explanation_hu == f"{expected} számítva = 2027-04-10"
    assert deadline.explanation == f"90 days from {label} 2027-01-10 = 2027-04-10"


@pytest.mark.parametrize(
    ("day", "on_day"),
    [
        (1, "a 2027-01-01-jén"),
        (2, "a 2027-01-02-án"),
        (3, "a 2027-01-03-án"),
        (4, "a 2027-01-04-én"),
        (5, "a 2027-01-05-én"),
        (6, "a 2027-01-06-án"),
        (7, "a 2027-01-07-én"),
        (8, "a 2027-01-08-án"),
        (9, "a 2027-01-09-én"),
        (10, "a 2027-01-10-én"),
        (11, "a 2027-01-11-én"),
        (12, "a 2027-01-12-én"),
        (13, "a 2027-01-13-án"),
        (16, "a 2027-01-16-án"),
        (20, "a 2027-01-20-án"),
        (21, "a 2027-01-21-én"),
        (22, "a 2027-01-22-én"),
        (23, "a 2027-01-23-án"),
        (28, "a 2027-01-28-án"),
        (30, "a 2027-01-30-án"),
        (31, "a 2027-01-31-én"),
    ],
)
def test_hungarian_dates_take_the_suffix_of_their_day(day: int, on_day: str) -> None:
    deadline = compute_deadline(
        period_days=60,
        start=d("2027-01-01"),
        start_label="receipt",
        rules=DEFAULT,
        extensions=[ext(5, f"2027-01-{day:02d}")],
    )
    assert f"+5 nap {on_day} közölt hosszabbítás alapján = 2027-03-07" in deadline.explanation_hu


def test_hungarian_article_before_a_year_read_with_a_vowel() -> None:
    # 1999 is read "ezerkilencszáz...", so the article is "az".
    deadline = compute_deadline(
        period_days=30,
        start=d("1999-03-01"),
        start_label="receipt",
        rules=DEFAULT,
        stops=[stop("1999-03-02")],
    )
    assert "a határidő folyása az 1999-03-02-án kért információ" in deadline.explanation_hu


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
