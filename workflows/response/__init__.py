"""Response measures under the Supplementary Protocol on Liability and Redress (SP Arts 2-8)."""

from workflows.response.workflow import ResponseMeasures

__all__ = ["ResponseMeasures"]
