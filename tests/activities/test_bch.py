"""publish_bch_decision against the real BCH stand-in and the real register database."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg
import httpx
import jsonschema
import pydantic
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

import activities.bch as bch
from activities.bch import (
    BCH_TERMS,
    BchActivities,
    BchDecisionInput,
    BchParty,
    build_decision_record,
    document_uid,
    record_schema,
    schema_errors,
)
from activities.bch_client import BchClient
from activities.bch_contacts import working_document_id
from activities.bch_record import ADDITIONAL_INFO_MAX, additional_info, html_paragraphs
from infra.settings import PLACEHOLDER_AUTHORITY, BchSettingsError, Settings
from tests.support.bch import BchStandin

API = "/api/v2013"
AUTHORITY = PLACEHOLDER_AUTHORITY  # the stand-in knows it (an authority record at revision 1)
AIA_SUBJECT = BCH_TERMS["DecisionTypes"]["intentional_introduction"]
TRANSBOUNDARY_SUBJECT = "A0F944AD-1578-47F4-BB71-A9805EC0EB7A"


def settings_for(standin: BchStandin | None = None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "test",
        "bch_base_url": standin.base_url if standin else "http://127.0.0.1:9",
        "bch_realm": "bch-dev",
        "bch_email": "national-user@gmo-authority.example.hu",
        "bch_password": "dev-password",
    }
    return Settings(**(values | overrides))


RESULT_EXTRAS: dict[str, dict[str, Any]] = {
    "approval": {"applies_to_subsequent_imports": "Applies to later imports of the same event."},
    "approval_with_conditions": {
        "conditions": ["Post-release monitoring for three seasons", "Isolation distance 200 m"],
        "reasons": "Low risk under the stated conditions (risk assessment of 2027-08-01).",
        "applies_to_subsequent_imports": "Subsequent imports need a new notification.",
    },
    "prohibition": {"reasons": "Unacceptable risk of gene flow to wild relatives."},
    "information_request": {"reasons": "Event-specific detection method missing (Annex I(i))."},
    "extension": {
        "reasons": "A field-trial report is being assessed.",
        "extension_period_days": 30,
    },
}


# Annex I's contact details as free text (the e-mail is found in it), or e-mails given as such.
EXPORTER = BchParty(
    name="Acme Seeds B.V.",
    address="Wageningen",
    country="NL",
    contact="Jan de Vries, +31 317 000 000, regulatory@acme-seeds.example",
)
IMPORTER = BchParty(
    name="Alföld Kutató Kft.", address="Szeged", country="HU", emails=["import@alfold.example"]
)


def decision(result: str = "prohibition", **overrides: Any) -> BchDecisionInput:
    values: dict[str, Any] = {
        "message_key": f"aia-hu-{uuid.uuid4().hex[:8]}:bch:decision",
        "case_id": "AIA-HU-2027-0042",
        "government": "HU",
        "title": "Decision on the import of maize MON-ØØ81Ø-6 (AIA-HU-2027-0042)",
        "decision_date": date(2027, 9, 20),
        "decision_result": result,
        "receipt_date": date(2027, 1, 10),
        "acknowledgement_date": date(2027, 2, 15),
        "communication_date": date(2027, 9, 20),
        "exporters": [EXPORTER],
        "importers": [IMPORTER],
        "lmo_name": "Maize MON-ØØ81Ø-6",
        "lmo_unique_identifier": "MON-ØØ81Ø-6",
        "risk_assessment_summary": "Low overall risk; gene flow to wild relatives negligible.",
        **RESULT_EXTRAS[result],
    }
    return BchDecisionInput(**(values | overrides))


async def row(pool: asyncpg.Pool, key: str) -> asyncpg.Record:
    record = await pool.fetchrow("SELECT * FROM outgoing_messages WHERE message_key = $1", key)
    assert record is not None
    return record


def decision_requests(standin: BchStandin) -> list[dict[str, Any]]:
    """The stand-in's publication requests of decisions (contacts have their own)."""
    requests = standin.state()["requests"].values()
    return [r for r in requests if r["type"]["name"] == "publishNationalRecord"]


def api(standin: BchStandin) -> httpx.Client:
    token = standin.token()
    headers = {"Authorization": f"Bearer {token}", "Realm": "bch-dev"}
    return httpx.Client(base_url=standin.base_url, headers=headers, timeout=10)


