"""SMTP fixtures: the real SMTP sink (infra/smtp_sink.py) on a free port.

``smtp_sink_server`` runs once per session; ``smtp_sink`` is the same sink reset for each test
(no messages held, no faults), so tests can assert on exactly what they sent.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.smtp_sink import SmtpSink


@pytest.fixture(scope="session")
def smtp_sink_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpSink]:
    sink = SmtpSink(tmp_path_factory.mktemp("mail"))
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def smtp_sink(smtp_sink_server: SmtpSink) -> Iterator[SmtpSink]:
    """The session's SMTP sink, emptied and with every fault switched off."""
    smtp_sink_server.reset()
    yield smtp_sink_server
    smtp_sink_server.reset()
