"""The statutory clock: every deadline of a case, derived from its events.

This module is pure and deterministic. It does no I/O of its own (beyond the tz database
that :mod:`zoneinfo` reads), never reads the current time and knows nothing about Temporal,
so workflows can import it through ``workflow.unsafe.imports_passed_through()`` and the API
can use the very same code. Module-level work is limited to class definitions; the
``holidays`` package is imported lazily, only when roll-forward needs a holiday calendar.

Counting rules (see ``DESIGN.md``, "The statutory clock"):

* ``within N days of X`` ends at the end of calendar day ``date(X) + N`` in the authority's
  time zone; the day of X is day 0 -- e.g. Art 9(1) (acknowledge "within ninety days of its
  receipt") and Art 10(3) (decide "within two hundred and seventy days of the date of receipt").
  With the optional domestic rule ``day_of_event_is_day_one`` the day of X is day 1, so the
  period ends on ``date(X) + N - 1``.
* Art 10(3)(c): "the number of days it has to wait for additional relevant information shall
  not be taken into account". Each closed stop adds ``received_on - requested_on`` days. While a
  stop is open there is no due date, only the number of days that remain.
* Art 10(3)(d): the period may be "extended by a defined period of time"; each extension adds
  exactly its number of days and must be notified before the deadline then in force passes.
* Optional roll-forward: if the final last day is not a working day, the deadline moves to the
  next working day. Roll-forward applies to the final date only; the day counting (stops,
  extensions, remaining days) always works on the unrolled date.
* Art 9(4) and 10(5): a missed deadline implies no consent. This module only reports how many
  days a deadline is overdue (:func:`days_overdue`); what follows is the workflow's business.

Events are replayed in chronological order to decide which deadline was "in force" when a
stop was requested or an extension notified. On one calendar date the order is:

1. information received (a stop closes, the clock runs again),
2. extensions notified (in order of days, then reasons),
3. requests for information (a stop opens; a stop requested and answered on the same day
   closes straight away).

So an extension and a request made on the same day are both judged against the deadline that
includes that day's received information, and the request also against that day's extensions.

Every deadline is explained twice, in English (``explanation``) and in Hungarian
(``explanation_hu``), with the same figures and ISO dates; error messages stay English.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, field_validator

__all__ = [
    "ClockError",
    "CountingRules",
    "Deadline",
    "Extension",
    "Stop",
    "compute_deadline",
    "days_overdue",
    "describe_period",
    "end_of_day",
    "is_working_day",
    "local_date",
    "start_of_day",
]

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKDAYS_HU = ("hétfő", "kedd", "szerda", "csütörtök", "péntek", "szombat", "vasárnap")
# Hungarian names of the start events the procedures use; another label falls back to itself.
_START_LABELS_HU: Mapping[str, str] = MappingProxyType(
    {
        "receipt": "kézhezvétel",
        "acknowledgement": "visszaigazolás",
        "the decision change": "a döntés módosítása",
        "the request for review": "a felülvizsgálati kérelem kézhezvétele",
    }
)
# The suffix "on day N" takes after a date in Hungarian ("elsején", "másodikán", "tizedikén"):
# it follows how the ordinal day is pronounced, so it is listed, not derived.
_ON_DAY_HU = (
    "jén án án én én án én án én én "  # 1-10
    "én én án én én án én án én án "  # 11-20
    "én én án én én án én án én án én"  # 21-31
).split()
_ONE_DAY = timedelta(days=1)


class ClockError(ValueError):
    """An impossible sequence of clock events; the message names the dates involved."""


class CountingRules(BaseModel):
    """How a deployment counts days: the Protocol leaves this to domestic law."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timezone: str = "Europe/Budapest"
    """IANA time zone of the competent national authority; a day ends at its local midnight."""
    day_of_event_is_day_one: bool = False
    """Hungarian rule: the day of the event counts as day 1, so a period ends one day earlier."""
    roll_forward_to_working_day: bool = False
    """If the final last day is not a working day, move it to the next working day."""
    holiday_country: str = "HU"
    """Country code of the ``holidays.country_holidays`` calendar that defines working days.

    Not checked when the rules are built (that would import ``holidays`` wherever the rules
    are deserialized, e.g. inside a workflow sandbox); an unknown code raises
    :class:`ClockError` the first time a working day is looked up.
    """

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        _zone(value)
        return value


