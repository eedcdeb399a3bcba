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
    "workflows.emergency.models",
    "workflows.emergency.clocks",
    "workflows.emergency.bch",
    "workflows.response.models",
    "workflows.response.clocks",
    "holidays",
    "dateutil",
    # Not used by workflow code (workflows log through workflow.logger), but imported by modules
    # that define workflows beside activities; re-importing it in the sandbox would import rich,
    # whose module-level random call the sandbox forbids.
    "structlog",
)

RESTRICTIONS = SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH_MODULES)


def workflow_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(restrictions=RESTRICTIONS)
