"""Unintentional transboundary movements and emergencies (CP Art 17) over HTTP, end to end:
open with every item of 17(3) → each affected State's contact point and the organisation
e-mailed (seen in the SMTP sink) → the BCH record in the stand-in → consultation and measures
(17(4)) → closure; an opening that lacks items is refused naming each by its letter."""

from __future__ import annotations

import uuid
from typing import Any

from tests.api.conftest import Callers, assert_problem, eventually
from tests.support.temporal import Stack
from tests.workflows.test_emergency import AT_CONTACT, OCCURRENCE, ORGANISATION, SK_CONTACT


def occurrence_body(**overrides: Any) -> dict[str, Any]:
    return {"reference": f"EM-{uuid.uuid4().hex[:8]}"} | OCCURRENCE | overrides


async def test_an_emergency_from_notification_to_closure(stack: Stack, callers: Callers) -> None:
    body = occurrence_body()
    r = await callers.staff.post("/v1/emergencies", json=body)
    assert r.status_code == 201, r.text
    case = r.json()
    cid = case["case_id"]
    assert cid == f"emergency-hu-{body['reference'].lower()}"
    assert case["procedure"] == "emergency" and case["details"]["procedure"] == "emergency"
    assert case["lmo_id"] == "MON-ØØØ73-7" and case["party_of_export"] == "HU"
    notify = next(d for d in case["deadlines"] if d["key"] == "notify_affected_states")
    assert notify["status"] == "met" and notify["article"] == "CP Art 17(1)"
    assert notify["explanation_hu"].startswith("1 nap")
    assert (await callers.staff.post("/v1/emergencies", json=body)).status_code == 200
    changed = body | {"d_other_information": "something else"}
    assert_problem(await callers.staff.post("/v1/emergencies", json=changed), 409)
    assert_problem(await callers.alice.post("/v1/emergencies", json=occurrence_body()), 403)

    async def delivered() -> bool:
        got = {m["To"] for m in stack.smtp.messages if m["X-Biosafety-Case"] == cid}  # type: ignore[attr-defined]
        return {AT_CONTACT, SK_CONTACT, ORGANISATION} <= got

    assert await eventually(delivered, timeout=15)

    async def drafted() -> list[dict[str, Any]]:
        return [
            d["body"]
            for d in stack.bch.decision_drafts().values()  # type: ignore[attr-defined]
            if cid in d["body"]["title"]["en"]
        ]

    (record,) = await eventually(drafted, timeout=15)
    assert record["transboundaryMovementType"]["identifier"].startswith("22B915C4")
    assert record["releaseDate"] == OCCURRENCE["b_release_date"]
    assert "Austria" not in record["releaseInformation"]["en"]  # codes, as the BCH keeps them
    assert "AT, SK" in record["releaseInformation"]["en"]

    base = f"/v1/cases/{cid}"
    problem = assert_problem(
        await callers.staff.post(
            f"{base}/emergency-consultations",
            json={"party": "DE", "kind": "consulted", "summary": "x"},
        ),
        409,
    )
    assert "DE is not among the affected" in problem["detail"]
    assert_problem(
        await callers.staff.post(f"{base}/emergency-consultations", json={"party": "AT"}), 422
    )
    problem = assert_problem(
        await callers.staff.post(f"{base}/emergency-closure", json={"reasons": "over"}), 409
    )
    assert "not yet consulted" in problem["detail"]
    for party, kind in (("AT", "consulted"), ("SK", "response")):
        r = await callers.staff.post(
            f"{base}/emergency-consultations",
            json={"party": party, "kind": kind, "summary": f"{party} informed by telephone"},
        )
        assert r.status_code == 200, r.text
    r = await callers.staff.post(
        f"{base}/emergency-measures",
        json={"taken_by": "the authority", "description": "Spill site fenced off."},
    )
    assert r.status_code == 200 and r.json()["stage"] == "consulting_affected_states"
    assert_problem(
        await callers.alice.post(f"{base}/emergency-measures", json={"taken_by": "x"}), 403
    )
    r = await callers.staff.post(f"{base}/emergency-closure", json={"reasons": "Cleaned up."})
    assert r.status_code == 200, r.text

    async def closed() -> dict[str, Any] | None:
        case = (await callers.staff.get(base)).json()
        return case if case["closed"] else None

    case = await eventually(closed, timeout=15)
    assert case is not None and case["stage"] == "emergency_over"
    assert case["details"]["closing_reasons"] == "Cleaned up."
    assert [m["kind"] for m in case["details"]["consultations"]] == ["consulted", "response"]
    assert_problem(
        await callers.staff.post(f"{base}/emergency-closure", json={"reasons": "again"}), 409
    )


async def test_an_opening_that_lacks_items_of_17_3_is_refused(callers: Callers) -> None:
    body = occurrence_body()
    del body["a_quantities_and_characteristics"], body["e_point_of_contact"]
    problem = assert_problem(await callers.staff.post("/v1/emergencies", json=body), 422)
    text = problem["detail"] + " ".join(e.get("message", "") for e in problem.get("errors", []))
    assert "(a) estimated quantities and relevant characteristics" in text
    assert "(e) a point of contact for further information" in text
    assert "(b)" not in text
    problem = assert_problem(
        await callers.staff.post("/v1/emergencies", json=occurrence_body(affected_states=[])), 422
    )
    problem = assert_problem(
        await callers.staff.post("/v1/emergencies", json=occurrence_body(learned_on="2999-01-01")),
        422,
    )
    assert "learned_on 2999-01-01 is in the future" in problem["detail"]
