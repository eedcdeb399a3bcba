"""Bearer tokens and roles (api/auth.py): 401 without or with a wrong token, staff may do
everything, a notifier only its own cases and never an officer's command, the audit actor is the
principal, the public register needs no token and never shows what was claimed confidential, and
production does not start without tokens."""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

from api.app import create_app
from api.auth import AccessConfigError, load_access, log_access
from api.problems import PROBLEM_JSON
from infra.settings import Settings
from tests.api.conftest import (
    Callers,
    assert_problem,
    case_id_of,
    eventually,
    notification_body,
)
from tests.support.temporal import Stack

RISK_ASSESSMENT = {
    "carried_out_by": "authority",
    "summary": "No adverse effects expected: no wild relatives of maize occur in Hungary.",
    "overall_risk": "low",
    "recommendation": "Acceptable with a 200 m isolation distance.",
}


def body_of(email: str, **overrides: Any) -> dict[str, Any]:
    body = notification_body(**overrides)
    body["notifier"]["email"] = email
    return body


async def submit(http: httpx.AsyncClient, body: dict[str, Any]) -> str:
    r = await http.post("/v1/aia/notifications", json=body)
    assert r.status_code == 201, r.text
    case_id: str = r.json()["case_id"]
    return case_id


def assert_unauthorized(r: httpx.Response, error: str | None = None) -> dict[str, Any]:
    problem = assert_problem(r, 401)
    challenge = r.headers["www-authenticate"]
    assert challenge.startswith("Bearer"), challenge
    if error is not None:
        assert f'error="{error}"' in challenge, challenge
    else:
        assert "error=" not in challenge, challenge
    return problem


# ---- authentication -----------------------------------------------------------------------------


async def test_no_token_or_a_wrong_token_is_401(callers: Callers, api: httpx.AsyncClient) -> None:
    anonymous = callers.anonymous
    for r in [
        await anonymous.get("/v1/cases"),
        await anonymous.get("/v1/cases/aia-hu-anything"),
        await anonymous.post("/v1/aia/notifications", json=notification_body()),
        await anonymous.post("/v1/cases/aia-hu-anything/acknowledgement", json={}),
        await anonymous.get("/v1/deadlines.ics"),
    ]:
        problem = assert_unauthorized(r)
        assert "bearer token" in problem["detail"]

    wrong = {"Authorization": f"Bearer {secrets.token_urlsafe(32)}"}
    for r in [
        await anonymous.get("/v1/cases", headers=wrong),
        await anonymous.post("/v1/aia/notifications", json=notification_body(), headers=wrong),
        # a wrong token is refused on public routes too, and with no tokens configured at all
        await anonymous.get("/v1/register", headers=wrong),
        await anonymous.get("/healthz", headers=wrong),
        await api.get("/v1/cases", headers=wrong),
    ]:
        problem = assert_unauthorized(r, "invalid_token")
        assert problem["type"].endswith("/unauthorized")
        assert wrong["Authorization"].split()[1] not in r.text

    not_bearer = {"Authorization": "Basic a292YWNzOnNlY3JldA=="}
    assert_unauthorized(await anonymous.get("/v1/cases", headers=not_bearer), "invalid_request")
    assert_unauthorized(
        await anonymous.get("/v1/cases", headers={"Authorization": "Bearer "}), "invalid_request"
    )

    # Public: no token needed.
    assert (await anonymous.get("/v1/register")).status_code == 200
    assert (await anonymous.get("/healthz")).status_code == 200
    assert (await anonymous.get("/openapi.json")).status_code == 200


async def test_development_default_acts_as_staff_developer(
    stack: Stack, api: httpx.AsyncClient
) -> None:
    """No tokens configured outside production (the `api` fixture): no token is staff."""
    case_id = await submit(api, notification_body())
    r = await api.post(f"/v1/cases/{case_id}/acknowledgement", json={"actor": "someone"})
    assert r.status_code == 200, r.text
    history = (await api.get(f"/v1/cases/{case_id}")).json()["history"]
    assert history[-1]["actor"] == "developer"
    with capture_logs() as logs:
        log_access(load_access(stack.settings))
    (warning,) = [e for e in logs if e["log_level"] == "warning"]
    assert "staff:developer" in warning["event"] and "BIOSAFETY_API_TOKENS" in warning["event"]


