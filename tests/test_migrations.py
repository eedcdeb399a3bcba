"""The register's schema: migrations apply once, and the audit log refuses edits."""

import asyncpg
import pytest

from infra import db


async def test_migrations_are_recorded_and_not_reapplied(pg_url: str) -> None:
    assert await db.migrate(pg_url) == []  # the fixture already applied them
    conn = await asyncpg.connect(pg_url)
    try:
        versions = [r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")]
        assert versions == [name for name, _ in db.migration_files()]
    finally:
        await conn.close()


async def test_audit_log_is_append_only(db_pool: asyncpg.Pool) -> None:
    async with db_pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO audit_log (case_id, seq, at, kind, actor, summary)"
            " VALUES ('t-append-only', 1, now(), 'received', 'system', 'x')"
        )
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("UPDATE audit_log SET summary = 'y' WHERE case_id = 't-append-only'")
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("DELETE FROM audit_log WHERE case_id = 't-append-only'")
