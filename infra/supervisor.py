"""Child processes and their supervision, for the development stack (infra/devstack.py).

A ``Child`` is one component's process, its output prefixed on the terminal and appended to its
log file. The ``Supervisor`` starts children, restarts one that dies with exponential back-off
(saying so, with its exit status), and stops them all in reverse order of starting, each with its
own graceful period, when the stack stops.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, NoReturn

ROOT = Path(__file__).resolve().parent.parent
STOP_GRACE_SECONDS = 10.0
TAIL_LINES = 30


# --- output --------------------------------------------------------------------------------------

_print_lock = threading.Lock()
COLOURS = ["36", "35", "33", "32", "34", "31"]
_use_colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ


def say(name: str, text: str, colour: str = "1") -> None:
    label = f"{name:>8} |"
    if _use_colour:
        label = f"\033[{colour}m{label}\033[0m"
    with _print_lock:
        print(f"{label} {text}", flush=True)


def note(text: str) -> None:
    say("devstack", text)


# --- one child -----------------------------------------------------------------------------------


def _die_with_parent() -> None:
    """Runs in the child before exec: on Linux, get SIGTERM if the devstack itself is killed."""
    if _libc is not None:
        _libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


@dataclass
class Child:
    """One component's process. ``stop_signal`` asks it to finish (SIGTERM; PostgreSQL: SIGINT,
    its fast shutdown), sent to its whole process group unless ``signal_group`` is false (then
    to the process alone, which stops its own children); ``grace`` is how long it may take
    before everything in its group is killed; ``ready`` says whether it serves (after a restart,
    the supervisor reports when it does again)."""

    name: str
    argv: list[str]
    colour: str
    log_path: Path
    env: dict[str, str] | None = None
    stop_signal: signal.Signals = signal.SIGTERM
    signal_group: bool = True
    grace: float = STOP_GRACE_SECONDS
    run_as: str | None = None  # a system user (PostgreSQL refuses to run as root)
    ready: Callable[[], bool] | None = None
    process: subprocess.Popen[str] | None = None
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=TAIL_LINES))
    reader: threading.Thread | None = None
    quiet: bool = False  # once stopping, output goes to the log file only

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.quiet = False
        uid = gid = None
        groups: list[int] | None = None
        if self.run_as is not None:
            import pwd

            entry = pwd.getpwnam(self.run_as)
            uid, gid, groups = entry.pw_uid, entry.pw_gid, []
        self.process = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            encoding="utf-8",
            errors="replace",  # one odd byte must not kill the reader and block the child
            bufsize=1,
            # Own process group: Ctrl-C reaches only the devstack, which stops children in order.
            start_new_session=True,
            preexec_fn=_die_with_parent if _libc is not None else None,
            user=uid,
            group=gid,
            extra_groups=groups,
        )
        assert self.process.stdout is not None
        self.reader = threading.Thread(
            target=self._pump, args=(self.process.stdout,), name=f"{self.name}-output", daemon=True
        )
        self.reader.start()

    def _pump(self, stream: IO[str]) -> None:
        with self.log_path.open("a", encoding="utf-8") as log:
            log.write(f"===== {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(self.argv)}\n")
            for raw in stream:
                line = raw.rstrip("\n")
                self.tail.append(line)
                log.write(raw)
                log.flush()
                if not self.quiet:
                    say(self.name, line, self.colour)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def last_lines(self) -> str:
        if self.reader is not None:
            self.reader.join(timeout=1.0)  # let the last output arrive
        return "\n".join(f"    {line}" for line in self.tail) or "    (no output)"

    def exit_status(self) -> str:
        code = self.process.returncode if self.process else None
        if code is not None and code < 0:
            with contextlib.suppress(ValueError):
                return f"killed by {signal.Signals(-code).name}"
        return f"exit code {code}"

    def stop(self, report: Callable[[str], None] = note) -> None:
        """Ask the child to finish, wait up to ``grace`` seconds, then kill what is left."""
        self.quiet = True
        if self.process is None or self.process.poll() is not None:
            return
        self._signal(self.stop_signal, group=self.signal_group)
        try:
            self.process.wait(timeout=self.grace)
        except subprocess.TimeoutExpired:
            report(f"{self.name} did not stop within {self.grace:g} s; killing it")
            self._signal(signal.SIGKILL, group=True)
            self.process.wait()
        if self.reader is not None:
            self.reader.join(timeout=2.0)

    def _signal(self, sig: signal.Signals, *, group: bool) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            if group:
                os.killpg(self.process.pid, sig)  # nothing it spawned is left behind
            else:
                self.process.send_signal(sig)


# --- supervision ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backoff:
    """Restart delays: ``initial``, then ``factor`` times the previous one, at most ``maximum``.
    A child that ran ``healthy_after`` seconds before dying starts again from ``initial``."""

    initial: float = 1.0
    factor: float = 2.0
    maximum: float = 60.0
    healthy_after: float = 60.0

    def delay(self, failures: int) -> float:
        return float(min(self.maximum, self.initial * self.factor ** max(0, failures - 1)))


@dataclass
class _Watch:
    child: Child
    started_at: float
    failures: int = 0  # consecutive deaths without a healthy run between them
    restarts: int = 0
    restart_at: float | None = None  # a restart is due at this time
    awaiting_ready: bool = False


class Supervisor:
    """Keeps children running: ``poll()`` (or ``run()``, which polls until interrupted) notices a
    dead child, reports its exit status and restarts it after a back-off; ``stop()`` stops all
    in reverse order of starting."""

    def __init__(
        self,
        backoff: Backoff | None = None,
        report: Callable[[str], None] = note,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.backoff = backoff or Backoff()
        self.report = report
        self.clock = clock
        self._watches: list[_Watch] = []
        self.stopping = False

    @property
    def children(self) -> list[Child]:
        return [w.child for w in self._watches]

    def start(self, child: Child) -> Child:
        """Start ``child`` and watch it from now on."""
        child.start()
        self._watches.append(_Watch(child, started_at=self.clock()))
        return child

    def restarts(self, child: Child) -> int:
        return next(w.restarts for w in self._watches if w.child is child)

    def poll(self) -> None:
        """One round: report and schedule the restart of children that died, restart those
        whose back-off is over, and report children that serve again."""
        if self.stopping:
            return
        now = self.clock()
        for watch in self._watches:
            child = watch.child
            if watch.restart_at is None and not child.alive:
                ran = now - watch.started_at
                watch.failures = 1 if ran >= self.backoff.healthy_after else watch.failures + 1
                delay = self.backoff.delay(watch.failures)
                watch.restart_at = now + delay
                self.report(
                    f"{child.name} stopped unexpectedly ({child.exit_status()}) after {ran:.0f} s; "
                    f"restarting in {delay:g} s"
                    + (f" ({watch.failures} failures in a row)" if watch.failures > 1 else "")
                )
            elif watch.restart_at is not None and now >= watch.restart_at:
                watch.restart_at = None
                watch.restarts += 1
                watch.started_at = now
                watch.awaiting_ready = child.ready is not None
                self.report(f"restarting {child.name} (restart {watch.restarts})")
                try:
                    child.start()
                except OSError as error:  # e.g. its program vanished: try again later
                    self.report(f"cannot start {child.name}: {error}")
            elif watch.awaiting_ready and child.alive and child.ready is not None:
                with contextlib.suppress(Exception):  # a readiness probe reports, never raises
                    if child.ready():
                        watch.awaiting_ready = False
                        self.report(f"{child.name} is ready again")

    def run(self, interval: float = 0.5) -> NoReturn:
        """Supervise until interrupted (KeyboardInterrupt: Ctrl-C, or SIGTERM turned into it)."""
        while True:
            self.poll()
            time.sleep(interval)

    def stop(self) -> None:
        """Stop every child, the last started first, each within its own grace period."""
        self.stopping = True
        for watch in reversed(self._watches):
            child = watch.child
            if child.alive:
                self.report(f"stopping {child.name} (up to {child.grace:g} s)")
            child.stop(self.report)
