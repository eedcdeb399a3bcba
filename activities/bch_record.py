"""What goes to the Biosafety Clearing-House, as pure functions: the ``biosafetyDecision`` record,
the ``contact`` records of its exporters and importers, and our own schema checks of both (made
from the models of activities/bch_models.py).

Field names, types and thesaurus terms follow the BCH's API documentation
(scbd/clearing-house-documentation: ``components/dec/request-body.md``, the contact schema and the
``DecisionTypes`` / ``DecisionResults`` domains); where the documentation is silent, the BCH's
own form (scbd/absch.cbd.int, ``edit-biosafety-decision.directive.js``) is followed and said so.
Everything on the BCH is public: only the decision's public facts go into these records.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import uuid
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from activities.bch_models import BchDecisionInput, BchLink, BchMovement, BchParty
from infra.settings import Settings

SCHEMA = "biosafetyDecision"
CONTACT_SCHEMA = "contact"

# BCH thesaurus terms used in our records, by domain (spelled as the documentation spells the
# domains: GET /api/v2013/thesaurus/domains/DecisionTypes/terms). The identifiers are the BCH's
# (documentation and front end); `make bch-check` compares them with bch-dev's thesaurus, the
# stand-in serves the same terms (infra/bch_thesaurus.py) and infra/schemas/biosafetyDecision.json
# repeats them in its enums and rules.
BCH_TERMS: dict[str, dict[str, str]] = {
    "DecisionTypes": {
        # "Decision on LMOs for intentional introduction into the environment (according to
        # Article 10 or domestic regulatory framework)" (DEC_8_1 in the BCH form)
        "intentional_introduction": "E8C5A15C-A736-4fb7-A1B6-192412BE7E45",
        # The simplified procedure (Art 13, DEC_8_3): one of the form's "other" subjects, so a
        # record of its own; the Art 13 flags are shown (and kept) only for this subject.
        "simplified_procedure": "8979219B-330B-424F-A52C-209D4B4B65C0",
        # A communication on an unintentional transboundary movement (the form's DEC_8_6, one of
        # its "communication" subjects; it shows the Art 17 fields for it)
        "unintentional_movement": "83C0DBFB-AD5C-4B88-8ECE-5365991F2956",
        # A communication on a case of illegal transboundary movement (Art 25(3)): the form's
        # DEC_8_7, the other "communication" subject that takes a transboundary movement type.
        # The documentation names neither subject; `make bch-check` prints bch-dev's labels.
        "illegal_movement": "3FF9FEB3-20FA-4287-B562-46635A1154A3",
        # "Decision on LMOs for direct use as food or feed, or for processing (Article 11)", with
        # the form's two narrower subjects: a decision on the import of the LMO (Art 11(6)), or
        # on its domestic use (Art 11(1)).
        "direct_use": "BE64016A-C3BD-4C61-9620-C3FEF96B2A24",
        "direct_use_import": "0D0BEEF4-54E4-44C1-ABB2-B89DC145E0B3",
        "direct_use_domestic": "C15E5CD8-B6F9-41AE-A09C-7EF5F73B0507",
    },
    # The uses of an Art 11 decision (the form's "uses"); only "food" is named in the
    # documentation (termId 5405): feed and processing are said in the record's text.
    "DecisionLMOFFPSubject": {"food": "91BEAF12-ABE1-4294-AD3B-507935894C78"},
    "DecisionResults": {
        "approval": "3B9ECE67-B35C-40FF-8C06-4EA5FF762899",
        "approval_with_conditions": "3EFF4792-A896-4DC7-9945-04FE9C8B5B4F",
        "prohibition": "6DD1B161-4CDB-4900-BD31-DBB97E86B2AE",
        "information_request": "8D91ACEE-C6B3-4204-8FE6-00AE424013FF",
        "extension": "19F9F13E-195E-45B5-88DD-058A07E0D6F6",
    },
    "TransboundaryMovementTypes": {
        # "Unintentional transboundary movement (Article 17.1)", termId 7217 in the documentation
        "unintentional": "22B915C4-193E-4087-89ED-D104EEEC4330",
        # "Illegal transboundary movement (Article 25.3)" (the BCH form's term)
        "illegal": "A9A800DC-F313-4F79-B3E4-768E41088D11",
    },
}
INTENTIONAL_INTRODUCTION = BCH_TERMS["DecisionTypes"]["intentional_introduction"]
SIMPLIFIED_PROCEDURE = BCH_TERMS["DecisionTypes"]["simplified_procedure"]

# Art 13(1)(b) flag: the documentation's name. The BCH form binds exemptedFromAIA; which one the
# BCH stores is a setting (bch_exempt_property), to be confirmed on bch-dev (`make bch-check`).
EXEMPT_FROM_AIA = "exemptFromAIA"

# The BCH's documented limit on a publication request's additionalInfo (a string).
ADDITIONAL_INFO_MAX = 1000

# Document uids are uuid5(namespace, key): the same key always addresses the same record.
DOCUMENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://bch.cbd.int/biosafetyDecision")
CONTACT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://bch.cbd.int/contact")

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")

# ---------------------------------------------------------------------------------------------
# Identifiers


def document_uid(message_key: str) -> str:
    return str(uuid.uuid5(DOCUMENT_NAMESPACE, message_key)).upper()


def party_emails(party: BchParty) -> list[str]:
    """The party's e-mail addresses: those given, else those written in its contact details."""
    found = list(party.emails) or _EMAIL.findall(party.contact or "")
    return list(dict.fromkeys(e.strip().lower() for e in found))


