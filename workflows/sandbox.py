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
"""

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

PASSTHROUGH_MODULES = (
    "workflows.clock",
    "workflows.models",
    "workflows.kernel",
    "workflows.aia.models",
    "workflows.aia.bch",
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


def workflow_runner(strength: str = "strict") -> SandboxedWorkflowRunner:
    """The runner for a worker or a Replayer: ``strict`` or ``shared`` (see above)."""
    if strength not in ("strict", "shared"):
        raise ValueError(f"sandbox strength must be strict or shared, not {strength!r}")
    return SandboxedWorkflowRunner(
        restrictions=SHARED_RESTRICTIONS if strength == "shared" else RESTRICTIONS
    )
