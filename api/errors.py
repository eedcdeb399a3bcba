"""Domain errors of the API's service layer; api/app.py maps each to one RFC 9457 problem."""

from __future__ import annotations


class ProblemError(Exception):
    """One problem. ``rule`` names the rule the request broke (a stable kebab-case name a client
    can branch on); a class whose problems all break one rule says it once, others name it at
    each raise (tests/api/test_problem_rules.py holds every raise to it). ``article`` is the
    treaty article the rule comes from, when it does (e.g. ``Art 10(3)``, ``SP Art 5(2)``)."""

    status: int = 400
    title: str = "Bad request"
    type_slug: str = "bad-request"
    rule: str | None = None
    headers: dict[str, str] | None = None  # response headers the problem comes with

    def __init__(
        self, detail: str, *, rule: str | None = None, article: str | None = None, **extra: object
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.rule = rule or type(self).rule or self.type_slug
        self.article = article
        self.extra = extra


class CaseNotFound(ProblemError):
    status, title, type_slug = 404, "Case not found", "case-not-found"
    rule = "case-exists"


class CommandRefused(ProblemError):
    """The case's stage does not allow the command (a second acknowledgement, a decision after
    withdrawal, information received with no open request, ...)."""

    status, title, type_slug = 409, "Command not allowed in this stage", "command-refused"


class InvalidCommand(ProblemError):
    """The command itself is incomplete or contradicts the Protocol (e.g. no reasons, Art 10(4))."""

    status, title, type_slug = 422, "Invalid command", "invalid-command"


class IdempotencyKeyReused(ProblemError):
    """An Idempotency-Key already used for another command or body on the case."""

    status, title, type_slug = 422, "Idempotency-Key reused", "idempotency-key-reused"
    rule = "idempotency-key-once"


class ReferenceConflict(ProblemError):
    """The notifier's reference is already used by a different notification."""

    status, title, type_slug = 409, "Reference already used", "reference-conflict"
    rule = "reference-unique"


class InvalidNotification(ProblemError):
    status, title, type_slug = 422, "Invalid notification", "invalid-notification"


class Forbidden(ProblemError):
    """Authenticated, but the principal's role does not allow this (api/auth.py)."""

    status, title, type_slug = 403, "Forbidden", "forbidden"
    rule = "role-access"


class Unauthorized(ProblemError):
    """No bearer token where one is needed, or a token the API does not know. Answered with a
    ``WWW-Authenticate: Bearer`` challenge (RFC 6750 section 3); ``error`` is its error code
    (``invalid_token``, ``invalid_request``), left out when the request had no credentials."""

    status, title, type_slug = 401, "Unauthorized", "unauthorized"
    rule = "bearer-token"

    def __init__(
        self,
        detail: str,
        *,
        error: str | None = None,
        rule: str | None = None,
        article: str | None = None,
        **extra: object,
    ) -> None:
        super().__init__(detail, rule=rule, article=article, **extra)
        challenge = 'Bearer realm="biosafety"'
        if error is not None:
            challenge += f', error="{error}"'
        self.headers = {"WWW-Authenticate": challenge}


class ServiceUnavailable(ProblemError):
    status, title, type_slug = 503, "Service unavailable", "service-unavailable"
    rule = "service-available"


class DocumentNotFound(ProblemError):
    status, title, type_slug = 404, "Document not found", "document-not-found"
    rule = "document-exists"


class DocumentTooLarge(ProblemError):
    status, title, type_slug = 413, "Document too large", "document-too-large"
    rule = "document-size"


class UnsupportedDocumentType(ProblemError):
    """A document's media type is not one the authority accepts, or its content is not what its
    media type says (a PDF that does not start like one)."""

    status, title, type_slug = 415, "Document type not accepted", "unsupported-document-type"
    rule = "document-type"
