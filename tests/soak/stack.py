"""The real development stack (``make run``: infra/devstack.py) as the soak drives it: started as
a subprocess on free ports in a state folder of its own, its components found among the
devstack's children and killed like a crash would, while its supervisor restarts them.

Each component is the devstack's direct child and leads a process group of its own (the
supervisor starts each in a new session), so killing the group takes PostgreSQL's backends or
anything else a component started down with it, as a power cut would.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from infra.supervisor import ROOT

STOP_SECONDS = 150.0  # the devstack gives each component its own grace period, in turn

# How each component is recognised in its command line (argv).
_SIGNATURES: dict[str, Callable[[list[str]], bool]] = {
    "temporal": lambda argv: "start-dev" in argv,
    "postgres": lambda argv: Path(argv[0]).name == "postgres" and "-D" in argv,
    "smtp": lambda argv: "infra.smtp_sink" in argv,
    "bch": lambda argv: "infra.bch_standin" in argv,
    # One worker, or the workflows' half of a split one (BIOSAFETY_DEVSTACK_ACTIVITY_WORKER).
    "worker": lambda argv: (
        argv[-2:] == ["-m", "worker"]
        or argv[-4:-2] == ["-m", "worker"]
        and argv[-2:] == ["--runs", "workflows"]
    ),
    "activities": lambda argv: argv[-4:] == ["-m", "worker", "--runs", "activities"],
    "api": lambda argv: "infra.serve" in argv,
}
COMPONENTS = tuple(_SIGNATURES)


class StackFailed(Exception):
    """The stack did not start, or a component did not come back."""


def free_ports(count: int) -> list[int]:
    """Ports nothing listens on now (held open together, so they are distinct)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass(frozen=True)
class Principals:
    """Bearer tokens of the callers the soak plays (BIOSAFETY_API_TOKENS of the stack)."""

    tokens: dict[str, str] = field(
        default_factory=lambda: {
            f"soak-{name}-{os.urandom(12).hex()}": principal
            for name, principal in [
                ("runner", "staff:soak"),
                ("kovacs", "staff:kovacs"),
                ("nagy", "staff:nagy"),
                ("alice", "notifier:alice@acme-seeds.example"),
                ("bob", "notifier:bob@other-seeds.example"),
            ]
        }
    )

    def token(self, principal: str) -> str:
        return next(t for t, p in self.tokens.items() if p == principal)


@dataclass
class Kill:
    component: str
    pid: int
    at: float  # time.monotonic()
    log_offset: int  # the component's log size when it was killed
    wall: float = field(default_factory=time.time)