def _norm(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def contact_key(party: BchParty, realm: str) -> str:
    """The party's identity in the contact register: the same organisation, address, country
    and e-mails in the same realm is the same contact, whichever case names it."""
    parts = [
        realm.lower(),
        _norm(party.country),
        _norm(party.name),
        _norm(party.address),
        ",".join(sorted(party_emails(party))),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def contact_uid(key: str) -> str:
    return str(uuid.uuid5(CONTACT_NAMESPACE, key)).upper()


# ---------------------------------------------------------------------------------------------
# Rich text: the BCH keeps relevantInformation, amendmentsDetails, conditions and reasons as HTML


def html_paragraphs(texts: list[str]) -> str:
    """Plain text as escaped HTML paragraphs: one ``<p>`` per text and per blank-line-separated
    block in it, line breaks kept as ``<br>``."""
    out = []
    for text in texts:
        for block in re.split(r"\n\s*\n", text.strip()):
            lines = [html.escape(line.strip(), quote=False) for line in block.splitlines()]
            if any(lines):
                out.append("<p>" + "<br>".join(line for line in lines if line) + "</p>")
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# The records (pure)


def build_contact(party: BchParty, realm: str, language: str) -> dict[str, Any] | None:
    """The party's ``contact`` record (an organisation), or None when it has no e-mail address:
    the BCH's contact schema requires one, and we do not invent it."""
    emails = party_emails(party)
    if not emails:
        return None
    contact: dict[str, Any] = {
        "header": {
            "identifier": contact_uid(contact_key(party, realm)),
            "schema": CONTACT_SCHEMA,
            "languages": [language],
        },
        "type": "organization",
        "organization": {language: party.name},
        "emails": emails,
    }
    if party.address:
        contact["address"] = {language: party.address}
    if party.country:
        contact["country"] = {"identifier": party.country.lower()}
    return contact


def is_art13(req: BchDecisionInput) -> bool:
    flags = (
        req.movement_allowed_under_13_1_a,
        req.exempt_from_aia,
        req.applies_to_subsequent_imports_art13,
    )
    return any(flag is not None for flag in flags)


def build_decision_record(
    req: BchDecisionInput, settings: Settings, contacts: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Map a decision to a ``biosafetyDecision`` document (the BCH's own field names).

    ``contacts`` maps the uid of each party's contact record to its reference (GUID@revision)
    once the contact exists on the BCH; without it the references are provisional (revision 1),
    which is what our own checks need before anything is sent.
    """
    lang = req.language
    uid = document_uid(req.message_key)
    record: dict[str, Any] = {
        "header": {"identifier": uid, "schema": SCHEMA, "languages": [lang]},
        "government": {"identifier": req.government.lower()},
        "authorities": _references(settings.bch_authority_uids),
        "title": {lang: req.title},
        "date": req.decision_date.isoformat(),
        "isAmendment": False,
        "decisionTypes": [],
        "expires": False,
    }
    info = [_lmo_line(req)]
    if req.movement is not None:
        _movement(record, req.movement, lang)
    elif req.illegal_movement is not None:
        _illegal_movement(record, req.illegal_movement, lang)
    elif is_art13(req):
        _simplified_procedure(record, req, settings, info)
    elif req.direct_use is not None:
        _direct_use(record, req)
    else:
        _intentional_introduction(record, req, settings)
    for role, parties in req.parties():
        refs, unlinked = _party_references(parties, settings.bch_realm, contacts)
        if refs:
            record[role] = _references(refs)
        info += [_unlinked_line(role, p) for p in unlinked]
    if req.amended_records or req.amendment_details:
        # Art 12: the changed decision amends the record(s) of the earlier one. Our schema requires
        # both the records and the details, so half an amendment never leaves the building.
        record["isAmendment"] = True
        if req.amended_records:
            record["amendedRecords"] = _references(req.amended_records)
        if req.amendment_details:
            record["amendmentsDetails"] = {lang: html_paragraphs([req.amendment_details])}
    if req.modified_organisms:
        record["modifiedOrganisms"] = _references(req.modified_organisms)
    if req.risk_assessments:
        record["riskAssessments"] = _references(req.risk_assessments)
    if req.documents:
        record["documents"] = [_link(link) for link in req.documents]
    if req.applies_to_subsequent_imports:
        info.append(
            "How the decision applies to subsequent imports of the same LMO (Article 10(3)(a)): "
            + req.applies_to_subsequent_imports
        )
    if req.risk_assessment_summary:
        info.append(
            "Summary of the risk assessment (Article 15, Annex III): " + req.risk_assessment_summary
        )
    if req.public_consultation:
        info.append("Public consultation (Article 23(2)): " + req.public_consultation)
    record["relevantInformation"] = {lang: html_paragraphs(info)}
    return record


def _direct_use(record: dict[str, Any], req: BchDecisionInput) -> None:
    """An Art 11 decision: the direct-use subject with its narrower one (the import, 11(6), or the
    domestic use, 11(1)), the uses the thesaurus names, and the decision's result and reasons."""
    lang, result = req.language, req.decision_result
    assert result is not None, "an Art 11 decision states its result"
    types = BCH_TERMS["DecisionTypes"]
    narrower = "direct_use_import" if req.direct_use == "import" else "direct_use_domestic"
    record["decisionTypes"] = [{"identifier": types["direct_use"]}, {"identifier": types[narrower]}]
    uses = BCH_TERMS["DecisionLMOFFPSubject"]
    if named := [{"identifier": uses[u]} for u in req.direct_uses if u in uses]:
        record["uses"] = named
    record |= {
        "takenInAccordanceWithA116": req.direct_use == "import",
        "decisionResult": {"identifier": BCH_TERMS["DecisionResults"][result]},
        "communicationDate": req.communication_date.isoformat(),
    }
    if result == "approval_with_conditions" and req.conditions:
        record["conditions"] = {lang: html_paragraphs(_numbered(req.conditions))}
    if req.reasons:
        record["reasons"] = {lang: html_paragraphs([req.reasons])}


def _intentional_introduction(
    record: dict[str, Any], req: BchDecisionInput, settings: Settings
) -> None:
    """An AIA decision (Art 10) or a communication under it: triggered by a request for a
    transboundary movement, so the form adds the narrower subject and the Art 9/10 dates."""
    lang, result = req.language, req.decision_result
    assert result is not None, "a decision on an intentional introduction states its result"
    record["decisionTypes"] = [
        {"identifier": INTENTIONAL_INTRODUCTION},
        {"identifier": settings.bch_transboundary_subject},
    ]
    applies = req.applies_to_subsequent_introductions
    if applies is None:
        approved = result in ("approval", "approval_with_conditions")
        applies = approved and bool(req.applies_to_subsequent_imports)
    record |= {
        "addressesTransboundaryMovement": True,
        "involvesFieldTrial": req.involves_field_trial,
        "involvesCommercialRelease": req.involves_commercial_release,
        "appliesToSubsequentIntroductions": applies,
        "decisionResult": {"identifier": BCH_TERMS["DecisionResults"][result]},
        "receiptDate": req.receipt_date.isoformat(),
        "communicationDate": req.communication_date.isoformat(),
    }
    if req.acknowledgement_date is not None:
        record["receiptAcknowledgementDate"] = req.acknowledgement_date.isoformat()
    if result == "approval_with_conditions" and req.conditions:
        record["conditions"] = {lang: html_paragraphs(_numbered(req.conditions))}
    if req.reasons:
        record["reasons"] = {lang: html_paragraphs([req.reasons])}
    if result == "extension" and req.extension_period_days is not None:
        record["extensionPeriod"] = req.extension_period_days


def _simplified_procedure(
    record: dict[str, Any], req: BchDecisionInput, settings: Settings, info: list[str]
) -> None:
    """An Art 13 record: the simplified procedure is the record's one subject (the form offers it
    as an alternative to the AIA subjects), with its flags. The form clears the decision result
    (and so the conditions and reasons) for any subject but the AIA and FFP ones, so what the
    decision says goes into the relevant information instead."""
    record["decisionTypes"] = [{"identifier": SIMPLIFIED_PROCEDURE}]
    flags = {
        "movementAllowedUnderA131A": req.movement_allowed_under_13_1_a,
        settings.bch_exempt_property: req.exempt_from_aia,
        "appliesToSubsequentImports": req.applies_to_subsequent_imports_art13,
    }
    record.update({name: flag for name, flag in flags.items() if flag is not None})
    if req.decision_result is not None:
        info.append(f"Decision: {req.decision_result.replace('_', ' ')}")
    if req.conditions:
        info.append("Conditions:\n" + "\n".join(_numbered(req.conditions)))
    if req.reasons:
        info.append("Reasons: " + req.reasons)


def _movement(record: dict[str, Any], m: BchMovement, lang: str) -> None:
    """Art 17(1) and (3): a communication on an unintentional transboundary movement, the
    record's one subject; the form clears the decision result for it."""
    record["decisionTypes"] = [{"identifier": BCH_TERMS["DecisionTypes"]["unintentional_movement"]}]
    record["transboundaryMovementType"] = {
        "identifier": BCH_TERMS["TransboundaryMovementTypes"][m.type]
    }
    record |= {
        "releaseInformation": {lang: html_paragraphs([m.release_information])},
        "estimatedQuantities": {lang: html_paragraphs([m.estimated_quantities])},
        "releaseCircumstance": {lang: html_paragraphs([m.release_circumstance])},
        "releaseDate": m.release_date.isoformat(),
        "lmoUseInformation": {lang: html_paragraphs([m.lmo_use_information])},
        "adverseEffectInformation": {lang: html_paragraphs([m.adverse_effect_information])},
    }
    if m.other_information:
        record["otherTransboundryInformation"] = {lang: html_paragraphs([m.other_information])}


def _illegal_movement(record: dict[str, Any], text: str, lang: str) -> None:
    """Art 25(3): a communication on a case of illegal transboundary movement, the record's one
    subject. The BCH form clears the release fields (releaseInformation, estimatedQuantities,
    ...) for any movement type but an unintentional one, so the facts of the case go into
    otherTransboundryInformation (the schema's spelling), which it keeps."""
    record["decisionTypes"] = [{"identifier": BCH_TERMS["DecisionTypes"]["illegal_movement"]}]
    record["transboundaryMovementType"] = {
        "identifier": BCH_TERMS["TransboundaryMovementTypes"]["illegal"]
    }
    record["otherTransboundryInformation"] = {lang: html_paragraphs([text])}


def _numbered(items: list[str]) -> list[str]:
    return [f"{i}. {text}" for i, text in enumerate(items, start=1)]


def _lmo_line(req: BchDecisionInput) -> str:
    # The LMO's name and unique identifier also go into relevantInformation (modifiedOrganisms,
    # when given, is the machine-readable link), with the other free-text facts.
    lmo = req.lmo_name
    if req.lmo_unique_identifier:
        lmo += f" (unique identifier {req.lmo_unique_identifier})"
    return f"Living modified organism: {lmo}"


def _party_references(
    parties: list[BchParty], realm: str, contacts: Mapping[str, str] | None
) -> tuple[list[str], list[BchParty]]:
    refs, unlinked = [], []
    for party in parties:
        if not party_emails(party):
            unlinked.append(party)
            continue
        uid = contact_uid(contact_key(party, realm))
        refs.append(contacts[uid] if contacts is not None else f"{uid}@1")
    return refs, unlinked


def _unlinked_line(role: str, party: BchParty) -> str:
    what = "Exporter" if role == "exporters" else "Importer"
    where = ", ".join(p for p in (party.address, party.country) if p)
    return f"{what}: {party.name}" + (f", {where}" if where else "")


def unlinked_parties(req: BchDecisionInput) -> list[str]:
    """Notes for the officer: parties named in the text only, for want of an e-mail address."""
    return [
        f"{'Exporter' if role == 'exporters' else 'Importer'} {p.name!r} is named in the "
        "record's text only: the BCH needs an e-mail address to create its contact record"
        for role, parties in req.parties()
        for p in parties
        if not party_emails(p)
    ]


def additional_info(req: BchDecisionInput) -> str:
    """The publication request's note to the focal point (a string of at most 1,000 characters)."""
    case = req.message_key.split(":")[0]
    text = f"Case {case}: {req.title}"
    return text if len(text) <= ADDITIONAL_INFO_MAX else text[: ADDITIONAL_INFO_MAX - 1] + "…"


def _references(refs: list[str]) -> list[dict[str, str]]:
    return [{"identifier": ref} for ref in dict.fromkeys(refs)]  # in order, without repeats


def _link(link: BchLink) -> dict[str, str]:
    out = {"url": link.url}
    if link.name:
        out["name"] = link.name
    if link.language:
        out["language"] = link.language
    return out


# ---------------------------------------------------------------------------------------------
# Our own checks, before anything leaves the building


@cache
def record_schema(name: str = SCHEMA) -> dict[str, Any]:
    text = (resources.files("infra") / "schemas" / f"{name}.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def schema_errors(
    record: dict[str, Any], name: str = SCHEMA, prefix: str = ""
) -> list[dict[str, Any]]:
    """Our JSON Schema's findings, shaped like the BCH's validation report ({code, property})."""
    validator = jsonschema.Draft202012Validator(record_schema(name))
    errors = []
    for err in sorted(validator.iter_errors(record), key=lambda e: list(e.absolute_path)):
        path = ".".join(str(p) for p in err.absolute_path)
        if err.validator == "required":
            missing = re.match(r"'([^']+)' is a required property", err.message)
            field = missing.group(1) if missing else "?"
            code, prop = "Error.Mandatory", f"{path}.{field}" if path else field
        else:
            code, prop = "Error.InvalidValue", path or "(record)"
        errors.append({"code": code, "property": prefix + prop, "message": err.message})
    return errors
