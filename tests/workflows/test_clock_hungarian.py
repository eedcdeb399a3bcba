"""The statutory clock's explanations in Hungarian: the same deadlines, words, dates and
suffixes as a Hungarian reader expects them.
"""

from __future__ import annotations

import pytest

from tests.workflows.clock_examples import DAY_ONE, DEFAULT, RECEIPT, ROLL, d, decision, ext, stop
from workflows.clock import (
    compute_deadline,
)

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
