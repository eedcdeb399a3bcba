"""The workflow sandbox configuration shared by the worker and the Replayer.

The statutory clock is pure but uses ``zoneinfo`` and the ``holidays`` calendar, which the
sandbox would otherwise re-import behind restricted proxies; it, the models and the case kernel
are passed through (loaded once, outside the sandbox). Everything else keeps the SDK's default
restrictions.

Two strengths (``BIOSAFETY_WORKER_SANDBOX``):

- ``strict``: each workflow instance imports its workflow module afresh inside the sandbox,
  which proxies the standard library and refuses non-deterministic calls (``datetime.now``,
  ``random``, I/O) as they happen. The test suite and the replay of recorded histories always run
  it, so every workflow path CI covers is checked under it.
- ``shared`` (the worker's default): the workflow modules too are loaded once and shared by every
  instance. A cached case then costs about 170 KiB of the worker instead of about 260 KiB, and a
  case that leaves the cache is rebuilt without importing its module again
  (docs/performance.md, "Sizing the worker"). The modules hold no state of their own (a workflow's
  state lives on its instance), so sharing them changes nothing a case computes; what it gives
  up is the run-time refusal of a non-deterministic call, which CI's strict runs keep.

Either way, when the data converter has no payload codec and no external storage (ours:
``pydantic_data_converter``), the runner answers the SDK's per-payload question "which
serialization context applies to this payload?" without entering the sandbox (``_ContextFree``
below).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from types import CodeType
from typing import Any

import temporalio.converter
from temporalio.converter._extstore import StorageDriverStoreContext
from temporalio.worker import WorkflowInstance, WorkflowInstanceDetails
from temporalio.worker._command_aware_visitor import CommandInfo
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions
from temporalio.worker.workflow_sandbox._runner import _Instance

PASSTHROUGH_MODULES = (
    "workflows.clock",
    "workflows.models",
    "workflows.kernel",
    "workflows.aia.models",
    "workflows.aia.notification",
    "workflows.aia.bch",
    "workflows.aia.procedure",
    "workflows.aia.decision",
    "workflows.review.models",
    "workflows.treaty.models",
    "workflows.treaty.clocks",
    "workflows.ffp.annex_ii",
    "workflows.ffp.models",
    "workflows.ffp.clocks",
    "workflows.ffp.bch",
    "workflows.illegal.models",
    "workflows.illegal.clocks",
    "workflows.illegal.bch",
    "workflows.simplified.models",
    "workflows.simplified.clocks",
    "workflows.simplified.bch",
    "workflows.simplified.matching",
    "workflows.confidentiality.models",
    "workflows.confidentiality.clocks",
    "workflows.confidentiality.procedure",
    "workflows.emergency.models",
    "workflows.emergency.clocks",
    "workflows.emergency.bch",
    "workflows.response.models",
    "workflows.response.opening",
    "workflows.response.commands",
    "workflows.response.clocks",
    "workflows.response.procedure",
    "workflows.response.review",
    "workflows.response.costs",
    "holidays",
    "dateutil",
    # Not used by workflow code (workflows log through workflow.logger), but imported by modules
    # that define workflows beside activities; re-importing it in the sandbox would import rich,
    # whose module-level random call the sandbox forbids.
    "structlog",
)

# With ``shared``: every workflow module (and the activity modules workflows import types from).
SHARED_MODULES = ("workflows", "activities")

RESTRICTIONS = SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH_MODULES)
SHARED_RESTRICTIONS = RESTRICTIONS.with_passthrough_modules(*SHARED_MODULES)


def workflow_runner(
    strength: str = "strict", data_converter: temporalio.converter.DataConverter | None = None
) -> SandboxedWorkflowRunner:
    """The runner for a worker or a Replayer: ``strict`` or ``shared`` (see above), for a worker
    whose client has ``data_converter`` (None: one with neither codec nor external storage)."""
    if strength not in ("strict", "shared"):
        raise ValueError(f"sandbox strength must be strict or shared, not {strength!r}")
    restrictions = SHARED_RESTRICTIONS if strength == "shared" else RESTRICTIONS
    if data_converter is not None and (
        data_converter.payload_codec or data_converter.external_storage
    ):
        return SandboxedWorkflowRunner(restrictions=restrictions)
    return ContextFreeSandboxedWorkflowRunner(restrictions=restrictions)


@dataclass(frozen=True)
class ContextFreeSandboxedWorkflowRunner(SandboxedWorkflowRunner):
    """The SDK's sandboxed runner for a data converter without payload codec or external
    storage.

    Before a workflow activation is handed to the sandbox and after its completion comes back,
    the SDK visits every payload in them several times (decode, external retrieval; encode,
    external store, reference encode) and for each visit asks the workflow instance, inside the
    sandbox, which serialization context applies. Each question compiles and runs a snippet
    under the sandbox's import hooks, about 40 us; an acknowledgement, with its letter and
    register write (their inputs, results and summaries), asks it about 50 times: answering
    here took the worker's CPU per acknowledgement from 13.6 to 10.9 ms (docs/performance.md,
    "The sandbox").
    The context only matters to a payload codec or external storage: without them every one of
    those visits returns the payloads it was given whatever the context. So the answer here is
    "none", as for a context-free converter, without entering the sandbox. The workflow's own
    conversion of its arguments and results (inside the sandbox) is not touched. The snippet
    each activation runs in the sandbox is compiled once, not on every activation.
    """

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return _ContextFree(det, self.runner_class, self.restrictions)


@cache
def _compiled(code: str) -> CodeType:
    """One of the few snippets the SDK runs inside the sandbox (create the instance, activate
    it), compiled once: the SDK hands ``exec`` their text, compiled again on every activation."""
    return compile(code, "<string>", "exec")


class _ContextFree(_Instance):
    def _run_code(self, code: str, **extra_globals: Any) -> None:
        super()._run_code(_compiled(code), **extra_globals)  # type: ignore[arg-type]  # exec takes both

    def get_serialization_context(
        self, command_info: CommandInfo | None
    ) -> temporalio.converter.SerializationContext | None:
        return None

    def get_external_store_context(
        self, command_info: CommandInfo | None
    ) -> StorageDriverStoreContext:
        return StorageDriverStoreContext(target=None)