# --- the record (pure) --------------------------------------------------------------------------


@pytest.mark.parametrize("result", list(RESULT_EXTRAS))
def test_record_validates_against_our_schema(result: str) -> None:
    req = decision(result)
    record = build_decision_record(req, settings_for())

    jsonschema.validate(record, record_schema(), cls=jsonschema.Draft202012Validator)
    assert schema_errors(record) == []
    assert record == build_decision_record(req, settings_for())  # pure and deterministic
    assert record["header"] == {
        "identifier": document_uid(req.message_key),
        "schema": "biosafetyDecision",
        "languages": ["en"],
    }
    assert record["government"] == {"identifier": "hu"}
    assert record["authorities"] == [{"identifier": AUTHORITY}]
    assert record["decisionResult"] == {"identifier": BCH_TERMS["DecisionResults"][result]}
    assert (record["isAmendment"], record["expires"]) == (False, False)
    # Triggered by a request for a transboundary movement: the narrower subject too (form).
    assert record["addressesTransboundaryMovement"] is True
    assert record["decisionTypes"] == [
        {"identifier": AIA_SUBJECT},
        {"identifier": TRANSBOUNDARY_SUBJECT},
    ]
    # The form's yes-or-no questions are answered, never left out.
    assert record["involvesFieldTrial"] is False
    assert record["involvesCommercialRelease"] is False
    assert record["appliesToSubsequentIntroductions"] is (
        result in ("approval", "approval_with_conditions")
    )
    assert (record["receiptDate"], record["receiptAcknowledgementDate"]) == (
        "2027-01-10",
        "2027-02-15",
    )
    assert record["communicationDate"] == record["date"] == "2027-09-20"
    assert "MON-ØØ81Ø-6" in record["relevantInformation"]["en"]
    # Exporters and importers are references to contact records, never inline contacts.
    for role in ("exporters", "importers"):
        [ref] = record[role]
        assert set(ref) == {"identifier"} and ref["identifier"].endswith("@1")
    assert ("extensionPeriod" in record) is (result == "extension")
    assert ("conditions" in record) is (result == "approval_with_conditions")
    assert ("reasons" in record) is (result != "approval")


def test_rich_text_is_sent_as_escaped_html_paragraphs() -> None:
    req = decision(
        "approval_with_conditions",
        conditions=["Monitoring <three seasons>", "Isolation distance 200 m & fencing"],
        reasons="Low risk.\n\nSecond paragraph,\nwith a line break.",
        amended_records=["0B7D3F6E-2C41-4E8A-9A1B-5D6C7E8F9A0B@2"],
        amendment_details="Conditions <tightened>.",
    )
    record = build_decision_record(req, settings_for())
    assert record["conditions"] == {
        "en": "<p>1. Monitoring &lt;three seasons&gt;</p>"
        "<p>2. Isolation distance 200 m &amp; fencing</p>"
    }
    assert record["reasons"] == {
        "en": "<p>Low risk.</p><p>Second paragraph,<br>with a line break.</p>"
    }
    assert record["amendmentsDetails"] == {"en": "<p>Conditions &lt;tightened&gt;.</p>"}
    info = record["relevantInformation"]["en"]
    assert info.startswith("<p>Living modified organism: Maize MON-ØØ81Ø-6")
    assert "<p>How the decision applies to subsequent imports" in info
    assert html_paragraphs(["a\n\n\n", "  "]) == "<p>a</p>"


def test_record_details() -> None:
    record = build_decision_record(decision("approval_with_conditions"), settings_for())
    assert record["conditions"]["en"].startswith("<p>1. Post-release monitoring")
    assert "<p>2. Isolation distance 200 m</p>" in record["conditions"]["en"]
    assert record["appliesToSubsequentIntroductions"] is True
    assert "subsequent imports" in record["relevantInformation"]["en"]
    assert document_uid("k") == document_uid("k") != document_uid("other")
    said = decision(
        "approval", applies_to_subsequent_introductions=False, involves_field_trial=True
    )
    record = build_decision_record(said, settings_for())
    assert (record["appliesToSubsequentIntroductions"], record["involvesFieldTrial"]) == (
        False,
        True,
    )
    other = build_decision_record(decision(), settings_for(bch_transboundary_subject=(
        "47B66371-7016-4F28-B33A-0DBFF43581CA"
    )))  # fmt: skip
    assert other["decisionTypes"][1] == {"identifier": "47B66371-7016-4F28-B33A-0DBFF43581CA"}


