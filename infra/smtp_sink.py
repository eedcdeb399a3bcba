"""A local SMTP sink (aiosmtpd) for development and tests: keeps every message it receives.

Each accepted message is written as ``<n>-<message-id>.eml`` plus one JSON line in ``index.jsonl``
under a directory, and kept in memory (``SmtpSink.messages``; the standalone sink of ``make run``
keeps them on disk only: its memory stays flat, and it parses only a message's headers, for the
index; ``python -m bench.sink`` measures it). Fault switches let tests play a
refusing or unavailable mail server: ``refuse(recipient)`` answers 550 to that RCPT and
``set_down(True)`` answers 421 (service not available) to every transaction; ``set_slow(s)``
stores each message at once but answers DATA ``s`` seconds later (a server that has taken a
message and is slow to say so).

Optionally it plays a real submission server: STARTTLS (``tls_context``, ``require_starttls``),
implicit TLS (``ssl_context``, as on port 465) and AUTH PLAIN/LOGIN against ``credentials``
(refused before TLS unless ``auth_require_tls=False``). Every received message records whether
its session was encrypted (``tls_version``) and as whom it authenticated (``authenticated_as``).

It offers SMTPUTF8 (RFC 6531), so mail to and from addresses that are not ASCII is accepted: the
envelope addresses are kept as text, the raw UTF-8 headers as they arrived in the ``.eml``.
``smtputf8=False`` plays a server without it (MAIL ... SMTPUTF8 is refused with 501).

Standalone: ``python -m infra.smtp_sink --port 8025 --dir .stack/mail``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import re
import signal
import ssl
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

SERVICE_NOT_AVAILABLE = "421 4.3.2 Service not available, closing transmission channel"


class ReceivedMessage(EmailMessage):
    """A parsed message as it arrived, with its SMTP envelope and where it was stored."""

    envelope_from: str
    envelope_to: list[str]
    received_at: datetime
    eml_path: Path | None
    tls_version: str | None  # e.g. "TLSv1.3" when the session was encrypted, else None
    authenticated_as: str | None  # the AUTH login of the session, if it authenticated
    connection: str  # the client's end of the connection it came on ("host:port")


@dataclass
class _Faults:
    down: bool = False
    refused: frozenset[str] = frozenset()
    slow: float = 0.0  # seconds between storing a message and answering DATA


class _SinkHandler:
    """aiosmtpd handler hooks; runs in the controller's thread, so shared state takes a lock."""

    def __init__(self, sink: SmtpSink) -> None:
        self._sink = sink

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self._sink.is_down:
            return SERVICE_NOT_AVAILABLE
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self._sink.is_down:
            return SERVICE_NOT_AVAILABLE
        if self._sink.is_refused(address):
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self._sink.is_down:
            return SERVICE_NOT_AVAILABLE
        raw = envelope.original_content or b""
        if isinstance(envelope.content, bytes) and not raw:
            raw = envelope.content
        # After STARTTLS the server's transport is the TLS one, so this covers both TLS modes.
        transport = server.transport
        ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
        tls_version = ssl_object.version() if isinstance(ssl_object, ssl.SSLObject) else None
        auth = session.auth_data if session.authenticated else None
        authenticated_as = (
            auth.login.decode("utf-8", "replace") if isinstance(auth, LoginPassword) else None
        )
        peer = session.peer
        queue_id = self._sink._store(
            str(envelope.mail_from or ""),
            list(envelope.rcpt_tos),
            raw,
            tls_version=tls_version,
            authenticated_as=authenticated_as,
            connection=f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer),
        )
        if (slow := self._sink.slowness) > 0:
            await asyncio.sleep(slow)
        return f"250 2.0.0 OK: queued as {queue_id}"


class _Authenticator:
    """aiosmtpd ``authenticator``: PLAIN/LOGIN checked against fixed credentials."""

    def __init__(self, sink: SmtpSink, credentials: Mapping[str, str]) -> None:
        self._sink = sink
        self._credentials = dict(credentials)

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            login = auth_data.login.decode("utf-8", "replace")
            expected = self._credentials.get(login)
            if expected is not None and hmac.compare_digest(
                auth_data.password, expected.encode("utf-8")
            ):
                return AuthResult(success=True, auth_data=auth_data)
        self._sink._count_auth_failure()
        return AuthResult(success=False, handled=False)


