"""Handing memory the worker has freed back to the system.

A worker keeps up to ``BIOSAFETY_WORKER_MAX_CACHED_WORKFLOWS`` cases in memory and lets the
oldest go as others come in. What it frees stays with the C allocator (glibc's ``malloc``): the
SDK's core and the larger Python objects are allocated there from several arenas, and a page
half used by a case still cached keeps its neighbours' freed space resident. ``malloc_trim(0)``
returns every wholly free page of every arena to the system (``madvise``); it takes about
10 ms on a heap of 100 MB. The worker calls it every ``BIOSAFETY_WORKER_MEMORY_TRIM_SECONDS``
(docs/performance.md, "Sizing the worker", has what it gave). Elsewhere than glibc it does
nothing.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
from collections.abc import Callable
from functools import cache

import structlog

log = structlog.get_logger(__name__)


def set_aside_what_lives_forever() -> int:
    """Once the worker is built: move every object alive now (the modules, the SDK's and
    pydantic's schemas, the settings) out of the cyclic garbage collector's sight
    (``gc.freeze``). They live as long as the process; each full collection would otherwise walk
    them again, while a worker full of cached cases holds up its event loop for it. Returns how
    many objects were set aside."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    return trim


def release_freed_memory() -> bool:
    """Return the allocator's wholly free pages to the system; False where it cannot
    (not glibc)."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


async def release_periodically(every_seconds: float) -> None:
    """Until cancelled: release freed memory every ``every_seconds``."""
    if _malloc_trim() is None:
        log.info("memory trim unavailable: the C library is not glibc")
        return
    while True:
        await asyncio.sleep(every_seconds)
        release_freed_memory()
