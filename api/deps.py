"""FastAPI dependencies: the settings, Temporal client and register pool the app holds on
``app.state`` (opened once by the lifespan in api/app.py, or injected by tests)."""

from __future__ import annotations

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


SettingsDep = Annotated[Settings, Depends(get_settings)]
ClientDep = Annotated[Client, Depends(get_client)]
PoolDep = Annotated[asyncpg.Pool, Depends(get_pool)]
