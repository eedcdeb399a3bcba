"""The Temporal client every process connects with: one address, namespace and data converter
(the SDK's pydantic converter, which carries our models and ``timedelta``) for the worker, the
API and the tools; TLS (a private CA, mutual TLS with a client certificate) or a Temporal Cloud
API key from the settings; and, for the worker, a runtime that serves the SDK's Prometheus
metrics."""

from __future__ import annotations

import logging
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    PrometheusConfig,
    Runtime,
    TelemetryConfig,
)
from temporalio.service import TLSConfig

from infra.settings import Settings


def tls_config(settings: Settings) -> TLSConfig | bool:
    """What ``Client.connect`` takes as ``tls``: False (plain gRPC, the dev server), True (TLS
    with the system trust store, e.g. Temporal Cloud with an API key) or a TLSConfig naming the
    CA, the client certificate and key (mutual TLS) and the server name to verify."""
    files = (
        settings.temporal_tls_ca_file,
        settings.temporal_tls_cert_file,
        settings.temporal_tls_key_file,
    )
    if not any(files) and not settings.temporal_tls_server_name:
        return settings.temporal_tls or settings.temporal_api_key is not None

    def read(path: str | None) -> bytes | None:
        return Path(path).read_bytes() if path else None

    return TLSConfig(
        server_root_ca_cert=read(settings.temporal_tls_ca_file),
        client_cert=read(settings.temporal_tls_cert_file),
        client_private_key=read(settings.temporal_tls_key_file),
        domain=settings.temporal_tls_server_name,
    )


def telemetry(settings: Settings) -> TelemetryConfig:
    """The SDK core's telemetry for the worker: its log lines (warnings and errors, e.g. a local
    activity completed after its task was given up) go through Python's logging, so they are
    structured like every other line (``temporalio.core``), not plain text on stderr; and a
    Prometheus endpoint (``/metrics`` on ``worker_metrics_bind_address``, when set) exports the
    SDK's worker and client metrics: task slots, poll and schedule-to-start latencies,
    activity and workflow task failures, ..."""
    prometheus = (
        PrometheusConfig(
            bind_address=settings.worker_metrics_bind_address,
            counters_total_suffix=True,
            durations_as_seconds=True,
        )
        if settings.worker_metrics_bind_address
        else None
    )
    forwarded = LoggingConfig(
        filter=LoggingConfig.default.filter,
        forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")),
    )
    return TelemetryConfig(logging=forwarded, metrics=prometheus)


def worker_runtime(settings: Settings) -> Runtime:
    return Runtime(telemetry=telemetry(settings))


async def connect(settings: Settings, *, runtime: Runtime | None = None) -> Client:
    api_key = settings.temporal_api_key
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        tls=tls_config(settings),
        api_key=api_key.get_secret_value() if api_key is not None else None,
        runtime=runtime,
    )
