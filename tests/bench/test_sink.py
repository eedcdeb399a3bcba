"""``python -m bench.sink`` against the real standalone sink: every message sent is stored, and
the figures it prints come from the sink's own process."""

from __future__ import annotations

from bench.sink import measure


def test_the_sink_bench_stores_every_message_and_measures_the_sink() -> None:
    figures = measure(messages=60, connections=4)
    assert figures["messages"] == 60
    assert figures["per_second"] > 0
    assert figures["sink_cpu_ms_per_message"] > 0
    assert figures["answer_p50_ms"] <= figures["answer_p99_ms"]
    # The standalone sink keeps nothing in memory: its resident size barely moves.
    assert figures["sink_rss_mib_after"] - figures["sink_rss_mib_before"] < 5
