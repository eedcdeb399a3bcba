"""The worker hands memory freed by cases leaving its cache back to the system (infra/memory.py).

Each test runs in a process of its own, so that what it frees and measures is its own."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from infra.memory import release_freed_memory

ROOT = Path(__file__).resolve().parents[2]

# 100 MB in blocks of 2 KB (malloc's, not Python's small-object allocator), nine in ten freed:
# the tenth left in every page keeps the freed space resident until the heap is trimmed.
FRAGMENT = textwrap.dedent(
    """
    import asyncio

    def rss_mib():
        for line in open("/proc/self/status"):
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024

    blocks = [bytes(2048) for _ in range(50_000)]
    kept = blocks[::10]
    del blocks
    before = rss_mib()
    """
)

needs_glibc = pytest.mark.skipif(
    not release_freed_memory(), reason="malloc_trim is glibc's; elsewhere nothing is trimmed"
)


def run(script: str) -> list[float]:
    done = subprocess.run(
        [sys.executable, "-c", FRAGMENT + textwrap.dedent(script)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return [float(x) for x in done.stdout.split()]


@needs_glibc
def test_freed_memory_stays_resident_until_released() -> None:
    before, after = run(
        """
        from infra.memory import release_freed_memory
        assert release_freed_memory()
        print(before, rss_mib())
        """
    )
    assert before > 80
    assert after < before - 50, (before, after)


@needs_glibc
def test_the_worker_releases_it_on_its_own_every_so_often() -> None:
    before, untouched, released = run(
        """
        from infra.memory import release_periodically

        async def main():
            await asyncio.sleep(0.3)
            untouched = rss_mib()
            try:
                await asyncio.wait_for(release_periodically(0.2), timeout=0.5)
            except TimeoutError:
                pass
            print(before, untouched, rss_mib())

        asyncio.run(main())
        """
    )
    assert untouched > before - 10, "freed memory went back without being released"
    assert released < before - 50, (before, released)


def test_what_lives_forever_is_set_aside_and_later_garbage_still_collected() -> None:
    """The worker, once built, moves what it holds for good out of the collector's walks; a
    cycle made afterwards (a case let go of) is still collected."""
    counts = run(
        """
        import gc, weakref
        from infra.memory import set_aside_what_lives_forever

        frozen = set_aside_what_lives_forever()

        class Node:
            pass

        a, b = Node(), Node()
        a.other, b.other = b, a
        gone = weakref.ref(a)
        del a, b
        collected = gc.collect()
        print(frozen, gc.get_freeze_count(), int(gone() is None), collected)
        """
    )
    frozen, still_frozen, freed, collected = counts
    assert frozen > 10_000  # the interpreter, asyncio and the project's modules at least
    assert still_frozen == frozen
    assert freed == 1 and collected >= 2
