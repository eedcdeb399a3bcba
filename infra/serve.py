"""Serves the REST API with uvicorn, guarded against slow and idle clients:
``python -m infra.serve`` (not ``uvicorn api.app:create_app --factory``, which lacks the limits).

uvicorn closes an idle keep-alive connection, but has no timeout for reading a request's line and
headers: a client that connects and sends half a request line (or nothing) holds its connection
for ever, and a few hundred of them exhaust the server. ``HeaderTimeoutProtocol`` adds that
timeout; ``uvicorn_config`` applies it with the keep-alive timeout, the header size limit, the
concurrency limit and the graceful-shutdown period from the settings (``BIOSAFETY_API_*``).
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from infra.settings import Settings, get_settings

API_APP = "api.app:create_app"


class HeaderTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request line and headers do not arrive
    within ``header_timeout`` seconds: counted from the connection's opening, and again from the
    first byte of each later request on it (the keep-alive timeout covers the idle time between)."""

    header_timeout: float = 10.0
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._awaiting_head():
            self._arm_header_timer()  # keeps a running timer: the budget is for the whole head
        else:
            self._disarm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)

    def _awaiting_head(self) -> bool:
        # h11 leaves IDLE for the client once a request's line and headers are complete.
        return self.conn.their_state is h11.IDLE and not self.transport.is_closing()

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._header_timed_out)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timed_out(self) -> None:
        self._header_timer = None
        if not self._awaiting_head():
            return
        if self.client:
            self.logger.debug("%s:%d - request headers not received in time; closing", *self.client)
        # No request to answer (h11 can only respond to a parsed request): just close.
        self.transport.close()


def header_timeout_protocol(seconds: float) -> type[HeaderTimeoutProtocol]:
    """The protocol class uvicorn instantiates per connection, with this timeout."""

    class Configured(HeaderTimeoutProtocol):
        header_timeout = seconds

    return Configured


def tcp_listener(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A bound TCP socket to hand to ``uvicorn.Server.serve(sockets=[...])`` (port 0: a free one).

    Made with ``IPPROTO_TCP`` named, not ``socket.socket()``'s protocol 0: asyncio turns Nagle's
    algorithm off (TCP_NODELAY) only on sockets whose protocol says TCP, and a connection
    accepted on a protocol-0 socket inherits the 0. With Nagle on, every answer on a kept-alive
    connection after the first waits for the client's delayed ACK: 40 ms per request on Linux,
    instead of about 2 ms."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def uvicorn_config(app: Any, settings: Settings, **options: Any) -> uvicorn.Config:
    """A uvicorn configuration with the slow-client limits of ``settings``; ``options`` (host,
    port, factory, log_level, ...) are passed on and may override them."""
    limits: dict[str, Any] = {
        "host": settings.api_host,
        "port": settings.api_port,
        "http": header_timeout_protocol(settings.api_header_timeout_seconds),
        "timeout_keep_alive": settings.api_keep_alive_seconds,
        "h11_max_incomplete_event_size": settings.api_max_header_bytes,
        "limit_concurrency": settings.api_limit_concurrency,
        "timeout_graceful_shutdown": settings.api_graceful_shutdown_seconds,
    }
    return uvicorn.Config(app, **(limits | options))


def main() -> None:
    settings = get_settings()
    # uvicorn.Server handles SIGINT/SIGTERM: it stops accepting, lets requests in flight finish
    # for up to api_graceful_shutdown_seconds, then runs the app's lifespan shutdown.
    uvicorn.Server(uvicorn_config(API_APP, settings, factory=True)).run()


if __name__ == "__main__":
    main()
