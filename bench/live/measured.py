"""What a live run is asked to do (``Options``) and everything it measured (``Measured``), as
plain numbers for bench/suite.py and the single-figure benchmarks to make figures of."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from bench.live.load import Latencies


@dataclass(frozen=True)
class Options:
    cases: int = 200  # the storm's cases, opened through the API (the intake figure)
    background: int = 0  # more open cases, received today (their deadlines far off)
    commands: int = 400  # cases opened to be acknowledged, one Update each
    hot: int = 50
    intake_clients: int = 8
    readers: int = 20
    read_seconds: float = 10.0
    storm_timeout: float = 900.0
    # Seconds the plan allows per case opened before the storm (a few cases a second through
    # the API on a loaded 2-core machine).
    seconds_per_case: float = 0.6
    startup_allowance: float = 150.0


@dataclass
class Measured:
    """Everything the live run measured, as plain numbers (bench/suite.py makes figures)."""

    first_activities: int = 0
    bare_starts: Latencies = field(default_factory=Latencies)
    bare_activities: Latencies = field(default_factory=Latencies)
    intake: Latencies = field(default_factory=Latencies)  # Prefer: return=minimal
    intake_whole: Latencies = field(default_factory=Latencies)  # the whole case in the answer
    commands_direct: Latencies = field(default_factory=Latencies)  # the Update by the client
    intake_settled_seconds: float = math.nan
    reads: dict[str, Latencies] = field(default_factory=dict)
    bare_updates: Latencies = field(default_factory=Latencies)
    # the same bare Update on workflows outside their worker's cache (replayed first)
    bare_updates_evicted: Latencies = field(default_factory=Latencies)
    commands: Latencies = field(default_factory=Latencies)
    rss: dict[str, int] = field(default_factory=dict)  # moment → worker RSS bytes
    open_cases: dict[str, int] = field(default_factory=dict)  # moment → open cases
    lapse_delays: list[float] = field(default_factory=list)
    timer_delays: list[float] = field(default_factory=list)  # each storm case's timer fired
    # each storm case's workflow task after its timer completed: the lapse in the history
    lapse_task_done: list[float] = field(default_factory=list)
    # workflow tasks of the storm cases the server timed out, and in how many cases
    storm_task_timeouts: int = 0
    storm_cases_timed_out: int = 0
    # the same by the kind of timeout: SCHEDULE_TO_START (waited on the queue, e.g. a worker's
    # sticky queue, longer than allowed) or START_TO_CLOSE (taken, not finished in time)
    storm_timeouts_by_type: dict[str, int] = field(default_factory=dict)
    email_delays: list[float] = field(default_factory=list)
    lapses_expected: int = 0
    emails_expected: int = 0
    bare_woke: list[float] = field(default_factory=list)
    bare_done: list[float] = field(default_factory=list)
    cpu_during_storm: dict[str, float] = field(default_factory=dict)  # component → cores
    cpu_during_intake: dict[str, float] = field(default_factory=dict)
    # component → CPU seconds per case opened, from the first notification until every case's
    # first steps were done (what its opening owed: reminders due, the register), SMTP sink
    # and PostgreSQL too
    cpu_per_case_opened: dict[str, float] = field(default_factory=dict)
    # component → CPU seconds per command: our Update (the direct half) and the bare Update
    cpu_per_command: dict[str, float] = field(default_factory=dict)
    cpu_per_bare_update: dict[str, float] = field(default_factory=dict)
    cpu_per_bare_update_evicted: dict[str, float] = field(default_factory=dict)
    # component → CPU seconds per lapse (its e-mails and register write included), SMTP sink and
    # PostgreSQL too; and per bare sleeper (woken, its three no-op activities run)
    cpu_per_lapse: dict[str, float] = field(default_factory=dict)
    cpu_per_bare_sleeper: dict[str, float] = field(default_factory=dict)
    # component → cores used from the instant until the last lapse was recorded, and from then
    # until the last e-mail was delivered: which process the storm's two phases wait for
    cpu_while_lapses: dict[str, float] = field(default_factory=dict)
    cpu_while_emails: dict[str, float] = field(default_factory=dict)
    # the same of the bare storm: until the last sleeper woke, and from then until the last one
    # had run its three activities
    cpu_while_bare_woke: dict[str, float] = field(default_factory=dict)
    cpu_while_bare_ran: dict[str, float] = field(default_factory=dict)
    storm_at: str = ""
    bare_storm_at: str = ""
    notes: list[str] = field(default_factory=list)
    worker_settings: dict[str, str] = field(default_factory=dict)
    worker_profile: dict[str, float] = field(default_factory=dict)  # share of CPU samples
