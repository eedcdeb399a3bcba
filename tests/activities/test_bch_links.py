"""The biosafetyDecision record's links: LMOs, risk assessments, documents, Art 13 records and
Art 12 amendments; our schema checks their form, the BCH (here the stand-in) checks that they
exist."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import jsonschema
import pydantic
import pytest
from temporalio.exceptions import ApplicationError

from activities.bch import (
    BCH_TERMS,
    EXEMPT_FROM_AIA,
    BchActivities,
    BchLink,
    build_decision_record,
    document_uid,
    record_schema,
    schema_errors,
)
from infra.bch_standin_state import (
    SEEDED_AUTHORITY_RECORDS,
    SEEDED_LMO_RECORDS,
    SEEDED_RISK_ASSESSMENT_RECORDS,
)
from tests.activities.test_bch import (
    RESULT_EXTRAS,
    TRANSBOUNDARY_SUBJECT,
    api,
    decision,
    decision_requests,
    row,
    settings_for,
)
from tests.support.bch import BchStandin

API = "/api/v2013"
MON810 = SEEDED_LMO_RECORDS["MON-ØØ81Ø-6"]
MON87460 = SEEDED_LMO_RECORDS["MON-8746Ø-4"]
MON810_RA = SEEDED_RISK_ASSESSMENT_RECORDS["MON-ØØ81Ø-6"]
EARLIER_DECISION = "0B7D3F6E-2C41-4E8A-9A1B-5D6C7E8F9A0B@2"
AIA_SUBJECT = BCH_TERMS["DecisionTypes"]["intentional_introduction"]
ART13_SUBJECT = BCH_TERMS["DecisionTypes"]["simplified_procedure"]
AIA_SUBJECTS = [{"identifier": AIA_SUBJECT}, {"identifier": TRANSBOUNDARY_SUBJECT}]

LINKS: dict[str, Any] = {
    "modified_organisms": [MON810, MON87460],
    "risk_assessments": [MON810_RA],
    "documents": [
        BchLink(url="https://gmo.example.hu/decisions/AIA-HU-2027-0042.pdf", name="Decision"),
        BchLink(url="https://gmo.example.hu/decisions/AIA-HU-2027-0042-hu.pdf", language="en"),
    ],
    "amended_records": [EARLIER_DECISION],
    "amendment_details": "Art 12(1): conditions tightened after new monitoring data.",
}
# The simplified procedure (Art 13): a record of its own.
ART13: dict[str, Any] = {
    "movement_allowed_under_13_1_a": True,
    "exempt_from_aia": False,
    "applies_to_subsequent_imports_art13": True,
}
NEW_PROPERTIES = {
    "modifiedOrganisms",
    "riskAssessments",
    "documents",
    "movementAllowedUnderA131A",
    EXEMPT_FROM_AIA,
    "appliesToSubsequentImports",
    "amendedRecords",
    "amendmentsDetails",
}


def errors_of(record: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["code"], e["property"]) for e in schema_errors(record)]


# --- the record (pure) --------------------------------------------------------------------------


@pytest.mark.parametrize("result", list(RESULT_EXTRAS))
def test_every_new_field_is_mapped_and_validates(result: str) -> None:
    record = build_decision_record(decision(result, **LINKS), settings_for())

    jsonschema.validate(record, record_schema(), cls=jsonschema.Draft202012Validator)
    assert schema_errors(record) == []
    assert record["modifiedOrganisms"] == [{"identifier": MON810}, {"identifier": MON87460}]
    assert record["riskAssessments"] == [{"identifier": MON810_RA}]
    assert record["documents"] == [
        {"url": "https://gmo.example.hu/decisions/AIA-HU-2027-0042.pdf", "name": "Decision"},
        {"url": "https://gmo.example.hu/decisions/AIA-HU-2027-0042-hu.pdf", "language": "en"},
    ]
    assert record["decisionTypes"] == AIA_SUBJECTS
    assert record["isAmendment"] is True
    assert record["amendedRecords"] == [{"identifier": EARLIER_DECISION}]
    assert record["amendmentsDetails"] == {"en": f"<p>{LINKS['amendment_details']}</p>"}
    # The rest of the record is what it was without the links.
    plain = build_decision_record(decision(result, message_key="k"), settings_for())
    linked = build_decision_record(decision(result, message_key="k", **LINKS), settings_for())
    unchanged = set(plain) - {"isAmendment"}
    assert {k: linked[k] for k in unchanged} == {k: plain[k] for k in unchanged}


@pytest.mark.parametrize("result", list(RESULT_EXTRAS))
def test_without_the_new_fields_the_record_is_as_before(result: str) -> None:
    record = build_decision_record(decision(result), settings_for())

    assert schema_errors(record) == []
    assert not NEW_PROPERTIES & set(record)
    assert record["isAmendment"] is False
    assert record["decisionTypes"] == AIA_SUBJECTS


def test_an_art13_record_has_the_simplified_procedure_as_its_one_subject() -> None:
    """The BCH form offers the simplified procedure as an alternative to the AIA subjects, shows
    its flags only for it, and clears the decision result (and so conditions and reasons) for
    it: what the decision says goes into the relevant information."""
    req = decision("approval_with_conditions", **ART13, modified_organisms=[MON810])
    record = build_decision_record(req, settings_for())

    jsonschema.validate(record, record_schema(), cls=jsonschema.Draft202012Validator)
    assert record["decisionTypes"] == [{"identifier": ART13_SUBJECT}]
    assert record["movementAllowedUnderA131A"] is True
    assert record[EXEMPT_FROM_AIA] is False  # a flag that is set is sent, even when false
    assert record["appliesToSubsequentImports"] is True
    absent = {
        "decisionResult",
        "conditions",
        "reasons",
        "extensionPeriod",
        "addressesTransboundaryMovement",
        "involvesFieldTrial",
        "receiptDate",
    }
    assert not absent & set(record)
    info = record["relevantInformation"]["en"]
    assert "<p>Decision: approval with conditions</p>" in info
    assert "<p>Conditions:<br>1. Post-release monitoring for three seasons<br>2. Isolation" in info
    assert "<p>Reasons: Low risk under the stated conditions" in info
    assert record["modifiedOrganisms"] == [{"identifier": MON810}]
    # The flag's name is a setting: the documentation's, or the form's.
    form = build_decision_record(req, settings_for(bch_exempt_property="exemptedFromAIA"))
    assert (form["exemptedFromAIA"], "exemptFromAIA" in form) == (False, False)
    assert schema_errors(form) == []


def test_each_art13_flag_alone() -> None:
    for name, prop in [
        ("movement_allowed_under_13_1_a", "movementAllowedUnderA131A"),
        ("exempt_from_aia", EXEMPT_FROM_AIA),
    ]:
        for value in (True, False):
            flag: dict[str, Any] = {name: value}
            record = build_decision_record(decision(**flag), settings_for())
            assert schema_errors(record) == []
            assert record[prop] is value
            assert not (NEW_PROPERTIES - {prop}) & set(record)
            assert record["decisionTypes"] == [{"identifier": ART13_SUBJECT}]


def test_references_are_normalised_and_deduplicated() -> None:
    lower = MON810.lower()
    req = decision(modified_organisms=[lower, f"  {MON810} ", MON87460])

    assert req.modified_organisms == [MON810, MON810, MON87460]
    record = build_decision_record(req, settings_for())
    assert record["modifiedOrganisms"] == [{"identifier": MON810}, {"identifier": MON87460}]


@pytest.mark.parametrize(
    "bad",
    [
        "9F7E79B3-D9E6-47B1-A17F-4930AE8E45A8",  # no revision
        "9F7E79B3-D9E6-47B1-A17F-4930AE8E45A8@0",  # revisions start at 1
        "9F7E79B3-D9E6-47B1-A17F-4930AE8E45A8@v1",
        "9F7E79B3-D9E6-47B1-A17F-4930AE8E45@1",  # GUID too short
        "9G7E79B3-D9E6-47B1-A17F-4930AE8E45A8@1",  # not hex
        "MON-ØØ81Ø-6",  # a unique identifier is not a record reference
        "bch-lmo-scbd-14750-1",  # nor is a public id
        "",
    ],
)
@pytest.mark.parametrize("field", ["modified_organisms", "risk_assessments", "amended_records"])
def test_malformed_references_are_refused_by_the_model(field: str, bad: str) -> None:
    fields: dict[str, Any] = {field: [bad]}
    if field == "amended_records":
        fields["amendment_details"] = "x"
    with pytest.raises(pydantic.ValidationError) as raised:
        decision(**fields)
    assert "is not a reference to a BCH record: expected GUID@revision" in str(raised.value)


def test_our_schema_checks_the_reference_form_too() -> None:
    """A record edited by hand (or built by a future bug) is still checked before it goes out."""
    record = build_decision_record(decision(**LINKS), settings_for())
    record["modifiedOrganisms"] = [{"identifier": MON810.split("@")[0]}]
    record["riskAssessments"] = [{"identifier": MON810_RA.replace("@1", "@0")}]
    record["amendedRecords"] = []

    assert errors_of(record) == [
        ("Error.InvalidValue", "amendedRecords"),
        ("Error.InvalidValue", "modifiedOrganisms.0.identifier"),
        ("Error.InvalidValue", "riskAssessments.0.identifier"),
    ]


def test_our_schema_requires_a_whole_amendment() -> None:
    settings = settings_for()
    no_details = decision(amended_records=[EARLIER_DECISION])
    no_records = decision(amendment_details="Conditions changed.")

    assert errors_of(build_decision_record(no_details, settings)) == [
        ("Error.Mandatory", "amendmentsDetails")
    ]
    assert errors_of(build_decision_record(no_records, settings)) == [
        ("Error.Mandatory", "amendedRecords")
    ]
    stray = build_decision_record(decision(), settings)
    stray["amendedRecords"] = [{"identifier": EARLIER_DECISION}]  # isAmendment stays false
    assert [code for code, _ in errors_of(stray)] == ["Error.InvalidValue"]


def test_our_schema_checks_art13_flags_and_links() -> None:
    settings = settings_for()
    orphan = decision(applies_to_subsequent_imports_art13=True)
    assert errors_of(build_decision_record(orphan, settings)) == [
        ("Error.Mandatory", "movementAllowedUnderA131A")
    ]
    not_allowed = decision(
        movement_allowed_under_13_1_a=False, applies_to_subsequent_imports_art13=True
    )
    assert errors_of(build_decision_record(not_allowed, settings)) == [
        ("Error.InvalidValue", "movementAllowedUnderA131A")
    ]
    no_subject = build_decision_record(decision(exempt_from_aia=True), settings)
    no_subject["decisionTypes"] = [{"identifier": AIA_SUBJECT}]
    assert ("Error.InvalidValue", "decisionTypes") in errors_of(no_subject)
    two_subjects = build_decision_record(decision(exempt_from_aia=True), settings)
    two_subjects["decisionTypes"].append({"identifier": AIA_SUBJECT})  # one subject per record
    assert ("Error.InvalidValue", "decisionTypes") in errors_of(two_subjects)
    with_result = build_decision_record(decision(exempt_from_aia=True), settings)
    with_result["decisionResult"] = {"identifier": BCH_TERMS["DecisionResults"]["approval"]}
    assert errors_of(with_result) == [("Error.InvalidValue", "(record)")]
    both_names = build_decision_record(decision(exempt_from_aia=True), settings)
    both_names["exemptedFromAIA"] = True
    assert errors_of(both_names) == [("Error.InvalidValue", "(record)")]

    links = [BchLink(url="file:///srv/confidential/dossier.pdf"), BchLink(url="https://x.hu/a b")]
    bad_links = build_decision_record(decision(documents=links), settings)
    assert errors_of(bad_links) == [
        ("Error.InvalidValue", "documents.0.url"),
        ("Error.InvalidValue", "documents.1.url"),
    ]
    bad_language = build_decision_record(
        decision(documents=[BchLink(url="https://x.hu/a.pdf", language="hu")]), settings
    )
    assert errors_of(bad_language) == [("Error.InvalidValue", "documents.0.language")]


# --- the stand-in's registry and reference checks --------------------------------------------


def test_standin_serves_the_seeded_records(bch_standin: BchStandin) -> None:
    with api(bch_standin) as client:
        for unique_id, ref in SEEDED_LMO_RECORDS.items():
            uid, revision = ref.split("@")
            body = client.get(f"{API}/documents/{uid}").json()
            assert body["header"] == {
                "identifier": uid,
                "schema": "modifiedOrganism",
                "languages": ["en"],
            }
            assert body["uniqueIdentification"] == unique_id
            info = client.get(f"{API}/documents/{uid.lower()}", params={"info": ""}).json()
            assert info["revision"] == int(revision) == 1
            assert info["uniqueIdentifier"].startswith("bch-lmo-scbd-")
        ra_uid = MON810_RA.split("@")[0]
        ra = client.get(f"{API}/documents/{ra_uid}").json()
        assert ra["header"]["schema"] == "nationalRiskAssessment"
        assert ra["modifiedOrganisms"] == [{"identifier": MON810}]
    assert bch_standin.state()["published"] == {}  # the registry is not our publications


def test_lmo_lookup_by_unique_identifier(bch_standin: BchStandin) -> None:
    with api(bch_standin) as client:

        def search(q: str) -> dict[str, Any]:
            response = client.get(f"{API}/index", params={"q": q})
            assert response.status_code == 200
            found: dict[str, Any] = response.json()["response"]
            return found

        lmos = search("schema_s:modifiedOrganism")
        assert lmos["numFound"] == len(SEEDED_LMO_RECORDS) == 3
        assert {d["uniqueIdentification_s"] for d in lmos["docs"]} == set(SEEDED_LMO_RECORDS)

        for typed in ("MON-ØØ81Ø-6", "MON-00810-6", "mon-øø81ø-6", '"MON-00810-6"'):
            [doc] = search(f"schema_s:modifiedOrganism AND uniqueIdentification_s:{typed}")["docs"]
            assert f"{doc['identifier_s']}@{doc['_revision_i']}" == MON810
            assert doc["transformationEvent_s"] == "MON810"
        [potato] = search("transformationEvent_s:EH92-527-1")["docs"]
        assert potato["uniqueIdentification_s"] == "BPS-25271-9"
        assert search("uniqueIdentification_s:SYN-IR6Ø4-5")["numFound"] == 0

        [ra] = search(
            f"schema_s:nationalRiskAssessment AND modifiedOrganisms_ss:{MON810.split('@')[0]}"
        )["docs"]
        assert f"{ra['identifier_s']}@{ra['_revision_i']}" == MON810_RA
        # Decision searches are not disturbed by the registry.
        assert search("schema_s:biosafetyDecision")["numFound"] == 0


def test_registry_survives_a_reset(bch_standin: BchStandin) -> None:
    bch_standin.reset()
    assert {p["identifier"] for p in bch_standin.state()["registry"].values()} == {
        ref.split("@")[0]
        for ref in [*SEEDED_LMO_RECORDS.values(), MON810_RA, *SEEDED_AUTHORITY_RECORDS.values()]
    }


def test_standin_refuses_references_that_do_not_resolve(bch_standin: BchStandin) -> None:
    settings = settings_for(bch_standin)
    unknown = str(uuid.uuid4()).upper()
    with api(bch_standin) as client:

        def validate(record: dict[str, Any]) -> list[dict[str, Any]]:
            response = client.post(
                f"{API}/documents/x/validate", params={"schema": "biosafetyDecision"}, json=record
            )
            errors: list[dict[str, Any]] = response.json().get("errors", [])
            assert response.status_code == (400 if errors else 200)
            return errors

        def report(**fields: Any) -> list[dict[str, Any]]:
            # No exporters or importers: their contact records do not exist in this test.
            fields = {"exporters": [], "importers": [], **fields}
            record = build_decision_record(decision(**fields), settings)
            assert schema_errors(record) == []  # our schema cannot know
            return validate(record)

        def invalid(prop: str) -> list[dict[str, Any]]:
            # The documentation has no code of its own for a reference that does not resolve.
            return [{"code": "Error.InvalidValue", "property": prop}]

        # A reference carries a revision (our model refuses one without; the BCH too).
        bare = build_decision_record(decision(exporters=[], importers=[]), settings)
        bare["modifiedOrganisms"] = [{"identifier": MON810.split("@")[0]}]
        assert validate(bare) == invalid("modifiedOrganisms")
        # The authority must exist too.
        unknown_authority = build_decision_record(
            decision(exporters=[], importers=[]),
            settings_for(bch_standin, bch_authority_uids=[f"{unknown}@1"]),
        )
        assert validate(unknown_authority) == invalid("authorities")
        # Contacts that do not exist.
        assert report(exporters=decision().exporters) == invalid("exporters")

        assert report(modified_organisms=[MON810, MON87460], risk_assessments=[MON810_RA]) == []
        assert report(modified_organisms=[MON810.lower()]) == []
        assert report(modified_organisms=[MON810, f"{unknown}@1"]) == invalid("modifiedOrganisms")
        assert report(modified_organisms=[MON810.replace("@1", "@2")]) == invalid(
            "modifiedOrganisms"
        )  # that revision does not exist
        assert report(modified_organisms=[MON810_RA]) == invalid("modifiedOrganisms")  # wrong kind
        assert report(risk_assessments=[MON810]) == invalid("riskAssessments")
        assert report(amended_records=[f"{unknown}@1"], amendment_details="x") == invalid(
            "amendedRecords"
        )


# --- the adapter against the stand-in -------------------------------------------------------------


async def test_amendment_without_details_is_stopped_by_our_schema(
    bch_standin: BchStandin, db_pool: asyncpg.Pool
) -> None:
    activities = BchActivities(settings_for(bch_standin), db_pool)
    req = decision("approval_with_conditions", amended_records=[EARLIER_DECISION])

    with pytest.raises(ApplicationError) as raised:
        await activities.publish_decision(req)

    assert raised.value.type == "BchRecordInvalid" and raised.value.non_retryable is True
    [errors] = raised.value.details
    assert [(e["code"], e["property"]) for e in errors] == [
        ("Error.Mandatory", "amendmentsDetails")
    ]
    assert bch_standin.calls() == []  # nothing left the building
    stored = await row(db_pool, req.message_key)
    assert stored["status"] == "failed"
    assert stored["payload"]["validation_errors"] == errors


async def test_unknown_lmo_is_refused_by_the_bch_then_fixed_and_resubmitted(
    bch_standin: BchStandin, db_pool: asyncpg.Pool
) -> None:
    """The officer's path: the case shows the BCH's validation error; the corrected record goes
    out under the same message key (same document), and only once."""
    activities = BchActivities(settings_for(bch_standin), db_pool)
    typo = MON810.replace("9F7E79B3", "9F7E79B4")
    req = decision("prohibition", modified_organisms=[typo], risk_assessments=[MON810_RA])
    assert schema_errors(build_decision_record(req, settings_for(bch_standin))) == []

    with pytest.raises(ApplicationError) as raised:
        await activities.publish_decision(req)

    assert raised.value.type == "BchValidationError"
    assert raised.value.non_retryable is True
    errors = [{"code": "Error.InvalidValue", "property": "modifiedOrganisms"}]
    assert raised.value.details == (errors,)
    assert decision_requests(bch_standin) == []
    stored = await row(db_pool, req.message_key)
    assert stored["status"] == "failed"
    assert stored["server_response"] == "Error.InvalidValue modifiedOrganisms"
    assert stored["payload"]["validation_errors"] == errors
    assert "refused" in stored["last_error"]

    fixed = req.model_copy(update={"modified_organisms": [MON810]})
    result = await activities.publish_decision(fixed)

    assert result.status == "publication_requested"
    assert result.document_uid == document_uid(req.message_key)
    assert len(decision_requests(bch_standin)) == 1
    draft = bch_standin.state()["drafts"][result.document_uid]["body"]
    assert draft["modifiedOrganisms"] == [{"identifier": MON810}]
    stored = await row(db_pool, req.message_key)
    assert (stored["status"], stored["attempts"]) == ("sent", 2)
    assert stored["payload"]["document"]["modifiedOrganisms"] == [{"identifier": MON810}]
    assert stored["payload"]["publication"]["status"] == "publication_requested"


async def test_art12_change_amends_the_published_record(
    bch_standin: BchStandin, db_pool: asyncpg.Pool
) -> None:
    """A published decision is referenceable at its revision; a later change amends it."""
    bch_standin.configure(auto_approve=True)
    activities = BchActivities(settings_for(bch_standin), db_pool)
    first = await activities.publish_decision(
        decision("approval", modified_organisms=[MON810], case_id="AIA-HU-2027-0042")
    )
    assert first.status == "published"
    earlier = f"{first.document_uid}@1"

    change = decision(
        "approval_with_conditions",
        message_key="aia-hu-2027-0042:bch:review-1",
        modified_organisms=[MON810],
        amended_records=[earlier.lower()],
        amendment_details="Art 12(1): conditions added after new information on gene flow.",
    )
    amended = await activities.publish_decision(change)

    assert amended.status == "published"
    with api(bch_standin) as client:
        body = client.get(f"{API}/documents/{amended.document_uid}").json()
        assert body["isAmendment"] is True
        assert body["amendedRecords"] == [{"identifier": earlier}]

    # A revision of the earlier record that does not exist is refused by the BCH.
    wrong = change.model_copy(
        update={
            "message_key": "aia-hu-2027-0042:bch:review-2",
            "amended_records": [f"{earlier[:-1]}2"],
        }
    )
    with pytest.raises(ApplicationError) as raised:
        await activities.publish_decision(wrong)
    assert raised.value.type == "BchValidationError"
    assert raised.value.details == ([{"code": "Error.InvalidValue", "property": "amendedRecords"}],)
