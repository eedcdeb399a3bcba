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

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

import httpx

from api.procedures import example_notification


class Caller(StrEnum):
    ANONYMOUS = "no token"
    WRONG_TOKEN = "unknown token"
    OTHER = "another notifier"
    OWNER = "notifier (own case)"
    STAFF = "staff"


# Refused callers first: a command that is allowed changes the case for those that follow.
CALLER_ORDER = (Caller.ANONYMOUS, Caller.WRONG_TOKEN, Caller.OTHER, Caller.OWNER, Caller.STAFF)


class Outcome(StrEnum):
    ALLOWED = "allowed"
    UNAUTHENTICATED = "401"
    FORBIDDEN = "403"
    HIDDEN = "404"


A, U, F, H = Outcome.ALLOWED, Outcome.UNAUTHENTICATED, Outcome.FORBIDDEN, Outcome.HIDDEN

# Problem types that mean "authorised, but the procedure says no" (api/errors.py).
_PROCEDURE_ANSWERS = ("/command-refused", "/invalid-command", "/reference-conflict")


def classify(response: httpx.Response) -> Outcome | None:
    """What a response says about authorisation; None for anything the matrix never expects
    (a 500, a 503, a 404 that is not the case-not-found problem)."""
    status = response.status_code
    if 200 <= status < 300:
        return Outcome.ALLOWED
    kind = _problem_type(response)
    if status in (409, 422) and kind.endswith(_PROCEDURE_ANSWERS):
        return Outcome.ALLOWED
    if status == 401 and kind.endswith("/unauthorized"):
        return Outcome.UNAUTHENTICATED
    if status == 403 and kind.endswith("/forbidden"):
        return Outcome.FORBIDDEN
    if status == 404 and kind.endswith("/case-not-found"):
        return Outcome.HIDDEN
    return None


def _problem_type(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("type", "")) if isinstance(body, dict) else ""


# ---- the matrix ---------------------------------------------------------------------------------

# What a row's path and body need (see Fixture.shared): "none", "case", "register", "decided",
# "fresh:<stage>" (an AIA case of its own at that stage), "consulting" (an AIA case under
# public consultation), "document" (a dossier document of the register's case), "review",
# "ffp", "treaty",
# "simplified", "emergency", "illegal", "response".
Needs = str


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

RISK_ASSESSMENT = {
    "carried_out_by": "authority",
    "summary": "No adverse effects expected: no wild relatives of maize occur in Hungary.",
    "overall_risk": "low",
    "recommendation": "Acceptable with a 200 m isolation distance.",
}
DECISION = {"result": "prohibition", "reasons": "Gene flow cannot be excluded."}
# CP Art 23(2): a public consultation, open for a month from about today.
CONSULTATION = {
    "ends_on": (date.today() + timedelta(days=30)).isoformat(),
    "subject": "Confined field trial of maize MON 810",
}
COMMENT = {"name": "Nagy Éva", "comment": "Keep the trial away from organic fields."}


# A dossier document (multipart): the same content each time, so the dossier holds it once.
def DOCUMENT_UPLOAD(_: Fixture) -> dict[str, Any]:  # noqa: N802
    pdf = b"%PDF-1.7\n% role matrix\n%%EOF\n"
    return {"files": {"file": ("matrix.pdf", pdf, "application/pdf")}, "data": {"kind": "other"}}


