"""Processes read from /proc: resident memory, CPU seconds (of one process or its whole tree),
environment; cumulative CPU samples and the cores each process used between two instants."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path


def rss_bytes(pid: int, field_name: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) * 1024
    raise LookupError(f"{field_name} not in /proc/{pid}/status")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its waited-for children."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and every live process below it (PostgreSQL's backends)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(stat.parent.name))
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        with contextlib.suppress(OSError):
            total += cpu_seconds(current)
        todo += children.get(current, [])
    return total


def environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    pairs = (item.decode(errors="replace").split("=", 1) for item in raw if b"=" in item)
    return {k: v for k, v in pairs}


CpuSample = tuple[float, dict[str, float]]  # (wall clock, component → CPU seconds so far)


def cpu_sample(pids: dict[str, int]) -> CpuSample:
    return time.time(), {c: tree_cpu_seconds(p) for c, p in pids.items()}


def cores_between(samples: list[CpuSample], start: float, end: float) -> dict[str, float]:
    """Cores each component used between two instants, from cumulative CPU samples taken about
    a second apart (read between samples on the straight line joining them); empty when the
    samples do not cover the window."""
    if end <= start or not samples or samples[0][0] > start or samples[-1][0] < end:
        return {}

    def at(t: float) -> dict[str, float]:
        for (t0, c0), (t1, c1) in zip(samples, samples[1:], strict=False):
            if t0 <= t <= t1:
                share = (t - t0) / (t1 - t0) if t1 > t0 else 0.0
                return {k: c0[k] + (c1.get(k, c0[k]) - c0[k]) * share for k in c0}
        return dict(samples[-1][1])

    before, after = at(start), at(end)
    return {k: round((after[k] - before[k]) / (end - start), 2) for k in before}


def cpu_per(pids: dict[str, int], before: dict[str, float], count: int) -> dict[str, float]:
    """CPU seconds each process spent since ``before``, per one of ``count`` operations."""
    return {c: round((tree_cpu_seconds(p) - before[c]) / max(count, 1), 4) for c, p in pids.items()}
