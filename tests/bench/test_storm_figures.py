"""Figures of bench/suite.py from their measurements: the storm's (the lapse's step time against
the bare workflows' waking and, beside it, when the lapse was in the case's history for good)
and the worker's memory (projected only while the workflow cache is not full)."""

from __future__ import annotations

import pytest

from bench import live
from bench.suite import memory_figure, storm_figures
from bench.verdicts import Verdict


def measured(**values: object) -> live.Measured:
    m = live.Measured()
    m.lapses_expected = 4
    m.lapse_delays = [0.5, 0.6, 0.7, 2.0]
    m.bare_woke = [0.4, 0.8, 1.0, 1.5]
    m.email_delays = [1.0, 1.2, 1.4, 3.0]
    m.bare_done = [2.0, 2.5, 2.6, 4.0]
    for name, value in values.items():
        setattr(m, name, value)
    return m


def test_the_lapse_is_judged_on_its_step_and_reports_its_task_done() -> None:
    lapse, emails = storm_figures(
        measured(timer_delays=[0.01, 0.02, 0.03, 0.2], lapse_task_done=[1.1, 1.3, 1.9, 3.4])
    )

    assert (lapse.measured, lapse.baseline) == (2.0, 1.5)
    assert lapse.verdict is Verdict.MET  # 2.0 / 1.5 ≤ 1.5
    assert "timers fired p50 0.02 s, p99 0.20 s" in lapse.detail
    assert "that workflow task completed" in lapse.detail
    assert "p50 1.30 s, p99 3.40 s" in lapse.detail
    assert "none of their workflow tasks timed out" in lapse.detail
    assert (emails.measured, emails.baseline) == (3.0, 4.0)


def test_the_storm_says_which_process_each_phase_kept_busy() -> None:
    lapse, _ = storm_figures(
        measured(
            timer_delays=[0.01],
            cpu_during_storm={"temporal": 0.6, "worker": 0.7},
            cpu_while_lapses={"temporal": 0.74, "api": 0.0, "worker": 0.58},
            cpu_while_emails={"temporal": 0.57, "worker": 0.79},
            cpu_while_bare_woke={"temporal": 0.96, "bare-worker": 0.31},
        )
    )

    assert lapse.detail.endswith(
        "CPU during it: temporal 0.6 cores, worker 0.7 cores; until the last lapse: temporal "
        "0.74, worker 0.58; bare, until the last woke: temporal 0.96, bare-worker 0.31"
    )
    assert lapse.extra["cpu_while_emails"] == {"temporal": 0.57, "worker": 0.79}


def test_workflow_tasks_the_server_timed_out_are_counted() -> None:
    lapse, _ = storm_figures(
        measured(
            timer_delays=[0.01, 0.02, 0.03, 0.2],
            storm_task_timeouts=646,
            storm_cases_timed_out=645,
            storm_timeouts_by_type={"SCHEDULE_TO_START": 640, "START_TO_CLOSE": 6},
        )
    )

    assert "646 of their workflow tasks timed out in 645 cases" in lapse.detail
    assert "640 SCHEDULE_TO_START: waited on a queue" in lapse.detail
    assert "; 6 START_TO_CLOSE: taken by the worker" in lapse.detail
    assert lapse.extra["task_timeouts"] == 646
    assert lapse.extra["task_timeouts_by_type"] == {"SCHEDULE_TO_START": 640, "START_TO_CLOSE": 6}


def test_timeouts_of_a_run_that_did_not_read_their_kind_say_so() -> None:
    lapse, _ = storm_figures(
        measured(timer_delays=[0.01], storm_task_timeouts=3, storm_cases_timed_out=2)
    )

    assert "3 of their workflow tasks timed out in 2 cases (of a kind not read)" in lapse.detail


def test_without_the_histories_nothing_is_said_of_them() -> None:
    lapse, _ = storm_figures(measured())

    assert "timers fired" not in lapse.detail
    assert "workflow task completed" not in lapse.detail
    assert "timed out" not in lapse.detail


def test_memory_is_projected_until_the_cache_is_full_then_measured() -> None:
    mib = 2**20
    few = live.Measured()
    few.rss = {"idle (1 case)": 100 * mib, "all opened": 160 * mib}
    few.open_cases = {"all opened": 361}
    figure = memory_figure(few)
    assert figure.projected
    assert figure.measured == pytest.approx(100 + 60 / 360 * 999, abs=0.1)  # cache 1,000

    many = live.Measured()
    many.rss = {"idle (1 case)": 100 * mib, "all opened": 302 * mib}
    many.open_cases = {"all opened": 9_941}  # more than the cache holds: what was measured
    figure = memory_figure(many)
    assert not figure.projected and figure.measured == pytest.approx(302)
    # The goal is 300 MB, decimal: 286.1 MiB.
    assert figure.verdict is Verdict.MISSED
    assert memory_figure(few).verdict is Verdict.MET


def test_cores_between_two_instants_are_read_from_cumulative_samples() -> None:
    samples = [
        (100.0, {"temporal": 10.0, "worker": 5.0}),
        (101.0, {"temporal": 10.8, "worker": 5.5}),
        (102.0, {"temporal": 11.8, "worker": 5.6}),
        (103.0, {"temporal": 12.0, "worker": 6.6}),
    ]

    assert live.cores_between(samples, 100.0, 102.0) == {"temporal": 0.9, "worker": 0.3}
    # Between samples, on the line joining them: at 100.5, 10.4 and 5.25 s of CPU.
    assert live.cores_between(samples, 100.5, 103.0) == {"temporal": 0.64, "worker": 0.54}
    # A window the samples do not cover, or no window at all, says nothing.
    assert live.cores_between(samples, 99.0, 101.0) == {}
    assert live.cores_between(samples, 101.0, 104.0) == {}
    assert live.cores_between(samples, 102.0, 102.0) == {}