# SP Arts 2-8: a valid body for each command of a response-measure case.
RESPONSE_COMMANDS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("response-link", {"case_id": "aia-hu-role-matrix"}),
    (
        "damage-evaluation",
        {
            "measurable": "Counted against the baseline survey",
            "significance": {"finding": "not_significant", "reasons": "Recovers in a season"},
            "causal_link": {"established": True, "reasons": "PCR"},
        },
    ),
    (
        "response-measures",
        {
            "operators": [{"name": "SeedCo", "address": "Győr", "email": "ops@seedco.example"}],
            "prevention": [{"kind": "contain", "description": "Fence", "within_days": 20}],
            "reasons": "Spread into a meadow.",
            "remedies": "Administrative review within 15 days.",
        },
    ),
    ("response-follow-up", {"findings": "Fence up"}),
    ("response-completion", {"measure": 1, "findings": "Fenced"}),
    ("authority-measures", {"measures": [1], "reasons": "No fence"}),
    ("response-review", {"kind": "administrative", "body": "Ministry", "grounds": "Costly"}),
    ("response-review-outcome", {"outcome": "upheld", "reasons": "Lawful"}),
    ("response-costs", {"items": [{"kind": "measures", "description": "Fence", "amount": 10}]}),
    ("cost-recovery", {}),
    ("response-payment", {"amount": 10}),
    (
        "response-exemption",
        {"ground": "force_majeure", "reasons": "Flood", "result": {"effect": "close"}},
    ),
)
# CP Art 11: the authority's domestic decision on an LMO for food, feed or processing.
ANNEX_II: dict[str, Any] = {
    "a_applicant": {"name": "Grain Traders Kft.", "address": "Váci út 1, Budapest"},
    "b_authority": {"name": "Géntechnológiai Hatóság", "address": "Budapest", "contact": "gmo@x"},
    "c_lmo_name": "Maize MON 810",
    "d_modification": "cry1Ab gene from Bacillus thuringiensis, particle bombardment",
    "e_unique_identifier": "MON-ØØ81Ø-6",
    "f_recipient_organism": "Zea mays L., maize",
    "g_centres_of_origin_and_habitats": "Mesoamerica; does not persist outside cultivation",
    "h_donor_organisms": "Bacillus thuringiensis subsp. kurstaki",
    "i_approved_uses": "food and feed, processing",
    "j_risk_assessment_report": "EFSA opinion 2009; national assessment 2027",
    "k_handling_methods": "segregated transport; labelled 'genetically modified'",
}
# CP Art 37: a Party's instrument (the case id is treaty-cp-<party>).
DEPOSIT = {
    "treaty": "cp",
    "party": "LU",
    "instrument": "ratification",
    "deposited_on": "2002-08-22",
}


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


# ---- running it ---------------------------------------------------------------------------------


Eventually = Callable[[Callable[[], Awaitable[bool]]], Awaitable[bool]]


