"""A case's timeline picture (``GET /v1/cases/{id}/timeline.svg``): its steps, clock stops,
deadlines and BCH publications on one time axis, with "today", so that a person sees at a glance
where the case's clock stands.

Drawn as plain SVG from a Jinja2 template (api/templates/timeline.svg.j2). Jinja2 is already the
project's template engine (the letters, activities/templates/) and is maintained by the Pallets
project; the picture is a few dozen lines, rectangles and texts, for which an SVG library would add
a dependency and hide the markup the tests parse. The geometry is computed here, in plain Python,
and the template only writes it out (autoescaped: case texts are the notifier's words).

Every deadline is labelled in English and Hungarian, with its article and its explanation (the
statutory clock's words, CP Arts 9(1), 10(3), 11, 12 ...) in the element's tooltip.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

import jinja2

from workflows.bch_publication import PublicationState, PublicationView
from workflows.models import CaseView, DeadlineStatus, DeadlineView, Step

MEDIA_TYPE = "image/svg+xml"

WIDTH = 1100
LEFT = 30
RIGHT = 30
PLOT = WIDTH - LEFT - RIGHT
HEADER = 78  # title, status line
AXIS_GAP = 34  # from the top of the plot to the event axis
LANE = 46  # one deadline's row
LEGEND_LINE = 17
SUMMARY_CHARS = 100  # the rest is in the step's tooltip


@dataclass(frozen=True)
class Kind:
    """What a history step is on the picture."""

    name: str  # CSS class
    label: str
    label_hu: str


RECEIPT = Kind("receipt", "Received", "Beérkezés")
ACKNOWLEDGEMENT = Kind("acknowledgement", "Acknowledged", "Visszaigazolás")
STOP = Kind("stop", "Clock stopped", "Óra megállítva")
RESTART = Kind("restart", "Clock runs again", "Óra újraindul")
EXTENSION = Kind("extension", "Extended", "Hosszabbítás")
REMINDER = Kind("reminder", "Reminder", "Emlékeztető")
LAPSE = Kind("lapse", "Deadline missed", "Határidő elmulasztva")
DECISION = Kind("decision", "Decision", "Határozat")
BCH = Kind("bch", "BCH record", "BCH-rekord")
PUBLISHED = Kind("published", "Published on the BCH", "Közzétéve a BCH-n")
CLOSED = Kind("closed", "Closed", "Lezárva")
REQUEST = Kind("request", "Information requested", "Információkérés")
STEP = Kind("step", "Step", "Lépés")

# History step kinds (workflows/*/workflow.py, workflows/kernel/) and how they are drawn.
KINDS: dict[str, Kind] = {
    "notification_received": RECEIPT,
    "application_received": RECEIPT,
    "review_requested": RECEIPT,
    "review_opened": RECEIPT,
    "instrument_deposited": RECEIPT,
    "acknowledged": ACKNOWLEDGEMENT,
    "information_requested": STOP,
    "information_received": RESTART,
    "extended": EXTENSION,
    "reminder": REMINDER,
    "deadline_missed": LAPSE,
    "decided": DECISION,
    "decision_changed": DECISION,
    "answered": DECISION,
    "may_proceed_without_consent": DECISION,
    "bch_record_queued": BCH,
    "withdrawn": CLOSED,
    "closed": CLOSED,
}

STATUS_WORDS: dict[DeadlineStatus, tuple[str, str]] = {
    DeadlineStatus.RUNNING: ("running", "fut"),
    DeadlineStatus.STOPPED: ("clock stopped", "az óra áll"),
    DeadlineStatus.MET: ("met", "teljesítve"),
    DeadlineStatus.MISSED: ("MISSED", "ELMULASZTVA"),
    DeadlineStatus.MET_LATE: ("met late", "késve teljesítve"),
    DeadlineStatus.CANCELLED: ("cancelled", "megszűnt"),
}


@dataclass(frozen=True)
class Mark:
    """One event on the axis, numbered for the legend below the plot."""

    number: int
    on: date
    kind: Kind
    summary: str  # shortened for the legend
    full: str
    x: float
    row: int  # the marks of one day stack up


@dataclass(frozen=True)
class Band:
    """A stretch the clock stood still (Art 10(3)(c)): from the request to the information."""

    start: date
    end: date | None  # None: still stopped
    x: float
    width: float
    text: str


@dataclass(frozen=True)
class Lane:
    """One deadline of the ledger: a bar from its start to its last day."""

    deadline: DeadlineView
    y: float
    x_start: float
    x_end: float  # the last day, or today while the clock stands
    x_due: float | None
    x_met: float | None  # the day it was met
    caption: str
    caption_hu: str
    status: str  # CSS class: the deadline's status

    @property
    def tooltip(self) -> str:
        d = self.deadline
        hu = d.explanation_hu or d.explanation
        return f"{d.label} ({d.article}): {d.explanation}\n{d.label_hu or d.label}: {hu}"


@dataclass(frozen=True)
class Tick:
    x: float
    text: str


@dataclass(frozen=True)
class Timeline:
    case_id: str
    title: str
    status_text: str
    today: date
    x_today: float
    height: float
    axis_y: float
    plot_top: float
    plot_bottom: float
    legend_top: float
    ticks: list[Tick]
    marks: list[Mark]
    bands: list[Band]
    lanes: list[Lane]

    @property
    def width(self) -> int:
        return WIDTH


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _caption(d: DeadlineView) -> tuple[str, str]:
    """The deadline in words on its lane: what, which article, when, and how much is left."""
    head = f"{d.label} ({d.article})"
    head_hu = f"{d.label_hu or d.label} ({d.article})"
    if d.status == DeadlineStatus.STOPPED:
        left = d.remaining_days or 0
        return (
            f"{head}: clock stopped, {_days(left)} remain",
            f"{head_hu}: az óra áll, {left} nap van hátra",
        )
    if d.status == DeadlineStatus.RUNNING:
        left = d.remaining_days if d.remaining_days is not None else 0
        return (
            f"{head}: due {d.due}, {_days(left)} left",
            f"{head_hu}: határidő {d.due}, {left} nap van hátra",
        )
    if d.status == DeadlineStatus.MISSED:
        return (
            f"{head}: due {d.due}, OVERDUE by {_days(d.days_overdue)}",
            f"{head_hu}: határidő {d.due}, {d.days_overdue} napja lejárt",
        )
    if d.status in (DeadlineStatus.MET, DeadlineStatus.MET_LATE):
        when = f" on {d.met_on}" if d.met_on else ""
        when_hu = f" {d.met_on}" if d.met_on else ""
        en, hu = STATUS_WORDS[d.status]
        return (
            f"{head}: due {d.due}, {en}{when}",
            f"{head_hu}: határidő {d.due}, {hu}{when_hu}",
        )
    en, hu = STATUS_WORDS[d.status]
    return f"{head}: {en}", f"{head_hu}: {hu}"


def _kind(step: Step) -> Kind:
    # Only a request that stops a clock (AIA, Art 10(3)(c), marked "counted") is a stop; another
    # Party's request for information (FFP, Art 11(3)) is a step to answer.
    if step.kind == "information_requested" and step.data.get("counted") is not True:
        return REQUEST
    return KINDS.get(step.kind, STEP)


def _stops(case: CaseView[Any]) -> list[tuple[date, date | None]]:
    """The clock's stops from the history: each request, and the information's receipt."""
    stops: list[tuple[date, date | None]] = []
    for step in case.history:
        if _kind(step) is STOP:
            stops.append((step.on, None))
        elif step.kind == "information_received" and stops and stops[-1][1] is None:
            said = step.data.get("received_on")
            received = date.fromisoformat(said) if isinstance(said, str) else step.on
            stops[-1] = (stops[-1][0], received)
    return stops


def _published(publications: list[PublicationView]) -> list[tuple[date, str]]:
    out = []
    for p in publications:
        for step in p.history:
            if step.state == PublicationState.PUBLISHED:
                out.append((step.at.date(), f"{p.purpose} record published on the BCH"))
    return out


def _ticks(lo: date, hi: date, x: Any) -> list[Tick]:
    """Month starts (every 1, 2, 3, 6 or 12 months: at most a dozen), or weeks for a short
    span."""
    span = (hi - lo).days
    if span <= 75:
        first = lo + timedelta(days=(7 - lo.weekday()) % 7)
        return [
            Tick(x(first + timedelta(days=7 * i)), str(first + timedelta(days=7 * i)))
            for i in range(span // 7 + 1)
            if first + timedelta(days=7 * i) <= hi
        ]
    months = span / 30.4
    step = next(s for s in (1, 2, 3, 6, 12, 24, 60) if months / s <= 12)
    year, month = lo.year, lo.month
    ticks: list[Tick] = []
    while True:
        month += 1
        if month > 12:
            year, month = year + 1, 1
        if (month - 1) % step:
            continue
        day = date(year, month, 1)
        if day > hi:
            return ticks
        ticks.append(Tick(x(day), day.strftime("%Y-%m")))


def build(case: CaseView[Any], publications: list[PublicationView] | None = None) -> Timeline:
    """The picture's geometry for ``case`` as of its ``today`` (call it on a view the API has
    brought up to the moment of reading)."""
    publications = publications or []
    today = case.today
    stops = _stops(case)
    published = _published(publications)
    days = [today, case.received_on]
    days += [s.on for s in case.history]
    days += [d.start for d in case.deadlines]
    days += [d.due for d in case.deadlines if d.due is not None]
    days += [on for on, _ in published]
    lo, hi = min(days), max(days)
    pad = max(7, (hi - lo).days // 20)
    lo, hi = lo - timedelta(days=pad), hi + timedelta(days=pad)
    span = (hi - lo).days

    def x(day: date) -> float:
        return round(LEFT + PLOT * (day - lo).days / span, 1)

    events: list[tuple[date, Kind, str]] = [(s.on, _kind(s), s.summary) for s in case.history]
    events += [(on, PUBLISHED, text) for on, text in published]
    events.sort(key=lambda e: e[0])
    per_day: dict[date, int] = {}
    marks = []
    for number, (on, kind, summary) in enumerate(events, start=1):
        row = per_day.get(on, 0)
        per_day[on] = row + 1
        short = summary if len(summary) <= SUMMARY_CHARS else summary[: SUMMARY_CHARS - 1] + "…"
        marks.append(Mark(number, on, kind, short, summary, x(on), row))
    stack = max(per_day.values(), default=1)

    plot_top = HEADER
    axis_y = plot_top + AXIS_GAP
    first_lane = axis_y + 14 * stack + 30
    lanes = []
    for i, d in enumerate(case.deadlines):
        last = d.due if d.due is not None else today
        en, hu = _caption(d)
        lanes.append(
            Lane(
                deadline=d,
                y=first_lane + i * LANE,
                x_start=x(d.start),
                x_end=max(x(last), x(d.start) + 2),
                x_due=x(d.due) if d.due is not None else None,
                x_met=x(d.met_on) if d.met_on is not None else None,
                caption=en,
                caption_hu=hu,
                status=d.status.value,
            )
        )
    plot_bottom = first_lane + len(lanes) * LANE
    bands = []
    for start, end in stops:
        stop_end = end or today
        text = (
            f"clock stopped {start} – {end} ({_days((end - start).days)} not counted)"
            if end is not None
            else f"clock stopped since {start}"
        )
        bands.append(Band(start, end, x(start), max(2.0, x(stop_end) - x(start)), text))
    legend_top = plot_bottom + 40
    return Timeline(
        case_id=case.case_id,
        title=case.title,
        status_text=case.status_text,
        today=today,
        x_today=x(today),
        height=legend_top + LEGEND_LINE * (len(marks) + 1) + 20,
        axis_y=axis_y,
        plot_top=plot_top,
        plot_bottom=plot_bottom,
        legend_top=legend_top,
        ticks=_ticks(lo, hi, x),
        marks=marks,
        bands=bands,
        lanes=lanes,
    )


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("api", "templates"),
        autoescape=True,  # an .svg.j2 name is not in select_autoescape's list: XML all the same
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("timeline.svg.j2")


def render(timeline: Timeline) -> str:
    return _template().render(t=timeline, left=LEFT)


def svg(case: CaseView[Any], publications: list[PublicationView] | None = None) -> str:
    """The case's timeline picture as an SVG document."""
    return render(build(case, publications))
