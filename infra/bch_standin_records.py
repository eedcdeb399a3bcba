"""What the BCH stand-in (infra/bch_standin.py) answers about its records: a draft's info, a
publication request, a published record and its document in the search index; the minimal
search over them; and publishing a record once its request is approved. The documented shapes
are those of scbd/clearing-house-documentation (reference/bch-api.md in the shared folder).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from infra.bch_standin_rules import CONTACT
from infra.bch_standin_state import (
    Draft,
    PublicationRequest,
    Published,
    StandinState,
    iso_z,
    utc_now,
)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def schema_of(body: Mapping[str, Any]) -> str | None:
    header = body.get("header")
    schema = header.get("schema") if isinstance(header, dict) else None
    return schema if isinstance(schema, str) else None


def _title_text(body: dict[str, Any]) -> str:
    title = body.get("title") or body.get("organization")  # a contact is titled by its name
    if isinstance(title, dict):
        return str(title.get("en") or next(iter(title.values()), ""))
    return str(title or "")


def draft_info(state: StandinState, draft: Draft, *, with_body: bool) -> dict[str, Any]:
    """A draft's info as the documentation shows the save answer: ``workingDocumentID`` (the
    draft's number), ``workingDocument*`` and, while a publication request is pending, the lock
    (``lockID`` ``workflow-<request id>``, as the BCH front end reads it). ``documentID`` only
    once a version is published. ``with_body`` adds the document (stand-in state view only)."""
    pending = state.pending_request(draft.uid)
    published = state.published.get(draft.uid)
    schema = schema_of(draft.body)
    government = draft.body.get("government")
    info: dict[str, Any] = {
        "identifier": draft.uid,
        "type": schema,
        "owner": "user:stand-in",
        "revision": published.revision if published else 0,
        "realm": draft.realm,
        "mediaType": "application/json",
        "charset": "utf-8",
        "workingDocumentID": draft.document_id,
        "workingDocumentCreatedOn": iso_z(draft.created_on),
        "workingDocumentUpdatedOn": iso_z(draft.updated_on),
        "workingDocumentOwner": "user:stand-in",
        "workingDocumentTitle": draft.body.get("title") or draft.body.get("organization"),
        "workingDocumentSummary": draft.body.get("summary"),
        "workingDocumentMetadata": {
            "schema": schema,
            "government": government.get("identifier") if isinstance(government, dict) else None,
            "realm": draft.realm,
        },
    }
    if published is not None:
        info["documentID"] = published.document_id
    if pending is not None:
        info["workingDocumentLock"] = {
            "lockID": f"workflow-{pending.id}",
            "lockedOn": iso_z(pending.created_on),
            "lockedBy": {"firstName": "Publication", "lastName": "request"},
        }
    if with_body:
        info["body"] = draft.body
    return info


def request_json(req: PublicationRequest) -> dict[str, Any]:
    national = req.type == "publishNationalRecord"
    return {
        "_id": req.id,
        "type": {"name": req.type, "version": "0.4" if national else None},
        "state": req.state,
        "data": req.data,
        "createdOn": iso_z(req.created_on),
        "closedOn": iso_z(req.closed_on),
        "activities": [
            {
                "name": "publishRecord",
                "assignedTo": ["national focal point" if national else "BCH"],
            }
        ],
        "result": req.result,
    }


def published_info(pub: Published) -> dict[str, Any]:
    return {
        "identifier": pub.uid,
        "documentID": pub.document_id,
        "revision": pub.revision,
        "realm": pub.realm,
        "type": (pub.body.get("header") or {}).get("schema"),
        "uniqueIdentifier": pub.public_id,
        "publishedOn": iso_z(pub.published_on),
        "body": pub.body,
    }


def index_doc(pub: Published) -> dict[str, Any]:
    header = pub.body.get("header") or {}
    doc: dict[str, Any] = {
        "identifier_s": pub.uid,
        "uniqueIdentifier_s": pub.public_id,
        "schema_s": header.get("schema"),
        "government_s": pub.government,
        "realm_ss": [pub.realm],
        "title_t": _title_text(pub.body),
        "decisionResult_s": (pub.body.get("decisionResult") or {}).get("identifier"),
        "date_s": pub.body.get("date"),
        "_revision_i": pub.revision,
        "documentID_i": pub.document_id,
        "url_ss": [f"/database/{pub.public_id.upper()}"],
        "createdDate_dt": iso_z(pub.published_on),
    }
    if header.get("schema") == "modifiedOrganism":
        doc["uniqueIdentification_s"] = pub.body.get("uniqueIdentification")
        doc["transformationEvent_s"] = pub.body.get("transformationEvent")
    if pub.body.get("modifiedOrganisms"):
        doc["modifiedOrganisms_ss"] = [
            str(ref.get("identifier", "")).partition("@")[0]
            for ref in pub.body["modifiedOrganisms"]
            if isinstance(ref, dict)
        ]
    return {name: value for name, value in doc.items() if value is not None}


_TERM = re.compile(r"^\s*\(?\s*([A-Za-z_]+)\s*:\s*\(?\s*([^()\s]+)\s*\)?\s*\)?\s*$")
_INDEX_FIELDS = {
    "schema_s",
    "government_s",
    "identifier_s",
    "uniqueIdentifier_s",
    "realm_ss",
    "uniqueIdentification_s",
    "transformationEvent_s",
    "modifiedOrganisms_ss",
}


def search(state: StandinState, q: str) -> list[Published]:
    """A minimal Solr: ``*:*`` or ``field:value`` terms joined by AND."""
    terms: list[tuple[str, str]] = []
    for part in re.split(r"\s+AND\s+", q.strip()):
        if part.strip() in ("*:*", ""):
            continue
        match = _TERM.match(part)
        if not match or match.group(1) not in _INDEX_FIELDS:
            raise ApiError(400, "Error.UnsupportedQuery", f"unsupported query term {part!r}")
        terms.append((match.group(1), _fold(match.group(2).strip('"'))))
    results = []
    for pub in [*state.published.values(), *state.registry.values()]:
        doc = index_doc(pub)
        if all(_matches(doc.get(name), value) for name, value in terms):
            results.append(pub)
    return sorted(results, key=lambda p: p.published_on, reverse=True)


def _fold(value: str) -> str:
    """Case-insensitive, and a slashed zero (as in MON-ØØ81Ø-6) matches a plain zero."""
    return value.lower().replace("ø", "0")


def _matches(field_value: Any, wanted: str) -> bool:
    values = field_value if isinstance(field_value, list) else [field_value]
    return any(_fold(str(v)) == wanted for v in values if v is not None)


def publish(state: StandinState, req: PublicationRequest) -> None:
    draft = state.drafts.pop(req.uid)
    previous = state.published.get(req.uid)
    revision = previous.revision + 1 if previous else 1
    now = utc_now()
    government: str | None = None
    if schema_of(draft.body) == CONTACT:
        public_id = f"bch-contact-scbd-{draft.document_id}-{revision}"
    else:
        government = str((draft.body.get("government") or {}).get("identifier", "xx")).lower()
        public_id = f"bch-dec-{government}-{draft.document_id}-{revision}"
    state.published[req.uid] = Published(
        uid=req.uid,
        document_id=draft.document_id,
        revision=revision,
        realm=draft.realm,
        government=government,
        public_id=public_id,
        body=draft.body,
        published_on=now,
    )
    req.state, req.closed_on = "approved", now
    req.result = {"action": "approve", "publicId": public_id, "revision": revision}
