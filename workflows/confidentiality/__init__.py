"""Confidential information (CP Art 21): the procedure's workflow and models."""

from workflows.confidentiality.workflow import ConfidentialInformation

__all__ = ["ConfidentialInformation"]
