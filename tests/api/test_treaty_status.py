"""Treaty status (CP Arts 37, 39; SP Arts 18, 20) over HTTP: opened from the registry's routes,
staff only, idempotent on the Party and treaty, its command by its path, refusals as problems."""

from __future__ import annotations

from datetime import date, timedelta

from tests.api.conftest import Callers, assert_problem


async def test_staff_record_a_deposit_and_an_early_withdrawal_is_refused(
    callers: Callers,
) -> None:
    body = {"treaty": "cp", "party": "CZ", "instrument": "approval", "deposited_on": "2001-10-08"}
    r = await callers.staff.post("/v1/treaty-status/deposits", json=body)
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["case_id"] == "treaty-cp-cz" and r.headers["location"] == "/v1/cases/treaty-cp-cz"
    assert case["procedure"] == "treaty_status" and case["stage"] == "in_force"
    assert case["details"]["procedure"] == "treaty_status"
    # Deposited before the fiftieth instrument: bound from the Protocol's own entry into force.
    assert case["details"]["entry_into_force_on"] == "2003-09-11"  # CP Art 37(1)
    (eif,) = case["deadlines"]
    assert eif["key"] == "entry_into_force" and eif["article"] == "CP Art 37(2)"
    assert "(CP Art 37(1)), the later date: 2003-09-11" in eif["explanation"]

    # The same deposit again: the same case; another deposit for the Party: a conflict.
    assert (await callers.staff.post("/v1/treaty-status/deposits", json=body)).status_code == 200
    other = body | {"deposited_on": "2001-10-09"}
    assert_problem(await callers.staff.post("/v1/treaty-status/deposits", json=other), 409)
    # Only staff open these cases and give the command.
    assert_problem(await callers.alice.post("/v1/treaty-status/deposits", json=body), 403)
    withdrawal = {"received_by_depositary_on": "2003-10-01"}
    url = "/v1/cases/treaty-cp-cz/treaty-withdrawal"
    assert_problem(await callers.alice.post(url, json=withdrawal), 403)
    # CP Art 39(1): not before two years from the entry into force for the Party.
    problem = assert_problem(await callers.staff.post(url, json=withdrawal), 409)
    assert "from 2005-09-11 (CP Art 39(1))" in problem["detail"]
    problem = assert_problem(
        await callers.staff.post(
            url,
            json={"received_by_depositary_on": "2006-01-02", "takes_effect_on": "2006-06-01"},
        ),
        422,
    )
    assert "one year after the Depositary receives the notice (2007-01-02)" in problem["detail"]
    r = await callers.staff.post(url, json={"received_by_depositary_on": "2006-01-02"})
    assert r.status_code == 200, r.text
    assert r.json()["stage"] == "withdrawal_notified"
    case = (await callers.staff.get("/v1/cases/treaty-cp-cz")).json()
    assert case["details"]["withdrawal_takes_effect_on"] == "2007-01-02"


async def test_deposits_refuse_impossible_dates_with_422(callers: Callers) -> None:
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    for deposited_on, says in ((tomorrow, "in the future"), ("1999-12-31", "adopted")):
        body = {"party": "PT", "instrument": "accession", "deposited_on": deposited_on}
        problem = assert_problem(
            await callers.staff.post("/v1/treaty-status/deposits", json=body), 422
        )
        assert says in problem["detail"]
    body = {
        "treaty": "sp",
        "party": "PT",
        "instrument": "accession",
        "deposited_on": "2019-01-02",
        "convention_in_force_on": "2019-06-01",
    }
    problem = assert_problem(await callers.staff.post("/v1/treaty-status/deposits", json=body), 422)
    assert [e["field"] for e in problem["errors"]] == ["deposit.convention_in_force_on"]
