"""One case's kernel pieces, composed: its history, deadline ledger, outbox and projection, and
the generic reactions to what the ledger and the outbox hand back (reminders, lapses, failed
messages). A procedure workflow holds one :class:`Case` and tells it what its article says."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import SearchAttributePair

from activities.bch import BchDecisionInput
from workflows import search_attributes as sa
from workflows.bch_publication import BchPublicationStart
from workflows.kernel import deadlines
from workflows.kernel.history import History
from workflows.kernel.ledger import Arrival, Entry, Event, Lapse, Ledger, Reminder
from workflows.kernel.outbox import Outbox
from workflows.kernel.projection import Projection
from workflows.kernel.state import KernelState, Message
from workflows.kernel.words import days, explained
from workflows.models import (
    AuthorityContext,
    BchPolicy,
    CaseFacts,
    CaseStart,
    CaseView,
    ClockRules,
    CommandResult,
    DeadlineStatus,
    DeadlineView,
    Language,
)

D = TypeVar("D")

# Long cases continue as new before their history grows large (Temporal warns at 10,240 events
# and stops a workflow at 51,200); the server may also suggest it earlier.
CONTINUE_AS_NEW_AFTER_EVENTS = 5000


class Case:
    def __init__(
        self,
        facts: CaseFacts,
        *,
        rules: ClockRules,
        authority: AuthorityContext,
        bch: BchPolicy,
        carried: KernelState | None = None,
        letter_context: dict[str, Any] | None = None,
        continue_as_new_after_events: int = CONTINUE_AS_NEW_AFTER_EVENTS,
        generation: int = 1,
    ) -> None:
        self.facts = facts
        self.generation = generation  # CaseStart.generation
        self.rules = rules
        self.authority = authority
        self.bch_policy = bch
        self.state = carried or KernelState()
        self.letter_context = letter_context or {}
        self.continue_as_new_after_events = continue_as_new_after_events
        self.changed = False
        self.legacy = False  # set by the runtime: a case started before the kernel
        self.register_finishing = False  # the case is closed: one last register sync, then end
        self.history = History(facts.case_id, self.state.steps)
        self.ledger = Ledger(rules, self.state.fired)
        self.outbox = Outbox(
            facts.case_id,
            self.state.messages,
            self.state.publications,
            publication_start=self._publication_start,
            publication_attributes=(
                [SearchAttributePair(sa.PARTY_OF_IMPORT, facts.party_of_import)]
                if facts.party_of_import
                else []
            ),
            on_failed=self._message_failed,
            on_change=self.touch,
            may_run_locally=lambda: not self.history_is_long(),
        )
        self.projection = Projection(upsert_unchanged=False, api_url=authority.api_url)

    @classmethod
    def open(cls, start: CaseStart, carried: KernelState | None) -> Case:
        """The kernel of the case ``start`` opens (or, with ``carried``, continues)."""
        return cls(
            start.facts(),
            rules=start.rules,
            authority=start.authority,
            bch=start.bch,
            carried=carried,
            letter_context=start.letter_context(),
            continue_as_new_after_events=start.continue_as_new_after_events,
            generation=start.generation,
        )

    @property
    def case_id(self) -> str:
        return self.facts.case_id

    # ---- time -----------------------------------------------------------------------------

    def today(self) -> date:
        return self.ledger.today(workflow.now())

    def history_is_long(self) -> bool:
        """Time to continue as new: CONTINUE_AS_NEW_AFTER_EVENTS, or the server suggests it."""
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() >= self.continue_as_new_after_events
        )

    def touch(self) -> None:
        """Something changed: the run loop wakes, recomputes the deadlines and shows them."""
        self.changed = True

    # ---- history --------------------------------------------------------------------------

    def record(
        self, kind: str, actor: str, summary: str, data: dict[str, Any] | None = None
    ) -> None:
        self.history.record(self.today(), kind, actor, summary, data or {})
        self.touch()

    # ---- messages -------------------------------------------------------------------------

    def letter(self, step: str, template: str, to: str, language: Language, **context: Any) -> None:
        """A letter to someone outside the authority, in that person's language."""
        self.outbox.email(step, template, to, language, self.letter_context | context)

    def internal(self, step: str, template: str, to: str, **context: Any) -> None:
        """Mail to the authority's own staff, in the authority's language."""
        self.outbox.email(
            step, template, to, self.authority.default_language, self.letter_context | context
        )

    def bch(self, step: str, purpose: str, record: BchDecisionInput) -> None:
        self.outbox.bch(step, purpose, record)

    def bch_key(self, step: str) -> str:
        return self.outbox.key(f"bch:{step}")

    def _publication_start(self, message: Message, record: BchDecisionInput) -> BchPublicationStart:
        return BchPublicationStart(
            case_id=self.case_id,
            purpose=message.purpose,
            record=record,
            officer_email=self.authority.officer_email,
            language=self.authority.default_language,
            timezone=self.rules.timezone,
            context=dict(self.letter_context),
            poll_interval=self.bch_policy.poll_interval,
            approval_window_days=self.bch_policy.approval_window_days,
        )

    def _message_failed(self, message: Message) -> None:
        self.record(
            "message_failed",
            "system",
            f"{message.channel.upper()} message '{message.purpose}' to {message.recipient} failed "
            f"permanently: {message.detail}",
            {"key": message.key},
        )
        if message.recipient != self.authority.escalation_email:
            self.internal(
                f"failed-{message.key.rsplit(':', 1)[-1]}",
                "delivery_failed",
                self.authority.escalation_email,
                purpose=message.purpose,
                recipient=message.recipient,
                error=message.detail,
            )

    def register_refused(self, version: int, error: str) -> None:
        """The register refused the case's row: recorded, and the escalation address told once
        per case (the case goes on; its row catches up with the next change that it accepts)."""
        if self.state.register_refused:
            # Recording it again would change the case, which would be synced, and refused, again.
            workflow.logger.warning(
                "register refused the row again",
                extra={"case_id": self.case_id, "version": version, "error": error},
            )
            return
        self.state.register_refused = True
        self.record(
            "register_refused",
            "system",
            f"The case register refused version {version} of this case: {error}",
            {"version": version},
        )
        self.internal(
            "register-refused",
            "delivery_failed",
            self.authority.escalation_email,
            purpose="case register row",
            recipient="the case register (PostgreSQL)",
            error=error,
        )

    # ---- deadlines ------------------------------------------------------------------------

    def react(self, events: Sequence[Event]) -> list[Arrival]:
        """Record and escalate reminders and lapses; hand back the moments that arrived, which
        only the procedure knows what to do with."""
        arrivals: list[Arrival] = []
        lapses = [e.view for e in events if isinstance(e, Lapse)]
        if len(lapses) > 1 and not self.legacy:
            # A case entered late can owe several lapses at once: each is recorded, and the
            # escalation is one message per recipient that lists them all.
            for v in lapses:
                self._lapse(v, escalate=False)
            self._escalate(lapses[0], also=lapses[1:])
            lapses = []
        for event in events:
            if isinstance(event, Reminder):
                self._remind(event)
            elif isinstance(event, Lapse):
                if event.view in lapses:
                    self._lapse(event.view)
            else:
                arrivals.append(event)
        return arrivals

    def _remind(self, event: Reminder) -> None:
        v = event.view
        assert v.due is not None
        self.record(
            "reminder",
            "system",
            f"Reminder: {v.label.lower()} due {v.due} ({days(event.days_left)} left, {v.article})",
            {"deadline": v.key, "due": v.due.isoformat(), "days_left": event.days_left},
        )
        language = self.authority.default_language
        self.internal(
            f"reminder-{v.key}-{v.due}-{event.offset}",
            "deadline_reminder",
            self.authority.officer_email,
            deadline_label=v.label_hu if language == "hu" and v.label_hu else v.label,
            article=v.article,
            due=v.due.isoformat(),
            days_left=event.days_left,
            explanation=explained(v, language),
        )

    def _lapse(self, v: DeadlineView, escalate: bool = True) -> None:
        self.record(
            "deadline_missed",
            "system",
            f"{v.label} was due {v.due} ({v.article}) and has passed; escalated. A missed "
            "deadline decides nothing (for AIA: silence is not consent, CP Art 9(4), 10(5)): "
            "the case stays open.",
            {"deadline": v.key, "due": v.due.isoformat() if v.due else None},
        )
        if escalate:
            self._escalate(v, also=[])

    def _escalate(self, v: DeadlineView, also: list[DeadlineView]) -> None:
        language = self.authority.default_language

        def facts(d: DeadlineView) -> dict[str, Any]:
            return {
                "deadline_label": d.label_hu if language == "hu" and d.label_hu else d.label,
                "article": d.article,
                "due": d.due.isoformat() if d.due else None,
                "days_overdue": d.days_overdue,
                "explanation": explained(d, language),
            }

        # An ordered de-duplication: a set's order varies between processes (string hashing
        # is randomised), and the order messages are queued in is part of the history.
        for to in dict.fromkeys([self.authority.escalation_email, self.authority.officer_email]):
            self.internal(
                f"missed-{v.key}-{v.due}-{to}",
                "deadline_missed",
                to,
                **facts(v),
                **({"also_missed": [facts(d) for d in also]} if also else {}),
            )

    # ---- views ----------------------------------------------------------------------------

    def view(
        self,
        entries: Sequence[Entry],
        *,
        stage: str,
        stage_text: str,
        closed: bool,
        details: D,
        history: bool = True,
    ) -> CaseView[D]:
        """The case as of now: the facts, the stage the procedure names, the deadline ledger,
        the messages and history the kernel keeps, and the procedure's details."""
        now = workflow.now()
        ledger = self.ledger.views(entries, now)
        outgoing = [m.view() for m in self.outbox.messages]
        nxt = deadlines.next_deadline(ledger)
        return CaseView[Any](
            **self.facts.model_dump(),
            notifier_email=self.facts.notifier_email,
            stage=stage,
            closed=closed,
            clock_stopped=any(d.status == DeadlineStatus.STOPPED for d in ledger),
            overdue=any(d.status == DeadlineStatus.MISSED for d in ledger),
            days_overdue=max((d.days_overdue for d in ledger), default=0),
            next_deadline_key=nxt.key if nxt else None,
            next_deadline_on=nxt.due if nxt else None,
            next_deadline_at=nxt.ends_at if nxt else None,
            today=self.today(),
            timezone=self.rules.timezone,
            stage_text=stage_text,
            status_text=deadlines.status_text(stage_text, ledger, outgoing),
            next_deadline=nxt,
            deadlines=ledger,
            outgoing=outgoing,
            history=list(self.history.steps) if history else [],
            bch_publications=list(self.outbox.publications),
            version=self.state.version,
            details=details,
        )

    def result(self, entries: Sequence[Entry], stage: str, summary: str) -> CommandResult:
        """A command's answer: the stage it left the case in and the deadline that now comes
        next, as the case's view gives them (the view itself is built once, by the run loop)."""
        self.touch()
        return CommandResult(
            case_id=self.case_id,
            stage=stage,
            summary=summary,
            next_deadline=deadlines.next_deadline(self.ledger.views(entries, workflow.now())),
        )
