"""E-mail to notifiers and officers: send a rendered letter (``activities/letters.py``) over
SMTP (``activities/smtp.py``, on connections kept open between messages) and keep the evidence.

Nothing is sent twice: the message's row in ``outgoing_messages`` (keyed by ``message_key``) is
locked for the duration of the SMTP transaction, and once it says ``sent`` the recorded evidence
is returned instead of sending again. Once the server has taken a message (250), the attempt
never fails for want of its evidence: if the database is lost during the SMTP conversation or
after it, the evidence is written again over a new connection, and while the database stays
away the worker keeps the delivery in memory, answers any further attempt for the message with
it and writes the evidence when the database is back (docs/reliability.md, F3). The Message-ID is
derived from the key, so even the one unavoidable duplicate (the worker dying between the
server's 250 and our commit, F5) carries the same Message-ID and is recognisable as the same
message.

An address that is not ASCII (``józsef@példa.hu``) is sent with SMTPUTF8 (RFC 6531): MAIL FROM and
RCPT TO in UTF-8 and the address headers as raw UTF-8 (RFC 6532). A server that does not offer
SMTPUTF8 cannot take such a message at all: for a recipient that is a permanent failure (the
message is undeliverable), for our own sender address a configuration error.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import asyncpg
import jinja2
import structlog
from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.email_message import ascii_domain, build_message, message_id_for
from activities.letters import render_email
from activities.smtp import DeliveryFailure, SmtpConnections
from infra.settings import Settings
from workflows.errors import (
    PERMANENT_DELIVERY_FAILURE,
    SMTP_CONFIGURATION_ERROR,
    TEMPLATE_ERROR,
    TEMPORARY_DELIVERY_FAILURE,
)

Language = Literal["en", "hu"]


_log = structlog.get_logger(__name__)


class EmailRequest(BaseModel):
    message_key: str  # idempotency key, e.g. f"{workflow_id}:decision"
    case_id: str
    to: str
    language: Language
    template: str
    context: dict[str, Any]  # JSON values (dates as ISO strings)


class EmailDelivery(BaseModel):
    message_key: str
    message_id: str
    recipient: str
    subject: str
    sent_at: datetime
    server_response: str
    already_sent: bool


# ---------------------------------------------------------------------------------------------
# Delivery


# One statement claims the message for this attempt: its row is made if it is new, locked (an
# attempt with the same key running at once waits here until the first one's transaction ends)
# and marked as attempted, unless the message was already sent or the key belongs to another
# channel. Then no row is returned, and the row is read as it stands (locked all the same: ON
# CONFLICT DO UPDATE locks the row whether or not its WHERE lets it be updated).
_CLAIM = """
INSERT INTO outgoing_messages AS o
    (message_key, case_id, channel, recipient, subject, template, language, status, payload,
     message_id, attempts)
VALUES ($1, $2, 'email', $3, $4, $5, $6, 'pending', $7, $8, 1)
ON CONFLICT (message_key) DO UPDATE
SET attempts = o.attempts + 1, status = 'pending', recipient = EXCLUDED.recipient,
    subject = EXCLUDED.subject, template = EXCLUDED.template, language = EXCLUDED.language,
    payload = EXCLUDED.payload, message_id = EXCLUDED.message_id
WHERE o.channel = 'email' AND o.status <> 'sent'
RETURNING message_key
"""
_READ = "SELECT * FROM outgoing_messages WHERE message_key = $1"
_SENT = """
UPDATE outgoing_messages
SET status = 'sent', server_response = $2, sent_at = $3
WHERE message_key = $1
"""
_TEMPORARY = "UPDATE outgoing_messages SET last_error = $2 WHERE message_key = $1"
_FAILED = """
UPDATE outgoing_messages SET status = 'failed', server_response = $2, last_error = $3
WHERE message_key = $1
"""
_RECORD_BROKEN = """
INSERT INTO outgoing_messages
    (message_key, case_id, channel, recipient, template, language, status, attempts, last_error)
