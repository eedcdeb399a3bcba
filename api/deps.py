"""FastAPI dependencies: the settings, Temporal client, register pool and clock the app holds on
``app.state`` (opened once by the lifespan in api/app.py, or injected by tests)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated

import asyncpg
from fastapi import Depends, Request
from temporalio.client import Client

from infra.settings import Settings


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_client(request: Request) -> Client:
    client: Client | None = request.app.state.client
    if client is None:  # only if the lifespan did not run: a wiring error, not a user's
        raise RuntimeError("the Temporal client is not connected (lifespan did not run)")
    return client


def get_pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool | None = request.app.state.pool
    if pool is None:
        raise RuntimeError("the register's database pool is not open (lifespan did not run)")
    return pool


Clock = Callable[[], Awaitable[datetime]]


async def system_clock() -> datetime:
    return datetime.now(UTC)


async def get_now(request: Request) -> datetime:
    """The moment a case is read "as of": the system clock, or the test server's (tests run on
    Temporal's time-skipping server, whose clock is not the system's)."""
    clock: Clock = request.app.state.clock
    return await clock()


SettingsDep = Annotated[Settings, Depends(get_settings)]
ClientDep = Annotated[Client, Depends(get_client)]
PoolDep = Annotated[asyncpg.Pool, Depends(get_pool)]
NowDep = Annotated[datetime, Depends(get_now)]