# ---- staff --------------------------------------------------------------------------------------


async def test_staff_can_do_everything_and_is_the_actor(callers: Callers) -> None:
    staff = callers.staff
    body = body_of(callers.alice_email)  # staff may enter a notification for any notifier
    case_id = await submit(staff, body)
    base = f"/v1/cases/{case_id}"
    steps: list[tuple[str, dict[str, Any]]] = [
        ("acknowledgement", {"actor": "the-minister"}),
        ("information-requests", {"items": ["seed lot purity certificate"]}),
        ("information-received", {"summary": "certificate received"}),
        ("extensions", {"days": 30, "reasons": "field data from a second season"}),
        ("risk-assessment", RISK_ASSESSMENT),
        ("decision", {"result": "prohibition", "reasons": "Gene flow cannot be excluded."}),
    ]
    for path, command in steps:
        r = await staff.post(f"{base}/{path}", json=command | {"actor": "someone-else"})
        assert r.status_code == 200, (path, r.text)
    case = (await staff.get(base)).json()
    assert case["stage"] == "decided"
    commands = [s for s in case["history"] if s["kind"] != "notification_received"]
    assert commands and all(s["actor"] == "kovacs" for s in commands if s["actor"] != "system")
    assert [s["actor"] for s in case["history"] if s["kind"] == "acknowledged"] == ["kovacs"]

    # ...and the register's audit log says the same.
    async def audited() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = (await staff.get(f"{base}/audit")).json()
        return rows if any(r["kind"] == "decided" for r in rows) else []

    rows = await eventually(audited)
    assert {r["actor"] for r in rows if r["kind"] == "decided"} == {"kovacs"}
    assert not any(r["actor"] in {"someone-else", "the-minister"} for r in rows)

    assert (await staff.get(f"{base}/messages")).status_code == 200
    assert (await staff.get(f"{base}/publications")).status_code == 200
    assert (await staff.get("/v1/deadlines.ics")).status_code == 200
    listed = (await staff.get("/v1/cases", params={"limit": 200})).json()
    assert all("case_id" in c for c in listed)


# ---- notifiers ----------------------------------------------------------------------------------


async def test_a_notifier_submits_under_its_own_email_only(callers: Callers) -> None:
    own = body_of(callers.alice_email)
    case_id = await submit(callers.alice, own)
    assert case_id == case_id_of(own)
    # Resubmitting the same notification is still idempotent for its notifier.
    again = await callers.alice.post("/v1/aia/notifications", json=own)
    assert again.status_code == 200, again.text

    anothers = body_of(callers.bob_email)
    problem = assert_problem(await callers.alice.post("/v1/aia/notifications", json=anothers), 403)
    assert problem["type"].endswith("/forbidden")
    assert callers.alice_email in problem["detail"] and callers.bob_email in problem["detail"]
    assert "notifier.email" in problem["detail"]

    # The date of receipt is the authority's to record.
    backdated = body_of(callers.alice_email, received_on="2020-01-01")
    problem = assert_problem(await callers.alice.post("/v1/aia/notifications", json=backdated), 403)
    assert "received_on" in problem["detail"]
    for refused in (anothers, backdated):
        r = await callers.staff.get(f"/v1/cases/{case_id_of(refused)}")
        assert_problem(r, 404)  # nothing was started