def test_additional_info_is_a_short_string() -> None:
    long = decision(title="x" * 2000)
    text = additional_info(long)
    assert isinstance(text, str) and len(text) == ADDITIONAL_INFO_MAX and text.endswith("…")
    assert additional_info(decision(message_key="aia-hu-1:bch:decision", title="T")) == (
        "Case aia-hu-1: T"
    )


def test_a_party_without_an_email_is_named_in_the_text_only() -> None:
    nameless = BchParty(name="Quiet Exports Ltd", address="1 Road, Leeds", country="GB")
    req = decision(exporters=[nameless], importers=[IMPORTER])
    record = build_decision_record(req, settings_for())
    assert "exporters" not in record
    assert len(record["importers"]) == 1
    assert (
        "<p>Exporter: Quiet Exports Ltd, 1 Road, Leeds, GB</p>"
        in record["relevantInformation"]["en"]
    )
    assert schema_errors(record) == []


def test_our_schema_catches_what_the_protocol_requires() -> None:
    settings = settings_for()
    no_reasons = build_decision_record(decision("prohibition", reasons=None), settings)
    assert {"code": "Error.Mandatory", "property": "reasons"} in [
        {k: e[k] for k in ("code", "property")} for e in schema_errors(no_reasons)
    ]
    no_period = build_decision_record(decision("extension", extension_period_days=None), settings)
    assert [e["property"] for e in schema_errors(no_period)] == ["extensionPeriod"]
    no_authority = build_decision_record(decision(), settings_for(bch_authority_uids=[]))
    assert [e["property"] for e in schema_errors(no_authority)] == ["authorities"]
    hungarian = build_decision_record(decision(language="hu"), settings)
    assert schema_errors(hungarian)  # the BCH publishes in the UN languages only
    no_narrower = build_decision_record(decision(), settings)
    no_narrower["decisionTypes"] = [{"identifier": AIA_SUBJECT}]
    assert [e["property"] for e in schema_errors(no_narrower)] == ["decisionTypes"]
    inline = build_decision_record(decision(), settings)
    inline["exporters"] = [{"identifier": "X", "organization": {"en": "inline"}}]
    assert schema_errors(inline)


def test_authority_references_are_checked_and_production_refuses_the_placeholder() -> None:
    assert Settings().bch_authority_uids == [PLACEHOLDER_AUTHORITY]
    with pytest.raises(pydantic.ValidationError, match="GUID@revision"):
        Settings(bch_authority_uids=["00000000-0000-0000-0000-00000000c0a1"])  # no revision
    Settings().require_bch_ready()  # development: the stand-in's placeholder is fine
    production = Settings(environment="production", bch_base_url="https://api.cbd.int")
    with pytest.raises(BchSettingsError, match="placeholder"):
        production.require_bch_ready()
    with pytest.raises(BchSettingsError, match="placeholder"):
        BchActivities(production, pool=None)  # type: ignore[arg-type]
    with pytest.raises(BchSettingsError, match="local stand-in"):
        Settings(
            environment="production", bch_authority_uids=["5F3A9C10-0B7E-4C1D-9E2A-7D4C6B8A1F20@3"]
        ).require_bch_ready()
    Settings(
        environment="production",
        bch_base_url="https://api.cbd.int",
        bch_authority_uids=["5f3a9c10-0b7e-4c1d-9e2a-7d4c6b8a1f20@3"],
    ).require_bch_ready()


def test_the_draft_number_is_read_as_documented() -> None:
    assert working_document_id({"workingDocumentID": 42, "documentID": 7}) == 42
    assert working_document_id({"documentID": 7}) == 7  # older answers, the BCH front end
    for answer in ({}, {"workingDocumentID": "42"}, {"workingDocumentID": True}):
        with pytest.raises(ApplicationError) as raised:
            working_document_id(answer)
        # A missing number is not an outage: no retry would bring it.
        assert raised.value.non_retryable and raised.value.type == "BchRequestRejected"


