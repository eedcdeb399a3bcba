"""The simplified procedure (CP Art 13) over HTTP: a specification opened by staff, its record on
the BCH stand-in, the public register of specifications in force (listed once published,
amended, no longer listed once withdrawn), and refusals as problems (422 for the request, 409
for the stage)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from tests.api.conftest import Callers, assert_problem, eventually
from tests.support.temporal import Stack
from tests.workflows.test_aia import advance, today
from tests.workflows.test_simplified import fresh_lmo, requested

SPECIFICATIONS = "/v1/simplified/specifications"
REGISTER = "/v1/simplified/register"


def specification(lmo: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "kind": "movement_at_notification",
        "reference": f"SP-{uuid.uuid4().hex[:8]}",
        "title": "Field trials of maize MON 810 from the United States",
        "lmos": {lmo: "Maize MON 810"},
        "uses": ["field_trial"],
        "parties_of_export": ["US"],
        "adequate_measures": "Isolation distance of 200 m; post-trial monitoring for 2 years.",
        "legal_basis": "Government Decree 1/2027 on gene technology, section 4",
        "applies_to_subsequent_movements": True,
    }
    return body | overrides


async def in_force(callers: Callers, lmo: str) -> list[dict[str, Any]]:
    r = await callers.anonymous.get(REGISTER, params={"lmo_id": lmo})
    assert r.status_code == 200, r.text
    result: list[dict[str, Any]] = r.json()
    return result


async def test_specified_published_listed_amended_and_withdrawn(
    callers: Callers, stack: Stack
) -> None:
    lmo = fresh_lmo()
    body = specification(lmo)
    r = await callers.staff.post(SPECIFICATIONS, json=body)
    assert r.status_code == 201, r.text
    case = r.json()
    cid = case["case_id"]
    assert cid == f"simplified-hu-{body['reference'].lower()}"
    assert r.headers["Location"] == f"/v1/cases/{cid}"
    assert case["procedure"] == "simplified" and case["stage"] == "awaiting_bch_publication"
    (due,) = case["deadlines"]
    assert due["key"] == "bch_publication" and due["article"] == "CP Art 13(1)"
    assert due["explanation_hu"] and due["label_hu"] == "A meghatározás közzététele a BCH-ban"
    assert (await callers.staff.post(SPECIFICATIONS, json=body)).status_code == 200
    assert_problem(await callers.alice.post(SPECIFICATIONS, json=specification(lmo)), 403)

    stack.bch.approve(await requested(stack, cid, "specification"))
    assert await in_force(callers, lmo) == []
    await advance(stack, 2)
    (listed,) = await eventually(lambda: in_force(callers, lmo))
    assert listed["case_id"] == cid and listed["kind"] == "movement_at_notification"
    assert listed["lmos"] == {lmo: "Maize MON 810"} and listed["in_force"] is True
    assert listed["bch_record"].endswith("@1")
    (published,) = [
        p["body"]
        for p in stack.bch.published_decisions().values()
        if cid in p["body"]["title"]["en"]
    ]
    assert published["movementAllowedUnderA131A"] is True

    amendment = {"uses": ["field_trial", "commercial_release"], "reasons": "Cultivation added."}
    r = await callers.staff.post(f"/v1/cases/{cid}/simplified-amendment", json=amendment)
    assert r.status_code == 200, r.text
    assert r.json()["next_deadline"]["key"] == "bch_publication-2"
    (listed,) = await eventually(
        lambda: _with(in_force(callers, lmo), uses=["field_trial", "commercial_release"])
    )
    problem = assert_problem(
        await callers.staff.post(f"/v1/cases/{cid}/simplified-amendment", json=amendment), 409
    )
    assert "not yet published by the national focal point" in problem["detail"]
    stack.bch.approve(await requested(stack, cid, "amendment-2"))
    await advance(stack, 2)

    async def second_published() -> bool:
        case = (await callers.staff.get(f"/v1/cases/{cid}")).json()
        return any(
            d["key"] == "bch_publication-2" and d["status"] == "met" for d in case["deadlines"]
        )

    assert await eventually(second_published)
    r = await callers.staff.post(
        f"/v1/cases/{cid}/simplified-withdrawal", json={"reasons": "Trials ended."}
    )
    assert r.status_code == 200, r.text
    assert r.json()["stage"] == "specification_withdrawn"
    assert await eventually(lambda: _empty(in_force(callers, lmo)))
    case = (await callers.staff.get(f"/v1/cases/{cid}")).json()
    assert case["closed"] and case["details"]["withdrawn_on"] == str(await today(stack))
    assert [r["step"] for r in case["details"]["bch_records"]] == [
        "specification",
        "amendment-2",
        "withdrawal",
    ]
    assert_problem(
        await callers.staff.post(f"/v1/cases/{cid}/simplified-withdrawal", json={"reasons": "x"}),
        409,
    )


async def _with(listing: Any, **fields: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await listing
    return [s for s in found if all(s[k] == v for k, v in fields.items())]


async def _empty(listing: Any) -> bool:
    return not await listing


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"uses": ["food"]}, "uses", "field_trial"),
        ({"uses": ["field_trial", "field_trial"]}, "uses", "once"),
        ({"lmos": {}}, "lmos", "at least 1"),
        ({"lmos": {"mon-øø81ø-6": "Maize"}}, "lmos", "pattern"),
        ({"legal_basis": " "}, "legal_basis", "at least 1"),
        ({"kind": "exempt_from_aia"}, "applies_to_subsequent_movements", "not permitted"),
        ({"parties_of_export": ["US", "US"]}, "parties_of_export", "once"),
    ],
)
async def test_incomplete_or_inconsistent_specifications_are_422(
    callers: Callers, changes: dict[str, Any], field: str, words: str
) -> None:
    problem = assert_problem(
        await callers.staff.post(SPECIFICATIONS, json=specification(fresh_lmo(), **changes)), 422
    )
    assert any(field in e["field"] and words in e["message"] for e in problem["errors"]), problem


async def test_dates_out_of_order_are_422(callers: Callers, stack: Stack) -> None:
    day = await today(stack)
    yesterday, tomorrow = day - timedelta(days=1), day + timedelta(days=1)
    problem = assert_problem(
        await callers.staff.post(
            SPECIFICATIONS,
            json=specification(fresh_lmo(), effective_on=str(yesterday)),
        ),
        422,
    )
    assert f"effective_on {yesterday} is before today" in problem["detail"]
    problem = assert_problem(
        await callers.staff.post(
            SPECIFICATIONS,
            json=specification(fresh_lmo(), effective_on=str(tomorrow), expires_on=str(day)),
        ),
        422,
    )
    assert f"expires_on {day} is before effective_on {tomorrow}" in problem["detail"]
    assert_problem(await callers.anonymous.get(REGISTER, params={"lmo_id": "x"}), 422)
    assert_problem(await callers.anonymous.post(SPECIFICATIONS, json=specification("x")), 401)