async def test_a_notifier_reads_its_own_cases_only(stack: Stack, callers: Callers) -> None:
    mine = await submit(callers.alice, body_of(callers.alice_email))
    bobs = await submit(callers.bob, body_of(callers.bob_email))
    unknown = "aia-hu-no-such-case"

    # At once (the register may not have the case yet: the workflow's input says whose it is)
    # and once the register has it, the answers are the same.
    async def registered() -> bool:
        listed = (await callers.staff.get("/v1/cases", params={"limit": 200})).json()
        return {mine, bobs} <= {c["case_id"] for c in listed}

    for phase in ("at once", "registered"):
        if phase == "registered":
            assert await eventually(registered)
        r = await callers.alice.get(f"/v1/cases/{mine}")
        assert r.status_code == 200, (phase, r.text)
        assert r.json()["case_id"] == mine
        for path in ("", "/audit", "/messages"):
            assert (await callers.alice.get(f"/v1/cases/{mine}{path}")).status_code == 200
            # Another's case is indistinguishable from one that does not exist.
            theirs = assert_problem(await callers.alice.get(f"/v1/cases/{bobs}{path}"), 404)
            none = assert_problem(await callers.alice.get(f"/v1/cases/{unknown}{path}"), 404)
            assert theirs["detail"] == none["detail"].replace(unknown, bobs), (phase, path)
            assert theirs["type"] == none["type"] and theirs["title"] == none["title"]

    # Its messages are those sent to it (and BCH records), not the authority's internal mail:
    # the acknowledgement goes to the notifier, a reminder 30 days before the decision is due
    # to the officers.
    r = await callers.staff.post(f"/v1/cases/{mine}/acknowledgement", json={})
    assert r.status_code == 200, r.text
    await stack.env.sleep(timedelta(days=241))

    async def mailed() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = (await callers.staff.get(f"/v1/cases/{mine}/messages")).json()
        recipients = {m["recipient"] for m in rows}
        return rows if {callers.alice_email, stack.settings.officer_email} <= recipients else []

    assert await eventually(mailed)
    seen = (await callers.alice.get(f"/v1/cases/{mine}/messages")).json()
    assert seen and {m["recipient"] for m in seen if m["channel"] == "email"} == {
        callers.alice_email
    }


async def test_a_notifier_lists_only_its_own_cases(callers: Callers) -> None:
    alices = {await submit(callers.alice, body_of(callers.alice_email)) for _ in range(2)}
    bobs = {await submit(callers.bob, body_of(callers.bob_email))}
    staff_entered = {await submit(callers.staff, body_of(callers.alice_email))}

    async def listed(http: httpx.AsyncClient) -> set[str]:
        r = await http.get("/v1/cases", params={"limit": 200})
        assert r.status_code == 200, r.text
        return {c["case_id"] for c in r.json()}

    def with_claims(ids: set[str]) -> set[str]:
        """... and the confidentiality case each one's claims opened (CP Art 21)."""
        return ids | {f"conf-{i}" for i in ids}

    async def all_registered() -> bool:
        return with_claims(alices | bobs | staff_entered) <= await listed(callers.staff)

    assert await eventually(all_registered)
    # Exactly its own: those it submitted and the one staff entered under its e-mail.
    assert await listed(callers.alice) == with_claims(alices | staff_entered)
    assert await listed(callers.bob) == with_claims(bobs)
    rows = (await callers.alice.get("/v1/cases", params={"limit": 200})).json()
    assert {r["notifier_email"] for r in rows} == {callers.alice_email}
    # Filters still apply, within its own cases.
    r = await callers.alice.get("/v1/cases", params={"stage": "received", "limit": 200})
    assert {c["case_id"] for c in r.json()} == alices | staff_entered


async def test_officers_commands_are_403_for_a_notifier(callers: Callers) -> None:
    case_id = await submit(callers.alice, body_of(callers.alice_email))
    base = f"/v1/cases/{case_id}"
    commands: list[tuple[str, dict[str, Any]]] = [
        ("acknowledgement", {}),
        ("information-requests", {"items": ["anything"]}),
        ("information-received", {}),
        ("extensions", {"days": 30, "reasons": "because"}),
        ("risk-assessment", RISK_ASSESSMENT),
        ("decision", {"result": "approval"}),
        ("publications/bch-anything/resubmission", {}),
    ]
    for path, command in commands:
        problem = assert_problem(await callers.alice.post(f"{base}/{path}", json=command), 403)
        assert "staff" in problem["detail"] and callers.alice_email in problem["detail"], path
    assert_problem(await callers.alice.get(f"{base}/publications"), 403)
    assert_problem(await callers.alice.get("/v1/deadlines.ics"), 403)
    case = (await callers.alice.get(base)).json()
    assert case["stage"] == "received"
    assert [s["kind"] for s in case["history"]] == ["notification_received"]


