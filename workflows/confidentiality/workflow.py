"""Confidential information (CP Art 21) on the case kernel: the claims of one notification.

21(1): the notifier identifies what is to be treated as confidential, and justifies it upon
request. 21(2): the authority consults the notifier before deciding that an item does not
qualify, informs it of the decision with reasons, and gives it an opportunity for an internal
review before any disclosure. 21(5): a withdrawn notification's claims stay confidential,
including those the authority and the notifier disagree on. 21(6): some items never qualify
(refused by the models). Nothing here goes to the BCH or to anyone but the notifier; the case
kernel keeps the deadlines, reminders, lapses, letters, history and projection.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.common import invalid, refuse
    from workflows.confidentiality.clocks import ConfidentialityClocks
    from workflows.confidentiality.models import (
        SETTLED,
        ClaimState,
        ConfidentialityDetails,
        ConfidentialityStart,
        ConfidentialityState,
        ConsultationViews,
        DecideClaim,
        DecideReview,
        Disclose,
        GiveJustification,
        NotificationWithdrawn,
        OpenConsultation,
        RequestJustification,
        RequestReview,
        describe,
        fingerprint,
    )
    from workflows.confidentiality.procedure import ClaimsProcedure
    from workflows.kernel.case import Case
    from workflows.kernel.runtime import run_case
    from workflows.models import CaseView, CommandResult


@workflow.defn(name="ConfidentialInformation")
class ConfidentialInformation(ClaimsProcedure):
    @workflow.init
    def __init__(self, start: ConfidentialityStart) -> None:
        self._start = start
        self._state = (
            start.resume.state
            if start.resume
            else ConfidentialityState(
                claims=[
                    ClaimState(item=c.item, justification=c.justification)
                    for c in start.opening.claims
                ]
            )
        )
        self.case = Case.open(start, start.resume.kernel if start.resume else None)
        self._clocks = ConfidentialityClocks(self.case.ledger, start.periods, self._state)
        self._fingerprint = fingerprint(start.opening)

    @workflow.run
    async def run(self, start: ConfidentialityStart) -> CaseView[ConfidentialityDetails]:
        if start.resume is None:
            self._record_claims()
        return await run_case(self)

    # ---- Art 21(1): justification upon request -----------------------------------------------

    @workflow.update
    async def request_justification(self, cmd: RequestJustification) -> CommandResult:
        today = self.case.today()
        for item in cmd.items:
            c = self._claim(item)
            c.justification_requested_on, c.justified_on = today, None
        due = self._clocks.due(f"justification-{cmd.items[0]}")
        self.case.record(
            "justification_requested",
            cmd.actor,
            f"Justification of the claims on {self._items(cmd.items)} requested on {today}, due "
            f"by {due} (Art 21(1))",
            cmd.model_dump(mode="json"),
        )
        self._letter(
            f"justification-{today}-{''.join(cmd.items)}",
            "confidentiality_justification_request",
            items=list(cmd.items),
            descriptions=[describe(i) for i in cmd.items],
            due=due.isoformat(),
        )
        return self._result(f"Justification requested, due by {due}")

    @request_justification.validator
    def _request_justification_allowed(self, cmd: RequestJustification) -> None:
        for i, item in enumerate(cmd.items):
            c = self._open_claim(item, "request a justification", field=f"items[{i}]")
            if c.justified_on is None and c.justification_requested_on is not None:
                raise refuse(
                    f"a justification of item ({item}) was requested on "
                    f"{c.justification_requested_on} and is still awaited: record it, or wait, "
                    "before asking again",
                    rule="justification-request-once",
                    field=f"items[{i}]",
                )

    @workflow.update
    async def give_justification(self, cmd: GiveJustification) -> CommandResult:
        c = self._claim(cmd.item)
        c.justification, c.justified_on = cmd.justification, self.case.today()
        # The justification itself stays out of the history, which is also the audit log.
        self.case.record(
            "justification_given",
            cmd.actor,
            f"Justification of the claim on {describe(cmd.item)} given on {c.justified_on}",
            {"item": cmd.item},
        )
        return self._result("Justification recorded")

    @give_justification.validator
    def _give_justification_allowed(self, cmd: GiveJustification) -> None:
        c = self._open_claim(cmd.item, "justify")
        if c.decided_on is not None:
            raise refuse(
                f"the claim on item ({cmd.item}) was decided on {c.decided_on}: a justification "
                "is given before the decision; against a rejection, ask for an internal review",
                rule="justify-before-decision",
            )

    # ---- Art 21(2): consultation, decision with reasons ---------------------------------------

    @workflow.update
    async def open_consultation(self, cmd: OpenConsultation) -> CommandResult:
        c = self._claim(cmd.item)
        c.consultation_opened_on, c.consultation_grounds = self.case.today(), cmd.grounds
        due = self._clocks.due(f"consultation-{cmd.item}")
        self.case.record(
            "consultation_opened",
            cmd.actor,
            f"The notifier consulted on {c.consultation_opened_on} on the claim on "
            f"{describe(cmd.item)}, which the authority considers may not qualify; its views "
            f"are awaited until {due} (Art 21(2))",
            cmd.model_dump(mode="json"),
        )
        self._letter(
            f"consultation-{cmd.item}",
            "confidentiality_consultation",
            item=cmd.item,
            description=describe(cmd.item),
            grounds=cmd.grounds,
            due=due.isoformat(),
        )
        return self._result(f"Notifier consulted; views awaited until {due}")

    @open_consultation.validator
    def _open_consultation_allowed(self, cmd: OpenConsultation) -> None:
        c = self._open_claim(cmd.item, "consult the notifier on")
        if c.consultation_opened_on is not None:
            raise refuse(
                f"the notifier was consulted on item ({cmd.item}) on {c.consultation_opened_on}; "
                "a claim is consulted on once",
                rule="consult-once",
            )
        if c.decided_on is not None:
            raise refuse(
                f"the claim on item ({cmd.item}) was decided on {c.decided_on}: the notifier is "
                "consulted before the decision (Art 21(2))",
                rule="consult-before-decision",
                article="Art 21(2)",
            )

    @workflow.update
    async def give_views(self, cmd: ConsultationViews) -> CommandResult:
        c = self._claim(cmd.item)
        c.views, c.views_given_on = cmd.views, self.case.today()
        self.case.record(
            "views_given",
            cmd.actor,
            f"The notifier's views on the claim on {describe(cmd.item)} received on "
            f"{c.views_given_on} (Art 21(2))",
            {"item": cmd.item},
        )
        return self._result("Views recorded; the authority may now decide")

    @give_views.validator
    def _give_views_allowed(self, cmd: ConsultationViews) -> None:
        c = self._open_claim(cmd.item, "give views on")
        if c.consultation_opened_on is None:
            raise refuse(
                f"the notifier has not been consulted on item ({cmd.item}): views are given in a "
                "consultation (Art 21(2)); open one first",
                rule="views-in-consultation",
                article="Art 21(2)",
            )
        if c.decided_on is not None:
            raise refuse(
                f"the claim on item ({cmd.item}) was decided on {c.decided_on}: views are given "
                "before the decision (Art 21(2))",
                rule="views-before-decision",
                article="Art 21(2)",
            )
        if c.views_given_on is not None:
            raise refuse(
                f"views on item ({cmd.item}) were given on {c.views_given_on}; they are given once",
                rule="views-once",
            )

    @workflow.update
    async def decide_claim(self, cmd: DecideClaim) -> CommandResult:
        c = self._claim(cmd.item)
        c.decided_on, c.outcome, c.reasons = self.case.today(), cmd.outcome, cmd.reasons
        rejected = cmd.outcome == "not_confidential"
        window = self._clocks.due(f"review-window-{cmd.item}") if rejected else None
        self.case.record(
            "claim_decided",
            cmd.actor,
            f"The claim on {describe(cmd.item)} "
            + (
                f"rejected on {c.decided_on}: {cmd.reasons}; the notifier may ask for an "
                f"internal review until {window}, and nothing is disclosed before (Art 21(2))"
                if rejected
                else f"accepted on {c.decided_on}: the item stays confidential (Art 21(3))"
            ),
            cmd.model_dump(mode="json"),
        )
        self._letter(
            f"decision-{cmd.item}",
            "confidentiality_decision",
            item=cmd.item,
            description=describe(cmd.item),
            outcome=cmd.outcome,
            reasons=cmd.reasons,
            review_until=window.isoformat() if window else None,
        )
        return self._result(
            f"Claim rejected; internal review possible until {window}"
            if rejected
            else "Claim accepted"
        )

    @decide_claim.validator
    def _decide_claim_allowed(self, cmd: DecideClaim) -> None:
        c = self._open_claim(cmd.item, "decide")
        if c.decided_on is not None:
            raise refuse(
                f"the claim on item ({cmd.item}) was decided on {c.decided_on}; a claim is "
                "decided once, and its rejection changed only on an internal review",
                rule="decide-once",
            )
        if cmd.outcome == "confidential":
            return
        if c.consultation_opened_on is None:
            raise refuse(
                f"the notifier must be consulted before its claim on item ({cmd.item}) is "
                "rejected (Art 21(2)): open a consultation first",
                rule="consult-before-rejection",
                article="Art 21(2)",
            )
        until = self._clocks.due(f"consultation-{cmd.item}")
        if c.views_given_on is None and self.case.today() <= until:
            raise refuse(
                f"the notifier is being consulted on item ({cmd.item}) until {until} and has "
                "not yet given its views: the claim may be rejected after that (Art 21(2))",
                rule="consultation-complete",
                article="Art 21(2)",
            )

    # ---- Art 21(2): internal review before any disclosure -------------------------------------

    @workflow.update
    async def request_review(self, cmd: RequestReview) -> CommandResult:
        c = self._claim(cmd.item)
        c.review_requested_on, c.review_grounds = self.case.today(), cmd.grounds
        due = self._clocks.due(f"review-decision-{cmd.item}")
        self.case.record(
            "review_requested",
            cmd.actor,
            f"Internal review of the rejection of the claim on {describe(cmd.item)} requested "
            f"on {c.review_requested_on}; to be decided by {due}; nothing is disclosed before "
            "(Art 21(2))",
            {"item": cmd.item},
        )
        return self._result(f"Internal review requested; to be decided by {due}")

    @request_review.validator
    def _request_review_allowed(self, cmd: RequestReview) -> None:
        c = self._open_claim(cmd.item, "ask for a review of")
        if c.outcome != "not_confidential":
            raise refuse(
                f"the claim on item ({cmd.item}) has not been rejected: only a rejection is "
                "reviewed (Art 21(2))",
                rule="review-of-rejection",
                article="Art 21(2)",
            )
        if c.review_requested_on is not None:
            raise refuse(
                f"a review of item ({cmd.item}) was requested on {c.review_requested_on}; it is "
                "requested once",
                rule="review-request-once",
            )
        until = self._clocks.due(f"review-window-{cmd.item}")
        if self.case.today() > until or c.review_window_ended_on is not None:
            raise refuse(
                f"the opportunity to ask for an internal review of item ({cmd.item}) ended on "
                f"{until} (Art 21(2))",
                rule="review-request-in-time",
                article="Art 21(2)",
            )

    @workflow.update
    async def decide_review(self, cmd: DecideReview) -> CommandResult:
        c = self._claim(cmd.item)
        c.reviewed_on, c.review_outcome, c.review_reasons = (
            self.case.today(),
            cmd.outcome,
            cmd.reasons,
        )
        upheld = cmd.outcome == "rejection_upheld"
        self.case.record(
            "review_decided",
            cmd.actor,
            f"Internal review of the claim on {describe(cmd.item)} decided on {c.reviewed_on}: "
            + (
                "the rejection is upheld; the item may be disclosed"
                if upheld
                else "the claim is accepted; the item stays confidential"
            )
            + f" (Art 21(2)): {cmd.reasons}",
            cmd.model_dump(mode="json"),
        )
        self._letter(
            f"review-{cmd.item}",
            "confidentiality_review_decision",
            item=cmd.item,
            description=describe(cmd.item),
            outcome=cmd.outcome,
            reasons=cmd.reasons,
        )
        return self._result("Rejection upheld" if upheld else "Claim accepted on review")

    @decide_review.validator
    def _decide_review_allowed(self, cmd: DecideReview) -> None:
        c = self._open_claim(cmd.item, "decide a review of")
        if c.review_requested_on is None:
            raise refuse(
                f"no internal review of item ({cmd.item}) was requested: record the request first",
                rule="review-requested",
            )
        if c.reviewed_on is not None:
            raise refuse(
                f"the review of item ({cmd.item}) was decided on {c.reviewed_on}; a review is "
                "decided once",
                rule="review-decide-once",
            )

    @workflow.update
    async def disclose(self, cmd: Disclose) -> CommandResult:
        c = self._claim(cmd.item)
        c.disclosed_on = self.case.today()
        self.case.record(
            "disclosed",
            cmd.actor,
            f"{describe(cmd.item).capitalize()} is no longer treated as confidential from "
            f"{c.disclosed_on}, after the procedure of Art 21(2)",
            {"item": cmd.item},
        )
        return self._result(f"Item ({cmd.item}) may be disclosed")

    @disclose.validator
    def _disclose_allowed(self, cmd: Disclose) -> None:
        c = self._open_claim(cmd.item, "disclose")
        if c.outcome != "not_confidential":
            raise refuse(
                f"the claim on item ({cmd.item}) has not been rejected after consulting the "
                "notifier (Art 21(2)): nothing may be disclosed",
                rule="disclose-after-rejection",
                article="Art 21(2)",
            )
        if c.review_requested_on is not None and c.review_outcome is None:
            raise refuse(
                f"the internal review of item ({cmd.item}) is still to be decided: nothing is "
                "disclosed before (Art 21(2))",
                rule="disclose-after-review",
                article="Art 21(2)",
            )
        if c.review_requested_on is None:
            until = self._clocks.due(f"review-window-{cmd.item}")
            if self.case.today() <= until and c.review_window_ended_on is None:
                raise refuse(
                    f"the notifier may ask for an internal review of item ({cmd.item}) until "
                    f"{until}: nothing is disclosed before (Art 21(2))",
                    rule="disclose-after-review-window",
                    article="Art 21(2)",
                )

    # ---- Art 21(5): withdrawal ----------------------------------------------------------------

    @workflow.update
    async def notification_withdrawn(self, cmd: NotificationWithdrawn) -> CommandResult:
        st = self._state
        st.withdrawn_on = on = cmd.withdrawn_on or self.case.today()
        kept = [c.item for c in st.claims if c.stage not in SETTLED]
        for c in st.claims:
            if c.item in kept:
                c.protected_on = on
        self.case.record(
            "notification_withdrawn",
            cmd.actor,
            f"Notification withdrawn on {on}: "
            + (
                f"the claims on {self._items(kept)} stay confidential, including any the "
                "authority disagreed with (Art 21(5))"
                if kept
                else "every claim was already settled"
            ),
            cmd.model_dump(mode="json"),
        )
        if kept:
            self._letter(
                "withdrawal",
                "confidentiality_withdrawal",
                items=kept,
                descriptions=[describe(i) for i in kept],
                withdrawn_on=on.isoformat(),
            )
        return self._result("Claims kept confidential (Art 21(5))")

    @notification_withdrawn.validator
    def _withdrawn_allowed(self, cmd: NotificationWithdrawn) -> None:
        if (on := self._state.withdrawn_on) is not None:
            raise refuse(
                f"the notification's withdrawal was recorded on {on}; it is recorded once",
                rule="withdrawal-once",
            )
        self._require_open("record the withdrawal")
        if cmd.withdrawn_on is not None and cmd.withdrawn_on > (today := self.case.today()):
            raise invalid(
                f"withdrawn_on {cmd.withdrawn_on} is in the future (today is {today})",
                rule="date-not-future",
                field="withdrawn_on",
            )

    @workflow.query
    def view(self) -> CaseView[ConfidentialityDetails]:
        return self.current_view()