class LiveStack:
    """``python -m infra.devstack`` in ``state``, on free ports."""

    def __init__(self, state: Path, principals: Principals, env: dict[str, str]) -> None:
        self.state = state
        self.principals = principals
        temporal, ui, smtp, bch, api = free_ports(5)
        self.ports = {"temporal": temporal, "ui": ui, "smtp": smtp, "bch": bch, "api": api}
        self.api_url = f"http://127.0.0.1:{api}"
        self.bch_url = f"http://127.0.0.1:{bch}"
        self.temporal_address = f"127.0.0.1:{temporal}"
        self.env = {
            **os.environ,
            "NO_COLOR": "1",
            "PYTHONUNBUFFERED": "1",
            "BIOSAFETY_API_TOKENS": json.dumps(principals.tokens),
            **env,
        }
        self.env.pop("DATABASE_URL", None)  # always the stack's own embedded PostgreSQL
        self.process: subprocess.Popen[bytes] | None = None
        self.started_in: float | None = None
        self.kills: list[Kill] = []  # every SIGKILL the soak sent, in order

    @property
    def log_path(self) -> Path:
        return self.state / "devstack.log"

    def component_log(self, component: str) -> Path:
        return self.state / "logs" / f"{component}.log"

    # ---- start and stop

    def start(self, timeout: float = 240.0) -> None:
        self.state.mkdir(parents=True, exist_ok=True)
        argv = [
            sys.executable, "-m", "infra.devstack", "--state-dir", str(self.state),
            "--temporal-port", str(self.ports["temporal"]), "--ui-port", str(self.ports["ui"]),
            "--smtp-port", str(self.ports["smtp"]), "--bch-port", str(self.ports["bch"]),
            "--api-port", str(self.ports["api"]),
        ]  # fmt: skip
        began = time.monotonic()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = began + timeout
        while not self.ready():
            if self.process.poll() is not None:
                raise StackFailed(f"the devstack stopped while starting:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise StackFailed(f"the stack was not ready in {timeout:.0f} s:\n{self.log_tail()}")
            time.sleep(0.5)
        self.started_in = time.monotonic() - began

    def ready(self) -> bool:
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(f"{self.api_url}/readyz", timeout=5).status_code == 200
        return False

    def stop(self) -> None:
        """SIGTERM the devstack (it stops its components in reverse order, each within its own
        grace period); whatever is left after STOP_SECONDS is killed."""
        process = self.process
        if process is None or process.poll() is not None:
            self._kill_leftovers()
            return
        children = self._children()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        self._kill_leftovers(children)

    def _kill_leftovers(self, children: dict[int, tuple[int, list[str]]] | None = None) -> None:
        for pid in children or {}:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(text[-lines:])

    # ---- components

    def _children(self) -> dict[int, tuple[int, list[str]]]:
        """The devstack's direct children: pid → (start time in clock ticks, argv)."""
        if self.process is None:
            return {}
        found = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            # After the command name in parentheses: state, the parent pid, ... (proc(5));
            # the start time is the 22nd field in all.
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == self.process.pid and argv and argv[0]:
                args = [a.decode(errors="replace") for a in argv if a]
                found[int(entry.name)] = (int(fields[19]), args)
        return found

    def pids(self, component: str) -> list[int]:
        """Every running process of ``component``, the first started first (with
        BIOSAFETY_DEVSTACK_WORKERS, the workflows' workers are several)."""
        matches = _SIGNATURES[component]
        children = self._children()
        return sorted(
            (pid for pid, (_, argv) in children.items() if matches(argv)),
            key=lambda pid: (children[pid][0], pid),
        )

    def pid(self, component: str) -> int | None:
        found = self.pids(component)
        return found[0] if found else None

    def kill(self, component: str, sig: signal.Signals = signal.SIGKILL) -> Kill:
        """Kill a component and everything in its process group (as a crash would)."""
        pid = self.pid(component)
        if pid is None:
            raise StackFailed(f"{component} is not running")
        offset = self._log_size(component)
        os.killpg(pid, sig)
        kill = Kill(component, pid, time.monotonic(), offset)
        self.kills.append(kill)
        return kill

    def _log_size(self, component: str) -> int:
        try:
            return self.component_log(component).stat().st_size
        except OSError:
            return 0

    def logged_since(self, component: str, offset: int, text: str) -> bool:
        try:
            with self.component_log(component).open("rb") as log:
                log.seek(offset)
                return text.encode() in log.read()
        except OSError:
            return False

    def hold_down(self, component: str, seconds: float) -> int:
        """Keep a component down for ``seconds``: kill it, and kill it again each time the
        supervisor restarts it (its back-off grows: 1 s, 2 s, 4 s, ...). Returns how many times
        it was killed. Blocking: run it in a thread."""
        kills = 1
        dead = {self.kill(component).pid}
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            pid = self.pid(component)
            if pid is not None and pid not in dead:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
                self.kills.append(Kill(component, pid, time.monotonic(), self._log_size(component)))
                dead.add(pid)
                kills += 1
            time.sleep(0.05)
        return kills

    def wait_restarted(
        self, kill: Kill, ready: Callable[[], bool], timeout: float = 120.0
    ) -> float:
        """Seconds from the kill until the supervisor's new process is there and ``ready``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid = self.pid(kill.component)
            if pid is not None and pid != kill.pid and ready():
                return time.monotonic() - kill.at
            time.sleep(0.1)
        raise StackFailed(f"{kill.component} did not come back within {timeout:.0f} s")

    def worker_started(self, kill: Kill) -> Callable[[], bool]:
        return lambda: self.logged_since("worker", kill.log_offset, "worker started")

    def port_open(self, component: str) -> Callable[[], bool]:
        port = self.ports[component]

        def probe() -> bool:
            with socket.socket() as sock:
                sock.settimeout(0.5)
                return sock.connect_ex(("127.0.0.1", port)) == 0

        return probe

    def component_ready(self, component: str) -> Callable[[], bool]:
        """As the API sees it: /readyz names Temporal's and the database's status."""

        def probe() -> bool:
            with contextlib.suppress(httpx.HTTPError, ValueError):
                r = httpx.get(f"{self.api_url}/readyz", timeout=5)
                return bool(r.json()["components"][component]["status"] == "ok")
            return False

        return probe
