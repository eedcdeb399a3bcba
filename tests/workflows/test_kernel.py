"""The case kernel's pure parts: deadline ledger rows recomputed as of any moment, the status in
words, periods and the reminder offsets that fall inside a period."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from workflows import clock
from workflows.aia.models import view_state_upgraded
from workflows.kernel.deadlines import as_of, build_view, next_deadline, refresh, status_text
from workflows.kernel.periods import Period
from workflows.kernel.words import days, explained
from workflows.models import CaseView, ClockRules, DeadlineStatus, OutgoingView, Procedure

TZ = "Europe/Budapest"
RULES = ClockRules(timezone=TZ)
ANSWER = Period("answer", 90, "receipt", "kézhezvétel", "CP Art 12(3)", "Answer", "Válasz")
MOMENT = Period(
    "moment", 90, "acknowledgement", "visszaigazolás", "CP Art 10(2)(b)", "May proceed",
    "Megkezdhető", reminders=False, lapses=False,
)  # fmt: skip


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def row(period: Period, d: clock.Deadline, day: date, met_on: date | None = None):  # type: ignore[no-untyped-def]
    return build_view(period, d, met_on=met_on, closed_on=None, now=at(day), timezone=TZ)


def deadline(period: Period, start: date, **kw: object) -> clock.Deadline:
    return clock.compute_deadline(
        period_days=period.days, start=start, start_label=period.counted_from, rules=RULES, **kw
    )  # type: ignore[arg-type]


def test_a_running_deadline_counts_its_remaining_days_as_of_the_moment_of_reading() -> None:
    d = deadline(ANSWER, date(2027, 1, 10))
    view = build_view(
        ANSWER, d, met_on=None, closed_on=None, now=at(date(2027, 1, 10)), timezone=TZ
    )
    assert view.status == DeadlineStatus.RUNNING and view.remaining_days == 90
    later = refresh(view, at(date(2027, 3, 1)), TZ)
    assert later.remaining_days == (date(2027, 4, 10) - date(2027, 3, 1)).days == 40
    assert view.remaining_days == 90  # the original is not changed


def test_a_deadline_read_after_its_last_day_is_missed_with_days_counted_from_today() -> None:
    d = deadline(ANSWER, date(2027, 1, 10))
    view = build_view(
        ANSWER, d, met_on=None, closed_on=None, now=at(date(2027, 1, 10)), timezone=TZ
    )
    # The last day ends at local midnight (23:00 UTC in winter, 22:00 in summer).
    assert refresh(view, datetime(2027, 4, 10, 21, 59, tzinfo=UTC), TZ).status == "running"
    missed = refresh(view, datetime(2027, 4, 10, 22, 0, tzinfo=UTC), TZ)
    assert missed.status == DeadlineStatus.MISSED and missed.days_overdue == 1
    assert refresh(view, at(date(2027, 5, 10)), TZ).days_overdue == 30


def test_a_moment_that_passes_is_reached_not_missed() -> None:
    d = deadline(MOMENT, date(2027, 1, 10))
    view = build_view(
        MOMENT, d, met_on=None, closed_on=None, now=at(date(2027, 1, 10)), timezone=TZ
    )
    reached = refresh(view, at(date(2027, 6, 1)), TZ)
    assert reached.status == DeadlineStatus.MET and reached.days_overdue == 0


def test_met_stopped_and_cancelled_deadlines_do_not_change_with_time() -> None:
    d = deadline(ANSWER, date(2027, 1, 10))
    met = build_view(
        ANSWER, d, met_on=date(2027, 2, 1), closed_on=None, now=at(date(2027, 2, 1)), timezone=TZ
    )  # noqa: E501
    assert refresh(met, at(date(2028, 1, 1)), TZ) == met
    stopped_clock = deadline(
        ANSWER, date(2027, 1, 10), stops=[clock.Stop(requested_on=date(2027, 2, 1))]
    )  # noqa: E501
    stopped = build_view(
        ANSWER, stopped_clock, met_on=None, closed_on=None, now=at(date(2027, 2, 1)), timezone=TZ
    )  # noqa: E501
    assert stopped.status == DeadlineStatus.STOPPED and stopped.remaining_days == 68
    assert refresh(stopped, at(date(2028, 1, 1)), TZ) == stopped


def test_status_text_says_one_day_not_one_days() -> None:
    d = deadline(ANSWER, date(2027, 1, 10))
    view = build_view(
        ANSWER, d, met_on=None, closed_on=None, now=at(date(2027, 4, 11)), timezone=TZ
    )
    assert view.days_overdue == 1
    assert "was due 2027-04-10, 1 day ago" in status_text("Open", [view], [])
    two = refresh(view, at(date(2027, 4, 12)), TZ)
    assert "was due 2027-04-10, 2 days ago" in status_text("Open", [two], [])
    stopped = deadline(ANSWER, date(2027, 1, 10), stops=[clock.Stop(requested_on=date(2027, 4, 9))])
    one_left = build_view(
        ANSWER, stopped, met_on=None, closed_on=None, now=at(date(2027, 4, 9)), timezone=TZ
    )  # noqa: E501
    assert "Answer clock stopped: 1 day remains" in status_text("Open", [one_left], [])
    assert days(1) == "1 day" and days(0) == "0 days" and days(2) == "2 days"


def test_status_text_names_pending_and_failed_messages() -> None:
    outgoing = [
        OutgoingView(
            key="k1", channel="email", recipient="a@x.example", purpose="decision", status="pending"
        ),  # noqa: E501
        OutgoingView(
            key="k2", channel="email", recipient="b@x.example", purpose="answer", status="failed"
        ),  # noqa: E501
    ]
    text = status_text("Decided", [], outgoing)
    assert (
        text == "Decided; 1 message(s) pending delivery; 1 message(s) FAILED: answer to b@x.example"
    )


def test_explanations_in_the_readers_language() -> None:
    d = deadline(ANSWER, date(2027, 1, 10))
    assert explained(d, "en") == "90 days from receipt 2027-01-10 = 2027-04-10"
    assert explained(d, "hu") == d.explanation_hu and "2027-04-10" in d.explanation_hu
    assert explained(None, "hu") is None


def test_as_of_recomputes_a_whole_view() -> None:
    d = deadline(ANSWER, date(2027, 1, 10))
    ledger_row = row(ANSWER, d, date(2027, 1, 10))
    view = CaseView[dict[str, object]](
        case_id="c", procedure=Procedure.REVIEW, title="t", received_on=date(2027, 1, 10),
        stage="open", today=date(2027, 1, 10), stage_text="Open", status_text="Open; next: …",
        next_deadline=next_deadline([ledger_row]), deadlines=[ledger_row], version=1, details={},
    )  # fmt: skip
    later = as_of(view, at(date(2027, 5, 1)))
    assert later.today == date(2027, 5, 1) and later.overdue and later.days_overdue == 21
    assert later.status_text == "Open; OVERDUE: answer was due 2027-04-10, 21 days ago"
    assert later.next_deadline is not None and later.next_deadline.status == "missed"
    assert view.today == date(2027, 1, 10)  # the view read is not changed


def test_a_register_state_written_before_the_kernel_reads_in_todays_shape() -> None:
    legacy = {
        "case_id": "aia-hu-old", "procedure": "aia", "stage": "decided", "closed": True,
        "notifier_reference": "OLD", "notifier_name": "N", "party_of_export": "NL",
        "party_of_import": "HU", "lmo_name": "Maize", "lmo_id": None,
        "received_on": "2027-01-10", "today": "2027-05-01", "missing_annex_i_items": [],
        "confidential_items": [], "clock_stopped": False, "overdue": False,
        "status_text": "Decided: import prohibited on 2027-05-01", "next_deadline": None,
        "deadlines": [], "acknowledged_on": "2027-01-20",
        "decision": {"result": "prohibition", "reasons": "r", "actor": "k"},
        "decided_on": "2027-05-01", "version": 9, "notification_fingerprint": "f" * 32,
        "information_requests": [], "extensions": [], "extension_dates": [],
    }  # fmt: skip
    from workflows.aia.models import AiaDetails

    view = CaseView[AiaDetails].model_validate(view_state_upgraded(legacy))
    assert view.details.decision is not None and view.details.decision.result == "prohibition"
    assert view.details.acknowledged_on == date(2027, 1, 20)
    assert view.stage_text == "Decided: import prohibited on 2027-05-01"
    assert view.title == "Maize"
    assert view_state_upgraded(view.model_dump(mode="json")) == view.model_dump(mode="json")


def test_reminders_fall_inside_the_period() -> None:
    from workflows.kernel.ledger import Entry, Ledger

    ledger = Ledger(RULES, [])
    short = Period("inform", 30, "change", "módosítás", "CP Art 12(1)", "Inform", "Tájékoztatás")
    d = deadline(short, date(2027, 1, 10))
    events = ledger.due_events([Entry(short, d)], at(date(2027, 1, 10)), closed=False)
    assert events == []  # no "30 days left" on the day a 30-day period starts
    wake, why = ledger.next_wake(
        [Entry(short, d)], at(date(2027, 1, 10)), daily_while_overdue=False
    )
    assert why == "reminder: inform due 2027-02-09"
    assert wake == clock.start_of_day(date(2027, 1, 26), TZ)  # 14 days before
    assert timedelta(0) < wake - at(date(2027, 1, 10))


def test_the_ledger_computes_what_the_clock_computes_and_keeps_it() -> None:
    """Ledger.compute holds the clock's frozen deadlines for the next asking; a different stop
    or extension is a different deadline (CP Art 10(3)(c)-(d))."""
    from workflows.kernel.ledger import Ledger

    ledger = Ledger(RULES, [])
    decide = Period("decision", 270, "receipt", "kézhezvétel", "CP Art 10(3)", "Decide", "Dönt")
    start = date(2027, 1, 10)
    stop = clock.Stop(requested_on=date(2027, 2, 1), received_on=date(2027, 2, 11))
    extension = clock.Extension(days=30, notified_on=date(2027, 3, 1), reasons="more data")

    for stops, extensions in [((), ()), ([stop], ()), ([stop], [extension])]:
        direct = clock.compute_deadline(
            period_days=270, start=start, start_label="receipt", start_label_hu="kézhezvétel",
            rules=RULES, stops=list(stops), extensions=list(extensions),
        )  # fmt: skip
        first = ledger.compute(decide, start, stops, extensions)
        assert first == direct
        assert ledger.compute(decide, start, list(stops), list(extensions)) is first
    plain = ledger.compute(decide, start)
    assert ledger.compute(decide, start, [stop]).due == plain.due + timedelta(days=10)
    assert ledger.compute(decide, start, [stop], [extension]).due == plain.due + timedelta(days=40)
