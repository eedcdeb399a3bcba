"""What a production process adds to the development defaults: TLS and Temporal Cloud API keys
for the Temporal connection (infra/temporal.py), the worker's Prometheus runtime, and the API's
own /metrics (infra/metrics.py), which stays out of the OpenAPI contract."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from temporalio.service import TLSConfig

from api.app import create_app
from infra.settings import Settings
from infra.temporal import telemetry, tls_config


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, environment="test", **values)  # type: ignore[arg-type]


def test_plain_connection_by_default() -> None:
    assert tls_config(settings()) is False


def test_tls_with_the_system_trust_store() -> None:
    assert tls_config(settings(temporal_tls=True)) is True
    # Temporal Cloud with an API key always speaks TLS.
    assert tls_config(settings(temporal_api_key="cloud-key")) is True


def test_mutual_tls_reads_the_files(tmp_path: Path) -> None:
    files = {}
    for name in ("ca", "cert", "key"):
        files[name] = tmp_path / f"{name}.pem"
        files[name].write_bytes(f"-----{name}-----".encode())
    config = tls_config(
        settings(
            temporal_tls_ca_file=str(files["ca"]),
            temporal_tls_cert_file=str(files["cert"]),
            temporal_tls_key_file=str(files["key"]),
            temporal_tls_server_name="frontend.temporal.internal",
        )
    )
    assert config == TLSConfig(
        server_root_ca_cert=b"-----ca-----",
        client_cert=b"-----cert-----",
        client_private_key=b"-----key-----",
        domain="frontend.temporal.internal",
    )


def test_a_client_certificate_needs_its_key() -> None:
    with pytest.raises(ValidationError, match="go together"):
        settings(temporal_tls_cert_file="/etc/biosafety/temporal-tls/tls.crt")


def test_the_api_key_is_kept_secret() -> None:
    value = settings(temporal_api_key="cloud-key")
    assert "cloud-key" not in repr(value) and "cloud-key" not in str(value.model_dump())


def test_worker_metrics_only_when_asked() -> None:
    assert telemetry(settings()).metrics is None
    asked = telemetry(settings(worker_metrics_bind_address="127.0.0.1:9464"))
    assert asked.metrics is not None


def test_the_sdk_cores_log_lines_go_through_python_logging() -> None:
    """Else they are plain text on stderr beside the worker's JSON lines."""
    logging_config = telemetry(settings()).logging
    assert logging_config is not None and logging_config.forwarding is not None
    assert logging_config.forwarding.logger.name == "temporalio.core"


async def test_api_metrics_count_requests_by_route_and_stay_out_of_openapi() -> None:
    app = create_app(settings(), client=object(), pool=object())  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        assert (await http.get("/livez")).status_code == 200
        assert (await http.get("/livez")).status_code == 200
        assert (await http.get("/no/such/path")).status_code == 404
        scrape = await http.get("/metrics")
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain")
    text = scrape.text
    assert 'biosafety_api_requests_total{method="GET",route="/livez",status="200"} 2.0' in text
    # A path no route knows is one series, whatever the path: the number of series is bounded.
    assert 'route="unmatched",status="404"} 1.0' in text and "/no/such/path" not in text
    assert 'biosafety_api_request_duration_seconds_count{method="GET",route="/livez"} 2.0' in text
    assert "biosafety_api_requests_in_flight 0.0" in text
    assert "/metrics" not in app.openapi()["paths"]