async def test_a_notifier_withdraws_its_own_notification(callers: Callers) -> None:
    mine = await submit(callers.alice, body_of(callers.alice_email))
    bobs = await submit(callers.bob, body_of(callers.bob_email))
    withdrawal = {"reason": "the field trial was cancelled", "actor": "case-officer"}

    assert_problem(await callers.alice.post(f"/v1/cases/{bobs}/withdrawal", json=withdrawal), 404)
    assert (await callers.staff.get(f"/v1/cases/{bobs}")).json()["stage"] == "received"

    r = await callers.alice.post(f"/v1/cases/{mine}/withdrawal", json=withdrawal)
    assert r.status_code == 200, r.text
    assert r.json()["stage"] == "withdrawn"
    case = (await callers.alice.get(f"/v1/cases/{mine}")).json()
    (step,) = [s for s in case["history"] if s["kind"] == "withdrawn"]
    assert step["actor"] == f"notifier:{callers.alice_email}"

    async def audited() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = (await callers.alice.get(f"/v1/cases/{mine}/audit")).json()
        return [r for r in rows if r["kind"] == "withdrawn"]

    (row,) = await eventually(audited)
    assert row["actor"] == f"notifier:{callers.alice_email}"


# ---- the public register ------------------------------------------------------------------------


def _unique_lmo_id() -> str:
    return f"TST-{uuid.uuid4().hex[:6].upper()}-1"


async def test_public_register_never_shows_confidential_items(callers: Callers) -> None:
    marker = uuid.uuid4().hex[:12]
    secrets_: list[str] = []

    def secret(what: str) -> str:
        value = f"secret-{what}-{marker}"
        secrets_.append(value)
        return value

    body = body_of(callers.alice_email)
    annex = body["annex_i"]
    annex["c_lmo_unique_identifier"] = lmo_id = _unique_lmo_id()
    annex["a_exporter"] = {
        "name": secret("exporter-name"),
        "address": secret("exporter-address"),
        "contact": secret("exporter-contact"),
    }
    annex["e_recipient_organism"] = secret("recipient")
    annex["g_donor_organisms"] = secret("donors")
    annex["h_modification"] = secret("modification")
    annex["j_quantity"] = secret("quantity")
    annex["l_handling_methods"] = secret("handling")
    claimed = ["a", "e", "g", "h", "j", "l"]
    body["confidential"] = [
        {"item": item, "justification": secret(f"justification-{item}")} for item in claimed
    ]
    case_id = await submit(callers.alice, body)
    base = f"/v1/cases/{case_id}"
    staff = callers.staff
    internal_request = secret("information-request")
    for path, command in [
        ("acknowledgement", {}),
        ("information-requests", {"items": [internal_request], "note": secret("note")}),
        ("information-received", {"summary": secret("received-summary")}),
        ("risk-assessment", RISK_ASSESSMENT),
        (
            "decision",
            {
                "result": "approval_with_conditions",
                "conditions": ["200 m isolation distance"],
                "reasons": "Risks are manageable under the conditions.",
                "subsequent_imports": "applies to subsequent field-trial imports",
            },
        ),
    ]:
        r = await staff.post(f"{base}/{path}", json=command)
        assert r.status_code == 200, (path, r.text)

    async def public_entry() -> list[dict[str, Any]]:
        r = await callers.anonymous.get("/v1/register", params={"lmo_id": lmo_id})
        assert r.status_code == 200, r.text
        rows: list[dict[str, Any]] = r.json()
        return rows if rows and rows[0]["stage"] == "decided" else []

    (entry,) = await eventually(public_entry)
    detail_response = await callers.anonymous.get(f"/v1/register/{case_id}")
    assert detail_response.status_code == 200, detail_response.text
    detail = detail_response.json()
    listing = (await callers.anonymous.get("/v1/register", params={"limit": 200})).text

    # Nothing claimed confidential, no justification, no e-mail, no internal notes,
    # searched in the serialized responses, wherever they might hide.
    for text in (detail_response.text, json.dumps(entry), listing):
        for value in secrets_:
            assert value not in text, value
        assert marker not in text
        assert callers.alice_email not in text
    # ...while what is public (Art 21(6), the decision) is there.
    for public in (entry, detail):
        assert public["case_id"] == case_id
        assert public["lmo_name"] == annex["c_lmo_name"]
        assert public["lmo_unique_identifier"] == lmo_id
        assert public["notifier_name"] == body["notifier"]["name"]
        assert (public["party_of_export"], public["party_of_import"]) == ("US", "HU")
        assert public["received_on"] and public["acknowledged_on"]
        assert public["decision"]["result"] == "approval_with_conditions"
        assert public["decision"]["conditions"] == ["200 m isolation distance"]
        assert public["decision"]["reasons"] and public["decision"]["decided_on"]
        assert public["decision"]["subsequent_imports"].startswith("applies to")
        assert public["risk_assessment_summary"] == RISK_ASSESSMENT["summary"]
        assert public["withdrawn_on"] is None
        assert [w["item"] for w in public["withheld_items"]] == claimed
    assert detail["notifier_address"] == body["notifier"]["address"]
    assert detail["annex_i"]["i_intended_use"] == annex["i_intended_use"]
    assert detail["annex_i"]["b_importer"]["name"] == annex["b_importer"]["name"]
    assert detail["annex_i"]["c_lmo_unique_identifier"] == lmo_id
    for item in claimed:
        assert all(v is None for k, v in detail["annex_i"].items() if k.startswith(f"{item}_")), (
            item
        )

    # (the strings searched for are real: staff see the information request, for one)
    staff_view = (await staff.get(base)).text
    assert internal_request in staff_view

    assert_problem(await callers.anonymous.get("/v1/register/aia-hu-no-such-case"), 404)


