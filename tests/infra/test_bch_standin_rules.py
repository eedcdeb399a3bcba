"""The BCH stand-in is as strict as the BCH's API documentation: unknown properties, wrong types,
undeclared locales, terms outside their domain and references that do not resolve are refused
with the documented error types; an invalid document is answered 400 with its errors; the
thesaurus is public and labelled as the documentation labels it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from infra.bch_standin_state import SEEDED_LMO_RECORDS
from infra.bch_thesaurus import DOCUMENTED_LABELS, THESAURUS
from infra.settings import PLACEHOLDER_AUTHORITY
from tests.support.bch import BchStandin

API = "/api/v2013"
UID = "AAAA1111-0000-4000-8000-000000000001"
CONTACT_UID = "AAAA1111-0000-4000-8000-0000000000C0"
AIA = "E8C5A15C-A736-4fb7-A1B6-192412BE7E45"
NARROWER = "A0F944AD-1578-47F4-BB71-A9805EC0EB7A"
ART13 = "8979219B-330B-424F-A52C-209D4B4B65C0"
APPROVAL = "3B9ECE67-B35C-40FF-8C06-4EA5FF762899"


def valid_decision() -> dict[str, Any]:
    return {
        "header": {"identifier": UID, "schema": "biosafetyDecision", "languages": ["en"]},
        "government": {"identifier": "hu"},
        "authorities": [{"identifier": PLACEHOLDER_AUTHORITY}],
        "title": {"en": "A decision"},
        "date": "2027-09-20",
        "isAmendment": False,
        "decisionTypes": [{"identifier": AIA}, {"identifier": NARROWER}],
        "addressesTransboundaryMovement": True,
        "decisionResult": {"identifier": APPROVAL},
        "modifiedOrganisms": [{"identifier": SEEDED_LMO_RECORDS["MON-ØØ81Ø-6"]}],
        "expires": False,
    }


def valid_contact() -> dict[str, Any]:
    return {
        "header": {"identifier": CONTACT_UID, "schema": "contact", "languages": ["en"]},
        "type": "organization",
        "organization": {"en": "Acme Seeds B.V."},
        "address": {"en": "Wageningen"},
        "country": {"identifier": "nl"},
        "emails": ["regulatory@acme-seeds.example"],
    }


@pytest.fixture
def client(bch_standin: BchStandin) -> Any:
    token = bch_standin.token()
    headers = {"Authorization": f"Bearer {token}", "Realm": "bch-dev"}
    with httpx.Client(base_url=bch_standin.base_url, headers=headers, timeout=10) as c:
        yield c


def errors(client: httpx.Client, document: dict[str, Any], schema: str = "biosafetyDecision"):  # type: ignore[no-untyped-def]
    response = client.post(f"{API}/documents/x/validate", params={"schema": schema}, json=document)
    body = response.json()
    if response.status_code == 200:
        assert "errors" not in body
        return []
    assert response.status_code == 400, response.text
    assert body["identifier"] == document["header"]["identifier"]
    return [(e["code"], e["property"]) for e in body["errors"]]


def test_valid_documents_are_answered_200(client: httpx.Client) -> None:
    response = client.post(
        f"{API}/documents/x/validate",
        params={"schema": "biosafetyDecision"},
        json=valid_decision(),
    )
    assert response.status_code == 200
    assert response.json()["metaData"] == {"government": "hu"}
    assert errors(client, valid_contact(), "contact") == []


def test_unknown_properties_are_refused(client: httpx.Client) -> None:
    inline_contact = valid_decision() | {
        "exemptedFromAIA": True,  # the form's name, not the documented one
        "caseReference": "x",
    }
    assert errors(client, inline_contact) == [
        ("Error.InvalidProperty", "exemptedFromAIA"),
        ("Error.InvalidProperty", "caseReference"),
    ]
    assert errors(client, valid_contact() | {"website": "x"}, "contact") == [
        ("Error.InvalidProperty", "website")
    ]


def test_wrong_types_are_refused(client: httpx.Client) -> None:
    wrong = valid_decision() | {
        "isAmendment": "no",
        "extensionPeriod": "30",
        "title": "A decision",
        "decisionResult": APPROVAL,
        "documents": {"url": "https://x.hu"},
    }
    assert sorted(errors(client, wrong)) == [
        ("Error.InvalidType", "decisionResult"),
        ("Error.InvalidType", "documents"),
        ("Error.InvalidType", "extensionPeriod"),
        ("Error.InvalidType", "isAmendment"),
        ("Error.InvalidType", "title"),
    ]
    # The exporters of a decision are references to contact records, not contacts.
    inline = valid_decision() | {"exporters": [valid_contact()]}
    assert errors(client, inline) == [("Error.InvalidType", "exporters")]
    assert errors(client, valid_contact() | {"emails": "a@b.example"}, "contact") == [
        ("Error.InvalidType", "emails")
    ]


def test_locales_must_be_declared_in_the_header(client: httpx.Client) -> None:
    french = valid_decision() | {"title": {"en": "A decision", "fr": "Une décision"}}
    assert errors(client, french) == [("Error.UnspecifiedLocale", "title")]
    declared = french | {"header": french["header"] | {"languages": ["en", "fr"]}}
    assert errors(client, declared) == []
    hungarian = valid_decision()
    hungarian["header"]["languages"] = ["hu"]
    assert ("Error.InvalidValue", "header.languages") in errors(client, hungarian)


def test_terms_outside_their_domain_are_refused(client: httpx.Client) -> None:
    result = valid_decision() | {"decisionResult": {"identifier": AIA}}  # a subject, not a result
    assert errors(client, result) == [("Error.UnexpectedTerm", "decisionResult")]
    subject = valid_decision() | {"decisionTypes": [{"identifier": APPROVAL}]}
    assert errors(client, subject) == [("Error.UnexpectedTerm", "decisionTypes")]
    country = valid_contact() | {"country": {"identifier": "aa"}}
    assert errors(client, country, "contact") == [("Error.UnexpectedTerm", "country")]


def test_references_must_name_an_existing_revision_of_the_right_kind(
    client: httpx.Client,
) -> None:
    lmo = SEEDED_LMO_RECORDS["MON-ØØ81Ø-6"]
    for reference in (lmo.split("@")[0], lmo.replace("@1", "@2")):  # no revision; no such revision
        document = valid_decision() | {"modifiedOrganisms": [{"identifier": reference}]}
        assert errors(client, document) == [("Error.InvalidValue", "modifiedOrganisms")]
    wrong_kind = valid_decision() | {"authorities": [{"identifier": lmo}]}
    assert errors(client, wrong_kind) == [("Error.InvalidValue", "authorities")]
    no_contact = valid_decision() | {"exporters": [{"identifier": f"{CONTACT_UID}@1"}]}
    assert errors(client, no_contact) == [("Error.InvalidValue", "exporters")]


def test_mandatory_fields(client: httpx.Client) -> None:
    person = valid_contact() | {"type": "person"}
    del person["emails"]
    assert errors(client, person, "contact") == [
        ("Error.Mandatory", "emails"),
        ("Error.Mandatory", "firstName"),
        ("Error.Mandatory", "lastName"),
        ("Error.Mandatory", "contactOrganization"),
    ]
    conditional = valid_decision() | {
        "decisionResult": {"identifier": "3EFF4792-A896-4DC7-9945-04FE9C8B5B4F"}
    }
    assert errors(client, conditional) == [
        ("Error.Mandatory", "reasons"),
        ("Error.Mandatory", "conditions"),
    ]


def test_the_forms_subject_rules(client: httpx.Client) -> None:
    """One subject per record, unless it is the intentional-introduction / direct-use pair; an
    intentional introduction triggered by a transboundary movement names its narrower subject."""
    both = valid_decision() | {"decisionTypes": [{"identifier": ART13}, {"identifier": AIA}]}
    assert ("Error.InvalidValue", "decisionTypes") in errors(client, both)
    broad = valid_decision() | {"decisionTypes": [{"identifier": AIA}]}
    assert errors(client, broad) == [("Error.Mandatory", "decisionTypes")]
    art13 = valid_decision() | {"decisionTypes": [{"identifier": ART13}]}
    del art13["addressesTransboundaryMovement"], art13["decisionResult"]
    assert errors(client, art13 | {"movementAllowedUnderA131A": True}) == []


def test_a_schema_the_realm_does_not_have_is_not_a_validation_report(
    client: httpx.Client,
) -> None:
    response = client.post(f"{API}/documents/x/validate", params={"schema": "x"}, json={})
    assert response.status_code == 400
    assert "errors" not in response.json()


def test_the_thesaurus_is_public_and_labelled_as_documented(bch_standin: BchStandin) -> None:
    anonymous = bch_standin.control  # no token, no realm
    types = anonymous.get(f"{API}/thesaurus/domains/DecisionTypes/terms")
    assert types.status_code == 200
    [intentional] = [t for t in types.json() if t["identifier"] == AIA]
    assert intentional["termId"] == 5061
    assert intentional["name"] == (
        "Decision on LMOs for intentional introduction into the environment (according to "
        "Article 10 or domestic regulatory framework)"
    )
    assert intentional["narrowerTerms"] == [NARROWER, "47B66371-7016-4F28-B33A-0DBFF43581CA"]
    results = anonymous.get(f"{API}/thesaurus/domains/DecisionResults/terms").json()
    assert {t["identifier"]: t["name"] for t in results}[APPROVAL] == (
        "Approval of the import and/or use of the LMO(s) without conditions"
    )
    for term in [*types.json(), *results]:  # the documented shape of a term
        assert {"identifier", "name", "title", "broaderTerms", "narrowerTerms"} <= set(term)
    # Domains as the documentation spells them, and only so.
    assert anonymous.get(f"{API}/thesaurus/domains/decisionTypes/terms").status_code == 404
    # Every documented label is served as documented.
    served = {t["identifier"]: t["name"] for terms in THESAURUS.values() for t in terms}
    assert {k: served[k] for k in DOCUMENTED_LABELS} == DOCUMENTED_LABELS
    assert len(DOCUMENTED_LABELS) == 4


def test_a_draft_is_read_back_as_stored_and_deleted(client: httpx.Client) -> None:
    url = f"{API}/documents/{CONTACT_UID}/versions/draft"
    saved = client.put(url, params={"schema": "contact"}, json=valid_contact())
    assert saved.status_code == 201
    assert saved.json()["workingDocumentID"] >= 1 and "documentID" not in saved.json()
    assert client.get(url).json() == valid_contact()
    assert client.get(f"{url}/info").json()["workingDocumentTitle"] == {"en": "Acme Seeds B.V."}
    assert client.delete(url).status_code == 200
    assert client.get(url).status_code == 404
    assert client.delete(url).status_code == 404
