"""Exporters and importers as BCH contact records: created once (draft, validation, publication
request), kept in the register and reused by every later decision that names the same party;
and what we build passes the strict stand-in as a whole."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from temporalio.exceptions import ApplicationError

from activities.bch import BchActivities, BchParty, build_decision_record, document_uid
from activities.bch_record import build_contact, contact_key, contact_uid
from infra.bch_standin_state import SEEDED_LMO_RECORDS, SEEDED_RISK_ASSESSMENT_RECORDS
from tests.activities.test_bch import (
    API,
    EXPORTER,
    IMPORTER,
    RESULT_EXTRAS,
    api,
    decision,
    decision_requests,
    row,
    settings_for,
)
from tests.activities.test_bch_links import ART13, LINKS
from tests.support.bch import BchStandin

REALM = "bch-dev"


def contact_requests(standin: BchStandin) -> list[dict[str, Any]]:
    requests = standin.state()["requests"].values()
    return [r for r in requests if r["type"]["name"] == "publishReferenceRecord"]


async def contact_row(pool: asyncpg.Pool, party: BchParty) -> asyncpg.Record | None:
    return await pool.fetchrow(
        "SELECT * FROM bch_contacts WHERE contact_key = $1", contact_key(party, REALM)
    )


def test_a_contact_record_as_the_bch_documents_it() -> None:
    contact = build_contact(EXPORTER, REALM, "en")
    assert contact == {
        "header": {
            "identifier": contact_uid(contact_key(EXPORTER, REALM)),
            "schema": "contact",
            "languages": ["en"],
        },
        "type": "organization",
        "organization": {"en": "Acme Seeds B.V."},
        "emails": ["regulatory@acme-seeds.example"],  # found in Annex I's contact details
        "address": {"en": "Wageningen"},
        "country": {"identifier": "nl"},
    }
    # The same party, however it is spelled, is the same contact; another address is another.
    spaced = EXPORTER.model_copy(update={"name": " acme  SEEDS b.v. "})
    assert contact_key(spaced, REALM) == contact_key(EXPORTER, REALM)
    moved = EXPORTER.model_copy(update={"address": "Ede"})
    assert contact_key(moved, REALM) != contact_key(EXPORTER, REALM)
    assert contact_key(EXPORTER, "bch") != contact_key(EXPORTER, REALM)
    assert build_contact(BchParty(name="No mail", address="x", country="GB"), REALM, "en") is None


async def test_contacts_are_created_once_and_reused_across_cases(
    bch_standin: BchStandin, db_pool: asyncpg.Pool
) -> None:
    settings = settings_for(bch_standin)
    activities = BchActivities(settings, db_pool)
    first = decision("approval", case_id="AIA-HU-2027-0001")
    second = decision("prohibition", case_id="AIA-HU-2027-0002")

    await activities.publish_decision(first)
    await activities.publish_decision(second)

    # Two contact records (exporter, importer), each drafted, validated and published once.
    assert len(contact_requests(bch_standin)) == 2
    assert len(decision_requests(bch_standin)) == 2
    contact_puts = [
        c for c in bch_standin.calls() if c["method"] == "PUT" and "contact" in c["query"]
    ]
    assert len(contact_puts) == 2
    drafts = bch_standin.state()["drafts"]
    exporter_ref = f"{contact_uid(contact_key(EXPORTER, REALM))}@1"
    importer_ref = f"{contact_uid(contact_key(IMPORTER, REALM))}@1"
    for req in (first, second):
        body = drafts[document_uid(req.message_key)]["body"]
        assert body["exporters"] == [{"identifier": exporter_ref}]
        assert body["importers"] == [{"identifier": importer_ref}]
    # The register keeps them, published at revision 1.
    for party, ref in ((EXPORTER, exporter_ref), (IMPORTER, importer_ref)):
        stored = await contact_row(db_pool, party)
        assert stored is not None
        assert (f"{stored['identifier']}@{stored['revision']}", stored["request_id"]) == (ref, None)
        assert stored["document"] == build_contact(party, REALM, "en")
    # The published contact is what we sent.
    with api(bch_standin) as client:
        published = client.get(f"{API}/documents/{exporter_ref.split('@')[0]}").json()
    assert published == build_contact(EXPORTER, REALM, "en")


async def test_a_lost_register_row_finds_the_contact_again(
    bch_standin: BchStandin, db_pool: asyncpg.Pool
) -> None:
    activities = BchActivities(settings_for(bch_standin), db_pool)
    await activities.publish_decision(decision("approval"))
    await db_pool.execute("DELETE FROM bch_contacts")

    await activities.publish_decision(decision("prohibition"))

    assert len(contact_requests(bch_standin)) == 2  # found on the BCH, not created again
    stored = await contact_row(db_pool, EXPORTER)
    assert stored is not None and stored["revision"] == 1


async def test_a_register_row_whose_record_is_gone_creates_it_again(
    bch_standin: BchStandin, db_pool: asyncpg.Pool
) -> None:
    """The register remembers a contact the BCH does not have (here: a reset stand-in); the
    record is checked before it is referenced, and published again under the same identifier."""
    activities = BchActivities(settings_for(bch_standin), db_pool)
    await activities.publish_decision(decision("approval"))
    bch_standin.reset()

    await activities.publish_decision(decision("prohibition"))

    assert len(contact_requests(bch_standin)) == 2
    assert len(decision_requests(bch_standin)) == 1


async def test_a_pending_contact_holds_the_decision_back_until_it_is_published(
    bch_standin: BchStandin, db_pool: asyncpg.Pool
) -> None:
    bch_standin.configure(publish_reference_records=False)
    activities = BchActivities(settings_for(bch_standin), db_pool)
    req = decision("approval", importers=[])

    with pytest.raises(ApplicationError) as raised:
        await activities.publish_decision(req)

    # Retryable: the decision follows once the contact is published.
    assert raised.value.type == "BchContactPending" and not raised.value.non_retryable
    [pending] = contact_requests(bch_standin)
    stored = await contact_row(db_pool, EXPORTER)
    assert stored is not None and (stored["request_id"], stored["revision"]) == (
        pending["_id"],
        None,
    )
    assert "awaits publication" in (await row(db_pool, req.message_key))["last_error"]
    assert decision_requests(bch_standin) == []

    # Asked again while still pending: no second request, no second draft.
    with pytest.raises(ApplicationError):
        await activities.publish_decision(req)
    assert len(contact_requests(bch_standin)) == 1

    bch_standin.approve(pending["_id"])
    result = await activities.publish_decision(req)

    assert result.status == "publication_requested"
    stored = await contact_row(db_pool, EXPORTER)
    assert stored is not None and (stored["request_id"], stored["revision"]) == (None, 1)


async def test_a_contact_the_bch_refuses_is_the_officers_to_correct(
    bch_standin: BchStandin, db_pool: asyncpg.Pool
) -> None:
    """A country code our schema lets through but the BCH's thesaurus does not know: the BCH's
    own error, named after the party, and no decision sent."""
    activities = BchActivities(settings_for(bch_standin), db_pool)
    elsewhere = EXPORTER.model_copy(update={"country": "AA"})
    req = decision("approval", exporters=[IMPORTER, elsewhere])

    with pytest.raises(ApplicationError) as raised:
        await activities.publish_decision(req)

    assert raised.value.type == "BchValidationError" and raised.value.non_retryable
    assert raised.value.details == (
        [{"code": "Error.UnexpectedTerm", "property": "exporters[1].country"}],
    )
    stored = await row(db_pool, req.message_key)
    assert stored["status"] == "failed"
    assert stored["server_response"] == "Error.UnexpectedTerm exporters[1].country"
    assert decision_requests(bch_standin) == []

    fixed = req.model_copy(update={"exporters": [IMPORTER, EXPORTER]})
    assert (await activities.publish_decision(fixed)).status == "publication_requested"


async def test_a_party_without_an_email_gets_no_contact_and_the_officer_is_told(
    bch_standin: BchStandin, db_pool: asyncpg.Pool
) -> None:
    activities = BchActivities(settings_for(bch_standin), db_pool)
    quiet = BchParty(name="Quiet Exports Ltd", address="1 Road, Leeds", country="GB")
    req = decision("approval", exporters=[quiet])

    result = await activities.publish_decision(req)

    assert result.status == "publication_requested"
    assert result.notes == [
        "Exporter 'Quiet Exports Ltd' is named in the record's text only: the BCH needs an "
        "e-mail address to create its contact record"
    ]
    assert len(contact_requests(bch_standin)) == 1  # the importer's
    body = bch_standin.state()["drafts"][result.document_uid]["body"]
    assert "exporters" not in body
    assert "Exporter: Quiet Exports Ltd" in body["relevantInformation"]["en"]


async def test_a_missing_email_our_schema_sees_is_stopped_before_anything_is_sent(
    bch_standin: BchStandin, db_pool: asyncpg.Pool
) -> None:
    activities = BchActivities(settings_for(bch_standin), db_pool)
    homeless = EXPORTER.model_copy(update={"address": None})
    req = decision("approval", exporters=[homeless])

    with pytest.raises(ApplicationError) as raised:
        await activities.publish_decision(req)

    assert raised.value.type == "BchRecordInvalid"
    [errors] = raised.value.details
    assert [(e["code"], e["property"]) for e in errors] == [
        ("Error.Mandatory", "exporters[0].address")
    ]
    assert bch_standin.calls() == []


@pytest.mark.parametrize("result", list(RESULT_EXTRAS))
async def test_what_we_build_passes_the_strict_standin(
    result: str, bch_standin: BchStandin, db_pool: asyncpg.Pool
) -> None:
    """Every decision result, with every link, and an Art 13 record: saved, validated (200, no
    errors) and requested, contacts included."""
    bch_standin.configure(auto_approve=True)
    settings = settings_for(bch_standin)
    activities = BchActivities(settings, db_pool)
    earlier = await activities.publish_decision(decision("approval"))
    links = LINKS | {
        "amended_records": [f"{earlier.document_uid}@1"],
        "modified_organisms": [SEEDED_LMO_RECORDS["MON-ØØ81Ø-6"]],
        "risk_assessments": [SEEDED_RISK_ASSESSMENT_RECORDS["MON-ØØ81Ø-6"]],
    }
    for req in (
        decision(result, **links),
        decision(result, **ART13, modified_organisms=links["modified_organisms"]),
    ):
        published = await activities.publish_decision(req)
        assert published.status == "published", req
        validations = [c for c in bch_standin.calls() if c["path"].endswith("/validate")]
        assert all(c["status"] == 200 for c in validations)
        with api(bch_standin) as client:
            stored = client.get(f"{API}/documents/{published.document_uid}").json()
        assert stored == build_decision_record(req, settings)
