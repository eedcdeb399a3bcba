"""The statutory clock's counting: a deadline derived from its start, its period, the stops
of Art 10(3)(c) and the extensions of Art 10(3)(d), each checked against the deadline in force
when it was made (the rules are in the package's docstring, :mod:`workflows.clock`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict

from workflows.clock.days import (
    ClockError,
    CountingRules,
    closed_reason,
    require_date,
    roll_forward,
)
from workflows.clock.explain import START_LABELS_HU, Explainer, Term, days_text, on_hu, the_on_hu


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


def _stop_text(stop: Stop) -> str:
    assert stop.received_on is not None
    return (
        f"information requested {stop.requested_on.isoformat()} "
        f"and received {stop.received_on.isoformat()}"
    )


def _stop_text_hu(stop: Stop) -> str:
    assert stop.received_on is not None
    requested, received = the_on_hu(stop.requested_on), on_hu(stop.received_on)
    return f"{requested} kért és {received} beérkezett információra"


def _check_stops(stops: Sequence[Stop], start: date, start_label: str) -> None:
    """Shape of the stops (already sorted): inside the period, well-formed, not overlapping."""
    for stop in stops:
        require_date("requested_on", stop.requested_on)
        if stop.requested_on < start:
            raise ClockError(
                f"information requested on {stop.requested_on.isoformat()} cannot stop a clock "
                f"that only starts with the {start_label} on {start.isoformat()}"
            )
        if stop.received_on is not None:
            require_date("received_on", stop.received_on)
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
        require_date("notified_on", extension.notified_on)
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
    require_date("start", start)
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
        else START_LABELS_HU.get(start_label, start_label)
    )
    explainer = Explainer(period_days, start, start_label, label_hu, rules)
    unrolled = base_due  # the last day counted from every event replayed so far, unrolled
    terms: list[Term] = []
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
                Term(
                    anchor=stop.requested_on,
                    rank=1,
                    index=index,
                    text=f"+{days_text(waited)} waiting for {_stop_text(stop)}",
                    text_hu=f"+{waited} nap várakozás {_stop_text_hu(stop)}",
                )
            )
            open_stop = None
        elif kind == "extension":
            extension = ordered_extensions[index]
            # Art 10(3)(d): notified before the deadline in force passes. While the clock is
            # stopped it cannot run out, so an extension is always in time then.
            if open_stop is None:
                in_force = roll_forward(unrolled, rules)
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
                Term(
                    anchor=when,
                    rank=0,
                    index=index,
                    text=f"+{days_text(extension.days)} extension notified {when.isoformat()}",
                    text_hu=f"+{extension.days} nap {the_on_hu(when)} közölt hosszabbítás alapján",
                )
            )
        else:  # request
            stop = ordered_stops[index]
            assert open_stop is None  # guaranteed by _check_stops
            in_force = roll_forward(unrolled, rules)
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
                    f"({closed_reason(unrolled, rules)}) and runs to {in_force.isoformat()} only "
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

    due = roll_forward(unrolled, rules)
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