@dataclass
class Fixture:
    """Prepares what the rows need, as the owner (submitting) and staff (commands)."""

    owner: httpx.AsyncClient
    staff: httpx.AsyncClient
    owner_email: str
    eventually: Eventually
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    _count: int = 0
    _shared: dict[str, str] = field(default_factory=dict)

    def reference(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}-{self.tag}-{self._count}"

    def notification(self) -> dict[str, Any]:
        body = dict(example_notification())
        body["notifier"] = dict(body["notifier"], email=self.owner_email)
        body["notifier_reference"] = self.reference("RM")
        return body

    def review_request(self) -> dict[str, Any]:
        return {
            "origin": "request",
            "reference": self.reference("RMREV"),
            "requested_by": "notifier",
            "requester": {"name": "Acme Seeds", "address": "Wageningen", "email": self.owner_email},
            "party_of_export": "NL",
            "grounds": "change_in_circumstances",
            "statement": "Teosinte was found near the trial site.",
            "decision": {"lmo_name": "Maize MON 810", "lmo_id": "MON-ØØ81Ø-6"},
        }

    def specification(self) -> dict[str, Any]:
        return {
            "kind": "exempt_from_aia",
            "reference": self.reference("RMSP"),
            "title": "Exemption of maize MON 810 field trials",
            "lmos": {"MON-ØØ81Ø-6": "Maize MON 810"},
            "uses": ["field_trial"],
            "adequate_measures": "Isolation distance of 200 m; monitoring by the authority.",
            "legal_basis": "Government Decree 1/2027",
        }

    def emergency(self) -> dict[str, Any]:
        from tests.workflows.test_emergency import OCCURRENCE

        return {"reference": self.reference("RMEM")} | OCCURRENCE

    def illegal_found_on(self) -> date:
        return date.today() - timedelta(days=2)  # in the past in every time zone

    def illegal_movement(self) -> dict[str, Any]:
        return {
            "reference": self.reference("RMILL"),
            "lmo_name": "Maize MON 810",
            "party_of_origin": {"party": "US", "authority_name": "APHIS", "email": "a@us.example"},
            "found_on": self.illegal_found_on().isoformat(),
            "how_found": "border_inspection",
            "circumstances": "Declared as conventional maize.",
            "quantity": {"amount": 20, "unit": "kg"},
            "held_at": "customs warehouse",
            "measures_taken": ["Consignment seized"],
        }

    def claims(self) -> dict[str, Any]:
        return {
            "notification_case_id": f"aia-hu-{self.reference('rmconf').lower()}",
            "notifier": {"name": "Acme Seeds", "address": "Wageningen", "email": self.owner_email},
            "claims": [{"item": "k"}],
        }

    def response_report(self) -> dict[str, Any]:
        return {
            "reported_by": "authority",
            "reference": self.reference("RMRESP"),
            "basis": "likelihood",
            "description": "GM oilseed rape volunteers outside the field",
            "location": "Szigetköz",
            "within_national_jurisdiction": True,
            "lmo": {"name": "Oilseed rape GT73", "category": "food_feed_processing"},
            "movement": {"kind": "intentional", "started_on": "2020-06-01"},
        }

    def ffp_decision(self) -> dict[str, Any]:
        return {
            "kind": "domestic_decision",
            "reference": self.reference("RMFFP"),
            "uses": ["food", "feed", "processing"],
            "result": "approval",
            "annex_ii": ANNEX_II,
        }

    async def _ok(self, response: httpx.Response) -> dict[str, Any]:
        if response.status_code >= 300:
            raise AssertionError(
                f"preparing the role matrix: {response.request.method} {response.request.url} "
                f"answered {response.status_code}: {response.text}"
            )
        result: dict[str, Any] = response.json()
        return result

    async def case_at(self, stage: str) -> str:
        """A case of the owner's, brought by staff to ``stage``."""
        case = await self._ok(
            await self.owner.post("/v1/aia/notifications", json=self.notification())
        )
        case_id: str = case["case_id"]
        base = f"/v1/cases/{case_id}"
        plans: dict[str, list[tuple[str, dict[str, Any]]]] = {
            "received": [],
            "acknowledged": [("acknowledgement", {})],
            "awaiting_information": [
                ("acknowledgement", {}),
                ("information-requests", {"items": ["field data"]}),
            ],
            "assessed": [("acknowledgement", {}), ("risk-assessment", RISK_ASSESSMENT)],
            "consulting": [("acknowledgement", {}), ("consultation", CONSULTATION)],
            "decided": [
                ("acknowledgement", {}),
                ("risk-assessment", RISK_ASSESSMENT),
                ("decision", DECISION),
            ],
        }
        for path, body in plans[stage]:
            await self._ok(await self.staff.post(f"{base}/{path}", json=body))
        return case_id

    async def shared(self, needs: Needs) -> dict[str, str]:
        """The path parameters a row needs (read-only rows share one case)."""
        if needs == "none":
            return {}
        if needs.startswith("fresh:"):
            return {"case_id": await self.case_at(needs.removeprefix("fresh:"))}
        if needs == "consulting" and needs not in self._shared:
            case_id = self._shared[needs] = await self.case_at("consulting")

            async def listed() -> bool:  # the public reads it once the register has it
                found = await self.staff.get(f"/v1/consultations/{case_id}")
                return found.status_code == 200

            await self.eventually(listed)
        if needs == "consulting":
            return {"case_id": self._shared[needs]}
        if needs == "review":
            review = await self._ok(
                await self.owner.post("/v1/reviews", json=self.review_request())
            )
            return {"case_id": review["case_id"]}
        if needs == "simplified" and needs not in self._shared:
            opened = await self._ok(
                await self.staff.post("/v1/simplified/specifications", json=self.specification())
            )
            self._shared[needs] = opened["case_id"]
        if needs == "simplified":
            return {"case_id": self._shared[needs]}
        if needs == "confidentiality" and needs not in self._shared:
            # The owner's notification carries a claim (api/examples): its case opens with it.
            notified = await self._ok(
                await self.owner.post("/v1/aia/notifications", json=self.notification())
            )
            self._shared[needs] = f"conf-{notified['case_id']}"
        if needs == "confidentiality":
            return {"case_id": self._shared[needs]}
        if needs == "emergency" and needs not in self._shared:
            opened = await self._ok(await self.staff.post("/v1/emergencies", json=self.emergency()))
            self._shared[needs] = opened["case_id"]
        if needs == "emergency":
            return {"case_id": self._shared[needs]}
        if needs == "illegal" and needs not in self._shared:
            opened = await self._ok(
                await self.staff.post("/v1/illegal-movements", json=self.illegal_movement())
            )
            self._shared[needs] = opened["case_id"]
        if needs == "illegal":
            return {"case_id": self._shared[needs]}
        if needs == "response" and needs not in self._shared:
            opened = await self._ok(
                await self.staff.post("/v1/response-measures/cases", json=self.response_report())
            )
            self._shared[needs] = opened["case_id"]
        if needs == "response":
            return {"case_id": self._shared[needs]}
        if needs in ("ffp", "treaty"):
            if needs not in self._shared:
                path, body = (
                    ("/v1/ffp/cases", self.ffp_decision())
                    if needs == "ffp"
                    else ("/v1/treaty-status/deposits", dict(DEPOSIT))
                )
                opened = await self._ok(await self.staff.post(path, json=body))
                self._shared[needs] = opened["case_id"]
            return {"case_id": self._shared[needs]}
        if needs not in self._shared:
            if needs == "decided":
                self._shared[needs] = await self.case_at("decided")
            else:  # "case" and "register": one case, once it is in the register
                case_id = await self.case_at("received")

                async def registered() -> bool:
                    r = await self.staff.get(f"/v1/register/{case_id}")
                    return r.status_code == 200

                if not await self.eventually(registered):
                    raise AssertionError(f"case {case_id} never reached the register")
                self._shared["case"] = self._shared["register"] = case_id
        if needs == "document":
            case = await self.shared("register")
            if "document" not in self._shared:
                uploaded = await self._ok(
                    await self.owner.post(
                        f"/v1/cases/{case['case_id']}/documents", **DOCUMENT_UPLOAD(self)
                    )
                )
                self._shared["document"] = uploaded["document_id"]
            return case | {"document_id": self._shared["document"]}
        case_id = self._shared[needs]
        params = {"case_id": case_id}
        if needs == "decided":
            params["publication_id"] = f"bch-{case_id}-decision"
        return params


