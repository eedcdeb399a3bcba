"""The SMTP side of e-mail (``activities/email.py``): one transaction per message over
connections to the authority's mail server that are kept open between messages.

A message goes out on a connection that delivered one a moment ago when there is one (no
connection, greeting, STARTTLS, AUTH and QUIT of its own: four of the seven round trips of a
plain transaction, and the TLS handshake of an encrypted one). A connection is kept only after a
transaction the server accepted, at most ``smtp_idle_connections`` of them and for
``smtp_idle_seconds``; any failure closes it. A kept connection the server has closed meanwhile
(an idle timeout: the server disconnects, or answers 421) fails at MAIL, before any of the
message was sent, and the message then goes on a new connection, once. Once MAIL is accepted,
every failure is the message's, as on a new connection: nothing is ever sent twice because a
connection was reused.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from email import policy
from email.message import Message
from email.policy import Compat32
from typing import Any, TypeVar

import aiosmtplib

from infra.settings import Settings

_WIRE_POLICY = policy.compat32.clone(linesep="\r\n")


class _Utf8WirePolicy(Compat32):
    """``_WIRE_POLICY`` for an SMTPUTF8 transaction: a header whose text is not ASCII (an
    address) is written as raw UTF-8 (RFC 6532), where compat32 would wrap the whole of it in one
    RFC 2047 encoded word, which an address may not be. ``Header`` objects (the Subject) and the
    From's encoded display name stay encoded words, which RFC 6532 still allows."""

    def fold_binary(self, name: str, value: Any) -> bytes:
        if isinstance(value, str) and not value.isascii() and not any(c in value for c in "\r\n"):
            return f"{name}: {value}{self.linesep}".encode()
        return super().fold_binary(name, value)


_UTF8_WIRE_POLICY = _Utf8WirePolicy(linesep="\r\n")


class DeliveryFailure(Exception):
    def __init__(
        self, message: str, response: str | None, permanent: bool, configuration: bool = False
    ) -> None:
        super().__init__(message)
        self.response = response
        self.permanent = permanent
        # A configuration failure (wrong password: 535; untrusted certificate; the server wants
        # STARTTLS and we are set to "none"; ...) says nothing about this message or its
        # recipient, and no attempt can succeed until an operator fixes the settings. It is still
        # retryable, not permanent: a permanent failure ends the activity and the workflow records
        # the statutory notice as undeliverable, whereas every message of every case hits the
        # same misconfiguration. Retrying keeps each message pending with its last_error and the
        # same key and Message-ID, so once the password or CA file is fixed (and the worker
        # restarted) the next retry delivers it, once. It is a type of its own so that the Web
        # UI's pending-activity failure and the error log say "fix the configuration", not
        # "the mail server is busy".
        self.configuration = configuration