class Stop(BaseModel):
    """Art 10(3)(c): the clock stops while the authority waits for requested information."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    requested_on: date
    received_on: date | None = None
    """``None`` while the information is still awaited (the clock is stopped)."""


class Extension(BaseModel):
    """Art 10(3)(d): the period is extended by a defined number of days, with reasons."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    days: int
    notified_on: date
    reasons: str


class Deadline(BaseModel):
    """A deadline and its derivation; every figure can be explained (see ``explanation``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    period_days: int
    start: date
    start_label: str
    base_due: date
    """``start + period_days`` (one day less under the day-one rule)."""
    stopped_days: int
    """Sum over closed stops of ``received_on - requested_on``, Art 10(3)(c)."""
    extension_days: int
    """Sum of the days of all extensions, Art 10(3)(d)."""
    due: date | None
    """The final last day (after roll-forward); ``None`` while a stop is open."""
    rolled_forward_from: date | None
    """The unrolled last day, when roll-forward moved it."""
    stopped_since: date | None
    """``requested_on`` of the open stop, if any."""
    remaining_days: int | None
    """While stopped: unrolled deadline without the open stop minus ``stopped_since`` (>= 0)."""
    explanation: str
    explanation_hu: str
    """The same explanation in Hungarian: same figures, same ISO dates, the due date last."""


# --------------------------------------------------------------------------- time zones


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def _require_date(name: str, value: date) -> None:
    if isinstance(value, datetime):
        raise TypeError(
            f"{name} must be a calendar date, not a datetime ({value.isoformat()}); "
            "convert instants with local_date() first"
        )


def start_of_day(day: date, timezone: str) -> datetime:
    """The first instant of calendar day ``day`` in ``timezone``, as an aware UTC datetime.

    Usually local midnight; where a DST change skips midnight, the first instant that exists.
    """
    _require_date("day", day)
    # fold=0: for a skipped midnight this resolves to the transition instant, for a repeated
    # midnight to its first occurrence -- in both cases the first instant of the day.
    local_midnight = datetime.combine(day, time(0), tzinfo=_zone(timezone))
    return local_midnight.astimezone(UTC)


def end_of_day(day: date, timezone: str) -> datetime:
    """The instant calendar day ``day`` ends in ``timezone`` (= start of the next local day).

    Returned as an aware UTC datetime; the day is 23, 24 or 25 hours long across DST changes.
    A deadline whose last day is ``day`` passes at this instant.
    """
    _require_date("day", day)
    return start_of_day(day + _ONE_DAY, timezone)


def local_date(instant: datetime, timezone: str) -> date:
    """The calendar date of the aware ``instant`` in ``timezone``; naive datetimes are refused."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(
            f"local_date needs an aware datetime, got the naive {instant.isoformat()}; "
            "attach its time zone (e.g. UTC) first"
        )
    return instant.astimezone(_zone(timezone)).date()


def days_overdue(due: date, today: date) -> int:
    """Whole days ``today`` is past ``due``; 0 on or before the due date (Art 9(4), 10(5))."""
    return max(0, (today - due).days)


# --------------------------------------------------------------------------- working days


@dataclass(frozen=True)
class _Calendar:
    """Non-working days of one year in one country, with the reason each one is closed."""

    closed: Mapping[date, str]
    closed_hu: Mapping[date, str]
    """The same days, the reasons in Hungarian (holiday names as the calendar gives them)."""


