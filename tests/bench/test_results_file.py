"""The smaller benchmarks' result files (``python -m bench.commands``, ``python -m bench.storm``):
named by date, kind and label, with the machine, the load after the run and the stack's
settings from the environment beside the figures."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench import storm, suite


def test_a_result_file_is_named_and_filled_as_the_docs_cite_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(suite, "RESULTS", tmp_path / "results")
    monkeypatch.setenv("BIOSAFETY_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS", "200")
    started = datetime(2026, 12, 6, 2, 15, tzinfo=UTC)
    host = {"machine": "2 cores", "load_before": "0.70"}
    result, path = suite.write_result("storm", "baseline", started, host, {"cases": 1000})
    assert path == tmp_path / "results" / "20261206-0215-storm-baseline.json"
    written = json.loads(path.read_text())
    assert written == result
    assert written["started"] == "2026-12-06 02:15 UTC" and written["cases"] == 1000
    assert written["machine"]["load_before"] == "0.70" and "load_after" in written["machine"]
    assert written["settings"]["BIOSAFETY_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS"] == "200"
    assert "load_after" not in host  # the caller's dictionary is left as it was
    _, unlabelled = suite.write_result("commands", "", started, host, {})
    assert unlabelled.name == "20261206-0215-commands.json"


def test_the_storm_figures_are_percentiles_and_ratios_of_what_was_measured() -> None:
    assert storm._seconds([1.0, 2.0, 3.0, 4.0]) == {"count": 4, "p50_s": 2.0, "p99_s": 4.0}
    assert storm._seconds([]) == {"count": 0, "p50_s": None, "p99_s": None}
    assert storm._ratio([1.0, 13.3], [2.0, 7.6]) == 1.75
    assert storm._ratio([1.0], []) is None
