"""Out-of-range and odd parameter values are 422 problems naming the parameter, never 500s from
the database or Temporal below (api/params.py)."""

from __future__ import annotations

import httpx
import pytest

from api.params import CASE_ID_PATTERN, CASE_ID_RULE, MAX_OFFSET
from tests.api.conftest import assert_problem

PAST_INT64 = 2**63  # 9223372036854775808: asyncpg cannot even send it as a bigint


def assert_names(response: httpx.Response, field: str) -> str:
    """A 422 validation problem whose only error names ``field``; returns its message."""
    problem = assert_problem(response, 422)
    assert problem["type"].endswith("/validation-error"), problem
    assert [e["field"] for e in problem["errors"]] == [field], problem["errors"]
    assert problem["detail"].startswith(f"{field}: ")
    message: str = problem["errors"][0]["message"]
    return message


@pytest.mark.parametrize("path", ["/v1/cases", "/v1/register"])
@pytest.mark.parametrize("offset", [str(PAST_INT64), str(MAX_OFFSET + 1), "-1", "1e3", "x"])
async def test_an_offset_out_of_range_is_422(
    api: httpx.AsyncClient, path: str, offset: str
) -> None:
    assert_names(await api.get(path, params={"offset": offset}), "query parameter offset")


@pytest.mark.parametrize("path", ["/v1/cases", "/v1/register"])
@pytest.mark.parametrize("limit", [str(PAST_INT64), "201", "0"])
async def test_a_limit_out_of_range_is_422(api: httpx.AsyncClient, path: str, limit: str) -> None:
    assert_names(await api.get(path, params={"limit": limit}), "query parameter limit")


@pytest.mark.parametrize("path", ["/v1/cases", "/v1/register"])
async def test_the_largest_offset_is_answered(api: httpx.AsyncClient, path: str) -> None:
    r = await api.get(path, params={"offset": str(MAX_OFFSET), "limit": "200"})
    assert r.status_code == 200, r.text
    assert r.json() == []


@pytest.mark.parametrize(
    "path",
    [
        "/v1/cases/{}",
        "/v1/cases/{}/audit",
        "/v1/cases/{}/messages",
        "/v1/cases/{}/publications",
        "/v1/register/{}",
    ],
)
@pytest.mark.parametrize(
    "case_id",
    [
        "x%00",  # a NUL: PostgreSQL refuses it in text
        "aia-hu-x%00y",
        "aia-hu-%C3%A9t%C3%A9",  # non-ASCII letters
        "aia-hu-a%20b",  # a space
        "-aia-hu-x",  # must start with a letter or digit
        "a" * 201,  # too long
    ],
)
async def test_an_odd_case_id_is_422(api: httpx.AsyncClient, path: str, case_id: str) -> None:
    message = assert_names(await api.get(path.format(case_id)), "path parameter case_id")
    assert message.startswith(CASE_ID_RULE) or "at most 200 characters" in message, message


async def test_a_nul_in_a_case_id_is_named_in_words(api: httpx.AsyncClient) -> None:
    message = assert_names(await api.get("/v1/register/x%00"), "path parameter case_id")
    assert message == f"{CASE_ID_RULE} (got 'x\\x00')"


async def test_an_odd_publication_id_is_422(api: httpx.AsyncClient) -> None:
    r = await api.post(
        "/v1/cases/aia-hu-x/publications/bch-x%00/resubmission",
        json={"reason": "fixing it"},
    )
    problem = assert_problem(r, 422)
    assert "path parameter publication_id" in [e["field"] for e in problem["errors"]]


@pytest.mark.parametrize("case_id", ["aia-hu-no-such-case", "aia-hu-NO.SUCH_CASE-2027", "0"])
async def test_a_well_formed_unknown_case_id_is_still_404(
    api: httpx.AsyncClient, case_id: str
) -> None:
    assert_problem(await api.get(f"/v1/register/{case_id}"), 404)
    assert_problem(await api.get(f"/v1/cases/{case_id}"), 404)


async def test_the_contract_states_the_bounds(api: httpx.AsyncClient) -> None:
    doc = (await api.get("/openapi.json")).json()
    case_routes = [(p, ops) for p, ops in doc["paths"].items() if "{case_id}" in p]
    assert case_routes
    for path, operations in case_routes:
        for method, operation in operations.items():
            case_id = next(p for p in operation["parameters"] if p["name"] == "case_id")
            assert case_id["schema"]["pattern"] == CASE_ID_PATTERN, (method, path)
            invalid = operation["responses"]["422"]["content"]["application/problem+json"]
            assert invalid["schema"]["$ref"].endswith("/ValidationProblem"), (method, path)
    for path in ("/v1/cases", "/v1/register"):
        params = {p["name"]: p["schema"] for p in doc["paths"][path]["get"]["parameters"]}
        assert (params["offset"]["minimum"], params["offset"]["maximum"]) == (0, MAX_OFFSET)
        assert (params["limit"]["minimum"], params["limit"]["maximum"]) == (1, 200)


@pytest.mark.parametrize("due_before", ["0", "1798761600", "2027-03-01T00:00:00", "2027-3-1"])
async def test_a_date_parameter_is_a_date(api: httpx.AsyncClient, due_before: str) -> None:
    """Pydantic alone would read 0 as 1970-01-01 and a midnight date-time as its date."""
    r = await api.get("/v1/cases", params={"due_before": due_before})
    message = assert_names(r, "query parameter due_before")
    assert message.startswith("must be a date written YYYY-MM-DD"), message
    assert (await api.get("/v1/cases", params={"due_before": "2027-03-01"})).status_code == 200