class _Controller(Controller):
    """A Controller that can listen on port 0 and report the port the OS chose."""

    def factory(self) -> SMTP:
        server = super().factory()
        self.handler._sink._servers.add(server)  # one per connection
        if self.ssl_context is not None:
            # aiosmtpd counts only STARTTLS as encryption (``SMTP._tls_protocol``), so with
            # implicit TLS it would refuse AUTH (538) on a connection that is TLS from the first
            # byte. Lift its "AUTH only after TLS" gate there: the requirement is met.
            server._auth_require_tls = False
        return server

    def _create_server(self) -> Any:
        create = super()._create_server()

        async def create_and_learn_port() -> asyncio.Server:
            server = await create
            assert isinstance(server, asyncio.Server)
            self.port = server.sockets[0].getsockname()[1]
            return server

        return create_and_learn_port()


class SmtpSink:
    """An SMTP server that accepts mail and keeps it (on disk when ``directory`` is given).

    Plain SMTP without AUTH unless told otherwise:

    - ``tls_context``: server-side context offered through STARTTLS; with ``require_starttls``
      every command but EHLO/HELO/NOOP/QUIT/STARTTLS is refused (530) before the upgrade;
    - ``ssl_context``: implicit TLS (the whole connection is TLS, like port 465);
    - ``credentials``: ``{login: password}`` for AUTH PLAIN/LOGIN; then mail is refused (530)
      from unauthenticated sessions unless ``auth_required=False``, and AUTH itself is refused
      (538) on an unencrypted connection unless ``auth_require_tls=False``;
    - ``smtputf8=False``: no SMTPUTF8 in the EHLO reply, so no address may be anything but ASCII.
    """

    def __init__(
        self,
        directory: Path | None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        tls_context: ssl.SSLContext | None = None,
        require_starttls: bool = False,
        ssl_context: ssl.SSLContext | None = None,
        credentials: Mapping[str, str] | None = None,
        auth_required: bool = True,
        auth_require_tls: bool = True,
        smtputf8: bool = True,
        keep_in_memory: bool = True,
    ) -> None:
        if require_starttls and tls_context is None:
            raise ValueError("require_starttls needs a tls_context to offer STARTTLS with")
        self.directory = directory
        self.host = host
        self._requested_port = port
        self._tls_context = tls_context
        self._require_starttls = require_starttls
        self._ssl_context = ssl_context
        self._credentials = dict(credentials) if credentials is not None else None
        self._auth_required = auth_required
        self._auth_require_tls = auth_require_tls
        self._smtputf8 = smtputf8
        if not keep_in_memory and directory is None:
            raise ValueError("a sink that keeps nothing in memory needs a directory")
        self._keep_in_memory = keep_in_memory
        self._lock = threading.Lock()
        self._messages: list[ReceivedMessage] = []
        self._faults = _Faults()
        self._counter = 0
        self._auth_failures = 0
        self._controller: _Controller | None = None
        self._servers: weakref.WeakSet[SMTP] = weakref.WeakSet()

    # lifecycle
    def start(self) -> None:
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._counter = len(list(self.directory.glob("*.eml")))
        # Said explicitly: aiosmtpd's SMTP class defaults to False, only its Controller to True.
        smtp_options: dict[str, Any] = {"enable_SMTPUTF8": self._smtputf8}
        if self._tls_context is not None:
            smtp_options.update(
                tls_context=self._tls_context, require_starttls=self._require_starttls
            )
        if self._credentials is not None:
            smtp_options.update(
                authenticator=_Authenticator(self, self._credentials),
                auth_required=self._auth_required,
                auth_require_tls=self._auth_require_tls,
            )
        self._controller = _Controller(
            _SinkHandler(self),
            hostname=self.host,
            port=self._requested_port,
            server_hostname="smtp-sink.local",
            ssl_context=self._ssl_context,
            **smtp_options,
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpSink:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._controller is None:
            raise RuntimeError("SmtpSink is not started")
        return int(self._controller.port)

    @property
    def index_path(self) -> Path | None:
        return self.directory / "index.jsonl" if self.directory is not None else None

    # what was received
    @property
    def messages(self) -> list[ReceivedMessage]:
        with self._lock:
            return list(self._messages)

    def messages_to(self, recipient: str) -> list[ReceivedMessage]:
        return [m for m in self.messages if recipient.lower() in (r.lower() for r in m.envelope_to)]

    def clear(self) -> None:
        """Forget the messages held in memory (files on disk are evidence and stay)."""
        with self._lock:
            self._messages.clear()

    def reset(self) -> None:
        """Per-test isolation: forget messages, switch every fault off and close the
        connections clients left open."""
        with self._lock:
            self._messages.clear()
            self._faults = _Faults()
            self._auth_failures = 0
        self.drop_connections()

    @property
    def auth_failures(self) -> int:
        """How many AUTH attempts were refused (since start or the last ``reset``)."""
        with self._lock:
            return self._auth_failures

    def _count_auth_failure(self) -> None:
        with self._lock:
            self._auth_failures += 1

    def drop_connections(self) -> int:
        """Close every open connection from the server's side, as a server's idle timeout
        does; returns how many were open."""
        controller = self._controller
        if controller is None:
            return 0

        async def close_all() -> int:
            open_ = [
                t for server in list(self._servers)
                if (t := server.transport) is not None and not t.is_closing()
            ]  # fmt: skip
            for transport in open_:
                transport.close()
            return len(open_)

        return asyncio.run_coroutine_threadsafe(close_all(), controller.loop).result(timeout=5)

    # fault switches
    def refuse(self, recipient: str) -> None:
        with self._lock:
            self._faults.refused = self._faults.refused | {recipient.lower()}

    def accept(self, recipient: str) -> None:
        with self._lock:
            self._faults.refused = self._faults.refused - {recipient.lower()}

    def set_down(self, down: bool) -> None:
        with self._lock:
            self._faults.down = down

    def set_slow(self, seconds: float) -> None:
        with self._lock:
            self._faults.slow = seconds

    @property
    def slowness(self) -> float:
        with self._lock:
            return self._faults.slow

    @property
    def is_down(self) -> bool:
        with self._lock:
            return self._faults.down

    def is_refused(self, recipient: str) -> bool:
        with self._lock:
            return recipient.lower() in self._faults.refused

    # storage
    def _store(
        self,
        mail_from: str,
        rcpt_tos: list[str],
        raw: bytes,
        *,
        tls_version: str | None = None,
        authenticated_as: str | None = None,
        connection: str = "",
    ) -> str:
        received_at = datetime.now(UTC)
        message: ReceivedMessage | None = None
        if self._keep_in_memory:
            received = BytesParser(_class=ReceivedMessage, policy=policy.default).parsebytes(raw)
            assert isinstance(received, ReceivedMessage)
            message = received
            message.envelope_from = mail_from
            message.envelope_to = rcpt_tos
            message.received_at = received_at
            message.eml_path = None
            message.tls_version = tls_version
            message.authenticated_as = authenticated_as
            message.connection = connection
            headers: EmailMessage = message
        else:
            # The index needs four headers; the same policy decodes them the same way.
            parsed = BytesHeaderParser(policy=policy.default).parsebytes(raw)
            assert isinstance(parsed, EmailMessage)
            headers = parsed
        with self._lock:
            self._counter += 1
            number = self._counter
            queue_id = f"{number:06d}{hashlib.sha1(raw).hexdigest()[:6].upper()}"
            if self.directory is not None:
                message_id = str(headers.get("Message-ID", "")).strip("<> ")
                slug = re.sub(r"[^A-Za-z0-9._-]+", "_", message_id)[:80] or "message"
                path = self.directory / f"{number:06d}-{slug}.eml"
                path.write_bytes(raw)
                if message is not None:
                    message.eml_path = path
                entry = {
                    "queue_id": queue_id,
                    "received_at": received_at.isoformat(),
                    "envelope_from": mail_from,
                    "envelope_to": rcpt_tos,
                    "message_id": str(headers.get("Message-ID", "")),
                    "subject": str(headers.get("Subject", "")),
                    "from": str(headers.get("From", "")),
                    "to": str(headers.get("To", "")),
                    "tls": tls_version,
                    "authenticated_as": authenticated_as,
                    "connection": connection,
                    "file": path.name,
                }
                with (self.directory / "index.jsonl").open("a", encoding="utf-8") as index:
                    index.write(json.dumps(entry, ensure_ascii=False) + "\n")
            if message is not None:
                self._messages.append(message)
        return queue_id


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Local SMTP sink that keeps every message.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--dir", type=Path, default=Path(".stack/mail"))
    args = parser.parse_args(argv)

    # Everything is on disk (the .eml files and the index): nothing is kept in memory.
    sink = SmtpSink(args.dir.resolve(), host=args.host, port=args.port, keep_in_memory=False)
    sink.start()
    print(f"SMTP sink listening on {args.host}:{sink.port}", flush=True)
    print(f"messages are stored in {sink.directory} (index: {sink.index_path})", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        while not stop.wait(1.0):
            pass
    finally:
        sink.stop()


if __name__ == "__main__":
    main()
