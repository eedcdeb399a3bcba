"""The role matrix: for every operation of the API, what each kind of caller gets.

Written from the README's "Access" section, not derived from api/auth.py, so that the test
compares the two: staff may do everything; a notifier files under its own e-mail, reads, lists
and withdraws its own cases (another's answers 404, as if it did not exist) and never gives an
officer's command (403); without a token only the public register and the health checks answer
(everything else 401); a token the API does not know is a 401 wherever it is sent, except on
the probes ``/livez`` and ``/readyz``, which read no header at all.

The same matrix runs in-process in ``make test`` (tests/api/test_role_matrix.py) and over HTTP
against the real development stack in the soak (tests/soak/). Commands that change a case run on
a case of their own, prepared to the stage where the command is valid, and the callers take
their turn in the order of :data:`CALLER_ORDER` (refused callers first, then the owner, then
staff): "allowed" means the request got past authorisation, i.e. a 2xx, or the procedure's own
409/422 answer (e.g. staff withdrawing a case its notifier withdrew a moment before).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tests.support.role_bodies import (
    COMMENT,
    CONSULTATION,
    DECISION,
    DEPOSIT,
    DOCUMENT_UPLOAD,
    RESPONSE_COMMANDS,
    RISK_ASSESSMENT,
)
from tests.support.role_fixture import Fixture, Needs
from tests.support.role_outcomes import CALLER_ORDER, A, Caller, F, H, Outcome, U


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # the OpenAPI path template
    expected: Mapping[Caller, Outcome]
    needs: Needs = "none"
    body: Callable[[Fixture], dict[str, Any]] | None = None
    multipart: bool = False  # the body is httpx's ``files`` and ``data``, not JSON

    @property
    def operation(self) -> str:
        return f"{self.method} {self.path}"


def _expect(anon: Outcome, wrong: Outcome, other: Outcome, owner: Outcome, staff: Outcome) -> dict:
    return dict(zip(CALLER_ORDER, (anon, wrong, other, owner, staff), strict=True))


PROBE = _expect(A, A, A, A, A)  # reads no header at all
PUBLIC = _expect(A, U, A, A, A)  # no token needed; a wrong one is still a 401
ANY_PRINCIPAL = _expect(U, U, A, A, A)
OWN_CASE = _expect(U, U, H, A, A)
STAFF_ONLY = _expect(U, U, F, F, A)
FILE_AS_OWNER = _expect(U, U, F, A, A)  # the body names the owner's e-mail: another may not
STAFF_OPENS = STAFF_ONLY  # procedures whose cases only the authority opens (no owner_email)


def _command(body: dict[str, Any]) -> Callable[[Fixture], dict[str, Any]]:
    return lambda _: dict(body)


ROWS: tuple[Row, ...] = (
    Row("GET", "/livez", PROBE),
    Row("GET", "/readyz", PROBE),
    Row("GET", "/healthz", PUBLIC),
    Row("GET", "/v1/register", PUBLIC),
    Row("GET", "/v1/register/{case_id}", PUBLIC, "register"),
    Row("GET", "/v1/cases", ANY_PRINCIPAL),
    Row("GET", "/v1/cases/{case_id}", OWN_CASE, "case"),
    Row("GET", "/v1/cases/{case_id}/audit", OWN_CASE, "case"),
    Row("GET", "/v1/cases/{case_id}/messages", OWN_CASE, "case"),
    Row("GET", "/v1/deadlines.ics", STAFF_ONLY),
    Row("GET", "/v1/cases/{case_id}/timeline.svg", OWN_CASE, "case"),
    Row("GET", "/v1/cases/{case_id}/deadlines.ics", OWN_CASE, "case"),
    Row("GET", "/v1/cases/{case_id}/publications", STAFF_ONLY, "decided"),
    Row(
        "POST",
        "/v1/cases/{case_id}/publications/{publication_id}/resubmission",
        STAFF_ONLY,
        "decided",
        _command({"note": "role matrix"}),
    ),
    Row("POST", "/v1/aia/notifications", FILE_AS_OWNER, body=lambda f: f.notification()),
    Row("POST", "/v1/reviews", FILE_AS_OWNER, body=lambda f: f.review_request()),
    Row("POST", "/v1/cases/{case_id}/acknowledgement", STAFF_ONLY, "fresh:received", _command({})),
    Row(
        "POST",
        "/v1/cases/{case_id}/information-requests",
        STAFF_ONLY,
        "fresh:acknowledged",
        _command({"items": ["seed lot purity certificate"]}),
    ),
    Row(
        "POST",
        "/v1/cases/{case_id}/information-received",
        STAFF_ONLY,
        "fresh:awaiting_information",
        _command({"summary": "certificate received"}),
    ),
    Row(
        "POST",
        "/v1/cases/{case_id}/extensions",
        STAFF_ONLY,
        "fresh:acknowledged",
        _command({"days": 30, "reasons": "field data from a second season"}),
    ),
    Row(
        "POST",
        "/v1/cases/{case_id}/risk-assessment",
        STAFF_ONLY,
        "fresh:acknowledged",
        _command(RISK_ASSESSMENT),
    ),
    Row("POST", "/v1/cases/{case_id}/decision", STAFF_ONLY, "fresh:assessed", _command(DECISION)),
    # CP Art 23(2): staff open a consultation and read the comments; anyone comments
    Row(
        "POST",
        "/v1/cases/{case_id}/consultation",
        STAFF_ONLY,
        "fresh:acknowledged",
        _command(CONSULTATION),
    ),
    Row("GET", "/v1/consultations", PUBLIC),
    # Dossier documents: staff and the case's notifier; the public only the open ones
    Row("POST", "/v1/cases/{case_id}/documents", OWN_CASE, "case", DOCUMENT_UPLOAD, True),
    Row("GET", "/v1/cases/{case_id}/documents", OWN_CASE, "case"),
    Row("GET", "/v1/cases/{case_id}/documents/{document_id}", OWN_CASE, "document"),
    Row("GET", "/v1/register/{case_id}/documents", PUBLIC, "register"),
    Row("GET", "/v1/register/{case_id}/documents/{document_id}", PUBLIC, "document"),
    Row("GET", "/v1/consultations/{case_id}", PUBLIC, "consulting"),
    Row("POST", "/v1/consultations/{case_id}/comments", PUBLIC, "consulting", _command(COMMENT)),
    Row("GET", "/v1/cases/{case_id}/consultation-comments", STAFF_ONLY, "consulting"),
    Row(
        "POST",
        "/v1/cases/{case_id}/withdrawal",
        OWN_CASE,
        "fresh:received",
        _command({"reason": "the trial was cancelled"}),
    ),
    Row(
        "POST",
        "/v1/cases/{case_id}/decision-change",
        STAFF_ONLY,
        "review",
        _command({"result": "prohibition", "reasons": "Gene flow can no longer be excluded."}),
    ),
    Row(
        "POST",
        "/v1/cases/{case_id}/review-answer",
        STAFF_ONLY,
        "review",
        _command({"reasons": "The data confirm the risk assessment."}),
    ),
    Row("POST", "/v1/treaty-status/deposits", STAFF_OPENS, body=_command(DEPOSIT)),
    Row(
        "POST",
        "/v1/cases/{case_id}/treaty-withdrawal",
        STAFF_ONLY,
        "treaty",
        _command({"received_by_depositary_on": "2003-10-01"}),
    ),
    Row("POST", "/v1/ffp/cases", STAFF_OPENS, body=lambda f: f.ffp_decision()),
    Row(
        "POST",
        "/v1/cases/{case_id}/ffp-decision",
        STAFF_ONLY,
        "ffp",
        _command({"result": "approval", "risk_assessment_summary": "Acceptable."}),
    ),
    Row("POST", "/v1/cases/{case_id}/annex-ii", STAFF_ONLY, "ffp", _command({"annex_ii": {}})),
    Row(
        "POST",
        "/v1/cases/{case_id}/ffp-information-requests",
        STAFF_ONLY,
        "ffp",
        _command(
            {
                "requesting_party": "BO",
                "requester": {"name": "CNA", "address": "La Paz", "email": "cna@bo.example"},
                "items": ["detection method"],
                "answer_within_days": 45,
            }
        ),
    ),
    Row(
        "POST",
        "/v1/cases/{case_id}/ffp-information-answers",
        STAFF_ONLY,
        "ffp",
        _command({"request": 1, "answer": "The detection method is EURL-GMFF QT-EVE-ZM-020."}),
    ),
    Row("POST", "/v1/cases/{case_id}/ffp-closure", STAFF_ONLY, "ffp", _command({})),
    # SP Arts 2-8: staff open response-measure cases and give every command
    Row("POST", "/v1/response-measures/cases", STAFF_OPENS, body=lambda f: f.response_report()),
    *(
        Row("POST", f"/v1/cases/{{case_id}}/{path}", STAFF_ONLY, "response", _command(body))
        for path, body in RESPONSE_COMMANDS
    ),
    # CP Art 25: staff record an illegal movement, the Party of origin's replies, the disposal
    Row("POST", "/v1/illegal-movements", STAFF_OPENS, body=lambda f: f.illegal_movement()),
    Row(
        "POST",
        "/v1/cases/{case_id}/illegal-replies",
        STAFF_ONLY,
        "illegal",
        _command({"summary": "The exporter will ship the lot back."}),
    ),
    Row(
        "POST",
        "/v1/cases/{case_id}/illegal-disposal",
        STAFF_ONLY,
        "illegal",
        lambda f: {
            "method": "destruction",
            "disposed_on": f.illegal_found_on().isoformat(),
            "evidence": "Certificate of destruction no. 7",
        },
    ),
    Row(
        "POST",
        "/v1/cases/{case_id}/illegal-closure",
        STAFF_ONLY,
        "illegal",
        _command({"reasons": "Destroyed; nothing further."}),
    ),
    # CP Art 17: staff record a release, consult the affected States, record measures, close
    Row("POST", "/v1/emergencies", STAFF_OPENS, body=lambda f: f.emergency()),
    Row(
        "POST",
        "/v1/cases/{case_id}/emergency-consultations",
        STAFF_ONLY,
        "emergency",
        _command({"party": "AT", "kind": "consulted", "summary": "Called the contact point."}),
    ),
    Row(
        "POST",
        "/v1/cases/{case_id}/emergency-measures",
        STAFF_ONLY,
        "emergency",
        _command({"taken_by": "the authority", "description": "Spill site fenced off."}),
    ),
    Row(
        "POST",
        "/v1/cases/{case_id}/emergency-closure",
        STAFF_ONLY,
        "emergency",
        _command({"reasons": "The spill was cleaned up."}),
    ),
    # CP Art 13: the register of specifications in force is public; staff specify, amend, withdraw
    Row("GET", "/v1/simplified/register", PUBLIC),
    Row("POST", "/v1/simplified/specifications", STAFF_OPENS, body=lambda f: f.specification()),
    Row(
        "POST",
        "/v1/cases/{case_id}/simplified-amendment",
        STAFF_ONLY,
        "simplified",
        _command({"uses": ["field_trial"], "reasons": "role matrix"}),
    ),
    Row(
        "POST",
        "/v1/cases/{case_id}/simplified-withdrawal",
        STAFF_ONLY,
        "simplified",
        _command({"reasons": "role matrix"}),
    ),
    # CP Art 21: the claims of the owner's notification (opened with it); the notifier justifies,
    # gives its views and asks for a review, staff do the rest
    Row("POST", "/v1/confidentiality/cases", STAFF_OPENS, body=lambda f: f.claims()),
    Row(
        "POST",
        "/v1/cases/{case_id}/justification-requests",
        STAFF_ONLY,
        "confidentiality",
        _command({"items": ["j"]}),
    ),
    Row(
        "POST",
        "/v1/cases/{case_id}/justifications",
        OWN_CASE,
        "confidentiality",
        _command({"item": "j", "justification": "commercial planning"}),
    ),
    Row(
        "POST",
        "/v1/cases/{case_id}/confidentiality-consultations",
        STAFF_ONLY,
        "confidentiality",
        _command({"item": "j", "grounds": "quantities are in the public permit"}),
    ),
    Row(
        "POST",
        "/v1/cases/{case_id}/confidentiality-views",
        OWN_CASE,
        "confidentiality",
        _command({"item": "j", "views": "they are not"}),
    ),
    Row(
        "POST",
        "/v1/cases/{case_id}/confidentiality-decisions",
        STAFF_ONLY,
        "confidentiality",
        _command({"item": "j", "outcome": "not_confidential", "reasons": "public permit"}),
    ),
    Row(
        "POST",
        "/v1/cases/{case_id}/confidentiality-reviews",
        OWN_CASE,
        "confidentiality",
        _command({"item": "j", "grounds": "the permit names another lot"}),
    ),
    Row(
        "POST",
        "/v1/cases/{case_id}/confidentiality-review-decisions",
        STAFF_ONLY,
        "confidentiality",
        _command({"item": "j", "outcome": "rejection_upheld", "reasons": "same lot"}),
    ),
    Row(
        "POST",
        "/v1/cases/{case_id}/disclosures",
        STAFF_ONLY,
        "confidentiality",
        _command({"item": "j"}),
    ),
    Row(
        "POST",
        "/v1/cases/{case_id}/notification-withdrawn",
        STAFF_ONLY,
        "confidentiality",
        _command({}),
    ),
)


def operations(openapi: Mapping[str, Any]) -> set[str]:
    """Every operation of an OpenAPI document, as ``"METHOD /path"``."""
    return {
        f"{method.upper()} {path}"
        for path, item in openapi.get("paths", {}).items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }


def rows_for(openapi: Mapping[str, Any]) -> tuple[Row, ...]:
    """The rows of the operations the API has (a row for an operation it no longer has, or not
    yet, is left out; :func:`operations` minus the rows' operations is what the matrix lacks)."""
    present = operations(openapi)
    return tuple(row for row in ROWS if row.operation in present)
