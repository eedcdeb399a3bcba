"""The validation rules of the BCH stand-in: a document is checked as strictly as the BCH's API
documentation describes its validation (scbd/clearing-house-documentation: the field tables of
``biosafetyDecision`` and ``contact``, and the error types of
``components/common/validation-error.md``).

- a property the schema does not have: ``Error.InvalidProperty``;
- a value of the wrong type: ``Error.InvalidType``; of the right type but not allowed:
  ``Error.InvalidValue``;
- a localised text in a language the header does not declare: ``Error.UnspecifiedLocale``;
- a term outside its thesaurus domain: ``Error.UnexpectedTerm``;
- a mandatory field missing: ``Error.Mandatory``;
- a reference (``GUID@revision``) without a revision, or to a record or revision that does not
  exist, or to a record of the wrong kind: ``Error.InvalidValue`` (the documentation names no code
  of its own for it).

Two rules come from the BCH's form rather than its documentation (edit-biosafety-decision): one
subject per record unless the subjects are the intentional-introduction / direct-use pair, and
the narrower subject of an intentional introduction triggered by a request for a transboundary
movement. They are marked ``form`` below.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from infra.bch_thesaurus import (
    DIRECT_USE,
    INTENTIONAL_INTRODUCTION,
    identifiers,
    narrower,
)

DECISION = "biosafetyDecision"
CONTACT = "contact"
LANGUAGES = {"ar", "en", "es", "fr", "ru", "zh"}
_UNCONDITIONAL_APPROVAL = "3B9ECE67-B35C-40FF-8C06-4EA5FF762899"
_WITH_CONDITIONS = "3EFF4792-A896-4DC7-9945-04FE9C8B5B4F"
_EXTENSION = "19F9F13E-195E-45B5-88DD-058A07E0D6F6"
_UID = re.compile(r"^[A-Za-z0-9\-_]{11,128}$")
_REFERENCE = re.compile(r"^([A-Za-z0-9\-_]{11,128})@([1-9][0-9]*)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T[0-9:.]+Z?)?$")

# Field type per documented property. "term:<domain>" checks the thesaurus domain (None: any
# term), "reference:<schema|schema>" the kind of record referred to.
DECISION_FIELDS: dict[str, str] = {
    "header": "header",
    "government": "term:countries",
    "authorities": "reference[]:authority",
    "title": "lstring",
    "date": "date",
    "takenPriorEntryIntoForce": "bool",
    "jurisdictions": "term[]",
    "jurisdictionsDetails": "lstring",
    "isAmendment": "bool",
    "amendedRecords": "reference[]:biosafetyDecision",
    "amendmentsDetails": "lstring",
    "decisionTypes": "term[]:DecisionTypes",
    "exporters": "reference[]:contact",
    "importers": "reference[]:contact",
    "receiptDate": "date",
    "receiptAcknowledgementDate": "date",
    "communicationDate": "date",
    "addressesTransboundaryMovement": "bool",
    "appliesToTransboundaryMovement": "bool",
    "involvesFieldTrial": "bool",
    "involvesCommercialRelease": "bool",
    "appliesToSubsequentIntroductions": "bool",
    "uses": "term[]:DecisionLMOFFPSubject",
    "takenInAccordanceWithA116": "bool",
    "decisionResult": "term:DecisionResults",
    "conditions": "lstring",
    "reasons": "lstring",
    "extensionPeriod": "int",
    "movementAllowedUnderA131A": "bool",
    "exemptFromAIA": "bool",
    "appliesToSubsequentImports": "bool",
    "transboundaryMovementType": "term:TransboundaryMovementTypes",
    "releaseInformation": "lstring",
    "estimatedQuantities": "lstring",
    "releaseCircumstance": "lstring",
    "releaseDate": "date",
    "lmoUseInformation": "lstring",
    "adverseEffectInformation": "lstring",
    "pointOfContact": "reference[]:contact",
    "otherTransboundryInformation": "lstring",
    "isForCommercialUse": "bool",
    "forwardToOECD": "bool",
    "isForFoodSafety": "bool",
    "codexConducted": "bool",
    "forwardToFAO": "bool",
    "modifiedOrganisms": "reference[]:modifiedOrganism",
    "riskAssessments": "reference[]:nationalRiskAssessment|independentRiskAssessment",
    "documents": "link[]",
    "expires": "bool",
    "relevantInformation": "lstring",
    "relevantDocuments": "link[]",
}
DECISION_MANDATORY = (
    "government",
    "authorities",
    "title",
    "date",
    "isAmendment",
    "decisionTypes",
    "expires",
)
CONTACT_FIELDS: dict[str, str] = {
    "header": "header",
    "prefix": "lstring",
    "firstName": "string",
    "middleName": "string",
    "lastName": "string",
    "gender": "term",
    "designation": "lstring",
    "organization": "lstring",
    "organizationAcronym": "lstring",
    "department": "lstring",
    "organizationType": "term",
    "address": "lstring",
    "city": "lstring",
    "state": "lstring",
    "postalCode": "lstring",
    "country": "term:countries",
    "phones": "string[]",
    "faxes": "string[]",
    "emails": "string[]",
    "websites": "link[]",
    "addressType": "string",
    "relevantInformation": "lstring",
    "relevantDocuments": "link[]",
    "type": "string",
    "government": "term:countries",
    "contactOrganization": "reference:organization",
}
# The documentation marks these mandatory; the names of a person (and the organisation record
# a person belongs to) only for a contact of type "person".
CONTACT_MANDATORY = ("type", "organization", "country", "emails")
PERSON_MANDATORY = ("firstName", "lastName", "contactOrganization")
FIELDS = {DECISION: DECISION_FIELDS, CONTACT: CONTACT_FIELDS}


@cache
def countries() -> frozenset[str]:
    """The country terms: ISO 3166-1 alpha-2 codes, lower case, and the European Union."""
    from babel import Locale

    territories = [str(code) for code in Locale("en").territories]
    codes = {code.lower() for code in territories if re.fullmatch(r"[A-Z]{2}", code)}
    return frozenset(codes | {"eu"})


def validate(
    schema: str, document: Mapping[str, Any], records: Mapping[str, tuple[str, int]]
) -> list[dict[str, Any]]:
    """The validation report of a document: a list of ``{code, property}``.

    ``records`` (uid in upper case → (schema, latest revision)) are the records references may
    point to.
    """
    check = _Check(schema, document, records)
    check.run()
    return check.errors


class _Check:
    def __init__(
        self, schema: str, document: Mapping[str, Any], records: Mapping[str, tuple[str, int]]
    ) -> None:
        self.schema, self.document, self.records = schema, document, records
        self.errors: list[dict[str, Any]] = []
        header = document.get("header")
        languages = header.get("languages") if isinstance(header, dict) else None
        self.languages = set(languages) if isinstance(languages, list) else set()

    def error(self, code: str, prop: str) -> None:
        entry = {"code": code, "property": prop}
        if entry not in self.errors:
            self.errors.append(entry)

    def run(self) -> None:
        fields = FIELDS[self.schema]
        for name, value in self.document.items():
            kind = fields.get(name)
            if kind is None:
                self.error("Error.InvalidProperty", name)
            elif not _missing(value):
                self.field(name, kind, value)
        mandatory: tuple[str, ...] = (
            DECISION_MANDATORY if self.schema == DECISION else CONTACT_MANDATORY
        )
        if self.schema == CONTACT and self.document.get("type") == "person":
            mandatory += PERSON_MANDATORY
        for name in ("header", *mandatory):
            if _missing(self.document.get(name)):
                self.error("Error.Mandatory", name)
        if self.schema == DECISION:
            self.decision_rules()
        elif self.document.get("type") not in (None, "person", "organization"):
            self.error("Error.InvalidValue", "type")

    # ---- one field ------------------------------------------------------------------------

    def field(self, name: str, kind: str, value: Any) -> None:
        base, _, arg = kind.partition(":")
        if base.endswith("[]"):
            if not isinstance(value, list):
                self.error("Error.InvalidType", name)
                return
            for item in value:
                self.one(name, base[:-2], arg, item)
        else:
            self.one(name, base, arg, value)

    def one(self, name: str, base: str, arg: str, value: Any) -> None:
        if base == "header":
            self.header(value)
        elif base == "bool":
            if not isinstance(value, bool):
                self.error("Error.InvalidType", name)
        elif base == "int":
            if not isinstance(value, int) or isinstance(value, bool):
                self.error("Error.InvalidType", name)
        elif base == "string":
            if not isinstance(value, str):
                self.error("Error.InvalidType", name)
        elif base == "date":
            if not isinstance(value, str):
                self.error("Error.InvalidType", name)
            elif not _DATE.fullmatch(value):
                self.error("Error.InvalidValue", name)
        elif base == "lstring":
            self.lstring(name, value)
        elif base == "term":
            self.term(name, arg, value)
        elif base == "reference":
            self.reference(name, arg, value)
        elif base == "link":
            if not isinstance(value, dict) or not isinstance(value.get("url"), str):
                self.error("Error.InvalidType", name)
            elif set(value) - {"url", "name", "language"}:
                self.error("Error.InvalidProperty", name)

    def header(self, value: Any) -> None:
        if not isinstance(value, dict):
            self.error("Error.InvalidType", "header")
            return
        for name in ("identifier", "schema", "languages"):
            if _missing(value.get(name)):
                self.error("Error.Mandatory", f"header.{name}")
        if set(value) - {"identifier", "schema", "languages"}:
            self.error("Error.InvalidProperty", "header")
        identifier = value.get("identifier")
        if identifier is not None and not (isinstance(identifier, str) and _UID.match(identifier)):
            self.error("Error.InvalidValue", "header.identifier")
        if value.get("schema") not in (None, self.schema):
            self.error("Error.InvalidValue", "header.schema")
        languages = value.get("languages")
        if languages is not None and (
            not isinstance(languages, list) or not set(languages) <= LANGUAGES
        ):
            self.error("Error.InvalidValue", "header.languages")

    def lstring(self, name: str, value: Any) -> None:
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            self.error("Error.InvalidType", name)
        elif set(value) - self.languages:
            self.error("Error.UnspecifiedLocale", name)

    def term(self, name: str, domain: str, value: Any) -> None:
        identifier = value.get("identifier") if isinstance(value, dict) else None
        if not isinstance(identifier, str):
            self.error("Error.InvalidType", name)
        elif set(value) != {"identifier"}:
            self.error("Error.InvalidProperty", name)
        elif domain == "countries":
            if identifier not in countries():
                self.error("Error.UnexpectedTerm", name)
        elif domain and identifier.upper() not in identifiers(domain):
            self.error("Error.UnexpectedTerm", name)

    def reference(self, name: str, schemas: str, value: Any) -> None:
        identifier = value.get("identifier") if isinstance(value, dict) else None
        if not isinstance(identifier, str):
            self.error("Error.InvalidType", name)
            return
        match = _REFERENCE.fullmatch(identifier)
        found = self.records.get(match.group(1).upper()) if match else None
        if (
            match is None  # no revision
            or found is None  # no such record
            or found[0] not in schemas.split("|")  # a record of another kind
            or int(match.group(2)) > found[1]  # a revision that does not exist
        ):
            self.error("Error.InvalidValue", name)

    # ---- the decision's own rules ---------------------------------------------------------

    def decision_rules(self) -> None:
        doc = self.document
        term = doc.get("decisionResult")
        result = term.get("identifier") if isinstance(term, dict) else None
        if isinstance(result, str) and result.upper() in identifiers("DecisionResults"):
            result = result.upper()
            if result != _UNCONDITIONAL_APPROVAL and _missing(doc.get("reasons")):
                self.error("Error.Mandatory", "reasons")
            if result == _WITH_CONDITIONS and _missing(doc.get("conditions")):
                self.error("Error.Mandatory", "conditions")
            if result == _EXTENSION:
                period = doc.get("extensionPeriod")
                if _missing(period):
                    self.error("Error.Mandatory", "extensionPeriod")
                elif isinstance(period, int) and not isinstance(period, bool) and period < 1:
                    self.error("Error.InvalidValue", "extensionPeriod")
        if doc.get("isAmendment") is True:
            for name in ("amendedRecords", "amendmentsDetails"):
                if _missing(doc.get(name)):
                    self.error("Error.Mandatory", name)
        types = doc.get("decisionTypes")
        subjects = {
            str(t.get("identifier")).upper()
            for t in (types if isinstance(types, list) else [])
            if isinstance(t, dict)
        }
        common = {INTENTIONAL_INTRODUCTION.upper(), DIRECT_USE.upper()}
        allowed = common | narrower("DecisionTypes", INTENTIONAL_INTRODUCTION)
        allowed |= narrower("DecisionTypes", DIRECT_USE)
        if len(subjects) > 1 and not subjects <= allowed:
            # form: an "other" subject (e.g. the simplified procedure) is the record's only one
            self.error("Error.InvalidValue", "decisionTypes")
        aia_narrower = narrower("DecisionTypes", INTENTIONAL_INTRODUCTION)
        if (
            INTENTIONAL_INTRODUCTION.upper() in subjects
            and doc.get("addressesTransboundaryMovement") is True
            and not subjects & aia_narrower
        ):
            # form: a decision triggered by a transboundary movement names the narrower subject
            self.error("Error.Mandatory", "decisionTypes")


def _missing(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}
