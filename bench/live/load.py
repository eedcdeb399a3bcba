"""Load for the live phases: jobs run a fixed number at a time, each call's latency and answer
recorded in ``Latencies`` (with the percentiles and rates the figures are made of)."""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.verdicts import percentile


@dataclass
class Latencies:
    seconds: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    wall: float = 0.0

    def p(self, q: float) -> float:
        return percentile(self.seconds, q)

    @property
    def count(self) -> int:
        return len(self.seconds)

    def per_second(self, status: str | None = None) -> float:
        """Answers (of ``status``, or all) per second of the scenario's wall time."""
        n = self.count if status is None else self.statuses.get(status, 0)
        return n / self.wall if self.wall else math.nan

    def summary(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "wall_seconds": round(self.wall, 3),
            "per_second": round(self.per_second(), 2) if self.wall else None,
            "p50_ms": _ms(self.p(50)),
            "p90_ms": _ms(self.p(90)),
            "p99_ms": _ms(self.p(99)),
            "max_ms": _ms(max(self.seconds) if self.seconds else math.nan),
            "statuses": dict(self.statuses),
        }


def _ms(seconds: float) -> float | None:
    return None if math.isnan(seconds) else round(seconds * 1000, 1)


async def gather_limited(concurrency: int, jobs: Sequence[Callable[[], Awaitable[None]]]) -> float:
    """Run ``jobs`` with ``concurrency`` workers pulling from one queue; the wall seconds."""
    queue: asyncio.Queue[Callable[[], Awaitable[None]]] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)

    async def pull() -> None:
        while not queue.empty():
            await queue.get_nowait()()

    began = time.monotonic()
    await asyncio.gather(*(pull() for _ in range(concurrency)))
    return time.monotonic() - began


async def timed(out: Latencies, call: Callable[[], Awaitable[str]]) -> None:
    began = time.monotonic()
    try:
        status = await call()
    except Exception as err:  # a failure is counted by its kind, never raised out of a load run
        status = type(err).__name__
    out.seconds.append(time.monotonic() - began)
    out.statuses[status] += 1
