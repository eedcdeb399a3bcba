"""What an activity's failure says, the same for an activity and a local activity, and the one
way the kernel's register write and its e-mail run: a short local attempt inside the workflow
task, then, unless that failure is final, the activity with the full retry policy."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, FailureError

# A local attempt must end inside its workflow task (whose heartbeat comes after 8 s).
LOCAL_ATTEMPT_TIMEOUT = timedelta(seconds=5)
ONE_ATTEMPT = RetryPolicy(maximum_attempts=1)


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


async def local_first(
    method: Callable[..., Any],
    arg: Any,
    *,
    activity_timeout: timedelta,
    retry: RetryPolicy,
    summary: str,
    what: str,
    extra: dict[str, Any],
    on_fallback: Callable[[], None] = lambda: None,
) -> Any:
    """Run the activity ``method`` once locally; if that fails and ``retry`` would try again,
    log it (``what`` left to the activity), call ``on_fallback`` and run it as an activity with
    ``activity_timeout`` and ``retry``. Raises the final failure."""
    try:
        return await workflow.execute_local_activity_method(
            method,
            arg,
            start_to_close_timeout=LOCAL_ATTEMPT_TIMEOUT,
            retry_policy=ONE_ATTEMPT,
            summary=summary,
        )
    except FailureError as err:
        if final(err, retry):
            raise
        workflow.logger.warning(f"{what} left to the activity", extra=extra | {"error": cause(err)})
    on_fallback()
    return await workflow.execute_activity_method(
        method, arg, start_to_close_timeout=activity_timeout, retry_policy=retry, summary=summary
    )
