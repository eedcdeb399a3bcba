"""Advance informed agreement (CP Arts 7-10, 15, 21): the procedure's workflow and models."""

from workflows.aia.workflow import AdvanceInformedAgreement

__all__ = ["AdvanceInformedAgreement"]
