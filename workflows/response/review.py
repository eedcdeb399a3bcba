"""SP Art 5(6): the review of a decision on response measures.

A mixin of the plain methods behind the ``request_review`` and ``decide_review`` updates of
``ResponseMeasures`` (their bodies and their validators' checks) and the end of a suspension
pending review. The Temporal handlers stay on the workflow class and call these. Pure and
deterministic: no I/O, no clock but the case's.
"""

from __future__ import annotations

from datetime import date

from workflows.common import refuse
from workflows.models import CommandResult
from workflows.response.commands import RequestReview, ReviewOutcome
from workflows.response.models import ReviewRecord, Stage
from workflows.response.procedure import ResponseProcedure


class ResponseReview(ResponseProcedure):
    def _request_review(self, cmd: RequestReview) -> CommandResult:
        st, today = self._state, self.case.today()
        suspends = self._policy.review_suspends
        lodged = cmd.lodged_on or today
        st.reviews.append(
            ReviewRecord(kind=cmd.kind, lodged_on=lodged, body=cmd.body, grounds=cmd.grounds,
                         suspends=suspends)
        )  # fmt: skip
        if suspends:
            st.suspended_since = today
        self.case.record(
            "review_requested",
            cmd.actor,
            f"The operator sought {cmd.kind} review before {cmd.body} on {lodged}: "
            f"{cmd.grounds}; "
            + ("domestic law suspends the measures until it is decided (SP Art 5(6))"
               if suspends else
               "the measures go on: recourse to remedies does not impede them (SP Art 5(6))"),
            cmd.model_dump(mode="json"),
        )  # fmt: skip
        return self._result("Review recorded" + ("; measures suspended" if suspends else ""))

    def _check_request_review(self, cmd: RequestReview) -> None:
        self._require_open("record a review")
        if self._state.decided_on is None:
            raise refuse(
                "no decision on response measures has been taken: only a decision can be "
                "reviewed (SP Art 5(6))",
                rule="review-needs-decision",
                article="SP Art 5(6)",
            )
        if self._pending_review() is not None:
            raise refuse(
                "a review is pending already: record its outcome before recording another",
                rule="one-review-at-a-time",
            )
        self._require_date("lodged_on", cmd.lodged_on, self._state.decided_on, "the decision")

    def _decide_review(self, cmd: ReviewOutcome) -> CommandResult:
        st, today = self._state, self.case.today()
        review = self._pending_review()
        assert review is not None
        review.outcome, review.decided_on, review.reasons = cmd.outcome, today, cmd.reasons
        self.case.record(
            "review_decided",
            cmd.actor,
            f"The {review.kind} review was decided on {today}: decision {cmd.outcome}; "
            f"{cmd.reasons}",
            cmd.model_dump(mode="json"),
        )
        if cmd.outcome == "annulled":
            self._close(Stage.ANNULLED, cmd.actor, "The decision on response measures was annulled")
            return self._result("Decision annulled on review")
        if (since := st.suspended_since) is not None:
            self._resume_after(since, today)
        return self._result("Decision upheld; the measures go on")

    def _check_decide_review(self, cmd: ReviewOutcome) -> None:
        self._require_open("record the review's outcome")
        if self._pending_review() is None:
            raise refuse(
                "no review is pending: record the request for review first", rule="review-pending"
            )

    def _resume_after(self, since: date, today: date) -> None:
        """The suspension ends: each open measure keeps the days it had left when it began."""
        st = self._state
        st.suspended_since = None
        st.follow_up_from = today
        for m in self._clocks.open_measures():
            due = self._clocks.measure_due(m).due
            assert due is not None
            left = max((due - since).days, 1)
            m.start, m.days = today, left
            m.counted_from = f"the end of the suspension pending review ({since} to {today})"
            m.counted_from_hu = f"a felülvizsgálat miatti felfüggesztés vége ({since} – {today})"
        self.case.record(
            "measures_resumed",
            "system",
            f"The measures resume on {today} after the suspension from {since}: "
            + "; ".join(f"measure {m.number} due {self._due(m)}"
                        for m in self._clocks.open_measures()),
        )  # fmt: skip
