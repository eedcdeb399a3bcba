"""What the BCH stand-in (infra/bch_standin.py) keeps: its drafts, publication requests and
published records, the small registry of public records that is always present (the dev
stack's competent national authority and sample LMO and risk-assessment records), and the state
file that lets a restart forget no publication request."""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

from infra.files import write_atomically
from infra.settings import PLACEHOLDER_AUTHORITY


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_z(at: datetime | None) -> str | None:
    return at.isoformat().replace("+00:00", "Z") if at else None


@dataclass
class Draft:
    uid: str
    document_id: int
    realm: str
    body: dict[str, Any]
    created_on: datetime
    updated_on: datetime


@dataclass
class PublicationRequest:
    id: str
    uid: str
    document_id: int
    realm: str
    data: dict[str, Any]
    created_on: datetime
    state: Literal["pending", "approved", "rejected"] = "pending"
    closed_on: datetime | None = None
    result: dict[str, Any] | None = None
    type: str = "publishNationalRecord"


@dataclass
class Published:
    uid: str
    document_id: int
    revision: int
    realm: str
    government: str | None  # None for SCBD records (e.g. the LMO registry)
    public_id: str
    body: dict[str, Any]
    published_on: datetime


# --- the registry of existing public records ----------------------------------------------------

# Party → reference (GUID@revision) of its competent national authority's record: the settings'
# development placeholder (infra/settings.py), so that the dev stack's decisions validate.
SEEDED_AUTHORITY_RECORDS: dict[str, str] = {"hu": PLACEHOLDER_AUTHORITY}
# Unique identifier (OECD, as published, with slashed zeros) → reference (GUID@revision) of the
# stand-in's modifiedOrganism record. The GUIDs are the stand-in's own, not the BCH's.
SEEDED_LMO_RECORDS: dict[str, str] = {
    "MON-ØØ81Ø-6": "9F7E79B3-D9E6-47B1-A17F-4930AE8E45A8@1",
    "MON-8746Ø-4": "867495AE-0DC4-4CBC-BF61-E116182DF38C@1",
    "BPS-25271-9": "87B4BF10-1C20-4F5B-B112-45CD3A2E21F3@1",
}
# Unique identifier of the LMO assessed → reference of the stand-in's nationalRiskAssessment.
SEEDED_RISK_ASSESSMENT_RECORDS: dict[str, str] = {
    "MON-ØØ81Ø-6": "A52B7FCF-A80B-4CB5-A707-8049D78A2B7A@1",
}

_SEEDED_ON = datetime(2020, 1, 15, tzinfo=UTC)
_LMOS: dict[str, dict[str, Any]] = {
    "MON-ØØ81Ø-6": {
        "identity": "YieldGard™ maize",
        "transformationEvent": "MON810",
        "organism": "Zea mays (maize)",
        "developer": "Monsanto Company",
        "description": "Maize resistant to lepidopteran insects (European corn borer), expressing "
        "the Bt toxin Cry1Ab.",
    },
    "MON-8746Ø-4": {
        "identity": "Genuity® DroughtGard™ maize",
        "transformationEvent": "MON87460",
        "organism": "Zea mays (maize)",
        "developer": "Monsanto Company",
        "description": "Maize with reduced yield loss under water-limited conditions, expressing "
        "the cold shock protein CspB from Bacillus subtilis.",
    },
    "BPS-25271-9": {
        "identity": "Amflora™ potato",
        "transformationEvent": "EH92-527-1",
        "organism": "Solanum tuberosum (potato)",
        "developer": "BASF Plant Science",
        "description": "Potato with altered starch composition (amylopectin starch; granule-bound "
        "starch synthase suppressed), for industrial processing.",
    },
}


def _seeded(
    uid: str,
    revision: str,
    document_id: int,
    government: str | None,
    public_id: str,
    body: dict[str, Any],
) -> Published:
    return Published(
        uid=uid,
        document_id=document_id,
        revision=int(revision),
        realm="BCH",
        government=government,
        public_id=public_id,
        body=body,
        published_on=_SEEDED_ON,
    )