def test_term_identifiers_agree_everywhere(bch_standin: BchStandin) -> None:
    schema = record_schema()
    assert set(schema["properties"]["decisionResult"]["properties"]["identifier"]["enum"]) == set(
        BCH_TERMS["DecisionResults"].values()
    )
    # The thesaurus is public: no token.
    client = bch_standin.control
    for domain, terms in BCH_TERMS.items():
        response = client.get(f"{API}/thesaurus/domains/{domain}/terms")
        assert response.status_code == 200
        known = {t["identifier"] for t in response.json()}
        assert set(terms.values()) <= known, domain
    intentional = next(
        t
        for t in client.get(f"{API}/thesaurus/domains/DecisionTypes/terms").json()
        if t["identifier"] == AIA_SUBJECT
    )
    assert TRANSBOUNDARY_SUBJECT in intentional["narrowerTerms"]


# --- the stand-in's own rules -------------------------------------------------------------------


def test_standin_requires_token_and_realm(bch_standin: BchStandin) -> None:
    client = bch_standin.control
    assert client.get(f"{API}/index").status_code == 401
    token = bch_standin.token()
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get(f"{API}/index", headers=bearer).status_code == 400  # no Realm
    assert client.get(f"{API}/index", headers=bearer | {"Realm": "bch-dev"}).status_code == 200
    bch_standin.expire_tokens()
    expired = client.get(f"{API}/index", headers=bearer | {"Realm": "bch-dev"})
    assert expired.status_code == 401 and expired.json()["code"] == "TokenExpired"


def test_standin_tokens_really_expire(bch_standin: BchStandin) -> None:
    import time

    bch_standin.configure(token_ttl_seconds=0.2)
    headers = {"Authorization": f"Bearer {bch_standin.token()}", "Realm": "bch-dev"}
    assert bch_standin.control.get(f"{API}/index", headers=headers).status_code == 200
    time.sleep(0.3)
    assert bch_standin.control.get(f"{API}/index", headers=headers).status_code == 401


def test_standin_validation_finds_missing_reasons_and_fields(bch_standin: BchStandin) -> None:
    settings = settings_for(bch_standin)
    alone: dict[str, Any] = {"exporters": [], "importers": []}  # no contact records needed
    no_reasons = build_decision_record(decision("prohibition", reasons=None, **alone), settings)
    no_period = build_decision_record(
        decision("extension", extension_period_days=None, **alone), settings
    )
    unconditional = build_decision_record(decision("approval", **alone), settings)
    bare = {"header": {"identifier": "X", "schema": "biosafetyDecision", "languages": ["en"]}}
    with api(bch_standin) as client:

        def errors(document: dict[str, Any]) -> list[dict[str, Any]]:
            response = client.post(
                f"{API}/documents/x/validate", params={"schema": "biosafetyDecision"}, json=document
            )
            found: list[dict[str, Any]] = response.json().get("errors", [])
            # As documented: an invalid document is answered 400 with the errors, a valid one 200.
            assert response.status_code == (400 if found else 200)
            return found

        assert errors(no_reasons) == [{"code": "Error.Mandatory", "property": "reasons"}]
        assert errors(no_period) == [{"code": "Error.Mandatory", "property": "extensionPeriod"}]
        assert errors(unconditional) == []
        assert {(e["code"], e["property"]) for e in errors(bare)} == {
            ("Error.InvalidValue", "header.identifier"),
            *(
                ("Error.Mandatory", name)
                for name in (
                    "government",
                    "authorities",
                    "title",
                    "date",
                    "isAmendment",
                    "decisionTypes",
                    "expires",
                )
            ),
        }