async def test_confidentiality_survives_withdrawal_in_the_public_register(
    callers: Callers,
) -> None:
    marker = f"secret-{uuid.uuid4().hex}"
    body = body_of(callers.alice_email)
    body["annex_i"]["c_lmo_unique_identifier"] = lmo_id = _unique_lmo_id()
    body["annex_i"]["j_quantity"] = marker
    body["confidential"] = [{"item": "j", "justification": f"{marker}-why"}]
    case_id = await submit(callers.alice, body)
    r = await callers.alice.post(f"/v1/cases/{case_id}/withdrawal", json={})
    assert r.status_code == 200, r.text

    async def withdrawn() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = (
            await callers.anonymous.get("/v1/register", params={"lmo_id": lmo_id})
        ).json()
        return rows if rows and rows[0]["withdrawn_on"] else []

    (entry,) = await eventually(withdrawn)
    assert entry["stage"] == "withdrawn" and entry["decision"] is None
    detail = await callers.anonymous.get(f"/v1/register/{case_id}")
    assert detail.status_code == 200, detail.text
    assert marker not in detail.text and callers.alice_email not in detail.text
    assert detail.json()["annex_i"]["j_quantity"] is None


async def test_public_register_reads_a_row_with_a_sparse_state(
    stack: Stack, callers: Callers
) -> None:
    """A row projected by another version of the workflow (here: a state with none of the
    public fields) still shows, from the register's columns; nothing else of it is read."""
    case_id, lmo_id = f"aia-hu-sparse-{uuid.uuid4().hex[:8]}", _unique_lmo_id()
    async with stack.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO cases (case_id, workflow_id, procedure, stage, title, notifier_reference, "
            "notifier_email, lmo_id, received_on, state, version) "
            "VALUES ($1, $1, 'aia', 'received', 'A maize', 'R-1', 'hidden@acme.example', $2, "
            "'2027-01-10', $3, 1)",
            case_id,
            lmo_id,
            {"stage": "received", "version": 1, "outgoing": [{"recipient": "x@y.example"}]},
        )
    r = await callers.anonymous.get("/v1/register", params={"lmo_id": lmo_id})
    assert r.status_code == 200, r.text
    (entry,) = r.json()
    assert entry["case_id"] == case_id and entry["received_on"] == "2027-01-10"
    assert entry["withheld_items"] == [] and entry["decision"] is None
    r = await callers.anonymous.get(f"/v1/register/{case_id}")
    assert r.status_code == 200, r.text
    assert r.json()["annex_i"] is None  # no workflow holds its notification
    assert "@" not in r.text


# ---- configuration and OpenAPI ------------------------------------------------------------------


