"""A case's faces: its search attributes and current details in the Temporal Web UI (the
officers' screen) and its row in the register, all made from the one case view."""

from __future__ import annotations

import hashlib
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

from activities.register import CaseRow
from workflows import search_attributes as sa
from workflows.common import details_markdown
from workflows.models import CaseView


class Projection:
    def __init__(self, *, upsert_unchanged: bool, api_url: str | None = None) -> None:
        # The current details are workflow metadata, not a command: the link below changes no
        # history, and cases opened before the API's address was snapshotted simply show none.
        self._api_url = api_url
        # Cases started before the kernel upserted every attribute on every change; their
        # histories hold those commands, so they keep doing it.
        self._upsert_unchanged = upsert_unchanged
        self._shown: dict[str, Any] = {}
        self._fingerprint: str | None = None

    def show(self, view: CaseView[Any], messages_pending: bool, *, lists: bool = True) -> None:
        """Bring the Web UI's current details up to date, and with ``lists`` its search
        attributes (without: they are upserted on the next call that has it)."""
        nxt = view.next_deadline
        values: list[tuple[str, SearchAttributeUpdate[Any], Any]] = [
            (sa.STAGE.name, sa.STAGE.value_set(view.stage), view.stage),
            (
                sa.CLOCK_STOPPED.name,
                sa.CLOCK_STOPPED.value_set(view.clock_stopped),
                view.clock_stopped,
            ),
            (sa.OVERDUE.name, sa.OVERDUE.value_set(view.overdue), view.overdue),
            (
                sa.MESSAGES_PENDING.name,
                sa.MESSAGES_PENDING.value_set(messages_pending),
                messages_pending,
            ),
            (
                sa.NEXT_DEADLINE.name,
                sa.NEXT_DEADLINE.value_set(nxt.ends_at)
                if nxt is not None and nxt.ends_at is not None
                else sa.NEXT_DEADLINE.value_unset(),
                nxt.ends_at if nxt is not None else None,
            ),
            (
                sa.NEXT_DEADLINE_KIND.name,
                sa.NEXT_DEADLINE_KIND.value_set(nxt.key)
                if nxt is not None
                else sa.NEXT_DEADLINE_KIND.value_unset(),
                nxt.key if nxt is not None else None,
            ),
        ]
        if view.lmo_id is not None:
            values.append((sa.LMO_ID.name, sa.LMO_ID.value_set(view.lmo_id), view.lmo_id))
        if self._upsert_unchanged:
            updates = [u for name, u, _ in values if name != sa.LMO_ID.name]
        else:
            updates = [u for name, u, v in values if self._shown.get(name, ...) != v]
        if lists:
            if updates:
                workflow.upsert_search_attributes(updates)
            self._shown.update({name: v for name, _, v in values})
        workflow.set_current_details(
            details_markdown(self.details(view, timeline_url=self.timeline_url(view.case_id)))
        )

    def timeline_url(self, case_id: str) -> str | None:
        """The case's timeline picture (api/timeline.py), where the API is reachable."""
        return f"{self._api_url}/v1/cases/{case_id}/timeline.svg" if self._api_url else None

    @staticmethod
    def details(view: CaseView[Any], timeline_url: str | None = None) -> str:
        """The Web UI's current details: the status, every deadline with its explanation, and
        the last step. Dated, not counted ("overdue since"), so they stay true between
        activations."""
        lines = [f"**{view.status_text}**", ""]
        for d in view.deadlines:
            lines.append(f"- {d.label} ({d.article}): {d.status.value}; {d.explanation}")
        if view.history:
            lines += ["", f"Last step: {view.history[-1].summary}"]
        if timeline_url is not None:
            lines += ["", f"[Timeline of the case / Az ügy idővonala]({timeline_url})"]
        return "\n".join(lines)

    def changed(self, view: CaseView[Any]) -> bool:
        """Whether anything but the passing of time changed since the last call."""
        fingerprint = view.model_dump_json(
            exclude={
                "today",
                "status_text",
                "version",
                "days_overdue",
                "deadlines",
                "next_deadline",
            }
        ) + repr([(d.key, d.status, d.due, d.met_on) for d in view.deadlines])
        # Kept as a digest: the view's JSON is kilobytes, held for every cached case.
        fingerprint = hashlib.sha256(fingerprint.encode()).hexdigest()
        if fingerprint == self._fingerprint:
            return False
        self._fingerprint = fingerprint
        return True


def register_row(
    view: CaseView[Any], *, workflow_id: str, notifier_email: str | None, version: int
) -> CaseRow:
    """The register row of a case: its summary, and the whole view as ``state``.

    While the case runs, its history is in the audit log already: repeating it in every sync
    would make the workflow history grow with the square of the case's length. The last sync of
    a closed case keeps it, so that the register can show the whole case after Temporal's
    retention has removed the workflow."""
    return CaseRow(
        **view.model_dump(include=CaseRow.summary_fields()),
        workflow_id=workflow_id,
        notifier_email=notifier_email,
        state=view.model_dump(mode="json", exclude=set() if view.closed else {"history"}),
        version=version,
    )