@functools.lru_cache(maxsize=256)
def _calendar(country: str, year: int) -> _Calendar:
    import holidays  # lazy: a heavy import, needed only for roll-forward and is_working_day

    years = (year - 1, year, year + 1)  # neighbours too: a holiday observed across New Year
    try:
        calendar = holidays.country_holidays(country, years=years)
        # English and Hungarian holiday names where the calendar has them, whatever the
        # process locale (which the package otherwise follows); else the calendar's own language.
        names_hu = calendar
        language_hu = "hu" if "hu" in calendar.supported_languages else calendar.default_language
        if language_hu:
            names_hu = holidays.country_holidays(country, years=years, language=language_hu)
        if "en_US" in calendar.supported_languages:
            calendar = holidays.country_holidays(country, years=years, language="en_US")
    except NotImplementedError as exc:
        raise ClockError(
            f"no holiday calendar for {country!r} in the holidays package; "
            "holiday_country must be a supported country code such as 'HU'"
        ) from exc
    closed: dict[date, str] = {}
    closed_hu: dict[date, str] = {}
    day = date(year, 1, 1)
    while day.year == year:
        # The calendar's own weekend and its weekend working days (e.g. Hungary's
        # transferred working Saturdays) decide, not a fixed Monday-Friday week.
        if not calendar.is_working_day(day):
            name, name_hu = calendar.get(day), names_hu.get(day)
            weekday, weekday_hu = _WEEKDAYS[day.weekday()], _WEEKDAYS_HU[day.weekday()]
            closed[day] = (
                f"{weekday}, public holiday: {name}" if name else f"{weekday}, not a working day"
            )
            closed_hu[day] = (
                f"{weekday_hu}, munkaszüneti nap: {name_hu}"
                if name_hu
                else f"{weekday_hu}, nem munkanap"
            )
        day += _ONE_DAY
    return _Calendar(closed=MappingProxyType(closed), closed_hu=MappingProxyType(closed_hu))


def is_working_day(day: date, rules: CountingRules) -> bool:
    """Whether ``day`` is a working day in the ``rules.holiday_country`` calendar.

    A working day is a day outside the country's weekend (Saturday and Sunday for Hungary)
    that is not a public holiday; a weekend day the calendar declares a working day (Hungary's
    transferred working Saturdays) is a working day too.
    """
    _require_date("day", day)
    return day not in _calendar(rules.holiday_country, day.year).closed


def _closed_reason(day: date, rules: CountingRules) -> str:
    closed = _calendar(rules.holiday_country, day.year).closed
    return closed.get(day, _WEEKDAYS[day.weekday()])


def _closed_reason_hu(day: date, rules: CountingRules) -> str:
    closed = _calendar(rules.holiday_country, day.year).closed_hu
    return closed.get(day, _WEEKDAYS_HU[day.weekday()])


def _roll_forward(day: date, rules: CountingRules) -> date:
    """The first working day on or after ``day`` (``day`` itself if roll-forward is off)."""
    if not rules.roll_forward_to_working_day:
        return day
    candidate = day
    for _ in range(366):
        if is_working_day(candidate, rules):
            return candidate
        candidate += _ONE_DAY
    raise ClockError(
        f"no working day in the {rules.holiday_country} calendar within a year "
        f"after {day.isoformat()}"
    )


# --------------------------------------------------------------------------- explanation


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _remain(n: int) -> str:
    return "1 day remains" if n == 1 else f"{n} days remain"


# Hungarian keeps the noun singular after a numeral ("1 nap", "270 nap"), and the texts are
# built so that no suffix falls on a start label (any noun phrase, or an English fallback):
# only dates take a suffix, and theirs is listed in _ON_DAY_HU.


def _on_hu(day: date) -> str:
    """``day`` as the time of an event: "2027-03-01-jén", "2027-03-13-án", "2027-03-10-én"."""
    return f"{day.isoformat()}-{_ON_DAY_HU[day.day - 1]}"


def _the_on_hu(day: date) -> str:
    """The same with its article: "a 2027-03-01-jén" ("az" before a year read "ezer..."/"öt...")."""
    return f"{'az' if day.isoformat()[0] in '15' else 'a'} {_on_hu(day)}"


def _with_article_hu(label: str) -> str:
    """The label with the Hungarian definite article ("a kézhezvétel", "az értesítés")."""
    if label.lower().startswith(("a ", "az ")):
        return label
    return f"az {label}" if label[:1].lower() in "aáeéiíoóöőuúüű" else f"a {label}"


def describe_period(period_days: int, start_label: str, rules: CountingRules) -> str:
    """The counting rule of a period in words, e.g. for a case page or a reminder."""
    if rules.day_of_event_is_day_one:
        counting = (
            f"the day of {start_label} counts as day 1, so the period ends on day {period_days}"
        )
    else:
        counting = f"the day of {start_label} is day 0, so the period ends on day {period_days}"
    text = (
        f"within {_days(period_days)} of {start_label}: {counting}, "
        f"at the end of that day ({rules.timezone} time)"
    )
    if rules.roll_forward_to_working_day:
        text += (
            f"; a last day that is not a working day in the {rules.holiday_country} calendar "
            "moves to the next working day"
        )
    return text