def test_production_without_tokens_refuses_to_start() -> None:
    with pytest.raises(AccessConfigError, match="BIOSAFETY_API_TOKENS is empty"):
        create_app(Settings(environment="production"))


def test_malformed_tokens_refuse_to_start_without_revealing_the_tokens() -> None:
    token = secrets.token_urlsafe(32)
    for principal, words in [
        ("kovacs", "'staff:<name>' or 'notifier:<email>'"),
        ("admin:root", "unknown role 'admin'"),
        ("notifier:not-an-email", "e-mail address"),
        ("staff:", "staff name"),
        ("staff:two words", "staff name"),
    ]:
        settings = Settings(environment="test", api_tokens={token: principal})
        with pytest.raises(AccessConfigError, match="BIOSAFETY_API_TOKENS") as raised:
            create_app(settings)
        assert words in str(raised.value), principal
        assert token not in str(raised.value)
    with pytest.raises(AccessConfigError, match="not a valid bearer token"):
        create_app(Settings(environment="test", api_tokens={"has space": "staff:kovacs"}))
    with pytest.raises(AccessConfigError, match="too short for production"):
        create_app(Settings(environment="production", api_tokens={"short": "staff:kovacs"}))
    create_app(Settings(environment="production", api_tokens={token: "staff:kovacs"}))


def test_tokens_come_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    token = secrets.token_urlsafe(32)
    tokens = {token: "staff:kovacs", "t2": "notifier:reg@acme.example"}
    monkeypatch.setenv("BIOSAFETY_API_TOKENS", json.dumps(tokens))
    settings = Settings()
    assert settings.api_tokens == tokens
    access = load_access(settings)
    assert str(access.lookup(token)) == "staff:kovacs"
    assert access.lookup("t2") is not None and access.lookup("t3") is None


async def test_openapi_documents_the_bearer_scheme_and_401_403(callers: Callers) -> None:
    doc = (await callers.anonymous.get("/openapi.json")).json()
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": doc["components"]["securitySchemes"]["bearer"]["description"],
    }
    paths = doc["paths"]
    staff_only = [
        ("post", "/v1/cases/{case_id}/acknowledgement"),
        ("post", "/v1/cases/{case_id}/decision"),
        ("get", "/v1/deadlines.ics"),
        ("post", "/v1/cases/{case_id}/publications/{publication_id}/resubmission"),
        ("post", "/v1/aia/notifications"),
    ]
    for method, path in staff_only:
        op = paths[path][method]
        assert op["security"] == [{"bearer": []}], path
        for status in ("401", "403"):
            assert list(op["responses"][status]["content"]) == [PROBLEM_JSON], (path, status)
    for path in ("/v1/cases", "/v1/cases/{case_id}", "/v1/cases/{case_id}/withdrawal"):
        op = next(iter(paths[path].values()))
        assert "401" in op["responses"], path
    for path in ("/v1/register", "/v1/register/{case_id}", "/healthz"):
        op = paths[path]["get"]
        assert {} in op["security"], path  # no token needed
        assert "401" in op["responses"], path  # ...but a wrong one is refused
    actor = doc["components"]["schemas"]["Acknowledge"]["properties"]["actor"]
    assert actor["readOnly"] is True and "authenticated principal" in actor["description"]


async def test_a_reused_reference_tells_a_notifier_nothing_of_another_case(
    callers: Callers,
) -> None:
    """The reliability issue, defect 6: a 409 on a reused notifier reference named the other
    case's id. Staff still see it; a notifier learns nothing of another notifier's cases."""
    reference = f"SHARED-{uuid.uuid4().hex[:8]}"
    bobs = body_of(callers.bob_email, notifier_reference=reference)
    case_id = await submit(callers.bob, bobs)
    alices = body_of(callers.alice_email, notifier_reference=reference)
    problem = assert_problem(await callers.alice.post("/v1/aia/notifications", json=alices), 409)
    assert "case_id" not in problem and case_id not in problem["detail"]
    assert callers.bob_email not in str(problem)
    staff = body_of(callers.alice_email, notifier_reference=reference)
    problem = assert_problem(await callers.staff.post("/v1/aia/notifications", json=staff), 409)
    assert problem["case_id"] == case_id
