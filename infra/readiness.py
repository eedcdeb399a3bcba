"""Waiting for the development stack's components (infra/devstack.py): whether a port is open
or free, an HTTP status, and waiting for a child process to be ready while it is alive."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from infra.supervisor import Child


class StackError(Exception):
    """A component could not start or stopped unexpectedly; the message says which and why."""


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Like the servers we start: a port in TIME_WAIT is reusable, one with a listener is not.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return not port_open(port, host)


def wait_until(child: Child, ready: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if not child.alive:
            raise StackError(
                f"{child.name} stopped while starting ({child.exit_status()}); last lines:\n"
                f"{child.last_lines()}"
            )
        if ready():
            return
        if time.monotonic() > deadline:
            raise StackError(
                f"{child.name} not ready after {timeout:.0f} s ({what}); last lines:\n"
                f"{child.last_lines()}"
            )
        time.sleep(0.25)


def http_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, OSError):
        return None