@dataclass(frozen=True)
class Cell:
    row: Row
    caller: Caller
    status: int
    observed: Outcome | None
    detail: str

    @property
    def expected(self) -> Outcome:
        return self.row.expected[self.caller]

    @property
    def ok(self) -> bool:
        return self.observed == self.expected


def rows_for(openapi: Mapping[str, Any]) -> tuple[Row, ...]:
    """The rows of the operations the API has (a row for an operation it no longer has, or not
    yet, is left out; :func:`operations` minus the rows' operations is what the matrix lacks)."""
    present = operations(openapi)
    return tuple(row for row in ROWS if row.operation in present)


async def run_matrix(
    clients: Mapping[Caller, httpx.AsyncClient], fixture: Fixture, rows: tuple[Row, ...] = ROWS
) -> list[Cell]:
    """Every row for every caller, in order; one :class:`Cell` per request."""
    cells = []
    for row in rows:
        params = await fixture.shared(row.needs)
        path = row.path.format(**params)
        body = row.body(fixture) if row.body is not None else None
        for caller in CALLER_ORDER:
            client = clients[caller]
            if row.method == "GET":
                response = await client.get(path)
            elif row.multipart:
                response = await client.request(row.method, path, **(body or {}))
            else:
                response = await client.request(row.method, path, json=body)
            cells.append(
                Cell(row, caller, response.status_code, classify(response), response.text[:300])
            )
    return cells


def table(cells: list[Cell]) -> str:
    """The matrix as Markdown: one row per operation, the status each caller got (✗ marks a
    cell that differs from the expected outcome)."""
    header = "| operation | " + " | ".join(CALLER_ORDER) + " |"
    lines = [header, "|---" * (len(CALLER_ORDER) + 1) + "|"]
    by_row: dict[str, dict[Caller, Cell]] = {}
    for cell in cells:
        by_row.setdefault(cell.row.operation, {})[cell.caller] = cell
    for operation, row in by_row.items():
        shown = [
            f"{row[c].status}" + ("" if row[c].ok else f" ✗ (expected {row[c].expected})")
            for c in CALLER_ORDER
        ]
        lines.append(f"| `{operation}` | " + " | ".join(shown) + " |")
    return "\n".join(lines)