VALUES ($1, $2, 'email', $3, $4, $5, 'failed', 1, $6)
ON CONFLICT (message_key) DO UPDATE
SET attempts = outgoing_messages.attempts + 1, last_error = EXCLUDED.last_error,
    status = CASE WHEN outgoing_messages.status = 'sent' THEN 'sent' ELSE 'failed' END
"""


# The evidence of a message the server took, written over a new connection when the
# transaction that claimed it was lost (the claim's row may be gone with it, or still there).
_RECORD_SENT = """
INSERT INTO outgoing_messages AS o
    (message_key, case_id, channel, recipient, subject, template, language, status, payload,
     message_id, attempts, server_response, sent_at)
VALUES ($1, $2, 'email', $3, $4, $5, $6, 'sent', $7, $8, 1, $9, $10)
ON CONFLICT (message_key) DO UPDATE
SET attempts = o.attempts + 1, status = 'sent', recipient = EXCLUDED.recipient,
    subject = EXCLUDED.subject, template = EXCLUDED.template, language = EXCLUDED.language,
    payload = EXCLUDED.payload, message_id = EXCLUDED.message_id,
    server_response = EXCLUDED.server_response, sent_at = EXCLUDED.sent_at
WHERE o.channel = 'email' AND o.status <> 'sent'
"""

# How long an attempt whose evidence was lost after the server's 250 tries to write it before it
# answers with the delivery anyway (the evidence then follows in the background). Short: a
# connection cut while the database stays up is written again at once, and an answer inside the
# local attempt's own timeout (workflows/kernel/failures.py, 5 s) puts the delivery in the case's
# history, so no other attempt, in this worker or another, is made at all.
EVIDENCE_WAIT_SECONDS = 1.0
# The longest pause between two tries to write such evidence.
EVIDENCE_RETRY_MAX_PAUSE = 5.0


@dataclass(frozen=True)
class _Sent:
    """A message the server took (250): the delivery and what its evidence records."""

    delivery: EmailDelivery
    case_id: str
    template: str
    language: str
    payload: dict[str, Any]


# In this worker process, shared by its instances (the local attempts' and the activity's): the
# attempt in flight for each message key (the next one waits for it), and the messages the server
# took whose evidence the database has not taken yet.
_IN_FLIGHT: dict[str, asyncio.Future[EmailDelivery]] = {}
_UNRECORDED: dict[str, _Sent] = {}


def _outcome_seen(attempt: asyncio.Future[EmailDelivery]) -> None:
    """An attempt whose caller was cancelled ends unobserved; its failure is in the register
    (``outgoing_messages``) and the log already, so it is only marked as seen here."""
    if not attempt.cancelled():
        attempt.exception()


def _forget(key: str, attempt: asyncio.Future[EmailDelivery]) -> None:
    """The attempt is over: the next one for its message need not wait for it."""
    if _IN_FLIGHT.get(key) is attempt:
        del _IN_FLIGHT[key]


class EmailActivities:
    """The ``send_email`` activity, with its SMTP settings and the register's pool injected."""

    def __init__(
        self,
        settings: Settings,
        pool: asyncpg.Pool,
        *,
        evidence_wait_seconds: float = EVIDENCE_WAIT_SECONDS,
    ) -> None:
        self._settings = settings
        self._pool = pool
        self._domain = ascii_domain(settings.mail_from.rpartition("@")[2]) or "biosafety.local"
        self._smtp = SmtpConnections(settings, self._domain)
        self._evidence_wait = evidence_wait_seconds
        self._recorders: dict[str, asyncio.Task[None]] = {}

    async def aclose(self) -> None:
        """Close the SMTP connections kept open between messages (the worker is stopping)."""
        await self._smtp.aclose()
        if self._recorders:
            # Each delivery is in its case's history (the activity answered with it); only the
            # row in outgoing_messages is missing.
            _log.error("email.sent_evidence_lost", message_keys=sorted(self._recorders))
        for recorder in self._recorders.values():
            recorder.cancel()

    @activity.defn(name="send_email")
    async def send_email(self, req: EmailRequest) -> EmailDelivery:
        """Deliver one message once. An attempt that is cancelled midway (a local attempt's
        timeout, workflows/kernel/outbox.py; a worker shutting down) still finishes its SMTP
        transaction and records the outcome, in the background: the next attempt waits for the
        message's row and finds it sent, instead of sending a message the server has already
        taken a second time."""
        previous = _IN_FLIGHT.get(req.message_key)
        if previous is not None and not previous.done():
            # The message's row lock keeps two attempts apart only while the database is up.
            await asyncio.wait([previous])
        attempt = asyncio.ensure_future(self._send(req))
        attempt.add_done_callback(_outcome_seen)
        _IN_FLIGHT[req.message_key] = attempt
        attempt.add_done_callback(lambda done: _forget(req.message_key, done))
        return await asyncio.shield(attempt)

    async def _send(self, req: EmailRequest) -> EmailDelivery:
        log = _logger(req)
        try:
            # The case number and the authority's name are known here even if a caller omits them.
            defaults = {"case_id": req.case_id, "authority_name": self._settings.authority_name}
            rendered = render_email(req.template, req.language, defaults | req.context)
        except (jinja2.TemplateError, ValueError, TypeError) as err:
            # Unknown template, missing or malformed context: a bug, retrying cannot help.
            error = f"cannot render {req.language}/{req.template}: {err}"
            async with self._pool.acquire() as conn:
                await conn.execute(
                    _RECORD_BROKEN,
                    req.message_key,
                    req.case_id,
                    req.to,
                    req.template,
                    req.language,
                    error,
                )
            log.error("email.template_error", error=error)
            raise ApplicationError(error, type=TEMPLATE_ERROR, non_retryable=True) from err

        if (kept := _UNRECORDED.get(req.message_key)) is not None:
            # Taken by the server in an earlier attempt, its evidence still waiting for the
            # database: never sent again.
            log.info("email.already_sent", message_id=kept.delivery.message_id, evidence="pending")
            return kept.delivery.model_copy(update={"already_sent": True})
        message_id = message_id_for(req.message_key, self._domain)
        payload = {"context": req.context, "body": rendered.body}
        failure: ApplicationError | None = None
        sent: _Sent | None = None
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                claimed = await conn.fetchval(
                    _CLAIM,
                    req.message_key,
                    req.case_id,
                    req.to,
                    rendered.subject,
                    req.template,
                    req.language,
                    payload,
                    message_id,
                )
                if claimed is None:
                    return self._recorded(req, await conn.fetchrow(_READ, req.message_key), log)
                message = build_message(req, rendered, self._settings, message_id)
                try:
                    response = await self._smtp.deliver(message, req.to)
                except DeliveryFailure as err:
                    failure = await self._failed(conn, req, err, log)
                else:
                    sent = _Sent(
                        EmailDelivery(
                            message_key=req.message_key,
                            message_id=message_id,
                            recipient=req.to,
                            subject=rendered.subject,
                            sent_at=datetime.now(UTC),
                            server_response=response,
                            already_sent=False,
                        ),
                        req.case_id,
                        req.template,
                        req.language,
                        payload,
                    )
                    await conn.execute(_SENT, req.message_key, response, sent.delivery.sent_at)
        except Exception as err:
            if sent is None:
                raise
            # The server took the message, the database did not take its evidence (the
            # connection was lost during the SMTP conversation or after it): a retry of the
            # activity would find the message unsent and send it again. Never fail now.
            return await self._record_after_loss(sent, err, log)
        if sent is not None:
            log.info(
                "email.sent", message_id=message_id, server_response=sent.delivery.server_response
            )
            return sent.delivery
        # Raised outside the transaction so that the failure evidence is committed.
        assert failure is not None
        raise failure

    def _recorded(self, req: EmailRequest, row: asyncpg.Record | None, log: Any) -> EmailDelivery:
        """The delivery as recorded, for a message already sent (or a key of another channel)."""
        assert row is not None
        if row["channel"] != "email":
            raise ApplicationError(
                f"message key {req.message_key!r} is already used on channel {row['channel']}",
                type="MessageKeyConflict",
                non_retryable=True,
            )
        if row["recipient"] != req.to:
            log.warning("email.already_sent_to_other_recipient", recorded=row["recipient"])
        log.info("email.already_sent", message_id=row["message_id"])
        return EmailDelivery(
            message_key=req.message_key,
            message_id=row["message_id"],
            recipient=row["recipient"],
            subject=row["subject"],
            sent_at=row["sent_at"],
            server_response=row["server_response"],
            already_sent=True,
        )

    async def _failed(
        self, conn: Any, req: EmailRequest, err: DeliveryFailure, log: Any
    ) -> ApplicationError:
        """Record a delivery the server did not take; the error the activity raises."""
        if err.configuration:
            await conn.execute(_TEMPORARY, req.message_key, str(err))
            log.error("email.configuration_error", error=str(err))
            return ApplicationError(
                str(err),
                {"message_key": req.message_key, "server_response": err.response},
                type=SMTP_CONFIGURATION_ERROR,
            )
        if err.permanent:
            await conn.execute(_FAILED, req.message_key, err.response, str(err))
            log.error("email.refused", error=str(err), server_response=err.response)
            return ApplicationError(
                str(err),
                {"message_key": req.message_key, "server_response": err.response},
                type=PERMANENT_DELIVERY_FAILURE,
                non_retryable=True,
            )
        await conn.execute(_TEMPORARY, req.message_key, str(err))
        log.warning("email.temporary_failure", error=str(err))
        return ApplicationError(str(err), type=TEMPORARY_DELIVERY_FAILURE)

    async def _record_after_loss(self, sent: _Sent, err: Exception, log: Any) -> EmailDelivery:
        """The delivery of a message the server took whose evidence was lost with its
        transaction: written over a new connection, tried for a moment (EVIDENCE_WAIT_SECONDS);
        if the database stays away, kept in the worker's memory (any further attempt in this
        worker is answered with it) and written in the background when it is back."""
        log.warning(
            "email.sent_evidence_retry",
            message_id=sent.delivery.message_id,
            error=f"{type(err).__name__}: {err}",
        )
        if await self._write_evidence(sent, time.monotonic() + self._evidence_wait):
            log.info("email.sent", message_id=sent.delivery.message_id, evidence="rewritten")
            return sent.delivery
        key = sent.delivery.message_key
        _UNRECORDED[key] = sent
        self._recorders[key] = asyncio.create_task(self._keep_recording(sent, log))
        log.error(
            "email.sent_evidence_pending",
            message_id=sent.delivery.message_id,
            waited_seconds=self._evidence_wait,
        )
        return sent.delivery

    async def _keep_recording(self, sent: _Sent, log: Any) -> None:
        await self._write_evidence(sent, None)
        _UNRECORDED.pop(sent.delivery.message_key, None)
        self._recorders.pop(sent.delivery.message_key, None)
        log.info("email.sent", message_id=sent.delivery.message_id, evidence="written late")

    async def _write_evidence(self, sent: _Sent, deadline: float | None) -> bool:
        """Until the evidence is written (True) or ``deadline`` (monotonic) has passed."""
        pause = 0.1
        while True:
            try:
                async with self._pool.acquire() as conn:
                    await conn.execute(
                        _RECORD_SENT,
                        sent.delivery.message_key,
                        sent.case_id,
                        sent.delivery.recipient,
                        sent.delivery.subject,
                        sent.template,
                        sent.language,
                        sent.payload,
                        sent.delivery.message_id,
                        sent.delivery.server_response,
                        sent.delivery.sent_at,
                    )
                return True
            except Exception:
                if deadline is not None and time.monotonic() + pause > deadline:
                    return False
                await asyncio.sleep(pause)
                pause = min(pause * 2, EVIDENCE_RETRY_MAX_PAUSE)


def _logger(req: EmailRequest) -> Any:
    log = _log.bind(case_id=req.case_id, message_key=req.message_key, template=req.template)
    if activity.in_activity():
        info = activity.info()
        log = log.bind(
            workflow_id=info.workflow_id, activity_id=info.activity_id, attempt=info.attempt
        )
    return log
