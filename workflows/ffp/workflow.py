"""Food, feed or processing (CP Art 11, Annex II) on the case kernel.

11(1): a Party that makes a final decision regarding domestic use, including placing on the
market, of an LMO that may be moved across borders for direct use as food or feed, or for
processing, informs the Parties through the BCH within 15 days, with at a minimum the Annex II
information, and sends a copy in writing to the focal point of each Party without access to the
BCH. 11(3): any Party may ask for additional information. 11(6): a Party that declared it uses
that route decides before the first import within 270 days, on a risk assessment (Annex III);
11(7): failing to decide implies neither consent nor refusal; 11(8): lack of scientific
certainty does not prevent a decision. The case kernel keeps the deadlines, reminders, lapses,
messages, history and projection; this module says what Article 11 says.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.common import invalid, refuse
    from workflows.ffp import bch
    from workflows.ffp.annex_ii import annex_ii_for_letters
    from workflows.ffp.clocks import FfpClocks, answer_period
    from workflows.ffp.models import (
        STAGE_WORDS,
        AnswerInformationRequest,
        CloseCase,
        CompleteAnnexII,
        Decide,
        FfpDecision,
        FfpDetails,
        FfpResume,
        FfpStart,
        FfpState,
        FirstImportApplication,
        InformationRequest,
        RequestInformation,
        fingerprint,
    )
    from workflows.kernel.case import Case
    from workflows.kernel.ledger import Arrival, Entry
    from workflows.kernel.runtime import run_case
    from workflows.models import CaseView, CommandResult, Language


@workflow.defn(name="FoodFeedProcessing")
class FoodFeedProcessing:
    @workflow.init
    def __init__(self, start: FfpStart) -> None:
        self._start = start
        self._opening = o = start.opening
        self._first = o if isinstance(o, FirstImportApplication) else None
        self._state = start.resume.state if start.resume else FfpState.opened(start)
        self.case = Case.open(start, start.resume.kernel if start.resume else None)
        self._clocks = FfpClocks(
            self.case.ledger, start.received_on, bool(self._first), self._state
        )
        self._fingerprint = fingerprint(o)

    @workflow.run
    async def run(self, start: FfpStart) -> CaseView[FfpDetails]:
        if start.resume is None:
            self._opened()
        return await run_case(self)

    def _opened(self) -> None:
        o, on = self._opening, self._start.received_on
        what = f"{self._lmo} for direct use as {' or '.join(o.uses)}"
        if self._first is not None:
            due = self._clocks.by_key("first_import_decision").deadline
            self.case.record(
                "application_received",
                "case-officer",
                f"Application {o.reference} before the first import of {what} received on {on} "
                f"(Art 11(6)); the decision is due by {due.due} ({due.explanation}); failing it "
                "implies neither consent nor refusal (Art 11(7))",
                {"declaration": self._first.declaration},
            )
            return
        decided = self._state.decision
        assert decided is not None
        self.case.record("decided", "case-officer", bch.decision_summary(what, decided), {})
        self._inform()

    # ---- Art 11(6): the decision before the first import --------------------------------------

    @workflow.update
    async def decide_first_import(self, cmd: Decide) -> CommandResult:
        today, first = self.case.today(), self._first
        assert first is not None  # the validator guarantees it
        self._state.decision = decided = FfpDecision(
            decided_on=today, **cmd.model_dump(exclude={"actor"})
        )
        self.case.record(
            "decided",
            cmd.actor,
            bch.decision_summary(f"the first import of {self._lmo}", decided),
            cmd.model_dump(mode="json"),
        )
        self.case.letter(
            "decision",
            "ffp_first_import_decision",
            first.applicant.email,
            first.applicant.language or self._lang,
            recipient_name=first.applicant.name,
            application_received_on=self._start.received_on.isoformat(),
            uses=list(first.uses),
            **decided.model_dump(mode="json", exclude={"bch_modified_organisms"}),
        )
        self._inform()
        return self._result(f"Decision recorded: {bch.RESULT_WORDS[cmd.result]}")

    @decide_first_import.validator
    def _decide_allowed(self, cmd: Decide) -> None:
        self._require_open("decide")
        if self._first is None:
            raise refuse(
                "the final decision was recorded when the case opened (Art 11(1)); only an "
                "application before the first import is decided here (Art 11(6)); a change of "
                "the decision is a review of it (Art 12)",
                rule="decide-first-import-only",
                article="Art 11(6)",
            )
        if (decided := self._state.decision) is not None:
            raise refuse(
                f"the decision was taken on {decided.decided_on} (Art 11(6)); it is taken once, "
                "and a change of it is a review of the decision (Art 12)",
                rule="decide-once",
                article="Art 11(6)",
            )
        # Conditions and reasons are the command's own rules (workflows/decision.py): the
        # pydantic converter refuses a command that breaks them before it reaches this.

    # ---- Annex II: the information the Parties are given --------------------------------------

    @workflow.update
    async def complete_annex_ii(self, cmd: CompleteAnnexII) -> CommandResult:
        given = [f"({i.value})" for i, v in cmd.annex_ii.items().items() if v is not None]
        self._state.annex_ii = self._state.annex_ii.completed_by(cmd.annex_ii)
        missing = self._missing()
        self.case.record(
            "annex_ii_completed",
            cmd.actor,
            f"Annex II items given: {', '.join(given)}"
            + (f"; still missing: {missing}" if missing else "; Annex II is complete"),
            cmd.model_dump(mode="json"),
        )
        if self._state.decision is not None:
            self._inform()
        return self._result("Annex II information recorded")

    @complete_annex_ii.validator
    def _complete_annex_ii_allowed(self, cmd: CompleteAnnexII) -> None:
        self._require_open("complete the Annex II information")
        if (queued := self._state.bch_queued_on) is not None:
            raise refuse(
                f"the Annex II information went to the BCH on {queued} (Art 11(1)); correct it "
                "on the BCH record",
                rule="annex-ii-before-informing",
                article="Art 11(1)",
            )
        if not any(v is not None for v in cmd.annex_ii.items().values()):
            raise invalid(
                "no Annex II item given: give at least one",
                rule="annex-ii-item-given",
                field="annex_ii",
            )

    def _inform(self) -> None:
        """Art 11(1): the decision and the Annex II information to the BCH, once every item is
        there, and a copy in writing to each focal point without access to the BCH."""
        st, decided = self._state, self._state.decision
        assert decided is not None
        if missing := self._missing():
            self.case.record(
                "annex_ii_incomplete",
                "system",
                f"Annex II items missing: {missing}; the Parties are informed through the BCH "
                "once they are given (Art 11(1): at a minimum the Annex II information)",
            )
            return
        today, o = self.case.today(), self._opening
        st.bch_queued_on = today
        record = bch.record(self._start, st.annex_ii, decided, self.case.bch_key("decision"), today)
        self.case.bch("decision", decided.result, record)
        inform = self._clocks.by_key("inform_parties").deadline
        for fp in o.copies_to:
            self.case.letter(
                f"copy-{fp.party.lower()}",
                "ffp_decision_copy",
                fp.email,
                fp.language or self._lang,
                recipient_name=fp.name,
                recipient_party=fp.party,
                uses=list(o.uses),
                annex_ii=annex_ii_for_letters(st.annex_ii),
                **decided.model_dump(mode="json", exclude={"bch_modified_organisms"}),
            )
        copies = ", ".join(fp.party for fp in o.copies_to)
        self.case.record(
            "bch_record_queued",
            "system",
            f"The decision and the Annex II information queued for the BCH on {today}, due by "
            f"{inform.due} (Art 11(1))"
            + (f"; a copy in writing to the focal points of {copies}" if copies else ""),
        )

    # ---- Art 11(3): other Parties' requests for additional information ------------------------

    @workflow.update
    async def record_information_request(self, cmd: RequestInformation) -> CommandResult:
        r = InformationRequest.of(cmd, len(self._state.requests) + 1, self.case.today())
        self._state.requests.append(r)
        due = self.case.ledger.compute(answer_period(r), r.received_on)
        self.case.record(
            "information_requested",
            cmd.actor,
            f"{r.requesting_party} requests additional information (Art 11(3)), received on "
            f"{r.received_on}: {'; '.join(r.items)}; to be answered by {due.due}",
            cmd.model_dump(mode="json", exclude={"requester"}),
        )
        return self._result(f"Request {r.number} recorded")

    @record_information_request.validator
    def _request_information_allowed(self, cmd: RequestInformation) -> None:
        self._require_open("record a request for information")
        if (decided := self._state.decision) is None:
            raise refuse(
                "no decision has been taken yet: Art 11(3) requests concern the information on a "
                "decision given under Art 11(1)",
                rule="information-request-after-decision",
                article="Art 11(3)",
            )
        if (on := cmd.received_on) is not None and on > (today := self.case.today()):
            raise invalid(
                f"received_on {on} is in the future (today is {today})",
                rule="date-not-future",
                field="received_on",
            )
        if on is not None and on < decided.decided_on:
            raise invalid(
                f"received_on {on} is before the decision of {decided.decided_on}: a request "
                "concerns a decision already taken",
                rule="date-order",
                field="received_on",
            )

    @workflow.update
    async def answer_information_request(self, cmd: AnswerInformationRequest) -> CommandResult:
        r = self._state.requests[cmd.request - 1]
        r.answer, r.answered_on = cmd.answer, self.case.today()
        self.case.record(
            "information_answered",
            cmd.actor,
            f"Request {r.number} of {r.requesting_party} answered on {r.answered_on} (Art 11(3))",
            cmd.model_dump(mode="json"),
        )
        self.case.letter(
            f"answer-{r.number}",
            "ffp_information_answer",
            r.requester_email,
            r.requester_language or self._lang,
            recipient_name=r.requester_name,
            requesting_party=r.requesting_party,
            requested_on=r.received_on.isoformat(),
            items=list(r.items),
            answer=r.answer,
            answered_on=r.answered_on.isoformat(),
        )
        return self._result(f"Request {r.number} answered")

    @answer_information_request.validator
    def _answer_allowed(self, cmd: AnswerInformationRequest) -> None:
        self._require_open("answer a request for information")
        if cmd.request > (n := len(self._state.requests)):
            raise invalid(
                f"there is no request {cmd.request}: the case has {n}, numbered from 1",
                rule="request-exists",
                field="request",
            )
        if (answered := self._state.requests[cmd.request - 1].answered_on) is not None:
            raise refuse(
                f"request {cmd.request} was answered on {answered}; a request is answered once",
                rule="request-open",
            )

    # ---- closing the file ---------------------------------------------------------------------

    @workflow.update
    async def close_file(self, cmd: CloseCase) -> CommandResult:
        self._state.closed_on = self.case.today()
        self.case.record(
            "closed",
            cmd.actor,
            f"File closed on {self._state.closed_on}" + (f": {cmd.reason}" if cmd.reason else ""),
            cmd.model_dump(mode="json"),
        )
        return self._result("File closed")

    @close_file.validator
    def _close_allowed(self, cmd: CloseCase) -> None:
        self._require_open("close the file")
        if self._state.decision is None:
            raise refuse(
                "the decision before the first import is still due (Art 11(6)): decide before "
                "closing the file",
                rule="close-after-decision",
                article="Art 11(6)",
            )
        if self._state.informed_on is None:
            raise refuse(
                "the Parties have not yet been informed through the BCH (Art 11(1)): complete "
                "any missing Annex II item, and close the file once the BCH has the record",
                rule="close-after-informing",
                article="Art 11(1)",
            )
        if unanswered := [str(r.number) for r in self._state.requests if r.answered_on is None]:
            raise refuse(
                f"request(s) {', '.join(unanswered)} not yet answered (Art 11(3)): answer them "
                "before closing the file",
                rule="close-after-answers",
                article="Art 11(3)",
            )

    @workflow.query
    def view(self) -> CaseView[FfpDetails]:
        return self.current_view()

    # ---- what the kernel asks of the procedure -----------------------------------------------

    @property
    def closed(self) -> bool:
        return self._state.closed_on is not None

    busy = False  # nothing runs beside the kernel's own deliveries

    def tick(self) -> None:
        """Art 11(1) is met once the record is handed to the BCH publication process."""
        st = self._state
        if st.bch_queued_on is None or st.informed_on is not None:
            return
        key = self.case.bch_key("decision")
        message = next(m for m in self.case.outbox.messages if m.key == key)
        if message.status != "sent":
            return
        st.informed_on = self.case.today()
        self.case.record(
            "parties_informed",
            "system",
            f"The decision and the Annex II information handed to the BCH on {st.informed_on} "
            f"(Art 11(1)): {message.detail}",
        )

    def entries(self) -> list[Entry]:
        return self._clocks.entries()

    def on_arrival(self, arrival: Arrival) -> None:  # no moment periods in Art 11
        raise AssertionError(f"unexpected moment {arrival.view.key}")

    def current_view(self) -> CaseView[FfpDetails]:
        st, o, stage = self._state, self._opening, self._state.stage
        stage_text = STAGE_WORDS[stage]
        if st.decision is not None:
            stage_text += f": {bch.RESULT_WORDS[st.decision.result]} on {st.decision.decided_on}"
        return self.case.view(
            self.entries(),
            stage=stage.value,
            stage_text=stage_text,
            closed=self.closed,
            details=FfpDetails(
                kind=o.kind,
                uses=list(o.uses),
                declaration=self._first.declaration if self._first else None,
                annex_ii=st.annex_ii,
                missing_annex_ii_items=[i.value for i in st.annex_ii.missing_items()],
                decision=st.decision,
                bch_queued_on=st.bch_queued_on,
                informed_on=st.informed_on,
                copies_to=[fp.party for fp in o.copies_to],
                information_requests=[r.view() for r in st.requests],
                closed_on=st.closed_on,
                fingerprint=self._fingerprint,
            ),
        )

    def carry_over(self) -> FfpStart:
        return self._start.model_copy(
            update={"resume": FfpResume(state=self._state, kernel=self.case.state)}
        )

    # ---- stages and helpers ------------------------------------------------------------------

    def _require_open(self, what: str) -> None:
        if self.closed:
            raise refuse(
                f"cannot {what}: the file was closed on {self._state.closed_on}", rule="case-open"
            )

    def _missing(self) -> str:
        return ", ".join(f"({i.value})" for i in self._state.annex_ii.missing_items())

    @property
    def _lmo(self) -> str:
        return self._state.annex_ii.c_lmo_name or "an LMO not yet named"

    @property
    def _lang(self) -> Language:
        return self._start.authority.default_language

    def _result(self, summary: str) -> CommandResult:
        return self.case.result(self.entries(), self._state.stage.value, summary)
