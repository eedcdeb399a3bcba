"""Food, feed or processing (CP Art 11, Annex II) over HTTP: both ways a case opens, the
commands by their paths, refusals as problems (409 for the stage, 422 for the command)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.api.conftest import Callers, assert_problem
from tests.workflows.test_ffp import ANNEX_II


def decision_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "kind": "domestic_decision",
        "reference": f"FFP-{uuid.uuid4().hex[:8]}",
        "uses": ["food", "feed", "processing"],
        "result": "approval",
        "annex_ii": ANNEX_II,
    }
    return body | overrides


async def test_a_decision_is_recorded_and_another_party_asks_for_more(callers: Callers) -> None:
    body = decision_body()
    r = await callers.staff.post("/v1/ffp/cases", json=body)
    assert r.status_code == 201, r.text
    case = r.json()
    cid = case["case_id"]
    assert cid == f"ffp-hu-{body['reference'].lower()}"
    assert case["procedure"] == "ffp" and case["details"]["procedure"] == "ffp"
    assert case["lmo_id"] == "MON-ØØ81Ø-6" and case["details"]["missing_annex_ii_items"] == []
    (inform,) = case["deadlines"]
    assert inform["key"] == "inform_parties" and inform["article"] == "CP Art 11(1)"
    assert (await callers.staff.post("/v1/ffp/cases", json=body)).status_code == 200
    assert_problem(await callers.alice.post("/v1/ffp/cases", json=decision_body()), 403)

    problem = assert_problem(
        await callers.staff.post(f"/v1/cases/{cid}/ffp-decision", json={}), 422
    )  # the command's own fields first
    problem = assert_problem(
        await callers.staff.post(
            f"/v1/cases/{cid}/ffp-decision",
            json={"result": "approval", "risk_assessment_summary": "x"},
        ),
        409,
    )
    assert "Art 11(1)" in problem["detail"]
    request = {
        "requesting_party": "BO",
        "requester": {"name": "CNA", "address": "La Paz", "email": "cna@bo.example"},
        "items": ["detection method"],
        "answer_within_days": 45,
    }
    r = await callers.staff.post(f"/v1/cases/{cid}/ffp-information-requests", json=request)
    assert r.status_code == 200, r.text
    assert r.json()["next_deadline"]["key"] == "answer-1"
    problem = assert_problem(
        await callers.staff.post(
            f"/v1/cases/{cid}/ffp-information-answers", json={"request": 5, "answer": "x"}
        ),
        422,
    )
    assert "there is no request 5" in problem["detail"]
    problem = assert_problem(await callers.staff.post(f"/v1/cases/{cid}/ffp-closure", json={}), 409)
    assert "not yet answered" in problem["detail"] or "not yet been informed" in problem["detail"]
    case = (await callers.staff.get(f"/v1/cases/{cid}")).json()
    (asked,) = case["details"]["information_requests"]
    assert asked["requesting_party"] == "BO" and "requester_email" not in asked
    answer = next(d for d in case["deadlines"] if d["key"] == "answer-1")
    assert answer["period_days"] == 45


async def test_a_first_import_application_and_bad_openings(callers: Callers) -> None:
    body = {
        "kind": "first_import",
        "reference": f"IMP-{uuid.uuid4().hex[:8]}",
        "declaration": "1E027990-5D44-F3AF-75E3-715B60BFD3CD@2",
        "applicant": {"name": "Grain Traders", "address": "Budapest", "email": "gt@x.example"},
        "uses": ["processing"],
        "annex_ii": {"c_lmo_name": "Soybean 40-3-2"},
    }
    r = await callers.staff.post("/v1/ffp/cases", json=body)
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["stage"] == "application_received"
    (decision,) = case["deadlines"]
    assert decision["key"] == "first_import_decision" and decision["period_days"] == 270
    problem = assert_problem(
        await callers.staff.post(
            f"/v1/cases/{case['case_id']}/annex-ii", json={"annex_ii": {"d_modification": 5}}
        ),
        422,
    )
    assert [e["field"] for e in problem["errors"]] == ["command.annex_ii.d_modification"]

    bad = decision_body(uses=["food", "food"], result="prohibition")
    problem = assert_problem(await callers.staff.post("/v1/ffp/cases", json=bad), 422)
    fields = {e["field"] for e in problem["errors"]}
    assert fields == {"ffp.domestic_decision.uses", "ffp.domestic_decision.reasons"}
    bad = decision_body(uses=["field_trial"])  # Art 11(1) never applies to field trials
    assert_problem(await callers.staff.post("/v1/ffp/cases", json=bad), 422)
    bad = decision_body(decided_on="2025-03-01", application_received_on="2025-03-02")
    problem = assert_problem(await callers.staff.post("/v1/ffp/cases", json=bad), 422)
    assert "is not possible: it is after the decision of 2025-03-01" in problem["detail"]
