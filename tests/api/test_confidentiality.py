"""Confidential information (CP Art 21) over HTTP: a notification carrying claims opens its
confidentiality case; the commands by their paths and roles, refusals as problems (409 for the
stage, 422 for the command); 21(6) refused wherever a claim is made; 21(5) on withdrawal; and,
end to end, nothing claimed confidential reaches the BCH, a letter to anyone but the notifier,
or a public answer."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from api.app import create_app
from api.errors import InvalidNotification
from api.procedures import aia as aia_procedure
from infra.settings import Settings
from tests.api.conftest import Callers, assert_problem, case_id_of, eventually, notification_body
from tests.support.role_bodies import DECISION, RISK_ASSESSMENT
from tests.support.temporal import Stack
from workflows.aia.models import Notification
from workflows.confidentiality.models import ClaimsOpening


def claimed_notification(email: str, marker: str) -> dict[str, Any]:
    """The README's notification, with secrets in the items claimed confidential: (h), (j)."""
    body = notification_body()
    body["notifier"] = dict(body["notifier"], email=email)
    body["annex_i"] = dict(
        body["annex_i"],
        h_modification=f"{marker}-H construct with the proprietary promoter",
        j_quantity=f"{marker}-J 25 kg",
    )
    body["confidential"] = [
        {"item": "h", "justification": f"{marker}-WHY trade secret"},
        {"item": "j"},
    ]
    return body


async def submit(callers: Callers, marker: str, body: dict[str, Any] | None = None) -> str:
    body = body or claimed_notification(callers.alice_email, marker)
    r = await callers.alice.post("/v1/aia/notifications", json=body)
    assert r.status_code == 201, r.text
    return case_id_of(body)


async def post(client: Any, cid: str, path: str, body: dict[str, Any]) -> Any:
    return await client.post(f"/v1/cases/{cid}/{path}", json=body)