@dataclass(frozen=True)
class _Term:
    """One addition to the base period, as it appears in the explanation."""

    anchor: date
    rank: int  # 0 = extension, 1 = stop: on one anchor date, an extension is processed first
    index: int
    text: str
    text_hu: str


class _Explainer:
    def __init__(
        self,
        period_days: int,
        start: date,
        start_label: str,
        label_hu: str,
        rules: CountingRules,
    ) -> None:
        head = f"{_days(period_days)} from {start_label} {start.isoformat()}"
        the_label = _with_article_hu(label_hu)
        head_hu = f"{period_days} nap {the_label} napjától ({start.isoformat()}) számítva"
        if rules.day_of_event_is_day_one:
            head += f" (day of {start_label} counted as day 1)"
            head_hu += f" ({the_label} napja az 1. nap)"
        self.head = head
        self.head_hu = head_hu
        self.rules = rules

    @staticmethod
    def _ordered(terms: Sequence[_Term]) -> list[_Term]:
        return sorted(terms, key=lambda t: (t.anchor, t.rank, t.index))

    def terms(self, terms: Sequence[_Term]) -> str:
        return ", ".join([self.head, *(t.text for t in self._ordered(terms))])

    def terms_hu(self, terms: Sequence[_Term]) -> str:
        return ", ".join([self.head_hu, *(t.text_hu for t in self._ordered(terms))])

    def last_day(self, terms: Sequence[_Term], unrolled: date) -> str:
        text = f"{self.terms(terms)} = {unrolled.isoformat()}"
        rolled = _roll_forward(unrolled, self.rules)
        if rolled != unrolled:
            text += (
                f" ({_closed_reason(unrolled, self.rules)}), "
                f"moved to the next working day {rolled.isoformat()}"
            )
        return text

    def last_day_hu(self, terms: Sequence[_Term], unrolled: date) -> str:
        text = f"{self.terms_hu(terms)} = {unrolled.isoformat()}"
        rolled = _roll_forward(unrolled, self.rules)
        if rolled != unrolled:
            text += (
                f" ({_closed_reason_hu(unrolled, self.rules)}), "
                f"ezért a következő munkanapra tolódik: {rolled.isoformat()}"
            )
        return text

    def stopped(self, terms: Sequence[_Term], since: date, remaining: int) -> str:
        return (
            f"{self.terms(terms)}; clock stopped since {since.isoformat()} "
            f"waiting for requested information: {_remain(remaining)}"
        )

    def stopped_hu(self, terms: Sequence[_Term], since: date, remaining: int) -> str:
        return (
            f"{self.terms_hu(terms)}; a határidő folyása {_the_on_hu(since)} kért információ "
            f"beérkezéséig szünetel: {remaining} nap van hátra"
        )


# --------------------------------------------------------------------------- the clock


def _stop_text(stop: Stop) -> str:
    assert stop.received_on is not None
    return (
        f"information requested {stop.requested_on.isoformat()} "
        f"and received {stop.received_on.isoformat()}"
    )


def _stop_text_hu(stop: Stop) -> str:
    assert stop.received_on is not None
    requested, received = _the_on_hu(stop.requested_on), _on_hu(stop.received_on)
    return f"{requested} kért és {received} beérkezett információra"


