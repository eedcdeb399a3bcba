"""Treaty status (CP Arts 37, 39; SP Arts 18, 20): the procedure's workflow and models."""

from workflows.treaty.workflow import TreatyStatus

__all__ = ["TreatyStatus"]
