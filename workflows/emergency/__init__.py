"""Unintentional transboundary movements and emergency measures (CP Art 17): the procedure's
workflow and models."""

from workflows.emergency.workflow import Emergency

__all__ = ["Emergency"]
