"""The statutory clock: every deadline of a case, derived from its events.

This package is pure and deterministic. It does no I/O of its own (beyond the tz database
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
* Art 9(4) and 10(5): a missed deadline implies no consent. This package only reports how many
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

from workflows.clock.days import (
    ClockError,
    CountingRules,
    days_overdue,
    end_of_day,
    is_working_day,
    local_date,
    start_of_day,
)
from workflows.clock.deadline import Deadline, Extension, Stop, compute_deadline
from workflows.clock.explain import describe_period

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
