"""What the case kernel asks of the response-measures procedure, and the helpers its handlers share.

A mixin of plain methods that ``ResponseMeasures`` inherits: the kernel hooks (closed, busy, the
daily tick that records an operator's failure, arrivals of the follow-up and SP Art 7 deadlines,
the view, the carry-over), the stage, the shared checks of its validators, and the messages of its
handlers (the opening record, follow-up checks, letters to the operators, the result of a command).
The Temporal handlers themselves (run, updates, validators, query) stay on the workflow class.
Pure and deterministic: no I/O, no clock but the case's.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from workflows.common import invalid, refuse
from workflows.kernel.case import Case
from workflows.kernel.ledger import Arrival, Entry
from workflows.kernel.words import explained
from workflows.models import CaseView, CommandResult, Language
from workflows.response.clocks import ResponseClocks
from workflows.response.models import (
    CLOSED_STAGES,
    STAGE_WORDS,
    MeasureView,
    OrderedMeasure,
    ResponseDetails,
    ResponsePolicy,
    ResponseResume,
    ResponseStart,
    ResponseState,
    ReviewRecord,
    Stage,
)
from workflows.response.opening import CATEGORY_WORDS, MOVEMENT_WORDS, ResponseOpening


class ResponseProcedure:
    """Set by the workflow's ``@workflow.init``; ``_looking_up`` by its register look-up."""

    _start: ResponseStart
    _opening: ResponseOpening
    _policy: ResponsePolicy
    _state: ResponseState
    case: Case
    _clocks: ResponseClocks
    _fingerprint: str
    _looking_up: bool

    def _opened(self) -> None:
        o, on = self._opening, self._start.received_on
        how = (
            f"reported by the operator {o.operator.name} (SP Art 5(1)(a))"
            if o.reported_by == "operator" and o.operator
            else "found by the authority (SP Art 5(2))"
        )
        what = "Damage" if o.basis == "damage" else "A sufficient likelihood of damage (Art 5(3))"
        self.case.record(
            "reported",
            "case-officer",
            f"{what} at {o.location} from {o.lmo.name}, {CATEGORY_WORDS[o.lmo.category]}, from "
            f"{MOVEMENT_WORDS[o.movement.kind]} started {o.movement.started_on}; {how} on {on}",
            {"reference": o.reference, "basis": o.basis},
        )

    # ---- what the kernel asks of the procedure -----------------------------------------------

    @property
    def closed(self) -> bool:
        return self._state.closed_on is not None

    @property
    def busy(self) -> bool:
        return self._looking_up

    def tick(self) -> None:
        """An operator's term that passed with its measure open is recorded as a failure once,
        and the officers are told that the authority may act itself (SP Art 5(4))."""
        if self.closed or self._state.suspended_since is not None:
            return
        today = self.case.today()
        for m in self._clocks.open_measures():
            due = self._clocks.measure_due(m).due
            if m.by_authority or m.failure_recorded or due is None or today <= due:
                continue
            m.failure_recorded = True
            self.case.record(
                "operator_failed",
                "system",
                f"The operator has not completed measure {m.number} ({m.description}), due "
                f"{due}; the authority may implement it itself (SP Art 5(4))",
            )

    def entries(self) -> list[Entry]:
        return self._clocks.entries()

    def on_arrival(self, arrival: Arrival) -> None:
        key = arrival.view.key
        if key == "follow_up":  # its day has ended: the next check counts from that day
            self._followed_up("system", None, on=arrival.view.due)
            return
        # SP Art 7: a time limit for actions has passed; it bars what is not yet done.
        st = self._state
        label = arrival.view.label
        if st.demand is not None:
            return
        st.time_barred.append(key)
        if st.decided_on is None:
            self._close(
                Stage.TIME_BARRED,
                "system",
                f"{label} passed on {arrival.view.due} ({arrival.view.explanation}): no "
                "response measures can be required any more (SP Art 7)",
            )
        elif st.demand is None:
            self.case.record(
                "time_limit_passed",
                "system",
                f"{label} passed on {arrival.view.due} ({arrival.view.explanation}): the costs "
                "can no longer be demanded (SP Art 7)",
            )
            self._maybe_complete("system")

    def _followed_up(self, actor: str, findings: str | None, on: date | None = None) -> None:
        """A follow-up check: recorded, the operators reminded of what is still open, the next
        check counted from this one (``on``, default today)."""
        st = self._state
        today = on or self.case.today()
        st.follow_up_from, st.follow_ups = today, st.follow_ups + 1
        open_ = self._clocks.open_measures()
        self.case.record(
            "follow_up",
            actor,
            f"Follow-up check on {today}"
            + (f": {findings}" if findings else "")
            + f"; open: {', '.join(f'measure {m.number} due {self._due(m)}' for m in open_)}",
        )
        self._tell_operators(
            f"follow-up-{today}",
            "response_follow_up",
            measures=[line for line in self._measure_lines() if line["completed_on"] is None],
            checked_on=today.isoformat(),
        )
        self.case.internal(
            f"follow-up-officers-{today}",
            "response_follow_up_due",
            self._start.authority.officer_email,
            checked_on=today.isoformat(),
            open_measures=len(open_),
        )

    def current_view(self) -> CaseView[ResponseDetails]:
        st, o, stage = self._state, self._opening, self._stage()
        stage_text = STAGE_WORDS[stage]
        if stage in CLOSED_STAGES and st.closed_on is not None:
            stage_text += f" on {st.closed_on}"
        if st.scope_refusals:
            stage_text += ": " + "; ".join(st.scope_refusals)
        return self.case.view(
            self.entries(),
            stage=stage.value,
            stage_text=stage_text,
            closed=self.closed,
            details=ResponseDetails(
                reported_by=o.reported_by,
                basis=o.basis,
                description=o.description,
                location=o.location,
                occurred_on=o.occurred_on,
                lmo_category=o.lmo.category,
                movement_kind=o.movement.kind,
                movement_started_on=o.movement.started_on,
                sp_in_force_on=st.sp.entry_into_force_on if st.sp else None,
                scope_refusals=list(st.scope_refusals),
                linked_cases=list(st.linked_cases),
                evaluation=st.evaluation,
                evaluated_on=st.evaluated_on,
                decided_on=st.decided_on,
                operators=[op.name for op in st.operators],
                decision_reasons=st.decision_reasons,
                remedies=st.remedies,
                restoration_not_possible=st.restoration_not_possible,
                measures=[
                    MeasureView(
                        number=m.number,
                        kind=m.kind,
                        article=m.article,
                        description=m.description,
                        due=self._clocks.measure_due(m).due,
                        by_authority=m.by_authority,
                        completed_on=m.completed_on,
                        findings=m.findings,
                    )
                    for m in st.measures
                ],  # fmt: skip
                follow_ups=st.follow_ups,
                reviews=list(st.reviews),
                suspended_since=st.suspended_since,
                costs=list(st.costs),
                costs_total=self._total(),
                financial_limit=self._policy.financial_limit,
                currency=self._policy.currency,
                demand=st.demand,
                paid=st.paid,
                exemption=st.exemption,
                time_barred=list(st.time_barred),
                closed_on=st.closed_on,
                fingerprint=self._fingerprint,
            ),
        )

    def carry_over(self) -> ResponseStart:
        return self._start.model_copy(
            update={"resume": ResponseResume(state=self._state, kernel=self.case.state)}
        )

    # ---- stages and helpers ------------------------------------------------------------------

    def _stage(self) -> Stage:
        st = self._state
        if st.closed_as is not None:
            return st.closed_as
        if st.scope_checked_on is None:
            return Stage.SCOPE_CHECK
        if st.evaluation is None:
            return Stage.EVALUATION
        if st.decided_on is None:
            return Stage.DECISION_DUE
        if st.suspended_since is not None:
            return Stage.SUSPENDED
        open_ = self._clocks.open_measures()
        if any(m.failure_recorded and not m.by_authority for m in open_):
            return Stage.OPERATOR_FAILED
        return Stage.MEASURES if open_ else Stage.COSTS

    def _close(self, stage: Stage, actor: str, summary: str) -> None:
        self._state.closed_on, self._state.closed_as = self.case.today(), stage
        self.case.record("closed", actor, f"{summary}. Case closed ({stage.value})")

    def _maybe_complete(self, actor: str) -> None:
        """Completed once every measure is and the costs are paid, waived or time-barred."""
        st = self._state
        if self.closed or self._clocks.open_measures():
            return
        costs_settled = (
            (st.demand is not None and st.paid >= st.demand.recoverable)
            or (st.demand is None and any(k in st.time_barred for k in ("relative_limit",
                                                                         "absolute_limit")))
        )  # fmt: skip
        if costs_settled:
            self._close(Stage.COMPLETED, actor, "Response measures completed and costs settled")
            self._tell_operators("completed", "response_closed", reason="completed")

    def _require_open(self, what: str) -> None:
        st = self._state
        if st.scope_checked_on is None:
            raise refuse(
                f"cannot {what}: the scope check (SP Art 3) is still running; try again shortly",
                rule="scope-checked",
                article="SP Art 3",
            )
        if self.closed:
            raise refuse(
                f"cannot {what}: the case was closed on {st.closed_on} ({self._stage()})",
                rule="case-open",
            )

    def _require_measures(self, what: str) -> None:
        self._require_open(what)
        if self._state.decided_on is None:
            raise refuse(
                f"cannot {what}: no response measures have been decided yet",
                rule="measures-decided",
            )
        if self._state.suspended_since is not None:
            raise refuse(
                f"cannot {what}: the measures are suspended pending review since "
                f"{self._state.suspended_since} (SP Art 5(6), domestic law)",
                rule="measures-in-force",
                article="SP Art 5(6)",
            )
        if not self._clocks.open_measures():
            raise refuse(f"cannot {what}: every measure is completed", rule="measure-open")

    def _require_measure(self, n: int, field: str) -> None:
        if n > (count := len(self._state.measures)):
            raise invalid(
                f"there is no measure {n}: the case has {count}", rule="measure-exists", field=field
            )

    def _require_date(
        self, name: str, on: date | None, earliest: date | None, what: str, field: str | None = None
    ) -> None:
        today = self.case.today()
        if on is not None and on > today:
            raise invalid(
                f"{name} {on} is in the future (today is {today})",
                rule="date-not-future",
                field=field or name,
            )
        if on is not None and earliest is not None and on < earliest:
            raise invalid(
                f"{name} {on} is before {what} of {earliest}",
                rule="date-order",
                field=field or name,
            )

    def _require_in_time(self, what: str) -> None:
        """SP Art 7: a time limit that has passed bars the action (the clock has the date)."""
        today = self.case.today()
        for kind in ("relative", "absolute"):
            period, deadline = self._clocks.limit(kind)
            if deadline.due is not None and today > deadline.due:
                raise refuse(
                    f"cannot {what}: the {period.label.lower()} passed on {deadline.due} "
                    f"({explained(deadline, 'en')}; SP Art 7)",
                    rule="within-time-limit",
                    article="SP Art 7(a)",
                )

    def _pending_review(self) -> ReviewRecord | None:
        return next((r for r in self._state.reviews if r.outcome is None), None)

    def _total(self) -> int:
        return sum(c.amount for c in self._state.costs)

    def _due(self, m: OrderedMeasure) -> date | None:
        return self._clocks.measure_due(m).due

    def _measure_lines(self) -> list[dict[str, Any]]:
        return [
            {
                "number": m.number,
                "article": m.article,
                "description": m.description,
                "due": str(self._due(m)),
                "completed_on": str(m.completed_on) if m.completed_on else None,
            }
            for m in self._state.measures
        ]

    def _tell_operator(self, step: str, template: str, **context: Any) -> None:
        operator = self._opening.operator
        if operator is not None:
            self.case.letter(
                step, f"response_{template}", operator.email, operator.language or self._lang,
                recipient_name=operator.name, **context,
            )  # fmt: skip

    def _tell_operators(self, step: str, template: str, **context: Any) -> None:
        for i, op in enumerate(self._state.operators, start=1):
            self.case.letter(
                f"{step}-{i}", template, op.email, op.language or self._lang,
                recipient_name=op.name, **context,
            )  # fmt: skip

    @property
    def _lang(self) -> Language:
        return self._start.authority.default_language

    def _result(self, summary: str) -> CommandResult:
        return self.case.result(self.entries(), self._stage().value, summary)