def _check_stops(stops: Sequence[Stop], start: date, start_label: str) -> None:
    """Shape of the stops (already sorted): inside the period, well-formed, not overlapping."""
    for stop in stops:
        _require_date("requested_on", stop.requested_on)
        if stop.requested_on < start:
            raise ClockError(
                f"information requested on {stop.requested_on.isoformat()} cannot stop a clock "
                f"that only starts with the {start_label} on {start.isoformat()}"
            )
        if stop.received_on is not None:
            _require_date("received_on", stop.received_on)
            if stop.received_on < stop.requested_on:
                raise ClockError(
                    f"information requested on {stop.requested_on.isoformat()} cannot have "
                    f"been received earlier, on {stop.received_on.isoformat()}"
                )
    open_stops = [s for s in stops if s.received_on is None]
    if len(open_stops) > 1:
        listed = ", ".join(s.requested_on.isoformat() for s in open_stops)
        raise ClockError(
            f"only one request for information can be open at a time (Art 10(3)(c)), but the "
            f"requests of {listed} all still wait for the information"
        )
    for earlier, later in zip(stops, stops[1:], strict=False):
        if earlier.received_on is None:
            raise ClockError(
                f"the request for information of {earlier.requested_on.isoformat()} is still "
                f"open, so no further request can be made on {later.requested_on.isoformat()}; "
                "record when the earlier information was received first"
            )
        if later.requested_on < earlier.received_on:
            later_end = (
                f"received {later.received_on.isoformat()}"
                if later.received_on is not None
                else "still open"
            )
            raise ClockError(
                f"requests for information overlap: information requested "
                f"{earlier.requested_on.isoformat()} was received only on "
                f"{earlier.received_on.isoformat()}, but another request was made on "
                f"{later.requested_on.isoformat()} ({later_end}); the clock can only be stopped "
                "again once it runs"
            )


def _check_extensions(extensions: Sequence[Extension], start: date, start_label: str) -> None:
    for extension in extensions:
        _require_date("notified_on", extension.notified_on)
        if extension.days <= 0:
            raise ClockError(
                f"an extension must add at least 1 day (Art 10(3)(d): a defined period), but "
                f"the extension notified on {extension.notified_on.isoformat()} adds "
                f"{extension.days}"
            )
        if extension.notified_on < start:
            raise ClockError(
                f"an extension notified on {extension.notified_on.isoformat()} cannot extend a "
                f"period that only starts with the {start_label} on {start.isoformat()}"
            )


