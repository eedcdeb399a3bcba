"""Public consultation (CP Art 23(2)) over HTTP: an officer opens it on an AIA case, the public
reads it and comments without a token until the end of its last day, staff read the comments,
and the decision's results are public; nothing confidential (Art 21) is ever shown."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.api.conftest import Callers, assert_problem, eventually, notification_body
from tests.support.temporal import Stack

SUBJECT = "Confined field trial of MON 810 maize near Szeged"
RA = {
    "carried_out_by": "authority",
    "summary": "No adverse effects expected.",
    "overall_risk": "low",
    "recommendation": "Acceptable with monitoring.",
}


def comment(**overrides: Any) -> dict[str, Any]:
    body = {
        "name": "Nagy Éva",
        "email": "eva.nagy@example.hu",
        "organisation": "Szegedi Környezetvédők",
        "comment": "Please keep the trial 400 m away from organic fields.",
    }
    return body | overrides


async def test_the_public_comments_while_the_consultation_runs(
    callers: Callers, stack: Stack
) -> None:
    # Item (j), the quantity, is claimed confidential by the notifier (Art 21(1)).
    body = notification_body()
    body["confidential"] = [{"item": "j", "justification": "commercial volumes"}]
    r = await callers.staff.post("/v1/aia/notifications", json=body)
    assert r.status_code == 201, r.text
    cid, received = r.json()["case_id"], date.fromisoformat(r.json()["received_on"])
    for path, command in (("acknowledgement", {}), ("risk-assessment", RA)):
        r = await callers.staff.post(f"/v1/cases/{cid}/{path}", json=command)
        assert r.status_code == 200, r.text

    # Before one is opened there is nothing to comment on.
    assert_problem(await callers.anonymous.post(f"/v1/consultations/{cid}/comments",
                                                json=comment()), 404)  # fmt: skip
    # Opening is the authority's: a notifier may not, nor past the decision deadline.
    ends_on = received + timedelta(days=20)
    opening = {"ends_on": ends_on.isoformat(), "subject": SUBJECT}
    assert_problem(await callers.alice.post(f"/v1/cases/{cid}/consultation", json=opening), 403)
    late = opening | {"ends_on": (received + timedelta(days=271)).isoformat()}
    problem = assert_problem(await callers.staff.post(f"/v1/cases/{cid}/consultation", json=late),
                             422)  # fmt: skip
    assert "decision deadline" in problem["detail"]
    r = await callers.staff.post(f"/v1/cases/{cid}/consultation", json=opening)
    assert r.status_code == 200, r.text
    assert r.json()["next_deadline"]["key"] == "public_consultation"
    assert r.json()["next_deadline"]["due"] == ends_on.isoformat()

    async def listed() -> list[dict[str, Any]]:
        found = (await callers.anonymous.get("/v1/consultations")).json()
        return [c for c in found if c["case_id"] == cid]

    [entry] = await eventually(listed)
    assert entry["consultation"]["subject"] == SUBJECT and entry["comments"] == 0
    assert entry["lmo_name"]
    assert "kg of seed" not in str(entry)  # the confidential item (j)

    # Anyone comments; a retried submission with the same key is one comment.
    url = f"/v1/consultations/{cid}/comments"
    headers = {"Idempotency-Key": "c-1"}
    first = await callers.anonymous.post(url, json=comment(), headers=headers)
    assert first.status_code == 201, first.text
    again = await callers.anonymous.post(url, json=comment(), headers=headers)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    r = await callers.anonymous.post(url, json=comment(name="Kiss Péter", email=None))
    assert r.status_code == 201, r.text
    # Bad input is a specific 422, never kept.
    for bad in (comment(comment=""), comment(email="not-an-address"), comment(extra="x"),
                comment(comment="a\x00b")):  # fmt: skip
        assert_problem(await callers.anonymous.post(url, json=bad), 422)

    # Staff read the comments, with the commenters' addresses; the public only the count.
    r = await callers.staff.get(f"/v1/cases/{cid}/consultation-comments")
    assert r.status_code == 200, r.text
    assert [(c["name"], c["email"]) for c in r.json()] == [
        ("Nagy Éva", "eva.nagy@example.hu"),
        ("Kiss Péter", None),
    ]
    assert_problem(await callers.alice.get(f"/v1/cases/{cid}/consultation-comments"), 403)
    public = (await callers.anonymous.get(f"/v1/consultations/{cid}")).json()
    assert public["open"] is True and public["comments"] == 2
    assert "eva.nagy@example.hu" not in str(public) and "kg of seed" not in str(public)

    # The decision waits for the consultation (409), which closes as its last day ends.
    decision = {
        "result": "approval_with_conditions",
        "conditions": ["isolation distance of 400 m"],
        "reasons": "Risks manageable.",
        "subsequent_imports": "Applies to subsequent imports of the same event.",
        "consultation_results": "Two comments; isolation distance raised to 400 m.",
    }
    assert_problem(await callers.staff.post(f"/v1/cases/{cid}/decision", json=decision), 409)
    await stack.env.sleep(timedelta(days=21))
    assert_problem(await callers.anonymous.post(url, json=comment()), 409)
    r = await callers.staff.post(f"/v1/cases/{cid}/decision", json=decision)
    assert r.status_code == 200, r.text

    # The results of the decision are public (Art 23(2)), in the register and here.
    async def decided() -> dict[str, Any] | None:
        found = (await callers.anonymous.get(f"/v1/consultations/{cid}")).json()
        return found if found.get("decision") else None

    public = await eventually(decided)
    assert public is not None and public["open"] is False
    assert public["decision"]["consultation_results"] == decision["consultation_results"]
    register = (await callers.anonymous.get(f"/v1/register/{cid}")).json()
    assert register["consultation"]["closed_on"] == ends_on.isoformat()
    assert register["decision"]["consultation_results"] == decision["consultation_results"]
    assert all(
        c["case_id"] != cid for c in (await callers.anonymous.get("/v1/consultations")).json()
    )
