"""Response measures under the Supplementary Protocol on Liability and Redress over HTTP: the
Party's Supplementary Protocol status recorded, a report opened, every command by its path from
the evaluation to the costs paid, and refusals as problems (409 for the case, 422 for the
command: the order of preference of SP Art 2(2)(d)(ii) is the body's shape)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest_asyncio

from api.app import create_app
from tests.api.conftest import assert_problem, eventually
from tests.support.temporal import Stack

PARTY = "LU"


@pytest_asyncio.fixture
async def staff(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """Staff of an authority of a Party of its own (the register is shared by the session),
    with a financial limit (SP Art 8)."""
    token = secrets.token_urlsafe(32)
    settings = stack.settings.model_copy(
        update={
            "api_tokens": {token: "staff:kovacs"},
            "authority_party": PARTY,
            "response_financial_limit": 5000,
        }
    )
    app = create_app(
        settings, client=stack.client, pool=stack.pool, clock=stack.env.get_current_time
    )
    headers = {"Authorization": f"Bearer {token}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as c:
        yield c


def report(**overrides: Any) -> dict[str, Any]:
    body = {
        "reported_by": "operator",
        "reference": f"RM-{uuid.uuid4().hex[:8]}",
        "basis": "damage",
        "description": "GM maize volunteers in a Natura 2000 meadow",
        "location": "Mullerthal, parcel 7",
        "within_national_jurisdiction": True,
        "lmo": {"name": "Maize MON 810", "unique_identifier": "MON-ØØ81Ø-6",
                "category": "environmental_release"},
        "movement": {"kind": "illegal", "started_on": "2026-03-01"},
        "operator": {"name": "Agri SA", "address": "Ettelbruck", "email": "ops@agri.example"},
    }  # fmt: skip
    return body | overrides


MEASURES = {
    "operators": [{"name": "Agri SA", "address": "Ettelbruck", "email": "ops@agri.example"}],
    "prevention": [{"kind": "contain", "description": "Harvest the volunteers", "within_days": 10}],
    "restoration": {
        "kind": "previous_condition",
        "description": "Re-seed the meadow with its native mix",
        "within_days": 60,
    },
    "reasons": "The volunteers compete with protected orchids.",
    "remedies": "Administrative appeal to the Minister within 3 months.",
}


async def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


async def test_a_case_from_report_to_costs_paid(staff: httpx.AsyncClient, stack: Stack) -> None:
    deposit = {"treaty": "sp", "party": PARTY, "instrument": "ratification",
               "deposited_on": "2019-05-02"}  # fmt: skip
    await ok(await staff.post("/v1/treaty-status/deposits", json=deposit))

    async def registered() -> bool:
        return (await staff.get(f"/v1/register/treaty-sp-{PARTY.lower()}")).status_code == 200

    assert await eventually(registered)
    r = await staff.post("/v1/response-measures/cases", json=(body := report()))
    case = await ok(r)
    cid = case["case_id"]
    assert r.status_code == 201 and cid == f"response-lu-{body['reference'].lower()}"
    assert (await staff.post("/v1/response-measures/cases", json=body)).status_code == 200

    async def in_scope() -> dict[str, Any] | None:
        c = (await staff.get(f"/v1/cases/{cid}")).json()
        return c if c["stage"] == "damage_evaluation" else None

    case = await eventually(in_scope)
    assert case and case["details"]["sp_in_force_on"] == "2019-07-31"  # SP Art 18(2)
    assert {d["key"] for d in case["deadlines"]} == {"relative_limit", "absolute_limit"}
    base = f"/v1/cases/{cid}"

    problem = assert_problem(await staff.post(f"{base}/response-measures", json=MEASURES), 409)
    assert "SP Art 5(2)(b)" in problem["detail"]
    evaluation = {
        "measurable": "Counted against the 2024 habitat survey",
        "significance": {
            "finding": "significant",
            "factors": [{"factor": "c_goods_and_services", "finding": "Pollination reduced"}],
        },
        "causal_link": {"established": True, "reasons": "Event-specific PCR"},
    }
    await ok(await staff.post(f"{base}/damage-evaluation", json=evaluation))

    # SP Art 2(2)(d)(ii): replacement only with the reason restoration is not possible.
    replacement = dict(MEASURES, restoration={
        "kind": "replacement", "description": "A meadow elsewhere", "within_days": 60})  # fmt: skip
    problem = assert_problem(await staff.post(f"{base}/response-measures", json=replacement), 422)
    assert "previous_condition_not_possible" in str(problem["errors"])
    nothing = {k: v for k, v in MEASURES.items() if k not in ("prevention", "restoration")}
    assert_problem(await staff.post(f"{base}/response-measures", json=nothing), 422)
    result = await ok(await staff.post(f"{base}/response-measures", json=MEASURES))
    assert result["stage"] == "measures_ongoing"
    case = (await staff.get(base)).json()
    kinds = [m["article"] for m in case["details"]["measures"]]
    assert kinds == ["SP Art 2(2)(d)(i)", "SP Art 2(2)(d)(ii)(a)"]
    assert case["next_deadline"]["key"] == "measure-1"
    assert case["next_deadline"]["label_hu"].startswith("A(z) 1. intézkedés")

    assert_problem(await staff.post(f"{base}/response-link", json={"case_id": "treaty-x"}), 422)
    problem = assert_problem(
        await staff.post(f"{base}/response-link", json={"case_id": "illegal-lu-none"}), 409
    )
    assert "not in the case register" in problem["detail"]
    review = {"kind": "judicial", "body": "Administrative Court", "grounds": "Not the operator"}
    await ok(await staff.post(f"{base}/response-review", json=review))
    assert (await staff.get(base)).json()["stage"] == "measures_ongoing"  # SP Art 5(6)
    await ok(await staff.post(f"{base}/response-review-outcome",
                              json={"outcome": "upheld", "reasons": "Lawful"}))  # fmt: skip
    problem = assert_problem(
        await staff.post(f"{base}/response-completion", json={"measure": 9, "findings": "x"}),
        422,
    )
    assert problem["detail"] == "command.measure: there is no measure 9: the case has 2"
    assert (problem["rule"], problem["field"]) == ("measure-exists", "command.measure")
    for n in (1, 2):
        await ok(await staff.post(f"{base}/response-completion",
                                  json={"measure": n, "findings": "Done"}))  # fmt: skip
    items = [{"kind": "evaluation", "description": "Survey", "amount": 3000},
             {"kind": "incidental", "description": "Travel", "amount": 4000}]  # fmt: skip
    await ok(await staff.post(f"{base}/response-costs", json={"items": items}))
    await ok(await staff.post(f"{base}/cost-recovery", json={}))
    case = (await staff.get(base)).json()
    assert case["stage"] == "cost_recovery" and case["details"]["demand"]["recoverable"] == 5000
    later = (await stack.env.get_current_time()).date() + timedelta(days=3)
    problem = assert_problem(
        await staff.post(
            f"{base}/response-payment", json={"amount": 5000, "paid_on": later.isoformat()}
        ),
        422,
    )
    assert "is in the future" in problem["detail"]
    await ok(await staff.post(f"{base}/response-payment", json={"amount": 5000}))

    async def completed() -> bool:
        return (await staff.get(base)).json()["stage"] == "response_completed"

    assert await eventually(completed)
    problem = assert_problem(await staff.post(f"{base}/response-follow-up",
                                              json={"findings": "x"}), 409)  # fmt: skip
    assert "closed" in problem["detail"]


async def test_bad_reports_and_a_scope_refusal(staff: httpx.AsyncClient) -> None:
    bad = report(occurred_on="2026-05-01", received_on="2026-04-01")
    problem = assert_problem(await staff.post("/v1/response-measures/cases", json=bad), 422)
    assert "occurred_on 2026-05-01 is after the report of 2026-04-01" in problem["detail"]
    bad = report(reported_by="operator", operator=None)
    assert_problem(await staff.post("/v1/response-measures/cases", json=bad), 422)
    bad = report(lmo={"name": "x", "category": "pharmaceutical"})
    assert_problem(await staff.post("/v1/response-measures/cases", json=bad), 422)

    outside = report(within_national_jurisdiction=False)
    case = await ok(await staff.post("/v1/response-measures/cases", json=outside))

    async def refused() -> dict[str, Any] | None:
        c = (await staff.get(f"/v1/cases/{case['case_id']}")).json()
        return c if c["stage"] == "out_of_scope" else None

    closed = await eventually(refused)
    assert closed and closed["closed"]
    assert any("SP Art 3(5)" in r for r in closed["details"]["scope_refusals"])
