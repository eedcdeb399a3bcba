"""What an activity's failure says, the same for an activity and a local activity: the kernel's
register write and its e-mail both try locally first and read the failure the same way."""

from __future__ import annotations

from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, FailureError


def root(err: FailureError) -> BaseException | None:
    """What failed: an activity's failure wraps it; a local activity's may come as itself."""
    return err.cause if isinstance(err, ActivityError) else err


def cause(err: FailureError) -> str:
    """The failure's own words, for the case's history and the Web UI."""
    failed = root(err)
    return str(failed.message if isinstance(failed, ApplicationError) else err)


def final(err: FailureError, retry: RetryPolicy) -> bool:
    """Whether no further attempt can help: the activity said so, or ``retry`` names its type."""
    failed = root(err)
    return isinstance(failed, ApplicationError) and (
        failed.non_retryable or failed.type in (retry.non_retryable_error_types or ())
    )