class SmtpConnections:
    """Connections to ``settings``' SMTP server, used by one message at a time and kept open
    between messages (see the module's doc). ``domain`` is what EHLO names us."""

    def __init__(self, settings: Settings, domain: str) -> None:
        self._settings = settings
        self._domain = domain
        self._server = f"{settings.smtp_host}:{settings.smtp_port}"
        self._client_tls: ssl.SSLContext | None = None
        self._idle: list[tuple[float, aiosmtplib.SMTP]] = []  # (kept at, connection), oldest first
        self._expiry: asyncio.TimerHandle | None = None
        self._quitting: set[asyncio.Task[None]] = set()
        self.opened = 0  # connections opened so far (what keeping them saves is read from it)

    async def deliver(self, message: Message, to: str) -> str:
        """One SMTP transaction; returns the server's reply to DATA as "code text"."""
        while True:
            try:
                return await self._transaction(self._take(), message, to)
            except _Gone:
                # The server closed the kept connection while it was idle: nothing of this
                # message was sent. The next turn takes another, or opens a new one (a new
                # connection is never "gone": its failures are the message's).
                continue

    async def aclose(self) -> None:
        """Say goodbye on every connection kept (the worker is stopping)."""
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        idle, self._idle = self._idle, []
        await asyncio.gather(*(_quit(client) for _, client in idle), *self._quitting)

    # ---- one transaction

    async def _transaction(self, client: aiosmtplib.SMTP | None, message: Message, to: str) -> str:
        s = self._settings
        security = s.smtp_security
        utf8 = not (s.mail_from.isascii() and to.isascii())
        reused = client is not None
        stage = "MAIL" if reused else "connect"
        try:
            if client is None:
                client = await self._open()
                self.opened += 1
                await client.connect()
                if security == "starttls":
                    stage = "STARTTLS"
                    await client.starttls()
                if s.smtp_username:
                    stage = "AUTH"
                    await client.login(s.smtp_username, s.smtp_password or "")
            if utf8:
                stage = "EHLO"
                if client.is_ehlo_or_helo_needed:
                    await client.ehlo()
                if not client.supports_extension("smtputf8"):
                    raise _without_smtputf8(s.mail_from, to, self._server)
            options, encoding = (["SMTPUTF8"], "utf-8") if utf8 else ([], "ascii")
            stage = "MAIL"
            try:
                await client.mail(s.mail_from, options=options, encoding=encoding)
            except (aiosmtplib.SMTPServerDisconnected, ConnectionError) as err:
                if reused:
                    raise _Gone from err
                raise
            except aiosmtplib.SMTPResponseException as err:
                if reused and err.code == 421:
                    raise _Gone from err
                raise
            stage = "RCPT"
            await client.rcpt(to, encoding=encoding)
            stage = "DATA"
            wire = _UTF8_WIRE_POLICY if utf8 else _WIRE_POLICY
            reply = await client.data(message.as_bytes(policy=wire))
        except _Gone:
            assert client is not None
            client.close()
            raise
        except BaseException as err:
            if client is not None:
                client.close()
            failure = (
                _failure(err, stage, self._server, security, to, s.smtp_username)
                if isinstance(err, Exception)
                else None
            )
            if failure is None or failure is err:
                raise  # ours already; or cancelled, or a bug: as it is, connection closed
            raise failure from err
        self._keep(client)
        return f"{reply.code} {reply.message}"

    async def _open(self) -> aiosmtplib.SMTP:
        s = self._settings
        tls_context = await self._tls_context() if s.smtp_security != "none" else None
        return aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            use_tls=s.smtp_security == "tls",
            start_tls=False,  # STARTTLS explicitly: never a silent plain-text fallback
            tls_context=tls_context,
            timeout=s.smtp_timeout_seconds,
            local_hostname=self._domain,
        )

    async def _tls_context(self) -> ssl.SSLContext:
        """The client's TLS context: verifies the server against ``smtp_ca_file`` if set (that
        file only, like ``curl --cacert``), otherwise against the system trust store."""
        if self._client_tls is None:
            cafile = self._settings.smtp_ca_file
            try:
                # Reading a trust store is file I/O; keep it off the event loop.
                self._client_tls = await asyncio.to_thread(
                    ssl.create_default_context, cafile=cafile
                )
            except (OSError, ssl.SSLError) as err:
                raise DeliveryFailure(
                    f"cannot load the CA file BIOSAFETY_SMTP_CA_FILE={cafile!r}: {err}",
                    None,
                    permanent=False,
                    configuration=True,
                ) from err
        return self._client_tls

    # ---- connections kept between messages

    def _take(self) -> aiosmtplib.SMTP | None:
        """The connection kept last, if it is still fresh; staler ones are let go."""
        oldest = time.monotonic() - self._settings.smtp_idle_seconds
        while self._idle:
            kept_at, client = self._idle.pop()
            if kept_at > oldest and client.is_connected:
                return client
            self._let_go(client)
        return None

    def _keep(self, client: aiosmtplib.SMTP) -> None:
        if len(self._idle) < self._settings.smtp_idle_connections and client.is_connected:
            self._idle.append((time.monotonic(), client))
            if self._expiry is None:
                self._expiry = asyncio.get_running_loop().call_later(
                    self._settings.smtp_idle_seconds, self._expire
                )
        else:
            self._let_go(client)

    def _expire(self) -> None:
        """Let go of the connections idle for ``smtp_idle_seconds``; look again when the next
        one will be."""
        self._expiry = None
        oldest = time.monotonic() - self._settings.smtp_idle_seconds
        while self._idle and self._idle[0][0] <= oldest:
            self._let_go(self._idle.pop(0)[1])
        if self._idle:
            wait = self._idle[0][0] - oldest
            self._expiry = asyncio.get_running_loop().call_later(wait, self._expire)

    def _let_go(self, client: aiosmtplib.SMTP) -> None:
        """QUIT, in the background: the server is told we are done, nobody waits for it."""
        task = asyncio.ensure_future(_quit(client))
        self._quitting.add(task)
        task.add_done_callback(self._quitting.discard)


class _Gone(Exception):
    """A kept connection the server closed while it was idle (found at MAIL)."""


async def _quit(client: aiosmtplib.SMTP) -> None:
    if not client.is_connected:
        client.close()
        return
    try:
        await client.quit()
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        client.close()