async def test_claims_of_a_notification_through_consultation_and_review(
    callers: Callers, stack: Stack
) -> None:
    marker = f"S{uuid.uuid4().hex[:10]}"
    body = claimed_notification(callers.alice_email, marker)
    aia = await submit(callers, marker, body)
    cid = f"conf-{aia}"
    r = await callers.staff.get(f"/v1/cases/{cid}")
    assert r.status_code == 200, r.text
    case = r.json()
    assert case["procedure"] == "confidentiality" and case["stage"] == "claims_recorded"
    assert case["details"]["notification_case_id"] == aia
    assert case["confidential_items"] == ["h", "j"]
    assert (await callers.alice.get(f"/v1/cases/{cid}")).status_code == 200  # its own
    assert_problem(await callers.bob.get(f"/v1/cases/{cid}"), 404)
    # Resubmitting the notification finds both cases as they are.
    assert (await callers.alice.post("/v1/aia/notifications", json=body)).status_code == 200

    assert_problem(await post(callers.alice, cid, "justification-requests", {"items": ["h"]}), 403)
    r = await post(callers.staff, cid, "justification-requests", {"items": ["h"]})
    assert r.status_code == 200, r.text
    assert r.json()["next_deadline"]["key"] == "justification-h"
    problem = assert_problem(
        await post(callers.staff, cid, "justification-requests", {"items": ["k"]}), 409
    )
    assert "no claim on Annex I item (k)" in problem["detail"]
    problem = assert_problem(
        await post(callers.staff, cid, "justification-requests", {"items": ["h", "h"]}), 422
    )
    assert "name each item once" in json.dumps(problem)
    assert_problem(await post(callers.staff, cid, "justification-requests", {"items": ["H"]}), 422)
    assert_problem(
        await post(callers.bob, cid, "justifications", {"item": "h", "justification": "x"}), 404
    )
    r = await post(
        callers.alice, cid, "justifications", {"item": "h", "justification": f"{marker}-WHY"}
    )
    assert r.status_code == 200, r.text

    rejection = {"item": "h", "outcome": "not_confidential", "reasons": "Published in a patent."}
    problem = assert_problem(
        await post(callers.staff, cid, "confidentiality-decisions", rejection), 409
    )
    assert "must be consulted before" in problem["detail"] and "Art 21(2)" in problem["detail"]
    r = await post(
        callers.staff, cid, "confidentiality-consultations", {"item": "h", "grounds": "Patent."}
    )
    assert r.status_code == 200, r.text
    r = await post(callers.alice, cid, "confidentiality-views", {"item": "h", "views": "No."})
    assert r.status_code == 200, r.text
    r = await post(callers.staff, cid, "confidentiality-decisions", rejection)
    assert r.status_code == 200 and r.json()["stage"] == "rejection_notified", r.text
    problem = assert_problem(await post(callers.staff, cid, "disclosures", {"item": "h"}), 409)
    assert "nothing is disclosed before (Art 21(2))" in problem["detail"]
    r = await post(callers.alice, cid, "confidentiality-reviews", {"item": "h", "grounds": "No."})
    assert r.status_code == 200 and r.json()["stage"] == "internal_review", r.text
    problem = assert_problem(await post(callers.staff, cid, "disclosures", {"item": "h"}), 409)
    assert "still to be decided" in problem["detail"]
    r = await post(
        callers.staff,
        cid,
        "confidentiality-review-decisions",
        {"item": "h", "outcome": "claim_accepted", "reasons": "The patent differs."},
    )
    assert r.status_code == 200, r.text
    case = (await callers.staff.get(f"/v1/cases/{cid}")).json()
    assert [c["stage_now"] for c in case["details"]["claims"]] == [
        "kept_confidential",
        "claims_recorded",
    ]
    labels = {d["key"]: d for d in case["deadlines"]}
    assert labels["review-decision-h"]["label_hu"].startswith("Döntés a belső felülvizsgálatról")
    assert labels["review-decision-h"]["explanation_hu"]

    # The AIA case goes on to its decision and the BCH; the claims never leave.
    for path, body in (
        ("acknowledgement", {}),
        ("risk-assessment", RISK_ASSESSMENT),
        ("decision", DECISION),
    ):
        assert (await post(callers.staff, aia, path, body)).status_code == 200
    drafts = await eventually(
        lambda: _async([d for d in stack.bch.decision_drafts().values() if aia in json.dumps(d)]),
        timeout=20,
    )
    assert drafts, "the decision never reached the BCH stand-in"
    await _nothing_confidential_leaves(callers, stack, marker, aia, cid)


async def test_a_withdrawn_notifications_claims_stay_confidential(
    callers: Callers, stack: Stack
) -> None:
    """21(5): the notifier withdraws while a rejection waits for the review window to end:
    the API tells the confidentiality case, which keeps every claim and ends."""
    marker = f"W{uuid.uuid4().hex[:10]}"
    aia = await submit(callers, marker)
    cid = f"conf-{aia}"
    await post(callers.staff, cid, "confidentiality-consultations", {"item": "j", "grounds": "x"})
    await post(callers.alice, cid, "confidentiality-views", {"item": "j", "views": "No."})
    r = await post(
        callers.staff,
        cid,
        "confidentiality-decisions",
        {"item": "j", "outcome": "not_confidential", "reasons": "Quantities are public."},
    )
    assert r.status_code == 200, r.text
    r = await post(callers.alice, aia, "withdrawal", {"reason": "Trial cancelled."})
    assert r.status_code == 200, r.text

    async def protected() -> Any:
        case = (await callers.staff.get(f"/v1/cases/{cid}")).json()
        return case if case["closed"] else None

    case = await eventually(protected)
    assert case and case["stage"] == "protected_after_withdrawal"
    assert {c["stage_now"] for c in case["details"]["claims"]} == {"protected_after_withdrawal"}
    assert any(s["kind"] == "notification_withdrawn" for s in case["history"])
    problem = assert_problem(await post(callers.staff, cid, "disclosures", {"item": "j"}), 409)
    # Refused by the case while it delivers its last letter, or as a closed case after.
    assert "kept confidential (Art 21(5))" in problem["detail"] or "closed" in problem["detail"]
    await _nothing_confidential_leaves(callers, stack, marker, aia, cid)


