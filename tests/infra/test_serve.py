"""The API's HTTP server (infra/serve.py) against slow clients: uvicorn in-process on a free port,
configured from the settings, spoken to over raw sockets."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest_asyncio
import uvicorn
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from api.app import create_app
from infra.serve import tcp_listener, uvicorn_config
from infra.settings import Settings

HEADER_TIMEOUT = 1.0
KEEP_ALIVE = 1
# The client gives up after LIMIT seconds: a connection the server failed to close stays open
# that long. The closes it should make come within their timeout plus SLACK, which leaves room
# for a loaded machine (two test processes on two busy cores) and still tells the two apart.
LIMIT = 30.0
SLACK = 8.0


@dataclass
class Served:
    port: int
    settings: Settings


@pytest_asyncio.fixture
async def served() -> AsyncIterator[Served]:
    settings = Settings(
        environment="test",
        api_header_timeout_seconds=HEADER_TIMEOUT,
        api_keep_alive_seconds=KEEP_ALIVE,
        api_max_header_bytes=4096,
        api_limit_concurrency=50,
        api_graceful_shutdown_seconds=2,
    )
    # /livez reaches neither Temporal nor the database: a client that never connects will do.
    client = await Client.connect("127.0.0.1:1", data_converter=pydantic_data_converter, lazy=True)
    app = create_app(settings, client=client, pool=object())  # type: ignore[arg-type]
    sock = tcp_listener()
    server = uvicorn.Server(uvicorn_config(app, settings, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        assert not task.done(), task
        await asyncio.sleep(0.01)
    try:
        yield Served(sock.getsockname()[1], settings)
    finally:
        server.should_exit = True
        await task
        sock.close()


async def closed_after(
    port: int, *sends: tuple[float, bytes], limit: float = LIMIT
) -> tuple[float, bytes]:
    """Send each (delay, bytes), then read until the server closes the connection; return the
    seconds from connecting to the close, and what the server sent."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    start = time.monotonic()
    try:
        for delay, data in sends:
            await asyncio.sleep(delay)
            try:
                writer.write(data)
                await writer.drain()
            except ConnectionError:  # closed by the server while we were still sending
                break
        received = b""
        async with asyncio.timeout(limit):
            try:
                while chunk := await reader.read(65536):
                    received += chunk
            except ConnectionError:  # closed (reset) by the server
                pass
        return time.monotonic() - start, received
    finally:
        writer.close()


async def test_half_a_request_line_is_closed_within_the_header_timeout(served: Served) -> None:
    elapsed, received = await closed_after(served.port, (0, b"GET /livez HT"))
    assert received == b""
    assert HEADER_TIMEOUT * 0.9 <= elapsed < HEADER_TIMEOUT + SLACK


async def test_a_connection_that_sends_nothing_is_closed(served: Served) -> None:
    elapsed, received = await closed_after(served.port)
    assert received == b""
    assert elapsed < HEADER_TIMEOUT + SLACK


async def test_headers_dribbled_in_past_the_timeout_are_closed(served: Served) -> None:
    # Each piece arrives well within the timeout, but the head as a whole does not.
    pieces = [(0.3, b"GET /livez HTTP/1.1\r\n")] + [(0.3, b"X-Slow: 1\r\n")] * 10
    elapsed, received = await closed_after(served.port, *pieces)
    assert b"HTTP/1.1" not in received
    assert elapsed < HEADER_TIMEOUT + SLACK


async def test_a_prompt_request_is_served_then_closed_after_the_keep_alive(
    served: Served,
) -> None:
    request = b"GET /livez HTTP/1.1\r\nHost: test\r\n\r\n"
    elapsed, received = await closed_after(
        served.port, (0, request[:10]), (HEADER_TIMEOUT / 3, request[10:])
    )
    assert received.startswith(b"HTTP/1.1 200 "), received
    assert b'"status":"alive"' in received
    # Served at once; then the idle keep-alive connection is closed after its timeout.
    assert KEEP_ALIVE * 0.9 <= elapsed < HEADER_TIMEOUT / 3 + KEEP_ALIVE + SLACK


async def test_a_second_request_on_a_kept_alive_connection_gets_the_header_timeout_too(
    served: Served,
) -> None:
    request = b"GET /livez HTTP/1.1\r\nHost: test\r\n\r\n"
    elapsed, received = await closed_after(served.port, (0, request), (0.2, b"GET /li"))
    assert received.count(b"HTTP/1.1 200 ") == 1
    assert elapsed < 0.2 + HEADER_TIMEOUT + SLACK


async def test_oversized_headers_are_refused(served: Served) -> None:
    flood = b"GET /livez HTTP/1.1\r\nHost: test\r\nX-Big: " + b"x" * 8192
    _, received = await closed_after(served.port, (0, flood))
    assert received.startswith(b"HTTP/1.1 400 "), received


async def test_connections_on_a_tcp_listener_send_without_nagle() -> None:
    """A socket made by ``tcp_listener`` names TCP as its protocol, so asyncio turns Nagle's
    algorithm off on every connection accepted on it; on a ``socket.socket()`` (protocol 0) it
    does not, and each answer on a kept-alive connection waited 40 ms for a delayed ACK (the
    BCH stand-in's five calls per publication took 0.2 s)."""
    settings = Settings(environment="test")
    client = await Client.connect("127.0.0.1:1", data_converter=pydantic_data_converter, lazy=True)
    app = create_app(settings, client=client, pool=object())  # type: ignore[arg-type]
    sock = tcp_listener()
    assert sock.proto == socket.IPPROTO_TCP
    server = uvicorn.Server(uvicorn_config(app, settings, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            assert not task.done(), task
            await asyncio.sleep(0.01)
        reader, writer = await asyncio.open_connection("127.0.0.1", sock.getsockname()[1])
        try:
            writer.write(b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
            await writer.drain()
            assert (await reader.readline()).startswith(b"HTTP/1.1 200")
            accepted = [
                c.transport.get_extra_info("socket") for c in server.server_state.connections
            ]
            assert len(accepted) == 1
            assert accepted[0].getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        finally:
            writer.close()
    finally:
        server.should_exit = True
        await task
        sock.close()
