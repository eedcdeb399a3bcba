"""The workflow sandbox configuration shared by the worker and the Replayer.

The statutory clock is pure but uses ``zoneinfo`` and the ``holidays`` calendar, which the
sandbox would otherwise re-import behind restricted proxies; it, the models and the case kernel
are passed through (loaded once, outside the sandbox). Everything else keeps the SDK's default
restrictions.
"""

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

PASSTHROUGH_MODULES = (
    "workflows.clock",
    "workflows.models",
    "workflows.kernel",
    "workflows.aia.models",
    "workflows.aia.bch",
    "workflows.review.models",
    "holidays",
    "dateutil",
)

RESTRICTIONS = SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH_MODULES)


def workflow_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(restrictions=RESTRICTIONS)
