"""Review of decisions (CP Art 12) on the case kernel.

12(1): the authority changes a decision in the light of new scientific information and, within
30 days, informs every notifier that notified movements of that LMO (found in the register by
its unique identifier) and the BCH, with reasons. 12(2)-(3): a notifier or the Party of export
asks for a review on the grounds of 12(2)(a) or (b); a reasoned written answer is due within 90
days. 12(4): the authority may require a risk assessment for subsequent imports.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.bch import BchDecisionInput
    from activities.register import LmoActivities, LmoQuery
    from workflows.common import REGISTER_RETRY, refuse
    from workflows.decision import refuse_conditions
    from workflows.kernel.case import Case
    from workflows.kernel.ledger import Arrival, Entry
    from workflows.kernel.periods import Period
    from workflows.kernel.runtime import run_case
    from workflows.models import CaseView, CommandResult, Language
    from workflows.review.models import (
        CLOSED_STAGES,
        GROUNDS_WORDS,
        AnswerRequest,
        ChangeDecision,
        Informed,
        ReviewDetails,
        ReviewRequest,
        ReviewResume,
        ReviewStart,
        ReviewState,
        Stage,
        fingerprint,
    )

ANSWER = Period(
    key="answer",
    days=90,  # Art 12(3)
    counted_from="receipt of the request",
    counted_from_hu="a felülvizsgálati kérelem kézhezvétele",
    article="CP Art 12(3)",
    label="Written answer to the request for review",
    label_hu="Írásbeli válasz a felülvizsgálati kérelemre",
)
INFORM = Period(
    key="inform",
    days=30,  # Art 12(1)
    counted_from="the decision change",
    counted_from_hu="a döntés módosítása",
    article="CP Art 12(1)",
    label="Notifiers and the BCH informed of the changed decision",
    label_hu="A bejelentők és a BCH tájékoztatása a módosított döntésről",
)

RESULT_WORDS = {
    "approval": "import approved without conditions",
    "approval_with_conditions": "import approved with conditions",
    "prohibition": "import prohibited",
}
STAGE_WORDS = {
    Stage.REQUESTED: "Review requested (Art 12(2)), awaiting the written answer",
    Stage.OPENED: "Decision under review by the authority (Art 12(1))",
    Stage.INFORMING: "Decision changed; informing the notifiers and the BCH (Art 12(1))",
    Stage.ANSWERED: "Request answered: the decision stands (Art 12(3))",
    Stage.CHANGED: "Decision changed; the notifiers and the BCH informed (Art 12(1))",
}


@workflow.defn(name="ReviewOfDecision")
class ReviewOfDecision:
    @workflow.init
    def __init__(self, start: ReviewStart) -> None:
        self._start = start
        self._opening = o = start.opening
        self._request = o if isinstance(o, ReviewRequest) else None
        self._state = start.resume.state if start.resume else ReviewState()
        self._looking_up = False
        self.case = Case.open(start, start.resume.kernel if start.resume else None)
        self._fingerprint = fingerprint(o)

    @workflow.run
    async def run(self, start: ReviewStart) -> CaseView[ReviewDetails]:
        if start.resume is None:
            self._opened()
        return await run_case(self)

    def _opened(self) -> None:
        o, r = self._opening, self._request
        if r is None:
            self.case.record(
                "review_opened",
                "case-officer",
                f"Review of the decision on {o.decision.lmo_name} ({o.decision.lmo_id}) opened "
                f"in the light of new scientific information (Art 12(1))",
                {"new_information": getattr(o, "new_information", None)},
            )
            return
        self.case.record(
            "review_requested",
            r.requester.name,
            f"Request for review of the decision on {o.decision.lmo_name} received on "
            f"{self._start.received_on} from the {r.requested_by.replace('_', ' ')} "
            f"{r.requester.name}, on the grounds of {GROUNDS_WORDS[r.grounds]}",
            {"grounds": r.grounds.value, "requested_by": r.requested_by},
        )
        answer = self._entries_by_key()["answer"]
        language = r.requester.language or self._start.authority.default_language
        self.case.letter(
            "request-received",
            "review_request_received",
            r.requester.email,
            language,
            recipient_name=r.requester.name,
            requested_on=self._start.received_on.isoformat(),
            grounds=r.grounds.value,
            answer_due=answer.deadline.due.isoformat() if answer.deadline.due else None,
            answer_due_explanation=(
                answer.deadline.explanation_hu if language == "hu" else answer.deadline.explanation
            ),
        )

    # ---- Art 12(1): change the decision ------------------------------------------------------

    @workflow.update
    async def change_decision(self, cmd: ChangeDecision) -> CommandResult:
        today = self.case.today()
        self._state.change, self._state.changed_on = cmd, today
        self.case.record(
            "decision_changed",
            cmd.actor,
            f"Decision changed on {today} (Art 12(1)): {RESULT_WORDS[cmd.result]}"
            + (f"; conditions: {'; '.join(cmd.conditions)}" if cmd.conditions else "")
            + f"; reasons: {cmd.reasons}"
            + (
                "; a risk assessment is required for subsequent imports (Art 12(4))"
                if cmd.risk_assessment_required
                else ""
            ),
            cmd.model_dump(mode="json"),
        )
        if self._request is not None:
            self._answer(today, "decision_changed", cmd.reasons, cmd.risk_assessment_required)
        self.case.bch("decision-change", "decision_change", self._bch_record(cmd, today))
        self._looking_up = True
        asyncio.create_task(self._inform(cmd))
        return self._result(f"Decision changed: {RESULT_WORDS[cmd.result]}")

    @change_decision.validator
    def _change_decision_allowed(self, cmd: ChangeDecision) -> None:
        self._require_open("change the decision")
        if self._state.change is not None:
            raise refuse(
                f"the decision was already changed on {self._state.changed_on}; "
                "to change it again, open a new review",
                rule="change-decision-once",
            )
        refuse_conditions(cmd.result, list(cmd.conditions))

    async def _inform(self, cmd: ChangeDecision) -> None:
        """Find every notifier of the LMO in the register and write to each; one letter that
        cannot be delivered holds up none of the others (each is its own message)."""
        lmo_id = self._opening.decision.lmo_id
        found = await workflow.execute_activity_method(
            LmoActivities.notifiers_of_lmo,
            LmoQuery(lmo_id=lmo_id),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=REGISTER_RETRY,
            summary=f"notifiers of {lmo_id}",
        )
        self._state.notifiers = [
            Informed(name=n.name, email=n.email, language=n.language, case_id=n.case_id)
            for n in found.notifiers
        ]
        self._looking_up = False
        inform = self._entries_by_key()["inform"].deadline
        self.case.record(
            "notifiers_found",
            "system",
            f"{len(self._state.notifiers)} notifier(s) of {lmo_id} found in the register; each is "
            f"informed, and the BCH, by {inform.due} (Art 12(1))",
            {"notifiers": [n.case_id for n in self._state.notifiers]},
        )
        for n in self._state.notifiers:
            self.case.letter(
                f"decision-changed-{n.email.lower()}",
                "review_decision_changed",
                n.email,
                "hu" if n.language == "hu" else "en" if n.language == "en" else self._lang,
                recipient_name=n.name or n.email,
                changed_on=self._state.changed_on.isoformat() if self._state.changed_on else None,
                new_result=cmd.result,
                conditions=list(cmd.conditions),
                reasons=cmd.reasons,
                new_information=cmd.new_information
                or getattr(self._opening, "new_information", None),
                risk_assessment_required=cmd.risk_assessment_required,
                inform_due=inform.due.isoformat() if inform.due else None,
            )

    # ---- Art 12(3): answer a request ---------------------------------------------------------

    @workflow.update
    async def answer(self, cmd: AnswerRequest) -> CommandResult:
        today = self.case.today()
        self._state.answer = cmd
        self.case.record(
            "answered",
            cmd.actor,
            f"Request for review answered on {today} (Art 12(3)): the decision stands; reasons: "
            f"{cmd.reasons}"
            + (
                "; a risk assessment is required for subsequent imports (Art 12(4))"
                if cmd.risk_assessment_required
                else ""
            ),
            cmd.model_dump(mode="json"),
        )
        self._answer(today, "decision_maintained", cmd.reasons, cmd.risk_assessment_required)
        return self._result("Request answered; the decision stands")

    @answer.validator
    def _answer_allowed(self, cmd: AnswerRequest) -> None:
        self._require_open("answer the request")
        if self._request is None:
            raise refuse(
                "this review was opened by the authority (Art 12(1)); there is no request to "
                "answer (Art 12(3)): change the decision, or leave it as it is",
                rule="review-requested",
                article="Art 12(3)",
            )
        if self._state.change is not None:
            raise refuse(
                f"the decision was changed on {self._state.changed_on}, which answered the request "
                "(Art 12(3)); there is nothing left to answer",
                rule="answer-once",
                article="Art 12(3)",
            )

    def _answer(self, today: Any, outcome: str, reasons: str, ra_required: bool) -> None:
        r = self._request
        assert r is not None
        self._state.answered_on = today
        change = self._state.change
        self.case.letter(
            "answer",
            "review_answer",
            r.requester.email,
            r.requester.language or self._start.authority.default_language,
            recipient_name=r.requester.name,
            requested_on=self._start.received_on.isoformat(),
            grounds=r.grounds.value,
            answered_on=today.isoformat(),
            outcome=outcome,
            reasons=reasons,
            new_result=change.result if change else None,
            conditions=list(change.conditions) if change else [],
            risk_assessment_required=ra_required,
        )

    @workflow.query
    def view(self) -> CaseView[ReviewDetails]:
        return self.current_view()

    # ---- what the kernel asks of the procedure -----------------------------------------------

    @property
    def closed(self) -> bool:
        return self._stage in CLOSED_STAGES

    @property
    def busy(self) -> bool:
        return self._looking_up

    def tick(self) -> None:
        """Art 12(1) is met once every letter of the change and the BCH record are out."""
        st = self._state
        if st.notifiers is None or st.informed_on is not None:
            return
        owed = [m for m in self.case.outbox.messages if self._informs(m.key)]
        if any(m.status == "pending" for m in owed):
            return
        st.informed_on = self.case.today()
        failed = [m.recipient for m in owed if m.status == "failed"]
        self.case.record(
            "informed",
            "system",
            f"{len(owed) - len(failed)} of {len(owed)} communications of the changed decision "
            "delivered (Art 12(1))"
            + (f"; FAILED (escalated): {', '.join(failed)}" if failed else ""),
            {"failed": failed},
        )

    def _informs(self, key: str) -> bool:
        step = key.removeprefix(f"{self._start.case_id}:")
        return step.startswith("decision-changed-") or step == "bch:decision-change"

    def entries(self) -> list[Entry]:
        out = []
        if self._request is not None:
            answer = self.case.ledger.compute(ANSWER, self._start.received_on)
            out.append(Entry(ANSWER, answer, met_on=self._state.answered_on))
        if self._state.changed_on is not None:
            inform = self.case.ledger.compute(INFORM, self._state.changed_on)
            out.append(Entry(INFORM, inform, met_on=self._state.informed_on))
        return out

    def on_arrival(self, arrival: Arrival) -> None:  # no moment periods in Art 12
        raise AssertionError(f"unexpected moment {arrival.view.key}")

    def current_view(self) -> CaseView[ReviewDetails]:
        o, r, st = self._opening, self._request, self._state
        stage = self._stage
        return self.case.view(
            self.entries(),
            stage=stage.value,
            stage_text=STAGE_WORDS[stage],
            closed=stage in CLOSED_STAGES,
            details=ReviewDetails(
                origin=o.origin,
                decision=o.decision,
                requested_by=r.requested_by if r else None,
                grounds=r.grounds if r else None,
                statement=r.statement if r else None,
                new_information=getattr(o, "new_information", None),
                change=st.change,
                changed_on=st.changed_on,
                answer=st.answer,
                answered_on=st.answered_on,
                notifiers_informed=st.notifiers,
                informed_on=st.informed_on,
                fingerprint=self._fingerprint,
            ),
        )

    def carry_over(self) -> ReviewStart:
        return self._start.model_copy(
            update={"resume": ReviewResume(state=self._state, kernel=self.case.state)}
        )

    # ---- stages and helpers ------------------------------------------------------------------

    @property
    def _stage(self) -> Stage:
        st = self._state
        if st.change is not None:
            return Stage.CHANGED if st.informed_on is not None else Stage.INFORMING
        if st.answer is not None:
            return Stage.ANSWERED
        return Stage.REQUESTED if self._request is not None else Stage.OPENED

    def _require_open(self, what: str) -> None:
        if (stage := self._stage) in CLOSED_STAGES:
            raise refuse(
                f"cannot {what}: the review is closed ({stage.value.replace('_', ' ')})",
                rule="case-open",
            )

    def _entries_by_key(self) -> dict[str, Entry]:
        return {e.period.key: e for e in self.entries()}

    @property
    def _lang(self) -> Language:
        return self._start.authority.default_language

    def _bch_record(self, cmd: ChangeDecision, today: Any) -> BchDecisionInput:
        """The changed decision on the BCH (Art 12(1)): an amendment of the decision's record
        when it is known, else a record of its own that says it changes the earlier decision."""
        d = self._opening.decision
        why = (
            "Reviewed under Art 12 in the light of new scientific information: "
            f"{self._new_information(cmd) or cmd.reasons}"
            + (
                "; a risk assessment is required for subsequent imports (Art 12(4))"
                if cmd.risk_assessment_required
                else ""
            )
        )
        return BchDecisionInput(
            message_key=self.case.bch_key("decision-change"),
            case_id=self._start.case_id,
            government=self._start.authority.party,
            title=f"Decision changed on review (Art 12(1)): {d.lmo_name} ({self._start.case_id})",
            decision_date=today,
            decision_result=cmd.result,
            conditions=list(cmd.conditions),
            reasons=cmd.reasons if d.bch_record else f"{cmd.reasons}\n\n{why}",
            receipt_date=self._start.received_on,
            communication_date=today,
            lmo_name=d.lmo_name,
            lmo_unique_identifier=d.lmo_id,
            amended_records=[d.bch_record] if d.bch_record else [],
            amendment_details=why if d.bch_record else None,
        )

    def _new_information(self, cmd: ChangeDecision) -> str | None:
        return cmd.new_information or getattr(self._opening, "new_information", None)

    def _result(self, summary: str) -> CommandResult:
        return self.case.result(self.entries(), self._stage.value, summary)
