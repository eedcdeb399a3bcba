"""One log format for the whole process: structlog renders every line, stdlib loggers included.

JSON lines in production, coloured console lines in development. Temporal's own loggers, the
SDK's ``workflow.logger`` / ``activity.logger`` and uvicorn all go through the same
``ProcessorFormatter``; context bound with ``structlog.contextvars.bind_contextvars`` (for example
``case_id``) shows on every line, and ``CaseLoggingInterceptor`` binds it around each activity.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any, TextIO

import structlog
import temporalio.activity
import temporalio.workflow
from structlog.typing import EventDict, Processor, WrappedLogger
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from infra.settings import Settings

# The dicts the Temporal SDK's logger adapters put in ``extra``: their fields become keys.
_TEMPORAL_EXTRAS = ("temporal_workflow", "temporal_activity")


def _temporal_extras(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Lift the SDK's ``temporal_workflow``/``temporal_activity`` extras into top-level keys."""
    record = event_dict.get("_record")
    for attr in _TEMPORAL_EXTRAS:
        details = getattr(record, attr, None)
        if isinstance(details, Mapping):
            for key, value in details.items():
                event_dict.setdefault(key, value)
    # A case is one workflow execution: its id is the workflow id.
    if "case_id" not in event_dict and event_dict.get("workflow_id"):
        event_dict["case_id"] = event_dict["workflow_id"]
    return event_dict


def configure_logging(settings: Settings, stream: TextIO | None = None) -> None:
    """Route structlog and stdlib logging to one handler on ``stream`` (default: stderr)."""
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if settings.json_logs
        else structlog.dev.ConsoleRenderer(
            colors=(stream or sys.stderr).isatty(),
            # Plain tracebacks: rich ones with every frame's locals took ~0.8 s each on the
            # worker's event loop during an outage, and put request bodies and settings (with
            # passwords) into the development log (docs/reliability.md, F4).
            exception_formatter=structlog.dev.plain_traceback,
        )
    )
    final: list[Processor] = [structlog.stdlib.ProcessorFormatter.remove_processors_meta]
    if settings.json_logs:
        # The console renderer prints tracebacks itself; JSON needs them as a string field.
        final.append(structlog.processors.format_exc_info)
    final.append(renderer)

    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[_temporal_extras, *final],
        )
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())

    # uvicorn installs its own handlers when it configures logging; send its lines to ours.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uv = logging.getLogger(name)
        uv.handlers.clear()
        uv.propagate = True

    # The workflow/activity info is rendered as keys; don't repeat it inside the message text.
    temporalio.workflow.logger.workflow_info_on_message = False
    temporalio.activity.logger.activity_info_on_message = False

    structlog.configure(
        processors=[
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


class CaseLoggingInterceptor(Interceptor):
    """Worker interceptor: every activity's log lines carry its case (workflow) id.

    Binds ``workflow_id``, ``case_id`` and ``activity`` in structlog's contextvars while the
    activity runs. Threaded (non-async) activities don't inherit contextvars; their
    ``activity.logger`` lines get the same keys from the SDK's ``temporal_activity`` extra.
    """

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _CaseActivityInbound(next)


class _CaseActivityInbound(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = temporalio.activity.info()
        bound: dict[str, Any] = {"activity": info.activity_type}
        if info.workflow_id:
            bound.update(workflow_id=info.workflow_id, case_id=info.workflow_id)
        with structlog.contextvars.bound_contextvars(**bound):
            return await self.next.execute_activity(input)