def _failure(
    err: Exception, stage: str, server: str, security: str, to: str, username: str | None
) -> DeliveryFailure | None:
    """What a failure at ``stage`` means: the message's (refused for good, or for now), the
    server's (unavailable: retried), or the configuration's (an operator must act); None for a
    failure that is none of these (a bug: raised as it is)."""
    if isinstance(err, DeliveryFailure):
        return err
    if isinstance(err, (aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPDataError)):
        response = f"{err.code} {err.message}"
        permanent = 500 <= err.code < 600
        kind = "refused" if permanent else "temporarily refused"
        return DeliveryFailure(
            f"SMTP server {kind} the message at {stage}: {response}", response, permanent
        )
    if isinstance(err, aiosmtplib.SMTPAuthenticationError):
        response = f"{err.code} {err.message}"
        return DeliveryFailure(
            f"SMTP server {server} refused the login of {username!r} ({response}): "
            "check BIOSAFETY_SMTP_USERNAME and BIOSAFETY_SMTP_PASSWORD",
            response,
            permanent=False,
            configuration=True,
        )
    if isinstance(err, aiosmtplib.SMTPResponseException):
        response = f"{err.code} {err.message}"
        if err.code == 530 and "STARTTLS" in err.message.upper():
            return DeliveryFailure(
                f"SMTP server {server} requires STARTTLS ({response} at {stage}) but "
                f"BIOSAFETY_SMTP_SECURITY is {security!r}: set it to 'starttls'",
                response,
                permanent=False,
                configuration=True,
            )
        if err.code in (530, 538) and stage in ("AUTH", "MAIL"):
            return DeliveryFailure(
                f"SMTP server {server} requires authentication or encryption "
                f"({response} at {stage}): check BIOSAFETY_SMTP_SECURITY (now {security!r}) "
                "and BIOSAFETY_SMTP_USERNAME/PASSWORD",
                response,
                permanent=False,
                configuration=True,
            )
        # Other 4xx/5xx at connect, EHLO or MAIL: the server or our configuration, not the
        # recipient; retried until someone fixes it (Temporal keeps trying).
        return DeliveryFailure(
            f"SMTP server answered {response} at {stage}", response, permanent=False
        )
    if isinstance(err, (aiosmtplib.SMTPException, OSError, TimeoutError)):
        if (cert_error := _cause(err, ssl.SSLCertVerificationError)) is not None:
            return DeliveryFailure(
                f"TLS certificate of SMTP server {server} is not trusted at {stage} "
                f"({cert_error.verify_message}): set BIOSAFETY_SMTP_CA_FILE to the CA "
                "certificate that issued it (default: the system trust store), and make sure "
                "BIOSAFETY_SMTP_HOST is a name the certificate is issued for",
                None,
                permanent=False,
                configuration=True,
            )
        if (tls_error := _cause(err, ssl.SSLError)) is not None:
            return DeliveryFailure(
                f"TLS with SMTP server {server} failed at {stage} ({tls_error}): check that "
                f"BIOSAFETY_SMTP_SECURITY={security!r} is what the server speaks on this port",
                None,
                permanent=False,
                configuration=True,
            )
        if type(err) is aiosmtplib.SMTPException and stage in ("STARTTLS", "AUTH"):
            # aiosmtplib's own refusals: the server does not offer STARTTLS or AUTH here.
            return DeliveryFailure(
                f"SMTP server {server} cannot do what BIOSAFETY_SMTP_SECURITY={security!r} "
                f"and the credentials ask for, at {stage}: {err}",
                None,
                permanent=False,
                configuration=True,
            )
        return DeliveryFailure(
            f"SMTP server {server} unavailable at {stage}: {type(err).__name__}: {err}",
            None,
            permanent=False,
        )
    if isinstance(err, UnicodeEncodeError):
        # Text that is not ASCII where the SMTP transaction has no way to carry it: the same
        # message fails the same way on every attempt.
        return DeliveryFailure(
            f"cannot send the message to {to!r} through SMTP server {server}: text that is not "
            f"ASCII at {stage} ({err})",
            None,
            permanent=True,
        )
    return None


def _without_smtputf8(mail_from: str, to: str, server: str) -> DeliveryFailure:
    """The failure when an address is not ASCII and the server does not offer SMTPUTF8."""
    if not mail_from.isascii():
        # Our own sender address: no message can go out until an operator changes it or the
        # server, so it is a configuration error (retried), not this message's fault.
        return DeliveryFailure(
            f"the sender address BIOSAFETY_MAIL_FROM={mail_from!r} is not ASCII and SMTP server "
            f"{server} does not offer SMTPUTF8 (RFC 6531), which sending from it needs: use an "
            "ASCII sender address or a server that offers SMTPUTF8",
            None,
            permanent=False,
            configuration=True,
        )
    return DeliveryFailure(
        f"the address {to!r} is not ASCII and SMTP server {server} does not offer SMTPUTF8 "
        "(RFC 6531), which delivering to it needs",
        None,
        permanent=True,
    )


_E = TypeVar("_E", bound=BaseException)


def _cause(err: BaseException, kind: type[_E]) -> _E | None:
    """The first exception of ``kind`` in ``err``'s chain of causes, if any."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
