"""Which errors say that Temporal or the register's database is unavailable (a 503 with
``Retry-After``, api/problems.py), rather than that our code is wrong (a 500)."""

from __future__ import annotations

import traceback

import asyncpg
from temporalio.service import RPCError, RPCStatusCode

UNAVAILABLE = {RPCStatusCode.UNAVAILABLE, RPCStatusCode.RESOURCE_EXHAUSTED}
NO_ANSWER = {RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED}


def transport_broken(exc: RPCError) -> bool:
    """The connection to Temporal broke under the call (the SDK says UNKNOWN, 'transport
    error', when the server dies mid-call)."""
    return "transport error" in exc.message


def not_ready(exc: RPCError) -> bool:
    """A Query refused because the workflow's last task failed or timed out (Temporal's
    WorkflowNotReadyFailure): the case is there, and answers once the task is retried."""
    return exc.status == RPCStatusCode.FAILED_PRECONDITION and (
        "Workflow Task in failed state" in exc.message
        or "WorkflowNotReady" in str(exc.raw_grpc_status)
    )


# The register (PostgreSQL) could not be reached, refused us, or went away mid-query. Only these
# are a 503: asyncpg also raises InterfaceError and PostgresError for our own mistakes (a wrong
# argument type, two operations at once on one connection, a syntax error), and those stay 500s.
_SERVER_UNAVAILABLE = (
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08, and a connection lost mid-query
    asyncpg.exceptions.InsufficientResourcesError,  # class 53: too many connections, disk full
    asyncpg.exceptions.CannotConnectNowError,  # 57P03: starting up, shutting down, recovering
    asyncpg.exceptions.AdminShutdownError,  # 57P01: the server is shutting down
    asyncpg.exceptions.CrashShutdownError,  # 57P02: another backend crashed
    asyncpg.exceptions.IdleSessionTimeoutError,  # 57P05: the server dropped an idle session
)
# asyncpg's InterfaceError for a pool or connection that is closed (closing on shutdown, or
# terminated after the server went away); its other InterfaceErrors are misuse.
_CLOSED = ("pool is closing", "pool is closed", "connection is closed")


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the register's database is unavailable (rather than that our code
    is wrong): the server refused, dropped or never answered the connection."""
    if isinstance(exc, _SERVER_UNAVAILABLE):
        return True
    if isinstance(exc, asyncpg.InterfaceError):
        return any(words in str(exc) for words in _CLOSED)
    if isinstance(exc, OSError):
        # Connecting over a Unix socket that is gone (FileNotFoundError), refused or reset, a
        # host that does not resolve, a connect timeout (TimeoutError): only when asyncpg was
        # connecting or talking to the server, not a file our own code failed to open.
        return _raised_in_asyncpg(exc)
    return False


def _raised_in_asyncpg(exc: BaseException) -> bool:
    return any(
        str(frame.f_globals.get("__name__", "")).startswith("asyncpg")
        for frame, _ in traceback.walk_tb(exc.__traceback__)
    )