async def test_a_disclosed_item_and_its_documents_become_public(
    callers: Callers, stack: Stack
) -> None:
    """Art 21(2): once the confidentiality case records the disclosure of item (h), the AIA
    case's public register shows (h), and the confidential documents tied to (h) are public;
    (j), still claimed, stays withheld with its documents."""
    marker = f"D{uuid.uuid4().hex[:10]}"
    aia = await submit(callers, marker)
    cid = f"conf-{aia}"
    documents = {}
    for item in ("h", "j"):
        content = f"{marker}-{item} construct details\n".encode()
        r = await callers.alice.post(
            f"/v1/cases/{aia}/documents",
            files={"file": (f"annex-{item}.txt", content, "text/plain")},
            data={"kind": "notification", "confidential": "true", "annex_i_item": item},
        )
        assert r.status_code == 201, r.text
        assert r.json()["confidential"] and r.json()["annex_i_item"] == item
        documents[item] = r.json()["document_id"]

    async def registered() -> Any:
        r = await callers.anonymous.get(f"/v1/register/{aia}")
        return r.json() if r.status_code == 200 else None

    before = await eventually(registered, timeout=20)
    assert before and [w["item"] for w in before["withheld_items"]] == ["h", "j"]
    assert (await callers.anonymous.get(f"/v1/register/{aia}/documents")).json() == []

    h = {"item": "h"}
    for caller, path, body in (
        (callers.staff, "confidentiality-consultations", h | {"grounds": "In a patent."}),
        (callers.alice, "confidentiality-views", h | {"views": "Not the same construct."}),
        (callers.staff, "confidentiality-decisions",
         h | {"outcome": "not_confidential", "reasons": "Published in a patent."}),
        (callers.alice, "confidentiality-reviews", h | {"grounds": "Not the same construct."}),
        (callers.staff, "confidentiality-review-decisions",
         h | {"outcome": "rejection_upheld", "reasons": "The patent describes it."}),
        (callers.staff, "disclosures", h),
    ):  # fmt: skip
        r = await post(caller, cid, path, body)
        assert r.status_code == 200, (path, r.text)
    claims = (await callers.staff.get(f"/v1/cases/{cid}")).json()["details"]["claims"]
    assert [c["stage_now"] for c in claims] == ["disclosed", "claims_recorded"]

    async def disclosed() -> Any:  # the register rows are written asynchronously
        r = await callers.anonymous.get(f"/v1/register/{aia}")
        return r.json() if r.status_code == 200 and r.json()["annex_i"]["h_modification"] else None

    public = await eventually(disclosed, timeout=20)
    assert public, "the disclosed item never reached the public register"
    assert (
        public["annex_i"]["h_modification"] == f"{marker}-H construct with the proprietary promoter"
    )
    assert public["annex_i"]["j_quantity"] is None
    assert [w["item"] for w in public["withheld_items"]] == ["j"]
    assert f"{marker}-WHY" not in json.dumps(public)  # the justification never is public

    listed = (await callers.anonymous.get(f"/v1/register/{aia}/documents")).json()
    assert [d["document_id"] for d in listed] == [documents["h"]]
    r = await callers.anonymous.get(f"/v1/register/{aia}/documents/{documents['h']}")
    assert r.status_code == 200 and r.content == f"{marker}-h construct details\n".encode()
    assert_problem(
        await callers.anonymous.get(f"/v1/register/{aia}/documents/{documents['j']}"), 404
    )
    staff_docs = (await callers.staff.get(f"/v1/cases/{aia}/documents")).json()
    assert {d["annex_i_item"]: d["confidential"] for d in staff_docs} == {"h": False, "j": True}
    page = await callers.anonymous.get(f"/public/en/cases/{aia}")
    assert f"{marker}-H construct" in page.text and f"{marker}-J" not in page.text


