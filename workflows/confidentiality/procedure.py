"""What the case kernel asks of the confidentiality procedure, and the helpers its handlers share.

A mixin of plain methods that ``ConfidentialInformation`` inherits: the kernel hooks (closed,
entries, arrivals of the consultation and review-window deadlines, the view, the carry-over) and
the shared checks and messages of its handlers (the claim an item names, the letters to the
notifier, the result of a command). The Temporal handlers themselves (run, updates, validators,
query) stay on the workflow class. Pure and deterministic: no I/O, no clock but the case's.
"""

from __future__ import annotations

from workflows.common import refuse
from workflows.confidentiality.clocks import ConfidentialityClocks
from workflows.confidentiality.models import (
    SETTLED,
    SETTLED_BY,
    STAGE_WORDS,
    ClaimState,
    ClaimView,
    ConfidentialityDetails,
    ConfidentialityResume,
    ConfidentialityStart,
    ConfidentialityState,
    describe,
)
from workflows.kernel.case import Case
from workflows.kernel.ledger import Arrival, Entry
from workflows.models import CaseView, CommandResult


class ClaimsProcedure:
    """Set by the workflow's ``@workflow.init``."""

    _start: ConfidentialityStart
    _state: ConfidentialityState
    case: Case
    _clocks: ConfidentialityClocks
    _fingerprint: str

    # ---- what the kernel asks of the procedure -----------------------------------------------

    @property
    def closed(self) -> bool:
        return self._state.closed

    busy = False

    def tick(self) -> None:
        pass

    def entries(self) -> list[Entry]:
        return self._clocks.entries()

    def on_arrival(self, arrival: Arrival) -> None:
        key, on = arrival.view.key, arrival.view.due
        kind, item = key.rsplit("-", 1)
        c = self._claim(item)
        if kind == "consultation" and c.views_given_on is None and c.decided_on is None:
            self.case.record(
                "consultation_ended",
                "system",
                f"The consultation on the claim on {describe(item)} ended on {on} without the "
                "notifier's views; the authority may now decide (Art 21(2))",
                {"item": item},
            )
        elif kind == "review-window" and c.review_requested_on is None and c.stage not in SETTLED:
            c.review_window_ended_on = self.case.today()
            self.case.record(
                "review_window_ended",
                "system",
                f"No internal review of the rejection of the claim on {describe(item)} was "
                f"asked for by {on}: the item may be disclosed (Art 21(2))",
                {"item": item},
            )

    def current_view(self) -> CaseView[ConfidentialityDetails]:
        st, stage = self._state, self._state.stage
        return self.case.view(
            self.entries(),
            stage=stage.value,
            stage_text=STAGE_WORDS[stage],
            closed=self.closed,
            details=ConfidentialityDetails(
                notification_case_id=self._start.opening.notification_case_id,
                claims=[
                    ClaimView(**c.model_dump(), stage_now=c.stage, description=describe(c.item))
                    for c in st.claims
                ],
                withdrawn_on=st.withdrawn_on,
                periods=self._start.periods,
                fingerprint=self._fingerprint,
            ),
        )

    def carry_over(self) -> ConfidentialityStart:
        return self._start.model_copy(
            update={"resume": ConfidentialityResume(state=self._state, kernel=self.case.state)}
        )

    # ---- helpers ------------------------------------------------------------------------------

    def _record_claims(self) -> None:
        """The opening entry of a new case (not of one continued as new)."""
        start, o = self._start, self._start.opening
        self.case.record(
            "claims_recorded",
            "system",
            f"Claims of notification {o.notification_case_id} received on "
            f"{start.received_on}: {self._items([c.item for c in o.claims])}; treated as "
            "confidential until decided otherwise (Art 21(1), 21(3))",
            {"items": [c.item for c in o.claims]},
        )

    def _require_open(self, what: str) -> None:
        if self.closed:
            raise refuse(f"cannot {what}: every claim of this case is settled", rule="case-open")

    def _claim(self, item: str) -> ClaimState:
        c = self._state.claim(item)
        assert c is not None  # the validators guarantee it
        return c

    def _open_claim(self, item: str, what: str, field: str = "item") -> ClaimState:
        """The claim on ``item``, refused when there is none or it is settled; ``field`` is
        where the command names the item."""
        c = self._state.claim(item)
        if c is None:  # a fact of the case, not of the command: a 409
            raise refuse(
                f"this case has no claim on Annex I item ({item}); claimed: "
                f"{', '.join(f'({x.item})' for x in self._state.claims)}",
                rule="claim-exists",
                field=field,
            )
        if c.stage in SETTLED:
            raise refuse(
                f"cannot {what} item ({item}): its claim is settled ({STAGE_WORDS[c.stage]})",
                rule="claim-open",
                article=SETTLED_BY[c.stage],
                field=field,
            )
        return c

    @staticmethod
    def _items(items: list[str]) -> str:
        return ", ".join(f"Annex I item ({i})" for i in items)

    def _letter(self, step: str, template: str, **context: object) -> None:
        """Letters of this procedure go to the notifier only: the claims are its business."""
        n = self._start.opening.notifier
        self.case.letter(
            step,
            template,
            n.email,
            n.language or self._start.authority.default_language,
            recipient_name=n.name,
            **context,
        )

    def _result(self, summary: str) -> CommandResult:
        return self.case.result(self.entries(), self._state.stage.value, summary)