def test_standin_locks_a_draft_with_a_pending_request(bch_standin: BchStandin) -> None:
    record = build_decision_record(decision(exporters=[], importers=[]), settings_for(bch_standin))
    uid = record["header"]["identifier"]
    with api(bch_standin) as client:
        draft_url = f"{API}/documents/{uid}/versions/draft"
        put = client.put(draft_url, params={"schema": "biosafetyDecision"}, json=record)
        assert put.status_code == 201
        info = put.json()
        assert "documentID" not in info  # not published: the draft's number only
        body = {
            "type": "publishNationalRecord",
            "version": "0.4",
            "data": {
                "realm": "bch-dev",
                "documentID": info["workingDocumentID"],
                "identifier": uid,
                "additionalInfo": "Case x: a note for the focal point",
            },
        }
        first = client.post(f"{API}/workflows", json=body)
        again = client.post(f"{API}/workflows", json=body)
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json()["_id"] == again.json()["_id"]  # one pending request per document
        assert first.json()["state"] == "pending"

        # Locked for the request: no change, not even to the same content (as documented).
        for document in (record, record | {"date": "2027-09-21"}):
            locked = client.put(draft_url, params={"schema": "biosafetyDecision"}, json=document)
            assert locked.status_code == 400
            assert locked.json()["code"] == "Error.RecordLocked"
            assert locked.json()["message"] == "The record is locked for workflow, cannot proceed."
        assert client.delete(draft_url).json()["code"] == "Error.RecordLocked"
        assert client.get(draft_url).json() == record  # the draft itself, as stored
        lock = client.get(f"{draft_url}/info").json()["workingDocumentLock"]
        assert lock["lockID"] == f"workflow-{first.json()['_id']}"
        assert client.get(f"{API}/documents/{uid}").status_code == 404  # not published yet

        # additionalInfo is a string of at most 1,000 characters.
        for wrong in ({"caseReference": "x"}, "x" * 1001):
            refused = client.post(
                f"{API}/workflows", json=body | {"data": body["data"] | {"additionalInfo": wrong}}
            )
            assert refused.status_code == 400, refused.text


# --- the adapter against the stand-in -------------------------------------------------------------


async def test_full_flow_request_approve_and_read_back(
    bch_standin: BchStandin, db_pool: asyncpg.Pool
) -> None:
    settings = settings_for(bch_standin)
    activities = BchActivities(settings, db_pool)
    req = decision("approval_with_conditions")
    uid = document_uid(req.message_key)

    requested = await activities.publish_decision(req)

    assert requested.status == "publication_requested"
    assert requested.document_uid == uid
    assert requested.public_id is None and requested.validation_errors == []
    assert requested.workflow_request_id is not None
    state = bch_standin.state()
    # The contacts were published first (revision 1), and the decision references them.
    assert state["drafts"][uid]["body"] == build_decision_record(req, settings)
    assert [r["_id"] for r in bch_standin.pending_requests()] == [requested.workflow_request_id]
    calls = state["calls"]
    assert all(c["accept"] == "application/json" for c in calls[1:])  # after the token
    paths = [(c["method"], c["path"]) for c in calls]
    assert paths[0] == ("POST", f"{API}/authentication/token")
    assert paths[1] == ("GET", f"{API}/documents/{uid}")
    assert paths[-3:] == [
        ("PUT", f"{API}/documents/{uid}/versions/draft"),
        ("POST", f"{API}/documents/x/validate"),
        ("POST", f"{API}/workflows"),
    ]
    [request] = bch_standin.pending_requests()
    assert request["data"]["additionalInfo"] == additional_info(req)
    assert request["data"]["documentID"] == state["drafts"][uid]["workingDocumentID"]
    stored = await row(db_pool, req.message_key)
    assert (stored["channel"], stored["status"]) == ("bch", "sent")
    assert stored["message_id"] == requested.workflow_request_id
    assert stored["server_response"].startswith("201 publication request")
    assert stored["payload"]["publication"]["status"] == "publication_requested"
    assert stored["payload"]["document"] == build_decision_record(req, settings)

    # Asking again before the focal point acts changes nothing on the BCH.
    again = await activities.publish_decision(req)
    assert again == requested
    assert len(bch_standin.pending_requests()) == 1

    # The national focal point approves; asking again now reports the publication.
    bch_standin.approve(requested.workflow_request_id)
    published = await activities.publish_decision(req)

    document_id = state["drafts"][uid]["workingDocumentID"]
    assert published.status == "published"
    assert published.public_id == f"bch-dec-hu-{document_id}-1"
    assert (await row(db_pool, req.message_key))["payload"]["publication"]["status"] == "published"
    with api(bch_standin) as client:
        record = client.get(f"{API}/documents/{uid}")
        assert record.status_code == 200
        assert record.json() == build_decision_record(req, settings)
        assert client.get(f"{API}/documents/{uid}/versions/draft").status_code == 404
        found = client.get(
            f"{API}/index", params={"q": "schema_s:biosafetyDecision AND government_s:hu"}
        ).json()["response"]
        assert [d["uniqueIdentifier_s"] for d in found["docs"]] == [published.public_id]
        other = client.get(f"{API}/index", params={"q": "government_s:nl"}).json()["response"]
        assert other["numFound"] == 0


