"""Benchmark of the statutory clock (workflows/clock/): deadlines per second and memory.

The case is a typical AIA decision period: 270 days from receipt (Art 10(3)), two stops while
information was awaited (Art 10(3)(c)) and one extension (Art 10(3)(d)).
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from workflows.clock import CountingRules, Deadline, Extension, Stop, compute_deadline

START = date(2027, 1, 10)
STOPS = (
    Stop(requested_on=date(2027, 3, 1), received_on=date(2027, 3, 13)),
    Stop(requested_on=date(2027, 5, 2), received_on=date(2027, 5, 20)),
)
EXTENSION = Extension(days=30, notified_on=date(2027, 9, 1), reasons="field data awaited")
# With 49 extension days the last day is Saturday 25 December 2027; roll-forward has to step
# over Christmas (Sunday 26th is a holiday too) to Monday 27 December: the holiday calendar works.
ROLLING_EXTENSION = Extension(days=49, notified_on=date(2027, 9, 1), reasons="field data awaited")

DEFAULT_RULES = CountingRules()
ROLL_FORWARD_RULES = CountingRules(roll_forward_to_working_day=True, holiday_country="HU")

MEMORY_COMPUTATIONS = 10_000


@dataclass(frozen=True)
class ClockFigures:
    default_per_second: float
    roll_forward_per_second: float
    default_due: date
    roll_forward_due: date
    rolled_from: date | None
    memory_computations: int
    peak_bytes: int  # tracemalloc peak over the computations, every Deadline kept
    retained_bytes: int  # what the kept Deadlines hold at the end

    @property
    def working_bytes(self) -> int:
        """Transient memory of one computation on top of the results (peak - retained)."""
        return self.peak_bytes - self.retained_bytes


def typical_case(
    rules: CountingRules = DEFAULT_RULES, extension: Extension = EXTENSION
) -> Deadline:
    return compute_deadline(
        period_days=270,
        start=START,
        start_label="receipt",
        rules=rules,
        stops=STOPS,
        extensions=(extension,),
    )


def _rate(compute: Callable[[], Any], seconds: float) -> float:
    """Calls per second of ``compute``, best of three rounds of ``seconds / 3`` each."""
    for _ in range(200):  # warm caches (time zone, holiday calendar, pydantic validators)
        compute()
    best = 0.0
    for _ in range(3):
        calls = 0
        started = time.perf_counter()
        deadline = started + seconds / 3
        while True:
            for _ in range(100):
                compute()
            calls += 100
            now = time.perf_counter()
            if now >= deadline:
                break
        best = max(best, calls / (now - started))
    return best


def _memory(count: int) -> tuple[int, int]:
    """tracemalloc over ``count`` computations whose results are all kept (as a listing of
    cases would): returns (peak, retained at the end); peak - retained is the working memory
    of one computation. One pass, because tracing slows the clock down about tenfold."""
    typical_case()  # warm-up outside the trace: imports and caches are not the computation
    gc.collect()
    tracemalloc.start()
    try:
        kept = [typical_case() for _ in range(count)]
        retained, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del kept
    return peak, retained


def run(seconds_per_rate: float = 2.0) -> ClockFigures:
    default = typical_case()
    rolled = typical_case(ROLL_FORWARD_RULES, ROLLING_EXTENSION)
    assert default.due == date(2027, 12, 6), default.explanation
    assert rolled.due == date(2027, 12, 27) and rolled.rolled_forward_from == date(2027, 12, 25)
    peak, retained = _memory(MEMORY_COMPUTATIONS)
    return ClockFigures(
        default_per_second=_rate(typical_case, seconds_per_rate),
        roll_forward_per_second=_rate(
            lambda: typical_case(ROLL_FORWARD_RULES, ROLLING_EXTENSION), seconds_per_rate
        ),
        default_due=default.due,
        roll_forward_due=rolled.due,
        rolled_from=rolled.rolled_forward_from,
        memory_computations=MEMORY_COMPUTATIONS,
        peak_bytes=peak,
        retained_bytes=retained,
    )
