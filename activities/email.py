"""E-mail to notifiers and officers: send a rendered letter (``activities/letters.py``) over
SMTP (``activities/smtp.py``, on connections kept open between messages) and keep the evidence.

Nothing is sent twice: the message's row in ``outgoing_messages`` (keyed by ``message_key``) is
locked for the duration of the SMTP transaction, and once it says ``sent`` the recorded evidence
is returned instead of sending again. The Message-ID is derived from the key, so even the one
unavoidable duplicate (a crash between the server's 250 and our commit) carries the same
Message-ID and is recognisable as the same message.

An address that is not ASCII (``józsef@példa.hu``) is sent with SMTPUTF8 (RFC 6531): MAIL FROM and
RCPT TO in UTF-8 and the address headers as raw UTF-8 (RFC 6532). A server that does not offer
SMTPUTF8 cannot take such a message at all: for a recipient that is a permanent failure (the
message is undeliverable), for our own sender address a configuration error.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime
from email.charset import QP, Charset
from email.message import Message
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr
from typing import Any, Literal

import asyncpg
import jinja2
import structlog
from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.letters import RenderedEmail, render_email
from activities.mail_header import encoded_header
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


def message_id_for(message_key: str, domain: str) -> str:
    digest = hashlib.sha256(message_key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def build_message(
    req: EmailRequest, rendered: RenderedEmail, settings: Settings, message_id: str
) -> Message:
    # Built with the classic (compat32) API on purpose: Python 3.11's modern header folding can
    # drop the space between an ASCII word and a following encoded word ("Maize MON-ØØ81Ø-6"
    # arrives as "MaizeMON-ØØ81Ø-6"); email.header.Header encodes the whole text, spaces included.
    utf8_qp = Charset("utf-8")
    utf8_qp.body_encoding = QP  # 7-bit safe on any server, still readable in the raw .eml
    msg = MIMEText(rendered.body, "plain", utf8_qp)  # type: ignore[arg-type]
    msg["From"] = _from_header(settings.authority_name, settings.mail_from)
    msg["To"] = req.to
    msg["Reply-To"] = settings.authority_email
    msg["Subject"] = encoded_header(rendered.subject, "Subject")  # type: ignore[assignment]
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = message_id
    msg["Content-Language"] = req.language
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies, please
    msg["X-Biosafety-Case"] = req.case_id
    msg["X-Template"] = f"{req.language}/{req.template}"
    return msg


def _from_header(name: str, address: str) -> str:
    if address.isascii():
        return formataddr((name, address), charset="utf-8")
    # formataddr refuses an address that is not ASCII. Such a sender goes out only with SMTPUTF8
    # (``activities/smtp.py`` insists on it), where the address is raw UTF-8; the name is
    # encoded as usual.
    if not name:
        return address
    return formataddr((name, "@"), charset="utf-8").removesuffix("<@>") + f"<{address}>"


def _ascii_domain(domain: str) -> str:
    """A host name as EHLO and Message-IDs need it: an internationalised domain as A-labels."""
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return ""


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


def _outcome_seen(attempt: asyncio.Future[EmailDelivery]) -> None:
    """An attempt whose caller was cancelled ends unobserved; its failure is in the register
    (``outgoing_messages``) and the log already, so it is only marked as seen here."""
    if not attempt.cancelled():
        attempt.exception()


class EmailActivities:
    """The ``send_email`` activity, with its SMTP settings and the register's pool injected."""

    def __init__(self, settings: Settings, pool: asyncpg.Pool) -> None:
        self._settings = settings
        self._pool = pool
        self._domain = _ascii_domain(settings.mail_from.rpartition("@")[2]) or "biosafety.local"
        self._smtp = SmtpConnections(settings, self._domain)

    async def aclose(self) -> None:
        """Close the SMTP connections kept open between messages (the worker is stopping)."""
        await self._smtp.aclose()

    @activity.defn(name="send_email")
    async def send_email(self, req: EmailRequest) -> EmailDelivery:
        """Deliver one message once. An attempt that is cancelled midway (a local attempt's
        timeout, workflows/kernel/outbox.py; a worker shutting down) still finishes its SMTP
        transaction and records the outcome, in the background: the next attempt waits for the
        message's row and finds it sent, instead of sending a message the server has already
        taken a second time."""
        attempt = asyncio.ensure_future(self._send(req))
        attempt.add_done_callback(_outcome_seen)
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

        message_id = message_id_for(req.message_key, self._domain)
        failure: ApplicationError | None = None
        async with self._pool.acquire() as conn, conn.transaction():
            payload = {"context": req.context, "body": rendered.body}
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
                row = await conn.fetchrow(_READ, req.message_key)
                assert row is not None
                if row["channel"] != "email":
                    raise ApplicationError(
                        f"message key {req.message_key!r} is already used on channel "
                        f"{row['channel']}",
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
            message = build_message(req, rendered, self._settings, message_id)
            try:
                response = await self._smtp.deliver(message, req.to)
            except DeliveryFailure as err:
                if err.configuration:
                    await conn.execute(_TEMPORARY, req.message_key, str(err))
                    log.error("email.configuration_error", error=str(err))
                    failure = ApplicationError(
                        str(err),
                        {"message_key": req.message_key, "server_response": err.response},
                        type=SMTP_CONFIGURATION_ERROR,
                    )
                elif err.permanent:
                    await conn.execute(_FAILED, req.message_key, err.response, str(err))
                    log.error("email.refused", error=str(err), server_response=err.response)
                    failure = ApplicationError(
                        str(err),
                        {"message_key": req.message_key, "server_response": err.response},
                        type=PERMANENT_DELIVERY_FAILURE,
                        non_retryable=True,
                    )
                else:
                    await conn.execute(_TEMPORARY, req.message_key, str(err))
                    log.warning("email.temporary_failure", error=str(err))
                    failure = ApplicationError(str(err), type=TEMPORARY_DELIVERY_FAILURE)
            else:
                sent_at = datetime.now(UTC)
                await conn.execute(_SENT, req.message_key, response, sent_at)
                log.info("email.sent", message_id=message_id, server_response=response)
                return EmailDelivery(
                    message_key=req.message_key,
                    message_id=message_id,
                    recipient=req.to,
                    subject=rendered.subject,
                    sent_at=sent_at,
                    server_response=response,
                    already_sent=False,
                )
        # Raised outside the transaction so that the failure evidence above is committed.
        assert failure is not None
        raise failure


def _logger(req: EmailRequest) -> Any:
    log = _log.bind(case_id=req.case_id, message_key=req.message_key, template=req.template)
    if activity.in_activity():
        info = activity.info()
        log = log.bind(
            workflow_id=info.workflow_id, activity_id=info.activity_id, attempt=info.attempt
        )
    return log
