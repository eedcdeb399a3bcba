"""The development stack's supervision (infra/supervisor.py) on trivial child processes: a child
that dies is restarted with growing back-off, and stopping gives each child its graceful period,
the last started first."""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from infra.supervisor import Backoff, Child, Supervisor

FAST = Backoff(initial=0.1, factor=2.0, maximum=0.4, healthy_after=60.0)


class Reports(list[str]):
    def __call__(self, text: str) -> None:
        self.append(text)

    def matching(self, words: str) -> list[str]:
        return [line for line in self if words in line]


@pytest.fixture
def reports() -> Reports:
    return Reports()


@pytest.fixture
def supervisor(reports: Reports) -> Iterator[Supervisor]:
    supervisor = Supervisor(FAST, report=reports)
    yield supervisor
    supervisor.stop()


def python(tmp_path: Path, name: str, code: str, *args: str, **options: object) -> Child:
    return Child(
        name,
        [sys.executable, "-c", code, *args],
        "1",
        tmp_path / "logs" / f"{name}.log",
        **options,  # type: ignore[arg-type]
    )


def poll_until(supervisor: Supervisor, done: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out"
        supervisor.poll()
        time.sleep(0.02)


# Appends a line to a file each time it starts, then exits with code 3.
COUNT_AND_EXIT = "import sys; open(sys.argv[1], 'a').write('started\\n'); sys.exit(3)"
# Says it is up, then runs until stopped.
RUN = "import time; print('up', flush=True); time.sleep(600)"


def test_a_child_that_dies_is_restarted_with_growing_back_off(
    supervisor: Supervisor, reports: Reports, tmp_path: Path
) -> None:
    starts = tmp_path / "starts"
    child = supervisor.start(python(tmp_path, "flaky", COUNT_AND_EXIT, str(starts)))

    poll_until(supervisor, lambda: supervisor.restarts(child) >= 3 and not child.alive)

    assert starts.read_text().count("started") >= 4  # the first start and three restarts
    died = reports.matching("flaky stopped unexpectedly (exit code 3)")
    assert len(died) >= 3
    assert "restarting in 0.1 s" in died[0]
    assert "restarting in 0.2 s" in died[1]
    assert "restarting in 0.4 s (3 failures in a row)" in died[2]
    assert reports.matching("restarting flaky (restart 1)")


def test_a_killed_child_is_restarted_and_reported_ready_again(
    supervisor: Supervisor, reports: Reports, tmp_path: Path
) -> None:
    server = python(tmp_path, "server", RUN)
    server.ready = lambda: "up" in server.tail
    child = supervisor.start(server)
    poll_until(supervisor, lambda: "up" in child.tail)
    first_pid = child.pid
    child.tail.clear()

    assert child.process is not None
    child.process.send_signal(signal.SIGKILL)
    poll_until(supervisor, lambda: bool(reports.matching("server is ready again")))

    assert child.alive and child.pid != first_pid
    assert reports.matching("server stopped unexpectedly (killed by SIGKILL)")
    assert supervisor.restarts(child) == 1


def test_a_child_that_ran_long_enough_starts_its_back_off_afresh(
    reports: Reports, tmp_path: Path
) -> None:
    supervisor = Supervisor(
        Backoff(initial=0.1, factor=2.0, maximum=10.0, healthy_after=0.3), report=reports
    )
    lives = "import time; time.sleep(0.5)"  # longer than healthy_after each time
    child = supervisor.start(python(tmp_path, "steady", lives))
    try:
        poll_until(supervisor, lambda: supervisor.restarts(child) >= 2)
    finally:
        supervisor.stop()
    died = reports.matching("steady stopped unexpectedly (exit code 0)")
    assert all("restarting in 0.1 s" in line for line in died), died


# Finishes its work for half a second after SIGTERM, then records that it did and exits 0.
GRACEFUL = """
import pathlib, signal, sys, time
def finish(*_):
    time.sleep(0.5)
    pathlib.Path(sys.argv[1]).write_text("finished")
    sys.exit(0)
signal.signal(signal.SIGTERM, finish)
print("up", flush=True)
while True:
    time.sleep(0.05)
"""
STUBBORN = """
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("up", flush=True)
time.sleep(600)
"""


def test_stop_is_graceful_and_in_reverse_order(
    supervisor: Supervisor, reports: Reports, tmp_path: Path
) -> None:
    finished = tmp_path / "finished"
    first = supervisor.start(python(tmp_path, "first", GRACEFUL, str(finished), grace=5.0))
    second = supervisor.start(python(tmp_path, "second", STUBBORN, grace=0.5))
    poll_until(supervisor, lambda: "up" in first.tail and "up" in second.tail)

    supervisor.stop()

    stopping = [line for line in reports if line.startswith("stopping ")]
    assert stopping == ["stopping second (up to 0.5 s)", "stopping first (up to 5 s)"]
    assert reports.matching("second did not stop within 0.5 s; killing it")
    assert first.process is not None and first.process.returncode == 0
    assert finished.read_text() == "finished"  # its work in flight was not cut short
    assert second.exit_status() == "killed by SIGKILL"

    supervisor.poll()  # once stopping, nothing is restarted
    assert not first.alive and not second.alive
    assert not reports.matching("restarting")


def test_back_off_delays() -> None:
    backoff = Backoff(initial=1.0, factor=2.0, maximum=60.0)
    assert [backoff.delay(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]