async def test_auto_approval_publishes_at_once(
    bch_standin: BchStandin, db_pool: asyncpg.Pool
) -> None:
    bch_standin.configure(auto_approve=True)
    activities = BchActivities(settings_for(bch_standin), db_pool)

    result = await activities.publish_decision(decision("approval"))

    assert result.status == "published"
    assert result.public_id is not None and result.public_id.startswith("bch-dec-hu-")
    published = bch_standin.state()["published"]
    assert [uid for uid, p in published.items() if p["type"] == "biosafetyDecision"] == [
        result.document_uid
    ]
    assert sorted(p["type"] for p in published.values()) == [
        "biosafetyDecision",
        "contact",
        "contact",
    ]


async def test_focal_point_rejection_is_reported(
    bch_standin: BchStandin, db_pool: asyncpg.Pool
) -> None:
    activities = BchActivities(settings_for(bch_standin), db_pool)
    req = decision("extension")
    requested = await activities.publish_decision(req)
    assert requested.workflow_request_id is not None

    bch_standin.reject(requested.workflow_request_id, "Wrong authority selected")

    assert (await activities.publish_decision(req)).status == "rejected"


async def test_lost_record_of_a_request_does_not_duplicate_it(
    bch_standin: BchStandin, db_pool: asyncpg.Pool
) -> None:
    """A crash after the BCH accepted the request but before our commit: the retry finds it."""
    activities = BchActivities(settings_for(bch_standin), db_pool)
    req = decision("information_request")
    first = await activities.publish_decision(req)
    await db_pool.execute("DELETE FROM outgoing_messages WHERE message_key = $1", req.message_key)

    retried = await activities.publish_decision(req)

    # The draft is locked for the request; the lock names it, and the retry follows it.
    assert retried.workflow_request_id == first.workflow_request_id
    assert len(decision_requests(bch_standin)) == 1
    locked = [c for c in bch_standin.calls() if c["method"] == "PUT" and c["status"] == 400]
    assert len(locked) == 1
    stored = await row(db_pool, req.message_key)
    assert (stored["status"], stored["message_id"]) == ("sent", first.workflow_request_id)

    # Same after publication: the retry sees the published record and requests nothing.
    assert first.workflow_request_id is not None
    bch_standin.approve(first.workflow_request_id)
    await db_pool.execute("DELETE FROM outgoing_messages WHERE message_key = $1", req.message_key)
    after = await activities.publish_decision(req)
    assert after.status == "published" and after.public_id is not None
    assert len(decision_requests(bch_standin)) == 1


async def test_prohibition_without_reasons_is_stopped_by_our_schema(
    bch_standin: BchStandin, db_pool: asyncpg.Pool
) -> None:
    activities = BchActivities(settings_for(bch_standin), db_pool)
    req = decision("prohibition", reasons=None)

    with pytest.raises(ApplicationError) as raised:
        await activities.publish_decision(req)

    assert raised.value.type == "BchRecordInvalid"
    assert raised.value.non_retryable is True
    [errors] = raised.value.details
    assert [(e["code"], e["property"]) for e in errors] == [("Error.Mandatory", "reasons")]
    assert bch_standin.calls() == []  # nothing left the building
    stored = await row(db_pool, req.message_key)
    assert stored["status"] == "failed"
    assert stored["payload"]["validation_errors"] == errors


