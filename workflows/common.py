"""What every procedure workflow shares: retry policies of the outside systems, how a refused
command is raised, and calling the statutory clock from inside the sandbox."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

from workflows.errors import (
    BCH_RECORD_INVALID,
    BCH_REQUEST_REJECTED,
    BCH_VALIDATION_ERROR,
    INVALID,
    PERMANENT_DELIVERY_FAILURE,
    REFUSED,
    REGISTER_ROW_INVALID,
)

T = TypeVar("T")


# Outside systems are retried without limit, with capped backoff: an outage loses nothing.
# Only answers that no retry can change stop the retries.
REGISTER_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    maximum_interval=timedelta(minutes=5),
    non_retryable_error_types=[REGISTER_ROW_INVALID],
)
EMAIL_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=10),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=30),
    non_retryable_error_types=[PERMANENT_DELIVERY_FAILURE],
)
BCH_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=30),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(hours=1),
    non_retryable_error_types=[BCH_VALIDATION_ERROR, BCH_RECORD_INVALID, BCH_REQUEST_REJECTED],
)


def _members(rule: str, article: str | None, field: str | None) -> dict[str, str]:
    """What the API adds to the problem beside the message: the rule broken (a stable kebab-case
    name), the treaty article it comes from, and the command's field it concerns."""
    members = {"rule": rule, "article": article, "field": field}
    return {k: v for k, v in members.items() if v is not None}


def refuse(
    message: str, *, rule: str, article: str | None = None, field: str | None = None
) -> ApplicationError:
    """For a validator: the command is not allowed in the case's current stage (a 409). ``rule``
    names what forbids it; ``article`` the treaty article where the rule comes from the treaty."""
    return ApplicationError(
        message, _members(rule, article, field), type=REFUSED, non_retryable=True
    )


def invalid(
    message: str, *, rule: str, article: str | None = None, field: str | None = None
) -> ApplicationError:
    """For a validator: the command itself is incomplete or contradicts the Protocol (a 422);
    ``field`` names the command's field at fault, relative to the command's body."""
    return ApplicationError(
        message, _members(rule, article, field), type=INVALID, non_retryable=True
    )


_TYPOGRAPHIC = re.compile(r"\((c|r|tm)\)", re.IGNORECASE)


def details_markdown(text: str) -> str:
    """Text for the Web UI's Markdown details: the renderer turns "(c)" into "©", which would
    make "Art 10(3)(c)" unreadable, so a word joiner (U+2060) keeps such citations as typed."""
    return _TYPOGRAPHIC.sub(lambda m: f"({m.group(1)}\u2060)", text)


def pure(fn: Callable[..., T], *args: object, **kwargs: object) -> T:
    """Call the statutory clock. It is pure, but zoneinfo and the holidays calendar it reads
    would trip the sandbox's import restrictions; their results depend only on the inputs."""
    with workflow.unsafe.sandbox_unrestricted():
        return fn(*args, **kwargs)
