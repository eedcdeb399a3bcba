"""What the case kernel asks of the advance informed agreement procedure, and the helpers its
handlers share.

A mixin of plain methods that ``AdvanceInformedAgreement`` inherits: the record of a notification
under the simplified procedure (Art 13), the kernel hooks (closed, entries, arrivals of the Art
10(2)(b) day and of the end of a public consultation, the view, the carry-over), the check that
the case is open and the messages of its handlers (letters to the notifier, BCH records, the
result of a command). The Temporal handlers themselves (run, updates, validators, query) stay on
the workflow class. Pure and deterministic: no I/O, no clock but the case's.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from workflows import clock
from workflows.aia import bch
from workflows.aia.clocks import PUBLIC_CONSULTATION, AiaClocks
from workflows.aia.models import (
    ANNEX_I_DESCRIPTIONS,
    CLOSED_STAGES,
    STAGE_WORDS,
    AiaDetails,
    AiaResume,
    AiaStart,
    AiaState,
    AnnexIItem,
    Notification,
)
from workflows.common import refuse
from workflows.kernel.case import Case
from workflows.kernel.ledger import Arrival, Entry
from workflows.kernel.words import iso
from workflows.models import CaseView, CommandResult, Language
from workflows.simplified.models import Specification


class AiaProcedure:
    """Set by the workflow's ``@workflow.init``."""

    _start: AiaStart
    _notification: Notification
    _state: AiaState
    case: Case
    _fingerprint: str
    _clocks: AiaClocks

    # ---- Art 13: the simplified procedure

    def _record_simplified(self, spec: Specification) -> None:
        """The notification falls under a specification the Party made available to the BCH in
        advance (Art 13(1)): it is recorded, and the AIA procedure (Arts 8-10) does not apply."""
        self._state.simplified = spec
        missing = self._notification.annex_i.missing_items()
        if spec.kind == "exempt_from_aia":
            what = (
                "the import is exempted from the advance informed agreement procedure "
                "(Art 13(1)(b))"
            )
        else:
            what = (
                "the movement may take place at the same time as it is notified (Art 13(1)(a))"
                + (
                    f"; Annex I items missing, which such a notification must give (Art 13(2)): "
                    f"{annex_items(missing)}"
                    if missing
                    else ""
                )
            )
        self.case.record(
            "recorded_simplified",
            "system",
            f"Recorded under the Party's specification {spec.reference} ({spec.case_id}; "
            f"{spec.legal_basis}): {what}; no acknowledgement or decision period runs",
            {
                "specification": spec.case_id,
                "kind": spec.kind,
                "missing_annex_i_items": [i.value for i in missing],
            },
        )
        self._letter(
            "simplified",
            "aia_simplified",
            kind=spec.kind,
            specification_reference=spec.reference,
            specification_title=spec.title,
            legal_basis=spec.legal_basis,
            adequate_measures=spec.adequate_measures,
            bch_record=spec.bch_record,
            missing_items=(
                [f"({i.value}) {ANNEX_I_DESCRIPTIONS[i]}" for i in missing]
                if spec.kind == "movement_at_notification"
                else []
            ),
        )

    # ---- what the kernel asks of the procedure

    @property
    def closed(self) -> bool:
        return self._state.stage in CLOSED_STAGES

    def entries(self) -> list[Entry]:
        return self._clocks.entries()

    busy = False  # nothing runs beside the kernel's own deliveries

    def tick(self) -> None:
        """Nothing to watch beyond the ledger."""

    def on_arrival(self, arrival: Arrival) -> None:
        """Art 10(2)(b): the days notified in the acknowledgement have passed without a
        decision; the movement may proceed. Art 23(2): the public consultation has closed."""
        v = arrival.view
        if v.key == PUBLIC_CONSULTATION.key:
            self._consultation_closed()
            return
        self._state.may_proceed_reached = True
        proceed_from = iso(v.due + timedelta(days=1)) if v.due else None
        self.case.record(
            "may_proceed_without_consent",
            "system",
            f"{v.period_days} days after the acknowledgement have passed without a decision: as "
            f"notified under Art 10(2)(b), the movement may proceed from {proceed_from}",
            {"proceed_from": proceed_from},
        )
        self._letter("may-proceed", "aia_may_proceed", proceed_from=proceed_from)

    def _consultation_closed(self) -> None:
        c = self._state.consultation
        assert c is not None
        c.closed_on = c.ends_on
        self.case.record(
            "consultation_closed",
            "system",
            f"The public consultation closed at the end of {c.ends_on} (Art 23(2)); its "
            "results are to be stated with the decision",
            {"opened_on": c.opened_on.isoformat(), "ends_on": c.ends_on.isoformat()},
        )

    def current_view(self) -> CaseView[AiaDetails]:
        st, stage = self._state, self._state.stage
        stage_text = STAGE_WORDS[stage]
        if st.decision is not None:
            stage_text += f": {bch.RESULT_WORDS[st.decision.result]} on {st.decided_on}"
        return self.case.view(
            self.entries(),
            stage=stage.value,
            stage_text=stage_text,
            closed=stage in CLOSED_STAGES,
            details=AiaDetails(
                **st.model_dump(),
                missing_annex_i_items=[i.value for i in self._notification.annex_i.missing_items()],
                may_proceed_from=day_after(self._clocks.proceed()),
                notification_fingerprint=self._fingerprint,
            ),
        )

    def carry_over(self) -> AiaStart:
        return self._start.model_copy(
            update={"resume": AiaResume(state=self._state, kernel=self.case.state)}
        )

    def _require_open(self, what: str) -> None:
        if (stage := self._state.stage) in CLOSED_STAGES:
            raise refuse(
                f"cannot {what}: the case is closed ({stage.value.replace('_', ' ')})",
                rule="case-open",
            )

    # ---- messages

    @property
    def _lang(self) -> Language:
        return self._notification.notifier.language or self._start.authority.default_language

    def _letter(self, step: str, template: str, **context: Any) -> None:
        self.case.letter(step, template, self._notification.notifier.email, self._lang, **context)

    def _bch(self, step: str, result: bch.Result, on: date, **fields: Any) -> None:
        """Art 10(3): decisions, requests for information and extensions go to the BCH."""
        record = bch.record(
            message_key=self.case.bch_key(step),
            case_id=self._start.case_id,
            notification=self._notification,
            received_on=self._start.received_on,
            state=self._state,
            result=result,
            on=on,
            **fields,
        )
        self.case.bch(step, result, record)

    def _result(self, summary: str) -> CommandResult:
        return self.case.result(self.entries(), self._state.stage.value, summary)


def day_after(deadline: clock.Deadline | None) -> date | None:
    return deadline.due + timedelta(days=1) if deadline and deadline.due else None


def annex_items(items: list[AnnexIItem]) -> str:
    return ", ".join(f"({i.value})" for i in items)
