"""PostgreSQL access: the connection pool and versioned plain-SQL migrations.

Migrations are the files ``infra/migrations/NNNN_name.sql``, applied in order, each once, in a
transaction, and recorded in ``schema_migrations``. Plain SQL was chosen over alembic because the
register has no ORM models to autogenerate from and plain files are what a DBA reviews.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

import asyncpg

_LOCK_ID = 0x0B105AFE  # advisory lock: two processes migrating at once wait for each other


def migration_files() -> list[tuple[str, str]]:
    folder = resources.files("infra") / "migrations"
    files = sorted((p for p in folder.iterdir() if p.name.endswith(".sql")), key=lambda p: p.name)
    return [(p.name.removesuffix(".sql"), p.read_text(encoding="utf-8")) for p in files]


async def migrate(dsn: str) -> list[str]:
    """Apply pending migrations; return the versions applied now."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_ID)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        applied = []
        for version, sql in migration_files():
            if version in done:
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", version)
            applied.append(version)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_ID)
        await conn.close()


async def create_pool(dsn: str, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn, min_size=1, max_size=max_size, init=_init_connection, reset=_keep_session
    )
    assert pool is not None
    return pool


# PostgreSQL cannot store U+0000, nor a lone surrogate, in text or jsonb: a value holding one
# would make its write fail on every retry. The API refuses such input; anything that still
# carries one (a workflow started by other means, an outside system's answer) is stored with
# U+FFFD in its place, so that a register row or a message record can always be written.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(value: Any) -> Any:
    """``value`` with every character PostgreSQL cannot store replaced by U+FFFD, recursively."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable(v) for v in value]
    return value


def _encode_json(value: Any) -> str:
    return json.dumps(storable(value))


async def _keep_session(conn: asyncpg.Connection) -> None:
    """What a connection needs on its way back to the pool beyond what asyncpg does itself (an
    open transaction rolled back): nothing. Our code changes no session state on a pooled
    connection (no SET, LISTEN, advisory lock or cursor; the migrations' lock is taken on a
    connection of their own), so the default reset statement (RESET ALL, UNLISTEN *,
    pg_advisory_unlock_all(), ...) would only add a round trip to every use of the pool."""


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "jsonb", encoder=_encode_json, decoder=json.loads, schema="pg_catalog"
    )
    await conn.set_type_codec(
        "text", encoder=storable, decoder=lambda s: s, schema="pg_catalog", format="text"
    )
