"""An e-mail as it goes on the wire: its stable Message-ID (derived from the message key, so a
message sent again carries the same one) and the MIME message built from a rendered letter."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.charset import QP, Charset
from email.message import Message
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr
from typing import TYPE_CHECKING

from activities.letters import RenderedEmail
from activities.mail_header import encoded_header
from infra.settings import Settings

if TYPE_CHECKING:
    from activities.email import EmailRequest


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


def ascii_domain(domain: str) -> str:
    """A host name as EHLO and Message-IDs need it: an internationalised domain as A-labels."""
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return ""
