"""Art 10(3)(a)-(b), 10(4), 10(6): the decision; Art 23(2): the public consultation before it.

A mixin of the plain methods behind the ``open_consultation`` and ``decide`` updates of
``AdvanceInformedAgreement`` (their bodies and their validators' checks) and what the decision
sends to the BCH beyond its result (the consultation's words, the dossier's public documents).
The Temporal handlers stay on the workflow class and call these. Pure and deterministic: no I/O,
no clock but the case's.
"""

from __future__ import annotations

from activities.bch_models import BchLink
from workflows.aia import bch
from workflows.aia.models import ConsultationView, Decide, OpenConsultation
from workflows.aia.procedure import AiaProcedure
from workflows.common import invalid, refuse
from workflows.decision import refuse_conditions, refuse_reasons, refuse_subsequent_imports
from workflows.models import CommandResult


class AiaDecision(AiaProcedure):
    # ---- Art 23(2): public consultation

    def _open_consultation(self, cmd: OpenConsultation) -> CommandResult:
        today = self.case.today()
        self._state.consultation = ConsultationView(
            opened_on=today, ends_on=cmd.ends_on, subject=cmd.subject
        )
        self.case.record(
            "consultation_opened",
            cmd.actor,
            f"Public consultation opened on {today} (Art 23(2)): comments until the end of "
            f"{cmd.ends_on}; subject: {cmd.subject}",
            cmd.model_dump(mode="json"),
        )
        return self._result(f"Public consultation open until {cmd.ends_on}")

    def _check_open_consultation(self, cmd: OpenConsultation) -> None:
        self._require_open("open a public consultation")
        if (c := self._state.consultation) is not None:
            raise refuse(
                f"a public consultation was already opened on {c.opened_on} (until {c.ends_on}): "
                "a case has one",
                rule="consult-once",
            )
        today = self.case.today()
        if cmd.ends_on <= today:
            raise invalid(
                f"ends_on {cmd.ends_on} is not possible: a consultation ends after today ({today})",
                rule="consultation-ends-after-today",
                field="ends_on",
            )
        limit = self._clocks.decision() or self._clocks.proceed()
        if limit is not None and limit.due is not None and cmd.ends_on > limit.due:
            what = (
                "decision deadline" if self._clocks.decision() else "day the movement may proceed"
            )
            raise invalid(
                f"ends_on {cmd.ends_on} is after the {what} ({limit.due}): the decision must "
                "take the consultation's results into account (Art 23(2)), so it has to close "
                "by then"
                + (
                    " (or extend the decision period first, Art 10(3)(d))"
                    if self._clocks.decision()
                    else ""
                ),
                rule="consultation-ends-before-decision",
                article="Art 23(2)",
                field="ends_on",
            )
        if limit is not None and limit.due is None:
            raise refuse(
                "the decision clock is stopped while information is awaited (Art 10(3)(c)): "
                "the latest possible end date is not known until it runs again; record the "
                "information as received first",
                rule="decision-clock-running",
                article="Art 10(3)(c)",
            )

    # ---- Art 10(3)(a)-(b), 10(4), 10(6): the decision

    def _decide(self, cmd: Decide) -> CommandResult:
        today = self.case.today()
        if (open_request := self._state.open_request()) is not None:
            open_request.received_on = today  # the wait ends with the decision
        self._state.decision, self._state.decided_on = cmd, today
        self.case.record(
            "decided",
            cmd.actor,
            f"Decision on {today} (Art 10(3)): {bch.RESULT_WORDS[cmd.result]}"
            + (f"; conditions: {'; '.join(cmd.conditions)}" if cmd.conditions else "")
            + (f"; reasons: {cmd.reasons}" if cmd.reasons else "")
            + (
                "; taken despite lack of scientific certainty (Art 10(6))"
                if cmd.lack_of_scientific_certainty
                else ""
            )
            + (
                f"; results of the public consultation (Art 23(2)): {cmd.consultation_results}"
                if cmd.consultation_results
                else ""
            ),
            cmd.model_dump(mode="json"),
        )
        ra = self._state.risk_assessment
        self._letter(
            "decision",
            "aia_decision",
            decided_on=today.isoformat(),
            result=cmd.result,
            conditions=list(cmd.conditions),
            reasons=cmd.reasons,
            subsequent_imports=cmd.subsequent_imports,
            lack_of_scientific_certainty=cmd.lack_of_scientific_certainty,
            risk_assessment_summary=ra.summary if ra else None,
            consultation=(
                self._state.consultation.model_dump(mode="json")
                if self._state.consultation
                else None
            ),
            consultation_results=cmd.consultation_results,
        )
        self._bch(
            "decision",
            cmd.result,
            today,
            reasons=cmd.reasons,
            conditions=list(cmd.conditions),
            subsequent_imports=cmd.subsequent_imports,
            modified_organisms=list(cmd.bch_modified_organisms),
            risk_assessments=list(cmd.bch_risk_assessments),
            public_consultation=self._consultation_words(cmd),
            documents=self._public_links(cmd),
        )
        return self._result(f"Decision recorded: {bch.RESULT_WORDS[cmd.result]}")

    def _check_decide(self, cmd: Decide) -> None:
        self._require_open("decide")
        if self._state.acknowledged_on is None:
            raise refuse(
                "receipt has not been acknowledged yet (Art 9(2)(c): the acknowledgement says "
                "which procedure the decision follows); acknowledge it first",
                rule="acknowledge-before-decision",
                article="Art 9(2)(c)",
            )
        if self._state.risk_assessment is None:
            raise refuse(
                "no risk assessment is recorded: record one first; decisions under Article 10 "
                "rest on a risk assessment (Art 15(2), Art 10(1))",
                rule="decision-needs-risk-assessment",
                article="Art 15(2)",
            )
        refuse_conditions(cmd.result, list(cmd.conditions))
        refuse_reasons(cmd.result, cmd.reasons)
        if (c := self._state.consultation) is not None and c.closed_on is None:
            raise refuse(
                f"the public consultation runs until the end of {c.ends_on} (Art 23(2)); decide "
                "once it has closed, stating its results",
                rule="consultation-closed-before-decision",
                article="Art 23(2)",
            )
        if c is not None and not cmd.consultation_results:
            raise invalid(
                f"the public was consulted from {c.opened_on} to {c.ends_on}: state the results "
                "of the consultation in consultation_results (Art 23(2))",
                rule="decision-states-consultation-results",
                article="Art 23(2)",
                field="consultation_results",
            )
        if c is None and cmd.consultation_results:
            raise invalid(
                "no public consultation was held: leave consultation_results empty",
                rule="consultation-results-need-consultation",
                field="consultation_results",
            )
        refuse_subsequent_imports(cmd.result, cmd.subsequent_imports)

    def _public_links(self, cmd: Decide) -> list[BchLink]:
        """The decision's public dossier documents, linked from the BCH record where the public
        register serves them (the API checked that each is public, Art 21)."""
        base = self._start.authority.api_url
        if not base:
            return []
        return [
            BchLink(url=f"{base}/v1/register/{self._start.case_id}/documents/{d}", name="Document")
            for d in cmd.documents
        ]

    def _consultation_words(self, cmd: Decide) -> str | None:
        c = self._state.consultation
        if c is None or not cmd.consultation_results:
            return None
        return (
            f"The public was consulted from {c.opened_on} to {c.ends_on} on: {c.subject}. "
            f"Results: {cmd.consultation_results}"
        )
