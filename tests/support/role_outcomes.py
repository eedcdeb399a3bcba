"""The role matrix's callers and outcomes (tests/support/roles.py): who calls, and what a
response says about authorisation.
"""

from __future__ import annotations

from enum import StrEnum

import httpx


class Caller(StrEnum):
    ANONYMOUS = "no token"
    WRONG_TOKEN = "unknown token"
    OTHER = "another notifier"
    OWNER = "notifier (own case)"
    STAFF = "staff"


# Refused callers first: a command that is allowed changes the case for those that follow.
CALLER_ORDER = (Caller.ANONYMOUS, Caller.WRONG_TOKEN, Caller.OTHER, Caller.OWNER, Caller.STAFF)


class Outcome(StrEnum):
    ALLOWED = "allowed"
    UNAUTHENTICATED = "401"
    FORBIDDEN = "403"
    HIDDEN = "404"


A, U, F, H = Outcome.ALLOWED, Outcome.UNAUTHENTICATED, Outcome.FORBIDDEN, Outcome.HIDDEN

# Problem types that mean "authorised, but the procedure says no" (api/errors.py).
_PROCEDURE_ANSWERS = ("/command-refused", "/invalid-command", "/reference-conflict")


def classify(response: httpx.Response) -> Outcome | None:
    """What a response says about authorisation; None for anything the matrix never expects
    (a 500, a 503, a 404 that is not the case-not-found problem)."""
    status = response.status_code
    if 200 <= status < 300:
        return Outcome.ALLOWED
    kind = _problem_type(response)
    if status in (409, 422) and kind.endswith(_PROCEDURE_ANSWERS):
        return Outcome.ALLOWED
    if status == 401 and kind.endswith("/unauthorized"):
        return Outcome.UNAUTHENTICATED
    if status == 403 and kind.endswith("/forbidden"):
        return Outcome.FORBIDDEN
    if status == 404 and kind.endswith("/case-not-found"):
        return Outcome.HIDDEN
    return None


def _problem_type(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("type", "")) if isinstance(body, dict) else ""
