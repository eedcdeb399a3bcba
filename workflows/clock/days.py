"""Days in the authority's time zone and its working days: where a calendar day begins and
ends, how many days a deadline is overdue, and the holiday calendar that roll-forward follows
(the statutory clock's calendar; its counting is in :mod:`workflows.clock.deadline`)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, field_validator

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKDAYS_HU = ("hétfő", "kedd", "szerda", "csütörtök", "péntek", "szombat", "vasárnap")
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


# --------------------------------------------------------------------------- time zones


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def require_date(name: str, value: date) -> None:
    if isinstance(value, datetime):
        raise TypeError(
            f"{name} must be a calendar date, not a datetime ({value.isoformat()}); "
            "convert instants with local_date() first"
        )


def start_of_day(day: date, timezone: str) -> datetime:
    """The first instant of calendar day ``day`` in ``timezone``, as an aware UTC datetime.

    Usually local midnight; where a DST change skips midnight, the first instant that exists.
    """
    require_date("day", day)
    # fold=0: for a skipped midnight this resolves to the transition instant, for a repeated
    # midnight to its first occurrence -- in both cases the first instant of the day.
    local_midnight = datetime.combine(day, time(0), tzinfo=_zone(timezone))
    return local_midnight.astimezone(UTC)


def end_of_day(day: date, timezone: str) -> datetime:
    """The instant calendar day ``day`` ends in ``timezone`` (= start of the next local day).

    Returned as an aware UTC datetime; the day is 23, 24 or 25 hours long across DST changes.
    A deadline whose last day is ``day`` passes at this instant.
    """
    require_date("day", day)
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
    require_date("day", day)
    return day not in _calendar(rules.holiday_country, day.year).closed


def closed_reason(day: date, rules: CountingRules) -> str:
    closed = _calendar(rules.holiday_country, day.year).closed
    return closed.get(day, _WEEKDAYS[day.weekday()])


def closed_reason_hu(day: date, rules: CountingRules) -> str:
    closed = _calendar(rules.holiday_country, day.year).closed_hu
    return closed.get(day, _WEEKDAYS_HU[day.weekday()])


def roll_forward(day: date, rules: CountingRules) -> date:
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
