"""A case's BCH publications over HTTP: listed with their state, and an officer's resubmission
refused while the request is pending, accepted once it lapsed."""

from __future__ import annotations

from datetime import timedelta

import httpx

from tests.api.conftest import assert_problem, case_id_of, eventually, notification_body
from tests.support.temporal import Stack

RA = {
    "carried_out_by": "authority",
    "summary": "No adverse effects expected in the receiving environment.",
    "overall_risk": "low",
    "recommendation": "Acceptable.",
}


async def test_publications_are_listed_and_resubmitted(
    api: httpx.AsyncClient, stack: Stack
) -> None:
    body = notification_body()
    cid = case_id_of(body)
    assert (await api.post("/v1/aia/notifications", json=body)).status_code == 201
    base = f"/v1/cases/{cid}"
    assert (await api.post(f"{base}/acknowledgement", json={})).status_code == 200
    assert (await api.post(f"{base}/risk-assessment", json=RA)).status_code == 200
    decision = {"result": "prohibition", "reasons": "Gene flow cannot be excluded."}
    assert (await api.post(f"{base}/decision", json=decision)).status_code == 200

    async def requested() -> list[dict] | None:
        response = await api.get(f"{base}/publications")
        items = response.json() if response.status_code == 200 else []
        return items if items and items[0]["state"] == "publication_requested" else None

    items = await eventually(requested)
    assert items is not None and len(items) == 1
    pub = items[0]
    assert pub["workflow_id"] == f"bch-{cid}-decision"
    assert pub["record"]["decision_result"] == "prohibition"
    url = f"{base}/publications/{pub['workflow_id']}/resubmission"

    # Pending at the focal point: nothing to resubmit.
    problem = assert_problem(await api.post(url, json={"note": "again"}), 409)
    assert "publication requested" in problem["detail"]
    # Unknown publication of this case.
    assert_problem(await api.post(f"{base}/publications/bch-nope/resubmission", json={}), 404)

    await stack.env.sleep(timedelta(days=84))

    async def lapsed() -> list[dict] | None:
        items = (await api.get(f"{base}/publications")).json()
        return items if items[0]["state"] == "lapsed" else None

    assert await eventually(lapsed)
    response = await api.post(url, json={"note": "renewed after the focal point's absence"})
    assert response.status_code == 200, response.text
    assert response.json()["submissions"] == 2
