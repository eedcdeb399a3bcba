"""Illegal transboundary movements (CP Art 25) over HTTP, end to end: the movement recorded
(25(1)), the request to dispose in the SMTP sink (25(2)), the record in the BCH stand-in (25(3)),
the Party of origin's reply, the disposal confirmed, the case closed; refusals as problems (409
for the stage, 422 for the command or the opening)."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from typing import Any

from tests.api.conftest import Callers, assert_problem, eventually
from tests.support.temporal import Stack
from tests.workflows.test_aia import today

ORIGIN = "bioseguridad@origin.example"


def movement_body(found_on: date, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "reference": f"ILL-{uuid.uuid4().hex[:8]}",
        "lmo_name": "Soybean MON 87701",
        "lmo_id": "MON-877Ø1-2",
        "party_of_origin": {
            "party": "AR",
            "authority_name": "Dirección de Biotecnología",
            "email": ORIGIN,
            "language": "en",
        },
        "found_on": found_on.isoformat(),
        "how_found": "laboratory_analysis",
        "circumstances": "Feed consignment sampled at the mill; event-specific PCR positive.",
        "quantity": {"amount": 24.5, "unit": "tonnes"},
        "held_at": "the mill's silo 3, sealed by the authority",
        "measures_taken": ["Consignment seized", "Processing suspended"],
    }
    return body | overrides


async def test_an_illegal_movement_from_record_to_closure(callers: Callers, stack: Stack) -> None:
    now = await today(stack)
    body = movement_body(now - timedelta(days=3))
    r = await callers.staff.post("/v1/illegal-movements", json=body)
    assert r.status_code == 201, r.text
    case = r.json()
    cid = case["case_id"]
    assert cid == f"illegal-hu-{body['reference'].lower()}"
    assert case["procedure"] == "illegal" and case["details"]["procedure"] == "illegal"
    assert case["stage"] == "disposal_requested" and case["party_of_export"] == "AR"
    (follow_up,) = case["deadlines"]
    assert follow_up["key"] == "follow_up-1" and follow_up["article"] == "CP Art 25(2)"
    assert follow_up["due"] == (now + timedelta(days=30)).isoformat()
    assert follow_up["label_hu"] and follow_up["explanation_hu"]
    assert (await callers.staff.post("/v1/illegal-movements", json=body)).status_code == 200
    assert_problem(await callers.alice.post("/v1/illegal-movements", json=movement_body(now)), 403)

    # 25(2): the request to dispose, in the Party of origin's mailbox.
    async def request() -> list[Any]:
        return [m for m in stack.smtp.messages if m["To"] == ORIGIN]  # type: ignore[attr-defined]

    (letter,) = await eventually(request)
    assert letter["X-Biosafety-Case"] == cid
    assert "(Cartagena Protocol, Article 25(2))" in letter["Subject"]

    # 25(3): the record in the BCH stand-in.
    async def drafted() -> list[dict[str, Any]]:
        drafts = stack.bch.decision_drafts().values()  # type: ignore[attr-defined]
        return [d["body"] for d in drafts if cid in str(d["body"]["title"])]

    (draft,) = await eventually(drafted)
    assert draft["transboundaryMovementType"] == {
        "identifier": "A9A800DC-F313-4F79-B3E4-768E41088D11"
    }
    info = draft["otherTransboundryInformation"]["en"]
    assert "24.5 tonnes" in info and "silo" not in info

    # It passed the BCH's validation: publication is requested, and the focal point approves.
    async def requested() -> list[dict[str, Any]]:
        pending = stack.bch.pending_requests()  # type: ignore[attr-defined]
        return [r for r in pending if cid in json.dumps(r)]

    (pending,) = await eventually(requested)
    stack.bch.approve(pending["_id"])  # type: ignore[attr-defined]
    published = stack.bch.published_decisions()  # type: ignore[attr-defined]
    assert any(cid in str(p["body"]["title"]) for p in published.values())

    base = f"/v1/cases/{cid}"
    tomorrow = (now + timedelta(days=1)).isoformat()
    late = {"summary": "x", "received_on": tomorrow}
    problem = assert_problem(await callers.staff.post(f"{base}/illegal-replies", json=late), 422)
    assert "is in the future" in problem["detail"]
    assert_problem(await callers.staff.post(f"{base}/illegal-replies", json={}), 422)
    r = await callers.staff.post(
        f"{base}/illegal-replies",
        json={
            "summary": "Destruction by incineration proposed.",
            "proposed_disposal": "destruction",
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["stage"] == "origin_replied"
    assert r.json()["next_deadline"]["key"] == "follow_up-2"

    disposal = {
        "method": "destruction",
        "disposed_on": now.isoformat(),
        "evidence": "Certificate of incineration no. 2027/55",
    }
    bad = disposal | {"method": "burial"}
    assert_problem(await callers.staff.post(f"{base}/illegal-disposal", json=bad), 422)
    early = disposal | {"disposed_on": (now - timedelta(days=4)).isoformat()}
    problem = assert_problem(await callers.staff.post(f"{base}/illegal-disposal", json=early), 422)
    assert "before the movement was found" in problem["detail"]
    r = await callers.staff.post(f"{base}/illegal-disposal", json=disposal)
    assert r.status_code == 200, r.text
    assert r.json()["stage"] == "disposal_confirmed" and r.json()["next_deadline"] is None
    problem = assert_problem(
        await callers.staff.post(f"{base}/illegal-disposal", json=disposal), 409
    )
    assert "was confirmed on" in problem["detail"]

    assert_problem(await callers.staff.post(f"{base}/illegal-closure", json={}), 422)
    assert_problem(await callers.alice.post(f"{base}/illegal-closure", json={"reasons": "x"}), 403)
    r = await callers.staff.post(f"{base}/illegal-closure", json={"reasons": "Destroyed."})
    assert r.status_code == 200, r.text
    assert_problem(await callers.staff.post(f"{base}/illegal-closure", json={"reasons": "x"}), 409)
    case = (await callers.staff.get(base)).json()
    assert case["stage"] == "case_closed" and case["closed"]
    assert case["details"]["disposal"]["method"] == "destruction"
    assert [f["outcome"] for f in case["details"]["follow_ups"]] == [
        f"answered on {now}",
        f"answered on {now}",
    ]


async def test_incomplete_or_inconsistent_movements_are_refused(
    callers: Callers, stack: Stack
) -> None:
    now = await today(stack)

    async def refused(body: dict[str, Any]) -> dict[str, Any]:
        return assert_problem(await callers.staff.post("/v1/illegal-movements", json=body), 422)

    problem = await refused(movement_body(now + timedelta(days=1)))
    assert "is in the future" in problem["detail"]
    problem = await refused(movement_body(now - timedelta(days=4000)))
    assert "days ago" in problem["detail"]
    own = movement_body(
        now, party_of_origin={"party": "HU", "authority_name": "x", "email": ORIGIN}
    )
    problem = await refused(own)
    assert "comes from another Party (Art 25(2))" in problem["detail"]
    body = movement_body(now)
    del body["held_at"]
    problem = await refused(body)
    assert [e["field"] for e in problem["errors"]] == ["movement.held_at"]
    problem = await refused(movement_body(now, quantity={"amount": 2.5, "unit": "seeds"}))
    assert "seeds are counted" in str(problem["errors"])
    problem = await refused(movement_body(now, measures_taken=[]))
    assert [e["field"] for e in problem["errors"]] == ["movement.measures_taken"]
    problem = await refused(movement_body(now, lmo_id="not-an-id"))
    assert [e["field"] for e in problem["errors"]] == ["movement.lmo_id"]
    problem = await refused(movement_body(now, how_found="rumour"))
    assert [e["field"] for e in problem["errors"]] == ["movement.how_found"]