def seed_registry() -> dict[str, Published]:
    """The stand-in's sample public records: LMOs and a risk assessment, at revision 1."""
    records: dict[str, Published] = {}
    for number, (government, ref) in enumerate(SEEDED_AUTHORITY_RECORDS.items()):
        uid, revision = ref.split("@")
        document_id = 900_201 + number
        body = {
            "header": {"identifier": uid, "schema": "authority", "languages": ["en"]},
            "government": {"identifier": government},
            "name": {"en": "Competent national authority (stand-in placeholder)"},
        }
        records[uid] = _seeded(
            uid,
            revision,
            document_id,
            government,
            f"bch-cna-{government}-{document_id}-{revision}",
            body,
        )
    for number, (unique_id, ref) in enumerate(SEEDED_LMO_RECORDS.items()):
        uid, revision = ref.split("@")
        lmo = _LMOS[unique_id]
        document_id = 900_001 + number
        body = {
            "header": {"identifier": uid, "schema": "modifiedOrganism", "languages": ["en"]},
            "identity": {"en": lmo["identity"]},
            "transformationEvent": lmo["transformationEvent"],
            "hasUniqueIdentification": True,
            "uniqueIdentification": unique_id,
            "description": {"en": lmo["description"]},
            "relevantInformation": {
                "en": f"Recipient organism: {lmo['organism']}. Developer: {lmo['developer']}. "
                "(Stand-in summary, not the BCH's record.)"
            },
        }
        records[uid] = _seeded(
            uid, revision, document_id, None, f"bch-lmo-scbd-{document_id}-{revision}", body
        )
    for number, (unique_id, ref) in enumerate(SEEDED_RISK_ASSESSMENT_RECORDS.items()):
        uid, revision = ref.split("@")
        document_id = 900_101 + number
        body = {
            "header": {"identifier": uid, "schema": "nationalRiskAssessment", "languages": ["en"]},
            "government": {"identifier": "es"},
            "title": {
                "en": f"Risk assessment of {_LMOS[unique_id]['identity']} ({unique_id}) for "
                "cultivation (stand-in sample record)"
            },
            "date": "2019-11-04",
            "modifiedOrganisms": [{"identifier": SEEDED_LMO_RECORDS[unique_id]}],
        }
        records[uid] = _seeded(
            uid, revision, document_id, "es", f"bch-ra-es-{document_id}-{revision}", body
        )
    return records


@dataclass
class StandinState:
    token_ttl_seconds: float
    auto_approve: bool
    tokens: dict[str, float] = field(default_factory=dict)  # token → monotonic expiry
    document_ids: dict[str, int] = field(default_factory=dict)
    drafts: dict[str, Draft] = field(default_factory=dict)
    requests: dict[str, PublicationRequest] = field(default_factory=dict)
    published: dict[str, Published] = field(default_factory=dict)
    registry: dict[str, Published] = field(default_factory=seed_registry)  # not ours, read-only
    publish_reference_records: bool = True  # contacts: published at once, or left pending
    calls: list[dict[str, Any]] = field(default_factory=list)
    fault_mode: Literal["none", "fail", "hang"] = "none"
    hang_seconds: float = 30.0

    def document_id(self, uid: str) -> int:
        if uid not in self.document_ids:
            self.document_ids[uid] = 100_001 + len(self.document_ids)
        return self.document_ids[uid]

    def pending_request(self, uid: str) -> PublicationRequest | None:
        for req in self.requests.values():
            if req.uid == uid and req.state == "pending":
                return req
        return None

    def record(self, uid: str) -> Published | None:
        """A public record: one published here, or one of the registry's."""
        key = uid.upper()
        for records in (self.published, self.registry):
            for pub in records.values():
                if pub.uid.upper() == key:
                    return pub
        return None

    def referenceable(self) -> dict[str, tuple[str, int]]:
        """uid (upper case) → (schema, latest revision) of every public record."""
        return {
            pub.uid.upper(): (str((pub.body.get("header") or {}).get("schema")), pub.revision)
            for records in (self.registry, self.published)
            for pub in records.values()
        }


# --- the state file -------------------------------------------------------------------------------

STATE_FILE = "state.json"
_STATE_VERSION = 1
_Record = TypeVar("_Record", Draft, PublicationRequest, Published)


def _dump(record: Draft | PublicationRequest | Published) -> dict[str, Any]:
    return {
        name: value.isoformat() if isinstance(value, datetime) else value
        for name, value in dataclasses.asdict(record).items()
    }


def _undump(kind: type[_Record], raw: dict[str, Any]) -> _Record:
    values = dict(raw)
    for f in dataclasses.fields(kind):
        if "datetime" in str(f.type) and values.get(f.name) is not None:
            values[f.name] = datetime.fromisoformat(values[f.name])
    return kind(**values)


def save_state(state: StandinState, path: Path) -> None:
    """Write what the stand-in must not forget to ``path``, atomically: a reader (or a crash)
    sees the previous file or the new one, never half of one."""
    data = {
        "version": _STATE_VERSION,
        "document_ids": state.document_ids,
        "drafts": {uid: _dump(d) for uid, d in state.drafts.items()},
        "requests": {rid: _dump(r) for rid, r in state.requests.items()},
        "published": {uid: _dump(p) for uid, p in state.published.items()},
    }
    text = json.dumps(data, ensure_ascii=False, indent=1)
    write_atomically(path, text.encode("utf-8"), prefix=f".{path.name}.")


def load_state(state: StandinState, path: Path) -> None:
    """Read ``path`` into ``state``, if it exists. A file that cannot be read is moved aside
    (and said so) rather than stopping the stand-in from starting."""
    if not path.exists():
        return
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != _STATE_VERSION:
            raise ValueError(f"unknown state version {data.get('version')!r}")
        document_ids = {str(uid): int(n) for uid, n in data["document_ids"].items()}
        drafts = {uid: _undump(Draft, d) for uid, d in data["drafts"].items()}
        requests = {rid: _undump(PublicationRequest, r) for rid, r in data["requests"].items()}
        published = {uid: _undump(Published, p) for uid, p in data["published"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        aside = path.with_name(f"{path.name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}")
        path.replace(aside)
        print(f"BCH stand-in: cannot read {path} ({error}); moved to {aside}", file=sys.stderr)
        return
    state.document_ids, state.drafts = document_ids, drafts
    state.requests, state.published = requests, published
