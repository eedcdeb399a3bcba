"""SMTP fixtures: the real SMTP sink (infra/smtp_sink.py) on a free port.

``smtp_sink_server`` runs once per session; ``smtp_sink`` is the same sink reset for each test
(no messages held, no faults), so tests can assert on exactly what they sent. It offers
SMTPUTF8 (RFC 6531); ``smtp_ascii_sink`` is the same kind of sink without it.

``smtp_starttls_sink`` and ``smtp_tls_sink`` are sinks that behave like a real submission server:
STARTTLS required (port 587 style) or implicit TLS (port 465 style), AUTH required with
``SMTP_LOGIN``/``SMTP_PASSWORD``. Their certificate is issued at test time by a throw-away CA
(``trustme``); ``smtp_ca_file`` is that CA's PEM file, for ``Settings.smtp_ca_file``.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.smtp_sink import SmtpSink

SMTP_LOGIN = "biosafety-mailer"
SMTP_PASSWORD = "correct horse battery staple"


def _start(sink: SmtpSink) -> Iterator[SmtpSink]:
    """A session's sink: started, then stopped at the session's end."""
    sink.start()
    yield sink
    sink.stop()


def _reset_around(sink: SmtpSink) -> Iterator[SmtpSink]:
    """A test's view of a session's sink: emptied, with every fault off, before and after."""
    sink.reset()
    yield sink
    sink.reset()


@pytest.fixture(scope="session")
def smtp_sink_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpSink]:
    yield from _start(SmtpSink(tmp_path_factory.mktemp("mail")))


@pytest.fixture
def smtp_sink(smtp_sink_server: SmtpSink) -> Iterator[SmtpSink]:
    """The session's SMTP sink, emptied and with every fault switched off."""
    yield from _reset_around(smtp_sink_server)


@pytest.fixture(scope="session")
def smtp_ascii_sink_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpSink]:
    yield from _start(SmtpSink(tmp_path_factory.mktemp("mail-ascii"), smtputf8=False))


@pytest.fixture
def smtp_ascii_sink(smtp_ascii_sink_server: SmtpSink) -> Iterator[SmtpSink]:
    """A sink that does not offer SMTPUTF8: every address must be ASCII."""
    yield from _reset_around(smtp_ascii_sink_server)


# --- TLS and AUTH -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def smtp_ca() -> Any:
    """A certificate authority made up for this session (a ``trustme.CA``)."""
    trustme = pytest.importorskip("trustme")
    return trustme.CA(organization_name="Biosafety test CA")


@pytest.fixture(scope="session")
def smtp_ca_file(smtp_ca: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The test CA's certificate as a PEM file: what ``BIOSAFETY_SMTP_CA_FILE`` points to."""
    path = Path(tmp_path_factory.mktemp("smtp-ca")) / "ca.pem"
    smtp_ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture(scope="session")
def smtp_server_tls(smtp_ca: Any) -> ssl.SSLContext:
    """Server-side TLS context with a certificate for 127.0.0.1 and localhost."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    smtp_ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture(scope="session")
def smtp_starttls_sink_server(
    smtp_server_tls: ssl.SSLContext, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SmtpSink]:
    yield from _start(
        SmtpSink(
            tmp_path_factory.mktemp("mail-starttls"),
            tls_context=smtp_server_tls,
            require_starttls=True,
            credentials={SMTP_LOGIN: SMTP_PASSWORD},
        )
    )


@pytest.fixture(scope="session")
def smtp_tls_sink_server(
    smtp_server_tls: ssl.SSLContext, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SmtpSink]:
    yield from _start(
        SmtpSink(
            tmp_path_factory.mktemp("mail-tls"),
            ssl_context=smtp_server_tls,
            credentials={SMTP_LOGIN: SMTP_PASSWORD},
        )
    )


@pytest.fixture
def smtp_starttls_sink(smtp_starttls_sink_server: SmtpSink) -> Iterator[SmtpSink]:
    """A sink that requires STARTTLS, then AUTH (like a submission server on port 587)."""
    yield from _reset_around(smtp_starttls_sink_server)


@pytest.fixture
def smtp_tls_sink(smtp_tls_sink_server: SmtpSink) -> Iterator[SmtpSink]:
    """A sink that speaks TLS from the first byte, then requires AUTH (like port 465)."""
    yield from _reset_around(smtp_tls_sink_server)
