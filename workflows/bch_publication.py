"""Publication of one record on the Biosafety Clearing-House, as its own durable process.

A national user can only *request* publication; the BCH National Focal Point publishes, within
83 days or the request lapses and the record stays a draft (reference/bch-api.md). So each record
our procedures owe the BCH (Art 10(3): decisions, requests for information, extensions) runs as a
child workflow: put the draft and validate it, request publication, then follow the request until
it is published or rejected, reminding the case officer while the focal point has not acted, and
saying so when the window closes. A record the BCH refuses (validation errors) waits for an
officer's correction and is resubmitted. Everything on the BCH is public: the record carries no
confidential item (the parent workflow leaves them out, Art 21).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.bch import BchDecisionInput, BchParty, BchPublication
    from activities.email import EmailDelivery, EmailRequest
    from workflows import clock
    from workflows import search_attributes as sa
    from workflows.common import (
        BCH_RETRY,
        EMAIL_RETRY,
        details_markdown,
        invalid,
        pure,
        refuse,
    )
    from workflows.models import BchReference, Command, Language


class PublicationState(StrEnum):
    SUBMITTING = "submitting"
    VALIDATION_FAILED = "validation_failed"
    REQUESTED = "publication_requested"
    PUBLISHED = "published"
    REJECTED = "rejected"
    LAPSED = "lapsed"


FINAL_STATES = frozenset({PublicationState.PUBLISHED})


class BchPublicationStart(BaseModel):
    case_id: str
    purpose: str = Field(description="what the record communicates, e.g. 'decision'")
    record: BchDecisionInput
    officer_email: str
    language: Language = "en"
    timezone: str = "Europe/Budapest"
    context: dict[str, Any] = Field(default_factory=dict, description="case facts for e-mails")
    approval_window_days: int = 83
    poll_interval: timedelta = timedelta(days=1)
    reminder_days: tuple[int, ...] = (30, 60, 76)


class BchCorrection(Command):
    """An officer's correction of a record the BCH refused (or a plain resubmission after a
    rejection or a lapsed request: then no field needs to change)."""

    title: str | None = None
    reasons: str | None = None
    conditions: list[str] | None = None
    lmo_name: str | None = None
    lmo_unique_identifier: str | None = None
    applies_to_subsequent_imports: str | None = None
    risk_assessment_summary: str | None = None
    modified_organisms: list[BchReference] | None = Field(
        default=None, description="the LMO's BCH record(s), GUID@revision"
    )
    risk_assessments: list[BchReference] | None = None
    amended_records: list[BchReference] | None = Field(
        default=None, description="Art 12: the record(s) this one amends, GUID@revision"
    )
    amendment_details: str | None = Field(default=None, description="Art 12: what changed")
    exporters: list[BchParty] | None = Field(
        default=None,
        description="the exporters as the BCH's contact records need them (an e-mail address "
        "each); they replace the record's",
    )
    importers: list[BchParty] | None = None
    involves_field_trial: bool | None = None
    involves_commercial_release: bool | None = None
    applies_to_subsequent_introductions: bool | None = None
    note: str | None = Field(default=None, description="what was corrected and why")


class PublicationStep(BaseModel):
    at: datetime
    state: PublicationState
    summary: str


class PublicationView(BaseModel):
    workflow_id: str
    case_id: str
    purpose: str
    state: PublicationState
    document_uid: str | None
    request_id: str | None
    public_id: str | None
    errors: list[dict[str, Any]]
    submissions: int
    requested_on: date | None
    window_ends_on: date | None
    record: BchDecisionInput
    history: list[PublicationStep]


@dataclass
class _Attempt:
    key: str
    requested_on: date | None = None
    reminded: int = 0  # how many of reminder_days were sent


@workflow.defn(name="BchPublication")
class BchPublicationWorkflow:
    @workflow.init
    def __init__(self, start: BchPublicationStart) -> None:
        self._start = start
        self._record = start.record
        self._state = PublicationState.SUBMITTING
        self._errors: list[dict[str, Any]] = []
        self._publication: BchPublication | None = None
        self._history: list[PublicationStep] = []
        self._attempt = _Attempt(key=start.record.message_key)
        self._submissions = 0
        self._correction: BchCorrection | None = None
        self._mails: list[asyncio.Future[Any]] = []

    @workflow.run
    async def run(self, start: BchPublicationStart) -> PublicationView:
        while True:
            await self._submit()
            if self._state == PublicationState.REQUESTED:
                await self._follow_request()
            if self._state in FINAL_STATES:
                break
            # Refused, rejected or lapsed: the officer decides what happens next.
            self._publish_state()
            await workflow.wait_condition(lambda: self._correction is not None)
            self._apply_correction()
        self._publish_state()
        # The officer's last e-mail is owed too; a refused address was logged by the activity.
        await asyncio.gather(*self._mails, return_exceptions=True)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._view()

    @workflow.update
    async def resubmit(self, correction: BchCorrection) -> PublicationView:
        self._correction = correction
        await workflow.wait_condition(lambda: self._correction is None)
        return self._view()

    @resubmit.validator
    def _resubmit_allowed(self, correction: BchCorrection) -> None:
        waiting = (
            PublicationState.VALIDATION_FAILED,
            PublicationState.REJECTED,
            PublicationState.LAPSED,
        )
        if self._state not in waiting:
            raise refuse(
                f"the record is {self._state.value.replace('_', ' ')}; it can be resubmitted only "
                "after the BCH refused it, the focal point rejected it, or the request lapsed",
                rule="resubmit-after-refusal",
            )
        if self._state == PublicationState.VALIDATION_FAILED and not _changes(correction):
            raise invalid(
                "the BCH refused this record: correct at least one field before resubmitting",
                rule="correction-changes-record",
            )

    @workflow.query
    def view(self) -> PublicationView:
        return self._view()

    # ---- steps ------------------------------------------------------------------------------

    async def _submit(self) -> None:
        self._state = PublicationState.SUBMITTING
        self._submissions += 1
        self._publish_state()
        record = self._record.model_copy(update={"message_key": self._attempt.key})
        try:
            publication = await self._call_bch(record, "put draft, validate, request publication")
        except ActivityError as err:
            cause = err.cause
            details = cause.details if isinstance(cause, ApplicationError) else ()
            errors = details[0] if details and isinstance(details[0], list) else []
            self._errors = errors or [{"code": "Error", "message": str(cause or err)}]
            self._state = PublicationState.VALIDATION_FAILED
            listing = "; ".join(
                f"{e.get('property') or '(record)'}: {e.get('code')}" for e in self._errors
            )
            self._step(f"The record was refused: {listing}")
            self._mail("validation-failed", "bch_validation_failed", errors=self._errors)
            return
        self._errors = []
        self._publication = publication
        for note in publication.notes:  # e.g. a party the BCH cannot have a contact record of
            self._step(f"Note for the officer: {note}")
        if publication.status == "published":
            self._published(publication)
            return
        self._attempt.requested_on = self._today()
        self._state = PublicationState.REQUESTED
        self._step(
            f"Draft {publication.document_uid} saved and validated; publication requested "
            f"({publication.workflow_request_id}); the focal point has "
            f"{_days(self._start.approval_window_days)}, until {self._window_end()}"
        )

    async def _follow_request(self) -> None:
        """Poll the request until the focal point acts or the approval window closes."""
        window_end = self._window_end()
        assert window_end is not None
        while self._state == PublicationState.REQUESTED:
            now = workflow.now()
            window_closes = self._end_of(window_end)
            if now >= window_closes:
                self._state = PublicationState.LAPSED
                self._step(
                    "The focal point did not act within "
                    f"{_days(self._start.approval_window_days)} (by {window_end}): the request "
                    "lapsed and the record stays a draft"
                )
                self._mail("lapsed", "bch_publication_outcome", outcome="lapsed")
                return
            self._remind_if_due()
            self._publish_state()
            await workflow.sleep(
                min(self._start.poll_interval, window_closes - now),
                summary="wait for the national focal point",
            )
            record = self._record.model_copy(update={"message_key": self._attempt.key})
            try:
                publication = await self._call_bch(record, "check the publication request")
            except ActivityError as err:  # should not happen once requested; keep following
                self._step(f"Could not check the request: {err.cause or err}")
                continue
            self._publication = publication
            if publication.status == "published":
                self._published(publication)
            elif publication.status == "rejected":
                self._state = PublicationState.REJECTED
                self._step("The national focal point rejected the publication request")
                self._mail("rejected", "bch_publication_outcome", outcome="rejected")

    def _published(self, publication: BchPublication) -> None:
        self._state = PublicationState.PUBLISHED
        self._step(f"Published on the BCH as {publication.public_id or publication.document_uid}")
        self._mail(
            "published", "bch_publication_outcome", outcome="published",
            public_id=publication.public_id,
        )  # fmt: skip

    def _remind_if_due(self) -> None:
        requested_on = self._attempt.requested_on
        assert requested_on is not None
        days = self._start.reminder_days
        waited = (self._today() - requested_on).days
        due = [d for d in days[self._attempt.reminded :] if waited >= d]
        if not due:
            return
        self._attempt.reminded += len(due)
        self._step(f"Reminder: publication requested {_days(waited)} ago, still awaiting approval")
        self._mail(
            f"waiting-{due[-1]}",
            "bch_publication_waiting",
            waited_days=waited,
            window_ends_on=_iso(self._window_end()),
        )

    def _apply_correction(self) -> None:
        correction = self._correction
        assert correction is not None
        changes = _changes(correction)
        self._record = self._record.model_copy(update=changes)
        if self._state in (PublicationState.REJECTED, PublicationState.LAPSED):
            # The old request is closed for good: a new request needs a new record.
            self._attempt = _Attempt(key=f"{self._start.record.message_key}:r{self._submissions}")
        fields = ", ".join(sorted(changes)) or "no field changed"
        self._step(
            f"Resubmitted by {correction.actor} ({fields})"
            + (f": {correction.note}" if correction.note else "")
        )
        self._correction = None

    # ---- helpers ----------------------------------------------------------------------------

    async def _call_bch(self, record: BchDecisionInput, what: str) -> BchPublication:
        return await workflow.execute_activity(
            "publish_bch_decision",
            record,
            result_type=BchPublication,
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=BCH_RETRY,
            summary=f"BCH: {what} ({self._start.purpose})",
        )

    def _today(self) -> date:
        return pure(clock.local_date, workflow.now(), self._start.timezone)

    def _end_of(self, day: date) -> datetime:
        return pure(clock.end_of_day, day, self._start.timezone)

    def _window_end(self) -> date | None:
        requested_on = self._attempt.requested_on
        if requested_on is None:
            return None
        return requested_on + timedelta(days=self._start.approval_window_days)

    def _step(self, summary: str) -> None:
        self._history.append(PublicationStep(at=workflow.now(), state=self._state, summary=summary))
        workflow.logger.info(summary, extra={"case_id": self._start.case_id})

    def _mail(self, step: str, template: str, **context: Any) -> None:
        """Tell the case officer; started without waiting so the BCH follow-up goes on."""
        request = EmailRequest(
            message_key=f"{workflow.info().workflow_id}:{self._attempt.key}:{step}",
            case_id=self._start.case_id,
            to=self._start.officer_email,
            language=self._start.language,
            template=template,
            context=self._start.context
            | {"purpose": self._start.purpose, "record_title": self._record.title}
            | context,
        )
        handle = workflow.start_activity(
            "send_email",
            request,
            result_type=EmailDelivery,
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=EMAIL_RETRY,
            summary=f"e-mail {template} to the case officer",
        )
        self._mails.append(handle)

    def _publish_state(self) -> None:
        window_end = self._window_end()
        waiting = self._state == PublicationState.REQUESTED and window_end is not None
        workflow.upsert_search_attributes(
            [
                sa.STAGE.value_set(self._state.value),
                sa.NEXT_DEADLINE.value_set(self._end_of(window_end))
                if waiting and window_end is not None
                else sa.NEXT_DEADLINE.value_unset(),
            ]
        )
        lines = [f"**BCH record ({self._start.purpose}): {self._state.value.replace('_', ' ')}**"]
        if waiting:
            lines.append(f"Awaiting the national focal point until {window_end}")
        if self._errors:
            lines.append("Refused by the BCH; correct and resubmit:")
            lines += [f"- {e.get('property') or '(record)'}: {e.get('code')}" for e in self._errors]
        if self._history:
            lines.append(f"Last step: {self._history[-1].summary}")
        workflow.set_current_details(details_markdown("\n".join(lines)))

    def _view(self) -> PublicationView:
        p = self._publication
        return PublicationView(
            workflow_id=workflow.info().workflow_id,
            case_id=self._start.case_id,
            purpose=self._start.purpose,
            state=self._state,
            document_uid=p.document_uid if p else None,
            request_id=p.workflow_request_id if p else None,
            public_id=p.public_id if p else None,
            errors=list(self._errors),
            submissions=self._submissions,
            requested_on=self._attempt.requested_on,
            window_ends_on=self._window_end(),
            record=self._record,
            history=list(self._history),
        )


def publication_workflow_id(message_key: str) -> str:
    """`aia-hu-x:bch:decision` → `bch-aia-hu-x-decision`: one publication process per record."""
    case, _, step = message_key.partition(":bch:")
    return f"bch-{case}-{step}"


def _changes(correction: BchCorrection) -> dict[str, Any]:
    """The fields the correction sets: the record's fields of the same names."""
    fields = set(BchCorrection.model_fields) - {"actor", "note"}
    return {f: getattr(correction, f) for f in sorted(fields) if getattr(correction, f) is not None}


def _days(n: int) -> str:
    """ "1 day" or "N days", for the step summaries officers read (text only, no command)."""
    return "1 day" if n == 1 else f"{n} days"


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None
