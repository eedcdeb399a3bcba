"""The Temporal client every process connects with: one address, namespace and data converter
(the SDK's pydantic converter, which carries our models and ``timedelta``) for the worker, the
API and the tools."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from infra.settings import Settings


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
    )