def compute_deadline(
    *,
    period_days: int,
    start: date,
    start_label: str,
    rules: CountingRules,
    stops: Sequence[Stop] = (),
    extensions: Sequence[Extension] = (),
    start_label_hu: str | None = None,
) -> Deadline:
    """Derive a deadline from its start, period, stops (Art 10(3)(c)) and extensions (10(3)(d)).

    ``start`` is the calendar date of the event in the authority's time zone (use
    :func:`local_date` for an instant). ``start_label_hu`` names the event in Hungarian for
    ``explanation_hu``, as a noun phrase with or without its article ("kézhezvétel", "a döntés
    módosítása"); when it is ``None`` the built-in name of ``start_label`` is used, or
    ``start_label`` itself if there is none. Stops and extensions may come in any order. Raises
    :class:`ClockError` for an impossible sequence of events: a non-positive period, a stop or
    extension before the start, information received before it was requested, overlapping
    stops or more than one open stop, an extension of no days, or a stop requested or an
    extension notified after the deadline then in force had passed.
    """
    _require_date("start", start)
    if period_days <= 0:
        raise ClockError(
            f"a period must be at least 1 day, but {period_days} days from {start_label} "
            f"{start.isoformat()} was given"
        )
    day_one = 1 if rules.day_of_event_is_day_one else 0
    base_due = start + timedelta(days=period_days - day_one)

    ordered_stops = sorted(
        stops,
        key=lambda s: (s.requested_on, s.received_on is None, s.received_on or date.max),
    )
    ordered_extensions = sorted(extensions, key=lambda e: (e.notified_on, e.days, e.reasons))
    _check_stops(ordered_stops, start, start_label)
    _check_extensions(ordered_extensions, start, start_label)

    # Replay in date order; on one date: received (0), extensions (1), requests (2). A stop
    # requested and answered on the same day closes right after it opens.
    events: list[tuple[date, int, int, int, str]] = []
    for i, stop in enumerate(ordered_stops):
        events.append((stop.requested_on, 2, i, 0, "request"))
        if stop.received_on is not None:
            if stop.received_on == stop.requested_on:
                events.append((stop.received_on, 2, i, 1, "received"))
            else:
                events.append((stop.received_on, 0, i, 0, "received"))
    for j, extension in enumerate(ordered_extensions):
        events.append((extension.notified_on, 1, j, 0, "extension"))
    events.sort(key=lambda e: e[:4])

    label_hu = (
        start_label_hu
        if start_label_hu is not None
        else _START_LABELS_HU.get(start_label, start_label)
    )
    explainer = _Explainer(period_days, start, start_label, label_hu, rules)
    unrolled = base_due  # the last day counted from every event replayed so far, unrolled
    terms: list[_Term] = []
    open_stop: Stop | None = None
    stopped_days = 0
    extension_days = 0

    for when, _phase, index, _sub, kind in events:
        if kind == "received":
            stop = ordered_stops[index]
            assert stop.received_on is not None and open_stop == stop
            waited = (stop.received_on - stop.requested_on).days
            unrolled += timedelta(days=waited)
            stopped_days += waited
            terms.append(
                _Term(
                    anchor=stop.requested_on,
                    rank=1,
                    index=index,
                    text=f"+{_days(waited)} waiting for {_stop_text(stop)}",
                    text_hu=f"+{waited} nap várakozás {_stop_text_hu(stop)}",
                )
            )
            open_stop = None
        elif kind == "extension":
            extension = ordered_extensions[index]
            # Art 10(3)(d): notified before the deadline in force passes. While the clock is
            # stopped it cannot run out, so an extension is always in time then.
            if open_stop is None:
                in_force = _roll_forward(unrolled, rules)
                if when > in_force:
                    raise ClockError(
                        f"the extension notified on {when.isoformat()} comes too late: the "
                        f"deadline then in force passed at the end of {in_force.isoformat()} "
                        f"({explainer.last_day(terms, unrolled)}); Art 10(3)(d) requires the "
                        "notice before the deadline passes"
                    )
            unrolled += timedelta(days=extension.days)
            extension_days += extension.days
            terms.append(
                _Term(
                    anchor=when,
                    rank=0,
                    index=index,
                    text=f"+{_days(extension.days)} extension notified {when.isoformat()}",
                    text_hu=f"+{extension.days} nap {_the_on_hu(when)} közölt hosszabbítás alapján",
                )
            )
        else:  # request
            stop = ordered_stops[index]
            assert open_stop is None  # guaranteed by _check_stops
            in_force = _roll_forward(unrolled, rules)
            if when > in_force:
                raise ClockError(
                    f"information requested on {when.isoformat()} cannot stop the clock: the "
                    f"deadline then in force passed at the end of {in_force.isoformat()} "
                    f"({explainer.last_day(terms, unrolled)}), and a clock that has run out "
                    "cannot be stopped (Art 10(3)(c))"
                )
            if when > unrolled:
                # Only possible with roll-forward: the counted period ended on a closed day
                # and survives to `in_force` only because of it. Suspending it here would
                # leave a negative number of days, which these counting rules cannot express.
                raise ClockError(
                    f"information requested on {when.isoformat()} cannot stop the clock: the "
                    f"period as counted ended on {unrolled.isoformat()} "
                    f"({_closed_reason(unrolled, rules)}) and runs to {in_force.isoformat()} only "
                    f"by roll-forward, so stopping it on {when.isoformat()} would leave "
                    f"{(unrolled - when).days} days; decide by {in_force.isoformat()} instead"
                )
            open_stop = stop

    if open_stop is not None:
        remaining = (unrolled - open_stop.requested_on).days
        assert remaining >= 0  # requests after the unrolled last day are refused above
        return Deadline(
            period_days=period_days,
            start=start,
            start_label=start_label,
            base_due=base_due,
            stopped_days=stopped_days,
            extension_days=extension_days,
            due=None,
            rolled_forward_from=None,
            stopped_since=open_stop.requested_on,
            remaining_days=remaining,
            explanation=explainer.stopped(terms, open_stop.requested_on, remaining),
            explanation_hu=explainer.stopped_hu(terms, open_stop.requested_on, remaining),
        )

    due = _roll_forward(unrolled, rules)
    return Deadline(
        period_days=period_days,
        start=start,
        start_label=start_label,
        base_due=base_due,
        stopped_days=stopped_days,
        extension_days=extension_days,
        due=due,
        rolled_forward_from=unrolled if due != unrolled else None,
        stopped_since=None,
        remaining_days=None,
        explanation=explainer.last_day(terms, unrolled),
        explanation_hu=explainer.last_day_hu(terms, unrolled),
    )