@pytest.mark.parametrize(
    ("item", "paragraph"),
    [
        ("notifier", "Art 21(6)(a)"),
        ("c", "Art 21(6)(b)"),
        ("risk_assessment_summary", "Art 21(6)(c)"),
        ("emergency_response", "Art 21(6)(d)"),
    ],
)
async def test_items_of_21_6_are_refused_wherever_a_claim_is_made(
    callers: Callers, item: str, paragraph: str
) -> None:
    body = {
        "notification_case_id": f"aia-hu-{uuid.uuid4().hex[:8]}",
        "notifier": {"name": "Example Seeds", "address": "1 Main St", "email": "r@seeds.example"},
        "claims": [{"item": item}],
    }
    problem = assert_problem(await callers.staff.post("/v1/confidentiality/cases", json=body), 422)
    assert paragraph in json.dumps(problem)
    if item == "c":  # in the notification itself (Annex I has no item of the others)
        notification = notification_body(confidential=[{"item": "c"}])
        problem = assert_problem(
            await callers.staff.post("/v1/aia/notifications", json=notification), 422
        )
        assert paragraph in json.dumps(problem)


async def test_staff_open_a_case_for_claims_made_otherwise(callers: Callers) -> None:
    body = {
        "notification_case_id": f"aia-hu-{uuid.uuid4().hex[:8]}",
        "notifier": {"name": "Example Seeds", "address": "1 Main St", "email": "r@seeds.example"},
        "claims": [{"item": "k"}],
    }
    r = await callers.staff.post("/v1/confidentiality/cases", json=body)
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == f"/v1/cases/conf-{body['notification_case_id']}"
    assert (await callers.staff.post("/v1/confidentiality/cases", json=body)).status_code == 200
    other = body | {"claims": [{"item": "l"}]}
    assert_problem(await callers.staff.post("/v1/confidentiality/cases", json=other), 409)
    assert_problem(await callers.alice.post("/v1/confidentiality/cases", json=body), 403)


async def _nothing_confidential_leaves(
    callers: Callers, stack: Stack, marker: str, *case_ids: str
) -> None:
    """Art 21(3): the secrets are in no BCH record, no message to anyone but the notifier, and
    no public answer (the register rows are written asynchronously: wait for them)."""
    assert marker not in json.dumps(stack.bch.state())
    for message in stack.smtp.messages:
        if message["To"] != callers.alice_email:
            assert marker not in message.as_string(), message["Subject"]

    async def registered() -> bool:
        for cid in case_ids:
            if (await callers.anonymous.get(f"/v1/register/{cid}")).status_code != 200:
                return False
        return True

    assert await eventually(registered, timeout=20)
    for cid in case_ids:
        r = await callers.anonymous.get(f"/v1/register/{cid}")
        assert marker not in r.text
        assert_problem(await callers.anonymous.get(f"/v1/cases/{cid}"), 401)
    public = await callers.anonymous.get("/v1/register", params={"limit": 200})
    assert public.status_code == 200 and marker not in public.text
    aia = (await callers.anonymous.get(f"/v1/register/{case_ids[0]}")).json()
    assert {w["item"] for w in aia["withheld_items"]} >= {"h", "j"}


@pytest.mark.parametrize(("justification", "lmo_name"), [(" ", "maize"), ("secret", "")])
async def test_a_blank_justification_or_name_is_none_and_the_claims_case_opens(
    callers: Callers, justification: str, lmo_name: str
) -> None:
    """A claim's justification is given on request (Art 21(1)): a blank one is none, and a blank
    LMO name is none, so the claims case opens as the notification does (each once answered a
    500 after the AIA case had started, its claims never recorded)."""
    body = notification_body(confidential=[{"item": "h", "justification": justification}])
    body["notifier"] = dict(body["notifier"], email=callers.alice_email)
    body["annex_i"] = dict(body["annex_i"], c_lmo_name=lmo_name)
    aia = await submit(callers, "", body)
    claims = (await callers.staff.get(f"/v1/cases/conf-{aia}")).json()
    assert claims["confidential_items"] == ["h"]
    assert [c["justification"] for c in claims["details"]["claims"]] == [
        justification.strip() or None
    ]


