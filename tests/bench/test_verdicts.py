"""The dev-server suite's own arithmetic (bench/verdicts.py): percentiles, ratios to the bare
baseline, verdicts against the goals of issue 14, the result file and the table it writes into
docs/performance.md. The measurements themselves never run in ``make test``."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bench.verdicts import (
    SCHEMA,
    TABLE_BEGIN,
    TABLE_END,
    Figure,
    Goal,
    Run,
    Verdict,
    percentile,
    replace_table,
    table,
)

INTAKE_GOAL = Goal("at_least", 0.5, "ratio", aim=0.7)  # ≥ 0.5× bare starts, aim 0.7×
STORM_GOAL = Goal("at_most", 1.5, "ratio")  # p99 ≤ 1.5× bare
MEMORY_GOAL = Goal("at_most", 300, "value")  # < 300 MB at 10,000 open cases


def test_percentile_is_nearest_rank() -> None:
    values = [float(x) for x in range(1, 101)]  # 1..100
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([3.0, 1.0, 2.0], 0) == 1.0
    # A p99 of few samples is their worst: a latency some request really had.
    assert percentile([0.1, 0.2, 5.0], 99) == 5.0


def test_percentile_of_nothing_is_not_a_number_and_bad_ranks_are_refused() -> None:
    assert math.isnan(percentile([], 99))
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1.0], 101)


def test_intake_ratio_to_bare_starts_and_its_aim() -> None:
    # 13.4 cases/s through the API against 100.7 bare starts/s: the first measurement.
    before = Figure("intake", "intake", 13.4, "cases/s", baseline=100.7, goal=INTAKE_GOAL)
    assert before.ratio == pytest.approx(0.133, abs=0.001)
    assert before.verdict is Verdict.MISSED
    met = Figure("intake", "intake", 60.0, "cases/s", baseline=100.0, goal=INTAKE_GOAL)
    assert met.verdict is Verdict.MET
    assert met.to_json()["goal"]["aim_met"] is False
    aimed = Figure("intake", "intake", 75.0, "cases/s", baseline=100.0, goal=INTAKE_GOAL)
    assert aimed.to_json()["goal"]["aim_met"] is True


def test_latency_goals_compare_the_ratio_at_most() -> None:
    # Lapse recorded p99 134 s against bare woke p99 42 s: 3.2× bare, missed.
    storm = Figure("storm_lapse", "storm", 134.0, "s", baseline=42.0, goal=STORM_GOAL)
    assert storm.ratio == pytest.approx(3.19, abs=0.01)
    assert storm.verdict is Verdict.MISSED
    on_the_line = Figure("storm_lapse", "storm", 63.0, "s", baseline=42.0, goal=STORM_GOAL)
    assert on_the_line.verdict is Verdict.MET  # 1.5× exactly is within "≤ 1.5×"


def test_value_goals_ignore_the_baseline_and_figures_without_goal_are_reported() -> None:
    memory = Figure("memory", "rss", 444.0, "MiB", goal=MEMORY_GOAL)
    assert memory.ratio is None
    assert memory.verdict is Verdict.MISSED
    assert Figure("memory", "rss", 280.0, "MiB", goal=MEMORY_GOAL).verdict is Verdict.MET
    history = Figure("history", "events", 79.0, "events")
    assert history.verdict is Verdict.REPORTED


def test_what_was_not_measured_is_said_never_passed() -> None:
    assert Figure("x", "x", math.nan, "s", goal=MEMORY_GOAL).verdict is Verdict.NOT_MEASURED
    # A baseline that could not be taken leaves the ratio, and so the verdict, open.
    no_base = Figure("x", "x", 10.0, "s", baseline=math.nan, goal=STORM_GOAL)
    assert no_base.verdict is Verdict.NOT_MEASURED
    zero = Figure("x", "x", 10.0, "s", baseline=0.0, goal=STORM_GOAL)
    assert zero.verdict is Verdict.NOT_MEASURED


def test_goal_texts() -> None:
    assert INTAKE_GOAL.text == "≥ 0.5× bare, aim 0.7× bare"
    assert STORM_GOAL.text == "≤ 1.5× bare"
    assert MEMORY_GOAL.text == "≤ 300"


def _run(*figures: Figure, full: bool = False) -> Run:
    return Run(
        started="2026-12-05 02:50 UTC",
        finished="2026-12-05 03:01 UTC",
        machine={"machine": "2 cores", "load_before": "1.50", "load_after": "2.00"},
        options={"full": full, "cases": 300},
        figures=list(figures),
        notes=["figures from a shared 2-core machine"],
    )


def test_the_result_file_round_trips_and_carries_ratio_and_verdict(tmp_path: Path) -> None:
    figures = (
        Figure("intake", "intake", 13.4, "cases/s", 100.7, "bare starts", INTAKE_GOAL, "p99 1 s"),
        Figure("memory", "rss", 280.0, "MiB", goal=MEMORY_GOAL, projected=True),
        Figure("storm_lapse", "storm", math.nan, "s", baseline=42.0, goal=STORM_GOAL),
    )
    path = _run(*figures).write(tmp_path / "results")
    assert path.name == "20261205-0250-default.json"
    data = json.loads(path.read_text())
    assert data["schema"] == SCHEMA
    intake = data["figures"][0]
    assert intake["ratio"] == pytest.approx(13.4 / 100.7)
    assert intake["verdict"] == "missed"
    assert intake["goal"]["text"] == "≥ 0.5× bare, aim 0.7× bare"
    # JSON has no NaN: what was not measured is null, and read back as not measured.
    assert data["figures"][2]["measured"] is None
    assert data["figures"][2]["verdict"] == "not measured"
    back = Run.read(path)
    assert back.figures[0] == figures[0]
    assert back.figures[1].projected is True
    assert back.figures[2].verdict is Verdict.NOT_MEASURED


def test_a_result_file_of_another_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"schema": SCHEMA + 1, "figures": []}))
    with pytest.raises(ValueError, match="schema"):
        Run.read(path)


def test_the_table_shows_baseline_ratio_goal_and_verdict() -> None:
    text = table(
        _run(
            Figure("intake", "intake", 60.0, "cases/s", 100.0, "bare starts", INTAKE_GOAL),
            Figure("memory", "worker RSS", 280.0, "MiB", goal=MEMORY_GOAL, projected=True),
            Figure("history", "decided case", 79.0, "events", detail="44.9 KiB"),
        )
    )
    lines = text.splitlines()
    assert "| 1 | intake | 60 cases/s | 100 cases/s (bare starts) | 0.60× | " in text
    assert "≥ 0.5× bare, aim 0.7× bare | **met (aim not met)** |" in text
    assert "| 2 | worker RSS | 280 MiB (projected) | – | – | ≤ 300 | **met** |" in text
    assert "| 3 | decided case | 79 events; 44.9 KiB | – | – | – | **reported** |" in text
    assert lines[-1] == "- figures from a shared 2-core machine"
    assert "default suite: cases 300" in lines[0]


def test_the_table_replaces_only_its_own_block() -> None:
    run = _run(Figure("history", "decided case", 79.0, "events"))
    fresh = replace_table("", run)
    assert fresh.startswith(TABLE_BEGIN) and fresh.rstrip().endswith(TABLE_END)
    document = (
        f"# Performance\n\nProse before.\n\n{TABLE_BEGIN}\nold table\n{TABLE_END}\n\nAfter.\n"
    )
    replaced = replace_table(document, run)
    assert "old table" not in replaced
    assert replaced.startswith("# Performance\n\nProse before.\n\n")
    assert replaced.endswith(f"{TABLE_END}\n\nAfter.\n")
    assert replaced.count(TABLE_BEGIN) == 1
    appended = replace_table("# Performance\n\nNo table yet.\n", run)
    assert appended.startswith("# Performance\n\nNo table yet.\n\n" + TABLE_BEGIN)