async def test_bch_validation_errors_are_not_retried(
    bch_standin: BchStandin, db_pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the BCH knows a rule our schema does not, its validation report (answered 400, as
    documented) stops the request with the BCH's own errors: not a retry, not a program bug."""
    monkeypatch.setattr(bch, "schema_errors", lambda *args, **kwargs: [])
    activities = BchActivities(settings_for(bch_standin), db_pool)
    req = decision("prohibition", reasons=None)

    with pytest.raises(ApplicationError) as raised:
        await activities.publish_decision(req)

    assert raised.value.type == "BchValidationError"
    assert raised.value.non_retryable is True
    assert raised.value.details == ([{"code": "Error.Mandatory", "property": "reasons"}],)
    validations = [c for c in bch_standin.calls() if c["path"].endswith("/validate")]
    assert validations[-1]["status"] == 400
    assert decision_requests(bch_standin) == []
    stored = await row(db_pool, req.message_key)
    assert stored["status"] == "failed"
    assert stored["server_response"] == "Error.Mandatory reasons"
    assert stored["payload"]["validation_errors"] == [
        {"code": "Error.Mandatory", "property": "reasons"}
    ]


async def test_a_400_that_is_not_a_validation_report_is_a_refusal(
    bch_standin: BchStandin,
) -> None:
    """A 400 without an errors list (e.g. a schema the realm does not have) is not the record's
    fault: it stays a refusal of the request."""
    client = BchClient(settings_for(bch_standin))
    try:
        with pytest.raises(ApplicationError) as raised:
            await client.validate("noSuchSchema", {"header": {}})
        assert raised.value.type == "BchRequestRejected" and raised.value.non_retryable
        report = await client.validate("biosafetyDecision", {"header": {}})
        assert report.status == 400 and report.errors
    finally:
        await client.aclose()


async def test_token_expiring_mid_flow_is_renewed_once(
    bch_standin: BchStandin, db_pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    activities = BchActivities(settings_for(bch_standin), db_pool)
    req = decision("approval")
    uid = document_uid(req.message_key)
    real_send = BchClient.send

    async def send_then_expire(self: BchClient, method: str, path: str, **kw: Any) -> Any:
        response = await real_send(self, method, path, **kw)
        if method == "PUT" and uid in path:  # the token dies between saving and validating
            bch_standin.expire_tokens()
        return response

    monkeypatch.setattr(BchClient, "send", send_then_expire)
    result = await activities.publish_decision(req)

    assert result.status == "publication_requested"
    calls = [(c["method"], c["path"].rsplit("/", 1)[-1], c["status"]) for c in bch_standin.calls()]
    assert calls[-5:] == [
        ("PUT", "draft", 201),
        ("POST", "validate", 401),
        ("POST", "token", 200),
        ("POST", "validate", 200),
        ("POST", "workflows", 201),
    ]


async def test_cached_token_is_reused_across_calls(
    bch_standin: BchStandin, db_pool: asyncpg.Pool
) -> None:
    activities = BchActivities(settings_for(bch_standin), db_pool)
    await activities.publish_decision(decision("approval"))
    await activities.publish_decision(decision("prohibition"))
    tokens = [c for c in bch_standin.calls() if c["path"].endswith("/token")]
    assert len(tokens) == 1


async def test_unavailable_bch_is_retryable_then_succeeds_once(
    bch_standin: BchStandin, db_pool: asyncpg.Pool
) -> None:
    activities = BchActivities(settings_for(bch_standin), db_pool)
    req = decision("approval_with_conditions")
    bch_standin.set_faults("fail")

    with pytest.raises(ApplicationError) as raised:
        await activities.publish_decision(req)

    assert raised.value.type == "BchUnavailable"
    assert raised.value.non_retryable is False
    assert "503" in str(raised.value)
    stored = await row(db_pool, req.message_key)
    assert stored["status"] == "pending" and "503" in stored["last_error"]

    bch_standin.set_faults("none")
    result = await activities.publish_decision(req)

    assert result.status == "publication_requested"
    assert len(decision_requests(bch_standin)) == 1
    assert (await row(db_pool, req.message_key))["attempts"] == 2


async def test_hanging_bch_times_out_as_retryable(
    bch_standin: BchStandin, db_pool: asyncpg.Pool
) -> None:
    activities = BchActivities(settings_for(bch_standin), db_pool, http_timeout_seconds=0.3)
    bch_standin.set_faults("hang", hang_seconds=1.0)

    with pytest.raises(ApplicationError) as raised:
        await activities.publish_decision(decision())

    assert raised.value.type == "BchUnavailable" and raised.value.non_retryable is False
    assert "in time" in str(raised.value)


async def test_unreachable_bch_is_retryable(db_pool: asyncpg.Pool) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    activities = BchActivities(settings_for(bch_base_url=closed), db_pool)

    with pytest.raises(ApplicationError) as raised:
        await activities.publish_decision(decision())

    assert raised.value.type == "BchUnavailable" and raised.value.non_retryable is False


async def test_runs_as_an_activity(bch_standin: BchStandin, db_pool: asyncpg.Pool) -> None:
    activities = BchActivities(settings_for(bch_standin), db_pool)

    result = await ActivityEnvironment().run(activities.publish_decision, decision("extension"))

    assert result.status == "publication_requested"
