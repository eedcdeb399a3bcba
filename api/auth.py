"""Who is calling: bearer tokens, the three roles, and the FastAPI dependencies that enforce them.

``BIOSAFETY_API_TOKENS`` (``Settings.api_tokens``) maps each bearer token to a principal, written
``staff:<name>`` or ``notifier:<email>``; it is checked once, when the app is created, and the
API refuses to start on a malformed entry or, in production, on an empty map. Outside production
an empty map is a development convenience: a request without ``Authorization`` acts as staff
``developer``.

- **staff** (the authority's officers): everything.
- **notifier**: submits notifications under its own e-mail, reads, lists and withdraws its own
  cases (another's case is answered 404, as if it did not exist), never an officer's command.
- **public** (no token): the public register (api/routers/public.py) and the health check.

A token the API does not know is always a 401, also on public routes and with no tokens
configured: a client that sends credentials learns that they are wrong.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import asyncpg
import structlog
from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from temporalio.client import Client

from api.errors import CaseNotFound, Forbidden, Unauthorized
from api.register import notifier_email_of
from infra.settings import Settings
from workflows.models import EMAIL_PATTERN

log = structlog.get_logger("api")

Role = Literal["staff", "notifier"]

# RFC 6750 section 2.1: the characters a bearer token may consist of.
_B64TOKEN = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")
# The notifier's e-mail as the Notification model accepts it (workflows/models.py, Email).
_EMAIL = re.compile(EMAIL_PATTERN)
_STAFF_NAME = re.compile(r"^[\w.@+-]{1,100}$")
MIN_PRODUCTION_TOKEN_LENGTH = 32
DEVELOPER = "developer"


@dataclass(frozen=True)
class Principal:
    """Who makes the request: ``name`` is the staff member's name or the notifier's e-mail."""

    role: Role
    name: str

    @property
    def is_staff(self) -> bool:
        return self.role == "staff"

    @property
    def actor(self) -> str:
        """How the audit log names this principal: ``kovacs`` or ``notifier:reg@example.com``."""
        return self.name if self.is_staff else f"notifier:{self.name}"

    def __str__(self) -> str:
        return f"{self.role}:{self.name}"


class AccessConfigError(ValueError):
    """``BIOSAFETY_API_TOKENS`` is malformed, or missing where it is required."""


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True)
class Access:
    """The validated token map (keyed by the tokens' SHA-256, so that a lookup's timing says
    nothing about a token's characters), and the principal of a request without a token."""

    principals: Mapping[bytes, Principal] = field(default_factory=dict)
    anonymous: Principal | None = None

    def lookup(self, token: str) -> Principal | None:
        return self.principals.get(_digest(token))

    def describe(self) -> str:
        if self.anonymous is not None:
            return f"no API tokens configured: requests without a token act as {self.anonymous}"
        staff = sum(p.is_staff for p in self.principals.values())
        return f"{len(self.principals)} API tokens ({staff} staff)"


def parse_principal(value: str) -> Principal:
    role, sep, name = value.strip().partition(":")
    if not sep:
        raise ValueError("must be written 'staff:<name>' or 'notifier:<email>'")
    if role == "staff":
        if not _STAFF_NAME.match(name):
            raise ValueError(
                "the staff name must be 1-100 letters, digits or '.', '_', '@', '+', '-' "
                "(it names the officer in the audit log)"
            )
        return Principal("staff", name)
    if role == "notifier":
        if len(name) > 254 or not _EMAIL.match(name):
            raise ValueError(
                "the notifier must be an e-mail address, e.g. notifier:reg@acme.example"
            )
        return Principal("notifier", name)
    raise ValueError(f"unknown role {role!r}: the roles are 'staff' and 'notifier'")


def load_access(settings: Settings) -> Access:
    """Validate ``settings.api_tokens``; raises AccessConfigError naming every wrong entry (by
    its principal and position, never by the token itself)."""
    production = settings.environment == "production"
    if not settings.api_tokens:
        if production:
            raise AccessConfigError(
                "BIOSAFETY_API_TOKENS is empty: in production the API does not start without "
                'bearer tokens. Set it to a JSON object, e.g. {"<token>": "staff:kovacs", '
                '"<token>": "notifier:regulatory@example.com"}'
            )
        return Access(anonymous=Principal("staff", DEVELOPER))
    errors: list[str] = []
    principals: dict[bytes, Principal] = {}
    for n, (token, value) in enumerate(settings.api_tokens.items(), start=1):
        where = f"entry {n} ({value!r})"
        try:
            principal = parse_principal(value)
        except ValueError as err:
            errors.append(f"{where}: {err}")
            continue
        if not _B64TOKEN.match(token):
            errors.append(
                f"{where}: the token is not a valid bearer token: use letters, digits and "
                "'-', '.', '_', '~', '+', '/' (RFC 6750)"
            )
        elif production and len(token) < MIN_PRODUCTION_TOKEN_LENGTH:
            errors.append(
                f"{where}: the token is too short for production (at least "
                f"{MIN_PRODUCTION_TOKEN_LENGTH} characters; python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))' makes one)"
            )
        principals[_digest(token)] = principal
    if errors:
        raise AccessConfigError("BIOSAFETY_API_TOKENS: " + "; ".join(errors))
    return Access(principals=principals)


def log_access(access: Access) -> None:
    """Say at startup how requests are authenticated; warn about the development default."""
    if access.anonymous is not None:
        log.warning(
            "API authentication is off: BIOSAFETY_API_TOKENS is empty, so every request without "
            f"a token acts as {access.anonymous} (development only; production refuses to start)"
        )
    else:
        log.info("API authentication", tokens=access.describe())


# ---- dependencies -------------------------------------------------------------------------------

bearer_scheme = HTTPBearer(
    scheme_name="bearer",
    description="A token from BIOSAFETY_API_TOKENS, sent as `Authorization: Bearer <token>`. "
    "Its principal is authority staff (`staff:<name>`) or a notifier (`notifier:<email>`). "
    "Outside production with no tokens configured, a request without a token acts as staff "
    "`developer`.",
    auto_error=False,
)


async def authenticate(
    request: Request,
    _: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
) -> Principal | None:
    """The request's principal; None when it sent no credentials and tokens are configured.
    Credentials that are malformed or unknown are a 401 wherever they are sent."""
    access: Access = request.app.state.access
    header = request.headers.get("authorization")
    if header is None:
        return access.anonymous
    scheme, _sep, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized(
            "the Authorization header must be 'Bearer <token>'", error="invalid_request"
        )
    principal = access.lookup(token)
    if principal is None:
        raise Unauthorized("the bearer token is not valid", error="invalid_token")
    return principal


async def require_principal(
    principal: Annotated[Principal | None, Depends(authenticate)],
) -> Principal:
    if principal is None:
        raise Unauthorized("this route needs a bearer token: send 'Authorization: Bearer <token>'")
    return principal


async def require_staff(principal: Annotated[Principal, Depends(require_principal)]) -> Principal:
    if not principal.is_staff:
        raise Forbidden(
            f"only the authority's staff may do this; you are authenticated as {principal}"
        )
    return principal


OptionalPrincipalDep = Annotated[Principal | None, Depends(authenticate)]
PrincipalDep = Annotated[Principal, Depends(require_principal)]
StaffDep = Annotated[Principal, Depends(require_staff)]

# For public routes: no token is needed, but one may be sent (and is checked).
PUBLIC_SECURITY: dict[str, Any] = {"security": [{}]}


async def ensure_case_access(
    principal: Principal, case_id: str, client: Client, pool: asyncpg.Pool
) -> None:
    """Staff may reach every case; a notifier only its own, and another's case is answered like
    a case that does not exist (so its existence is not revealed)."""
    if principal.is_staff:
        return
    if await notifier_email_of(pool, client, case_id) != principal.name:
        raise CaseNotFound(f"no case {case_id}")
