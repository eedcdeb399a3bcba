"""Outgoing e-mail and BCH records of one case, each keyed by the case and the step that owes
it, delivered exactly once: the e-mail activity keeps a stable Message-ID and the SMTP server's
answer per key, and each BCH record becomes its own publication process
(workflows/bch_publication.py) whose workflow id is derived from the key.

Each message is delivered by its own task, so a message the outside world cannot take (a
recipient refused, a record the BCH rejects, an outage that outlasts the others) holds up no
other. An e-mail is tried first by a local activity, inside the workflow task that queued it
(``EMAIL_LOCAL_PATCH``), then by the activity with the full retry policy. A message refused for
good is marked failed and handed back to the case, which records and escalates it. Cases
started before this kernel delivered one message at a time per channel, in order; they keep
doing so (``sequential``), because that order is in their histories.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.workflow import ParentClosePolicy

from activities.bch import BchActivities, BchDecisionInput, BchPublication
from activities.email import EmailActivities, EmailDelivery, EmailRequest
from workflows import search_attributes as sa
from workflows.bch_publication import (
    BchPublicationStart,
    BchPublicationWorkflow,
    publication_workflow_id,
)
from workflows.common import BCH_RETRY, EMAIL_RETRY
from workflows.kernel.failures import cause, local_first
from workflows.kernel.state import Message
from workflows.models import Language

EMAIL_TIMEOUT = timedelta(minutes=2)
BCH_TIMEOUT = timedelta(minutes=5)

# Cases that carry this patch send each e-mail by a local activity first, in the workflow task
# that queued it: a command's letter is delivered before the command is answered (the answer
# and the case then say "sent"), and a message costs the server no activity task, no completion
# and no second workflow task (docs/performance.md). The attempt is short: it must end inside its
# workflow task. If the SMTP server does not take the message at once (down, slow, a temporary
# refusal), the activity with the full retry policy delivers it, as it delivered every message
# before; a refusal for good is final either way. The e-mail activity is idempotent by message
# key, so the second try never sends again what the first delivered. Histories recorded before
# have no marker and keep the activity; a case about to continue as new keeps it too (a local
# activity and a continue-as-new in one workflow task left the next run deaf to queries).
EMAIL_LOCAL_PATCH = "email-local-first"

# What time brings a case (a reminder, a lapse: CP Art 9(1), 10(3)) is recorded, shown and
# written to the register in the workflow task its timer woke; the e-mails it owes are tried
# locally in the next one, which this timer asks the server for at once. Deadlines end together
# (every one at the end of a day in the authority's zone), so many cases wake on one instant:
# each workflow task holds one of the worker's slots until its local activities are done, and a
# task that also sent two e-mails kept the next cases' lapses waiting for a slot
# (docs/performance.md, "Lapses first"). From the case kernel's generation 4.
NEXT_TASK = timedelta(milliseconds=1)


class Outbox:
    def __init__(
        self,
        case_id: str,
        messages: list[Message],
        publications: list[str],
        *,
        publication_start: Callable[[Message, BchDecisionInput], BchPublicationStart],
        publication_attributes: list[SearchAttributePair[Any]],
        on_failed: Callable[[Message], None],
        on_change: Callable[[], None],
        may_run_locally: Callable[[], bool] = lambda: True,
    ) -> None:
        self._case_id = case_id
        self.messages = messages
        self.publications = publications  # ids of the BCH publication workflows started
        self._publication_start = publication_start
        self._publication_attributes = publication_attributes
        self._on_failed = on_failed
        self._on_change = on_change
        self._may_run_locally = may_run_locally
        # Set by the run loop once per run (EMAIL_LOCAL_PATCH): e-mail goes locally first.
        self.local_first = False
        self._local_done: set[str] = set()  # e-mails whose local attempt is over (or skipped)
        self.finishing = False  # the case is closed: deliver what is queued, then stop
        # Set by the run loop while it records what time brought (NEXT_TASK): the e-mails
        # queued meanwhile are tried in the next workflow task.
        self.hold_for_next_task = False
        self._held: set[str] = set()  # e-mails waiting for the next workflow task
        self._next_task_timer: asyncio.Future[None] | None = None
        # Set by the run loop from generation 5 (LISTS_WITH_THE_EMAILS): the search attributes
        # wait for the held e-mails' task (``holds_lists``), and a held e-mail that is not tried
        # there after all asks the run loop for a turn, which shows them.
        self.lists_follow_held = False

    # ---- queueing -------------------------------------------------------------------------

    def key(self, step: str) -> str:
        return f"{self._case_id}:{step}"

    def has(self, key: str) -> bool:
        return any(m.key == key for m in self.messages)

    def email(
        self, step: str, template: str, to: str, language: Language, context: dict[str, Any]
    ) -> None:
        """Queue an e-mail once: a step that is queued again (a retried command) is ignored."""
        key = self.key(step)
        if self.has(key):
            return
        request = EmailRequest(
            message_key=key,
            case_id=self._case_id,
            to=to,
            language=language,
            template=template,
            context=context,
        )
        self.messages.append(
            Message(key=key, channel="email", recipient=to, purpose=template, payload=request)
        )
        if self.hold_for_next_task:
            self._held.add(key)

    def bch(self, step: str, purpose: str, record: BchDecisionInput) -> None:
        """Queue a BCH record once; ``record.message_key`` must be ``self.key(f"bch:{step}")``."""
        key = self.key(f"bch:{step}")
        if self.has(key):
            return
        self.messages.append(
            Message(
                key=key,
                channel="bch",
                recipient="Biosafety Clearing-House",
                purpose=purpose,
                payload=record,
            )
        )

    @property
    def pending(self) -> list[Message]:
        return [m for m in self.messages if m.status == "pending"]

    def _trying_locally(self, message: Message) -> bool:
        return (
            message.channel == "email"
            and message.key not in self._local_done
            and self.local_first
            and self._may_run_locally()
        )

    @property
    def holds_lists(self) -> bool:
        """E-mails are held for the next workflow task (NEXT_TASK), and the search attributes
        wait for it with them."""
        return self.lists_follow_held and bool(self._held)

    def sending_locally(self) -> bool:
        """An e-mail is about to be tried, or being tried, inside this workflow task: the
        register waits for it and writes the case once, with the message's outcome. An e-mail
        held for the next workflow task is not waited for: the register shows it pending."""
        return any(self._trying_locally(m) and m.key not in self._held for m in self.pending)

    @property
    def waiting(self) -> list[Message]:
        """Pending messages the Web UI flags (MessagesPending): not those still being tried
        inside this workflow task, which are sent or left to the activity before it ends."""
        return [m for m in self.pending if not self._trying_locally(m)]

    # ---- delivery -------------------------------------------------------------------------

    async def deliver_all(self) -> None:
        """Deliver every message as it is queued, each on its own, until the case finishes."""
        started: set[str] = set()
        tasks: list[asyncio.Task[None]] = []

        def new() -> list[Message]:
            return [m for m in self.pending if m.key not in started]

        while True:
            await workflow.wait_condition(
                lambda: bool(new()) or (self.finishing and all(t.done() for t in tasks))
            )
            fresh = new()
            if not fresh:
                break
            for message in fresh:
                started.add(message.key)
                tasks.append(asyncio.create_task(self._deliver(message)))
        await asyncio.gather(*tasks)

    async def deliver_sequentially(self, channel: str) -> None:
        """Deliver this channel's messages one by one, in order (cases started before the
        kernel; see the module doc)."""
        while True:
            await workflow.wait_condition(
                lambda: self.finishing or self._next_pending(channel) is not None
            )
            message = self._next_pending(channel)
            if message is None:
                return
            await self._deliver(message, legacy=True)

    def _next_pending(self, channel: str) -> Message | None:
        return next((m for m in self.pending if m.channel == channel), None)

    async def _deliver(self, message: Message, *, legacy: bool = False) -> None:
        try:
            if isinstance(message.payload, EmailRequest):
                delivery = await self._send(message, message.payload, legacy=legacy)
                message.detail = f"Message-ID {delivery.message_id}: {delivery.server_response}"
            elif not legacy or workflow.patched("bch-publication-process"):
                child_id = await self._start_publication(message, message.payload)
                message.detail = f"publication followed by workflow {child_id}"
            else:
                # Cases started before the BCH publication process published in one activity.
                publication: BchPublication = await workflow.execute_activity_method(
                    BchActivities.publish_decision,
                    message.payload,
                    start_to_close_timeout=BCH_TIMEOUT,
                    retry_policy=BCH_RETRY,
                    summary=f"BCH record: {message.purpose}",
                )
                message.detail = f"BCH document {publication.document_uid}: {publication.status}"
            message.status = "sent"
        except (ActivityError, ApplicationError) as err:  # an activity's, a local one's own
            message.status = "failed"
            message.detail = cause(err)
            self._on_failed(message)
        self._on_change()

    async def _send(self, message: Message, request: EmailRequest, legacy: bool) -> EmailDelivery:
        summary = f"e-mail {message.purpose} to {message.recipient}"
        held = message.key in self._held
        if held and not legacy and self._trying_locally(message):
            await self._in_next_task()
        # Asked again after the wait: a case whose history grew long meanwhile uses the activity.
        self._held.discard(message.key)
        if legacy or not self._trying_locally(message):
            if held and self.lists_follow_held:
                self._on_change()  # no outcome comes in the next task to show the case with
            self._local_done.add(message.key)
            delivery: EmailDelivery = await workflow.execute_activity_method(
                EmailActivities.send_email,
                request,
                start_to_close_timeout=EMAIL_TIMEOUT,
                retry_policy=EMAIL_RETRY,
                summary=summary,
            )
            return delivery

        def left_to_the_activity() -> None:
            self._local_done.add(message.key)
            self._on_change()  # it waits for the activity now: the Web UI flags it

        try:
            delivery = await local_first(
                EmailActivities.send_email,
                request,
                activity_timeout=EMAIL_TIMEOUT,
                retry=EMAIL_RETRY,
                summary=summary,
                what="e-mail",
                extra={"case_id": self._case_id, "key": message.key},
                on_fallback=left_to_the_activity,
            )
        finally:
            self._local_done.add(message.key)
        return delivery

    async def _in_next_task(self) -> None:
        """Until the next workflow task: one timer for every e-mail held in this one."""
        if self._next_task_timer is None or self._next_task_timer.done():
            self._next_task_timer = asyncio.ensure_future(
                workflow.sleep(
                    NEXT_TASK, summary="e-mails of what time brought, in a task of their own"
                )
            )
        await self._next_task_timer

    async def _start_publication(self, message: Message, record: BchDecisionInput) -> str:
        """Hand the record to its own publication process, which outlives the case: the focal
        point may take up to 83 days."""
        child_id = publication_workflow_id(message.key)
        await workflow.start_child_workflow(
            BchPublicationWorkflow.run,
            self._publication_start(message, record),
            id=child_id,
            parent_close_policy=ParentClosePolicy.ABANDON,
            static_summary=f"BCH publication for {self._case_id}: {message.purpose}",
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(sa.CASE_ID, self._case_id),
                    SearchAttributePair(sa.PROCEDURE, "bch_publication"),
                    *self._publication_attributes,
                ]
            ),
        )
        self.publications.append(child_id)
        return child_id
