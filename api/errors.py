"""Domain errors of the API's service layer; api/app.py maps each to one RFC 9457 problem."""

from __future__ import annotations


class ProblemError(Exception):
    status: int = 400
    title: str = "Bad request"
    type_slug: str = "bad-request"

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


class ReferenceConflict(ProblemError):
    """The notifier's reference is already used by a different notification."""

    status, title, type_slug = 409, "Reference already used", "reference-conflict"


class InvalidNotification(ProblemError):
    status, title, type_slug = 422, "Invalid notification", "invalid-notification"


class Forbidden(ProblemError):
    status, title, type_slug = 403, "Forbidden", "forbidden"


class Unauthorized(ProblemError):
    status, title, type_slug = 401, "Unauthorized", "unauthorized"


class ServiceUnavailable(ProblemError):
    status, title, type_slug = 503, "Service unavailable", "service-unavailable"
