"""The case's steps: its history in the Web UI and the API, and its append-only audit log."""

from __future__ import annotations

from datetime import date
from typing import Any

from temporalio import workflow

from workflows.models import Step


class History:
    def __init__(self, case_id: str, steps: list[Step]) -> None:
        self._case_id = case_id
        self.steps = steps

    def record(self, on: date, kind: str, actor: str, summary: str, data: dict[str, Any]) -> Step:
        step = Step(
            seq=len(self.steps) + 1,
            at=workflow.now(),
            on=on,
            kind=kind,
            actor=actor,
            summary=summary,
            data=data,
        )
        self.steps.append(step)
        workflow.logger.info(summary, extra={"case_id": self._case_id, "step": kind})
        return step

    @property
    def last(self) -> Step | None:
        return self.steps[-1] if self.steps else None