@pytest.mark.parametrize(
    ("field", "place"),
    [
        (
            "confidential[0].justification",
            lambda b, t: b["confidential"][0].update(justification=t),
        ),
        ("annex_i.c_lmo_name", lambda b, t: b["annex_i"].update(c_lmo_name=t)),
    ],
)
async def test_free_text_over_its_bound_is_refused_before_any_case_starts(
    callers: Callers, field: str, place: Any
) -> None:
    body = notification_body(confidential=[{"item": "h"}])
    body["annex_i"] = dict(body["annex_i"])
    place(body, "x" * 20_001)
    problem = assert_problem(await callers.staff.post("/v1/aia/notifications", json=body), 422)
    assert problem["rule"] == "text-length" and problem["field"] == f"notification.{field}"
    assert f"{field} is 20,001 characters long; free text is at most 20,000" in problem["detail"]
    aia = case_id_of(body)
    assert_problem(await callers.staff.get(f"/v1/cases/{aia}"), 404)  # nothing started
    assert_problem(await callers.staff.get(f"/v1/cases/conf-{aia}"), 404)
    place(body, "x" * 20_000)  # at the bound: accepted, with its claims case
    assert (await callers.staff.post("/v1/aia/notifications", json=body)).status_code == 201
    assert (await callers.staff.get(f"/v1/cases/conf-{aia}")).status_code == 200


def test_claims_a_confidentiality_case_would_refuse_are_refused_with_the_notification() -> None:
    """Whatever else the claims case's model refuses is a 422 before the AIA case starts, not a
    500 after it: here an identifier that bypassed the notification's own check."""
    n = Notification.model_validate(notification_body(confidential=[{"item": "h"}]))
    n.annex_i = n.annex_i.model_copy(update={"c_lmo_unique_identifier": "maize"})
    with pytest.raises(InvalidNotification) as refused:
        aia_procedure._claims_can_open("aia-hu-x-1", date(2027, 1, 4), n)
    assert refused.value.rule == "claims-recordable" and refused.value.article == "Art 21(1)"
    assert "lmo_id" in refused.value.detail


async def _async(value: Any) -> Any:
    return value


def _opening(**changes: Any) -> dict[str, Any]:
    body = {
        "notification_case_id": "aia-hu-exs-2027-014",
        "notifier": {"name": "Example Seeds", "address": "1 Main St", "email": "r@seeds.example"},
        "lmo_id": "MON-ØØ81Ø-6",
        "claims": [{"item": "h", "justification": "trade secret"}, {"item": "j"}],
    }
    return body | changes


@pytest.mark.parametrize(
    ("body", "valid"),
    [
        (_opening(), True),
        (_opening(claims=[{"item": "c"}]), False),  # Art 21(6)(b)
        (_opening(claims=[{"item": "notifier"}]), False),  # Art 21(6)(a)
        (_opening(claims=[{"item": "h"}, {"item": "h"}]), False),
        (_opening(claims=[]), False),
        (_opening(claims=[{"item": "H"}]), False),
        (_opening(notification_case_id="ffp-hu-1"), False),
        (_opening(lmo_id="maize"), False),
    ],
)
def test_the_document_and_the_model_agree_on_claims(body: dict[str, Any], valid: bool) -> None:
    document = create_app(Settings(environment="test")).openapi()
    operation = document["paths"]["/v1/confidentiality/cases"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": document["components"]})
    assert validator.is_valid(body) is valid, body
    try:
        ClaimsOpening.model_validate(body)
    except ValidationError:
        assert not valid, body
    else:
        assert valid, body
