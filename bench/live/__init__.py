"""The dev-server measurements (issue 14): the stack ``make run`` starts (infra/devstack.py), on
free ports in a temporary folder (as tests/soak does), side by side with bare Temporal and bare
FastAPI (bench/bare.py) on the same server in the same run.

In order: bare workflow starts and a bare workflow running a case's first activities; intake
through ``POST /v1/aia/notifications`` (the storm's cases, received 90 days back, CP Art 9(1));
the deadline storm: every acknowledgement deadline passes on one instant (bench/storm_zone.py);
reads with 20 clients against a bare constant endpoint; commands (Update round trips) against a
bare Update; then as many bare workflows sleep until one instant of their own and run three
no-op activities. The worker's resident memory is read along the way. Each phase returns plain
numbers; bench/suite.py turns them into figures.

Where each part lives: ``stack`` (the processes a run starts and stops), ``intake`` (warm-up,
bare baselines, intake), ``storm`` (the deadline storm and the bare storm), ``reads``,
``commands``; ``run`` puts the phases together in the order above; ``measured``, ``load`` and
``processes`` hold what they share (options and results, load and latencies, /proc readings).
"""

from __future__ import annotations

from bench.live.load import Latencies
from bench.live.measured import Measured, Options
from bench.live.processes import (
    CpuSample,
    cores_between,
    cpu_seconds,
    environ_of,
    rss_bytes,
    tree_cpu_seconds,
)
from bench.live.run import LiveRun, measure

__all__ = [
    "CpuSample",
    "Latencies",
    "LiveRun",
    "Measured",
    "Options",
    "cores_between",
    "cpu_seconds",
    "environ_of",
    "measure",
    "rss_bytes",
    "tree_cpu_seconds",
]
