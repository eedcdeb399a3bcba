"""``python -m bench.intake``'s figures: the answers' rate against the bare starts', and the
CPU per case opened in milliseconds, from what the live run measured."""

from __future__ import annotations

from bench import intake, live


def test_the_intake_figures_are_rates_ratios_and_cpu_per_case() -> None:
    m = live.Measured()
    m.intake.seconds = [0.05, 0.07, 0.06, 0.2]
    m.intake.wall = 0.04  # 4 answers in 40 ms: 100 a second
    m.bare_starts.seconds = [0.03] * 8
    m.bare_starts.wall = 0.05  # 160 a second
    m.intake_settled_seconds = 21.84
    m.cpu_during_intake = {"temporal": 0.72}
    m.cpu_per_case_opened = {"temporal": 0.01262, "worker": 0.00926}
    f = intake.figures(m)
    assert f["intake"]["per_second"] == 100.0 and f["bare_starts"]["per_second"] == 160.0
    assert f["ratio"] == 0.625
    assert f["intake"]["p99_ms"] == 200.0
    assert f["settled_seconds"] == 21.8
    assert f["cpu_ms_per_case"] == {"temporal": 12.62, "worker": 9.26}
    assert f["cores_during_answers"] == {"temporal": 0.72}


def test_nothing_measured_gives_no_ratio() -> None:
    f = intake.figures(live.Measured())
    assert f["ratio"] is None and f["settled_seconds"] is None and f["cpu_ms_per_case"] == {}
