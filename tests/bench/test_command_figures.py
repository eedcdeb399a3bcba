"""Figure 5 of bench/suite.py from its measurements: the command judged against the bare Update
on a cached workflow (the goal's baseline) and, when measured, shown beside the same bare Update
on a workflow its worker had evicted (what Temporal itself pays for a command's replay)."""

from __future__ import annotations

from bench import live
from bench.suite import command_figures
from bench.verdicts import Verdict


def measured(evicted: list[float]) -> live.Measured:
    m = live.Measured()
    m.commands_direct.seconds = [0.2, 0.3, 0.4, 0.6]
    m.commands.seconds = [0.25, 0.35, 0.45, 0.7]
    m.bare_updates.seconds = [0.05, 0.08, 0.1, 0.15]
    m.bare_updates_evicted.seconds = evicted
    m.cpu_per_bare_update_evicted = {"temporal": 0.0052, "bare-worker": 0.0063} if evicted else {}
    return m


def test_the_goal_is_judged_against_the_cached_bare_update() -> None:
    by_key = {f.key: f for f in command_figures(measured([0.1, 0.13, 0.16, 0.24]))}

    goal = by_key["commands"]
    assert (goal.measured, goal.baseline) == (600.0, 150.0)
    assert goal.verdict is Verdict.MISSED  # 4.0× against at most 3×


def test_the_evicted_bare_update_is_shown_beside_it_without_a_goal() -> None:
    by_key = {f.key: f for f in command_figures(measured([0.1, 0.13, 0.16, 0.24]))}

    evicted = by_key["commands_evicted_bare"]
    assert (evicted.measured, evicted.baseline) == (600.0, 240.0)
    assert evicted.ratio == 2.5
    assert evicted.goal is None and evicted.verdict is Verdict.REPORTED
    assert "temporal 5.2 ms, bare-worker 6.3 ms" in evicted.detail
    assert evicted.extra["bare"]["count"] == 4


def test_without_evicted_bare_updates_there_is_no_such_figure() -> None:
    keys = [f.key for f in command_figures(measured([]))]

    assert keys == ["commands", "commands_api"]
