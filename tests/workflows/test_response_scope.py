"""The scope rule of SP Art 3 and the time limits of Art 7 as pure functions: the movement's
start against the entry into force for the Party (Art 3(4), Art 18) and a withdrawal (Art 20),
national jurisdiction (3(5)), and the dates the time limits count from (Art 7(b))."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import TypeAdapter

from workflows.response.clocks import limit_start, scope_refusals
from workflows.response.models import ResponseStart, SpStatus
from workflows.response.opening import ResponseOpening

SP = SpStatus(case_id="treaty-sp-hu", entry_into_force_on=date(2014, 3, 9))


def start(started_on: date, **overrides: Any) -> ResponseStart:
    opening = TypeAdapter(ResponseOpening).validate_python(
        {
            "reported_by": "authority",
            "reference": "RM-1",
            "basis": "likelihood",
            "description": "Volunteers",
            "location": "Szigetköz",
            "within_national_jurisdiction": True,
            "occurred_on": "2027-01-05",
            "lmo": {"name": "GT73", "category": "contained_use"},
            "movement": {"kind": "unintentional", "started_on": started_on.isoformat()},
        }
        | overrides
    )
    return ResponseStart(case_id="response-hu-rm-1", received_on=date(2027, 1, 10), opening=opening)


def test_a_movement_started_on_the_day_of_entry_into_force_is_in_scope() -> None:
    assert scope_refusals(start(date(2014, 3, 9)), SP) == []
    (before,) = scope_refusals(start(date(2014, 3, 8)), SP)
    assert before == (
        "the transboundary movement started on 2014-03-08, before the Supplementary Protocol "
        "entered into force for HU on 2014-03-09 (SP Art 3(4), Art 18; treaty-sp-hu)"
    )


def test_a_withdrawal_that_took_effect_ends_the_scope_and_jurisdiction_counts() -> None:
    gone = SP.model_copy(update={"withdrawal_takes_effect_on": date(2030, 1, 1)})
    assert scope_refusals(start(date(2029, 12, 31)), gone) == []
    (after,) = scope_refusals(start(date(2030, 1, 1)), gone)
    assert "after the withdrawal of HU from the Supplementary Protocol took effect" in after
    assert "(SP Art 20" in after
    outside = start(date(2020, 1, 1), within_national_jurisdiction=False)
    (reason,) = scope_refusals(outside, SP)
    assert reason.endswith("(SP Art 3(5))")
    (unknown,) = scope_refusals(start(date(2020, 1, 1)), None)
    assert "record the deposit first (treaty status case treaty-sp-hu, SP Art 18)" in unknown


def test_time_limits_count_from_the_event_domestic_law_names() -> None:
    s = start(date(2026, 6, 1))
    assert limit_start(s, "knowledge") == date(2027, 1, 10)
    assert limit_start(s, "occurrence") == date(2027, 1, 5)
    assert limit_start(s, "movement") == date(2026, 6, 1)
    unknown = start(date(2026, 6, 1), occurred_on=None)
    assert limit_start(unknown, "occurrence") == date(2027, 1, 10)  # not known: the report
