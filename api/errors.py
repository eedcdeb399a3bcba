"""Domain errors of the API's service layer; api/app.py maps each to one RFC 9457 problem."""

from __future__ import annotations


class ProblemError(Exception):
    status: int = 400
    title: str = "Bad request"
    type_slug: str = "bad-request"
    headers: dict[str, str] | None = None  # response headers the problem comes with

    def __init__(self, detail: str, **extra: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class CaseNotFound(ProblemError):
    status, title, type_slug = 404, "Case not found", "case-not-found"


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


class ReferenceConflict(ProblemError):
    """The notifier's reference is already used by a different notification."""

    status, title, type_slug = 409, "Reference already used", "reference-conflict"


class InvalidNotification(ProblemError):
    status, title, type_slug = 422, "Invalid notification", "invalid-notification"


class Forbidden(ProblemError):
    """Authenticated, but the principal's role does not allow this (api/auth.py)."""

    status, title, type_slug = 403, "Forbidden", "forbidden"


class Unauthorized(ProblemError):
    """No bearer token where one is needed, or a token the API does not know. Answered with a
    ``WWW-Authenticate: Bearer`` challenge (RFC 6750 section 3); ``error`` is its error code
    (``invalid_token``, ``invalid_request``), left out when the request had no credentials."""

    status, title, type_slug = 401, "Unauthorized", "unauthorized"

    def __init__(self, detail: str, *, error: str | None = None, **extra: object) -> None:
        super().__init__(detail, **extra)
        challenge = 'Bearer realm="biosafety"'
        if error is not None:
            challenge += f', error="{error}"'
        self.headers = {"WWW-Authenticate": challenge}


class ServiceUnavailable(ProblemError):
    status, title, type_slug = 503, "Service unavailable", "service-unavailable"


class DocumentNotFound(ProblemError):
    status, title, type_slug = 404, "Document not found", "document-not-found"


class DocumentTooLarge(ProblemError):
    status, title, type_slug = 413, "Document too large", "document-too-large"


class UnsupportedDocumentType(ProblemError):
    """A document's media type is not one the authority accepts, or its content is not what its
    media type says (a PDF that does not start like one)."""

    status, title, type_slug = 415, "Document type not accepted", "unsupported-document-type"
