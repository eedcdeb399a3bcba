"""Illegal transboundary movements (CP Art 25): the procedure's workflow and models."""

from workflows.illegal.workflow import IllegalTransboundaryMovement

__all__ = ["IllegalTransboundaryMovement"]
