"""Review of decisions (CP Art 12): the procedure's workflow and models."""

from workflows.review.workflow import ReviewOfDecision

__all__ = ["ReviewOfDecision"]
