"""A case's dossier documents: the notification's Annex I material, the risk assessment report,
correspondence, the decision letter. Uploaded and downloaded through the API as multipart files;
the bytes in the document store (infra/documents.py), the metadata and the confidentiality flag
here in PostgreSQL (infra/migrations/0011_documents.sql, 0012_document_items.sql).

A document marked confidential (Art 21) is never served to the public or linked from the BCH;
the public register lists and serves only the others. A confidential document tied to an Annex I
item stays so as long as that item's claim does: once the case's confidentiality case
(``conf-<case id>``) records the item's disclosure after the procedure of Art 21(2), the document
is public too. That is read from the register, where the confidentiality case projects its
state, not written here: there is no second record of a disclosure to keep in step. The same
content uploaded to the same case again is the same document (answered 200 with its metadata): a
retried upload adds nothing.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from datetime import datetime
from typing import Literal

import asyncpg
from pydantic import BaseModel, Field

from api.errors import (
    DocumentNotFound,
    DocumentTooLarge,
    ServiceUnavailable,
    UnsupportedDocumentType,
)
from api.procedures.confidentiality import ID_PREFIX as CONFIDENTIALITY_PREFIX
from infra.documents import DocumentMissing, DocumentStore, StoreUnavailable
from infra.settings import Settings
from workflows.aia.models import AnnexIItem

Kind = Literal["notification", "risk_assessment", "correspondence", "decision_letter", "other"]

# What a file of a type must start with, where the type has a signature: a file whose content
# is not what its declared type says is refused, not stored.
_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
    "application/vnd.oasis.opendocument.text": (b"PK\x03\x04",),
}
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\\"]+")


class DocumentMeta(BaseModel):
    document_id: uuid.UUID
    case_id: str
    filename: str
    media_type: str
    size_bytes: int
    sha256: str = Field(description="the content's SHA-256, hex")
    kind: Kind
    description: str | None
    annex_i_item: AnnexIItem | None = Field(
        default=None, description="the Annex I item whose information the document holds, if one"
    )
    confidential: bool = Field(
        description="Art 21: never served to the public nor on the BCH; false once the "
        "confidentiality case discloses the document's Annex I item (Art 21(2))"
    )
    uploaded_by: str = Field(description="the principal that uploaded it")
    uploaded_at: datetime


class PublicDocument(BaseModel):
    """A document as the public register lists it (never a confidential one)."""

    document_id: uuid.UUID
    filename: str
    media_type: str
    size_bytes: int
    kind: Kind
    description: str | None
    uploaded_at: datetime


# The documents as read: ``confidential`` as uploaded, unless the confidentiality case of the
# document's case has disclosed its Annex I item (the claim's ``disclosed_on`` in the state that
# case last projected to the register).
_DOCUMENTS = (
    "(SELECT d.document_id, d.case_id, d.sha256, d.filename, d.media_type, d.size_bytes, d.kind, "
    "d.description, d.annex_i_item, d.uploaded_by, d.uploaded_at, d.confidential AND NOT ("
    "d.annex_i_item IS NOT NULL AND coalesce(jsonb_path_exists(k.state, "
    "'$.details.claims[*] ? (@.item == $item && @.disclosed_on != null)', "
    "jsonb_build_object('item', d.annex_i_item)), false)) AS confidential "
    f"FROM documents d LEFT JOIN cases k ON k.case_id = '{CONFIDENTIALITY_PREFIX}' || d.case_id)"
    " AS documents"
)


def clean_filename(name: str | None) -> str:
    """The name a download is offered under: the last path part, no control characters or
    quotes, at most 200 characters; "document" when nothing is left."""
    base = re.split(r"[/\\]", name or "")[-1]
    base = _UNSAFE.sub("_", unicodedata.normalize("NFC", base)).strip(" .")
    return base[:200] or "document"


def check_content(data: bytes, media_type: str, settings: Settings) -> None:
    if len(data) > settings.documents_max_bytes:
        raise DocumentTooLarge(
            f"the document is {len(data)} bytes; at most {settings.documents_max_bytes} bytes are "
            "accepted (BIOSAFETY_DOCUMENTS_MAX_BYTES)"
        )
    if not data:
        raise UnsupportedDocumentType(
            "the document is empty: send the file's content", rule="document-not-empty"
        )
    if media_type not in settings.documents_media_types:
        raise UnsupportedDocumentType(
            f"documents of type {media_type or '(none given)'} are not accepted; accepted: "
            + ", ".join(settings.documents_media_types)
        )
    signatures = _SIGNATURES.get(media_type)
    if signatures and not data.startswith(signatures):
        raise UnsupportedDocumentType(
            f"the file was sent as {media_type}, but its content is not of that type; send it "
            "with the media type of its content",
            rule="document-content-matches-type",
        )
    if media_type == "text/plain":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise UnsupportedDocumentType(
                "a text/plain document must be UTF-8 text; convert it to UTF-8 first",
                rule="document-text-utf8",
            ) from err


async def add(
    pool: asyncpg.Pool,
    store: DocumentStore,
    settings: Settings,
    *,
    case_id: str,
    data: bytes,
    filename: str | None,
    media_type: str,
    kind: Kind,
    description: str | None,
    confidential: bool,
    uploaded_by: str,
    annex_i_item: AnnexIItem | None = None,
) -> tuple[DocumentMeta, bool]:
    """Store a document of the case; (metadata, created). The bytes are stored first, then the
    metadata: a failure between the two leaves an unreferenced object, never a dangling row."""
    check_content(data, media_type, settings)
    sha256 = hashlib.sha256(data).hexdigest()
    existing = await _by_hash(pool, case_id, sha256)
    if existing is not None:
        return existing, False
    try:
        await store.put(sha256, data, media_type)
    except StoreUnavailable as err:
        raise ServiceUnavailable(f"the document could not be stored: {err}; retry") from err
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "INSERT INTO documents (document_id, case_id, sha256, filename, media_type, "
            "size_bytes, kind, description, confidential, uploaded_by, annex_i_item) VALUES ($1, "
            "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (case_id, sha256) DO NOTHING "
            "RETURNING document_id",
            uuid.uuid4(),
            case_id,
            sha256,
            clean_filename(filename),
            media_type,
            len(data),
            kind,
            description,
            confidential,
            uploaded_by,
            annex_i_item.value if annex_i_item else None,
        )
    # Read back as every read is: its item may be disclosed already. No row inserted: the same
    # content, uploaded at the same moment by another request.
    found = await _by_hash(pool, case_id, sha256)
    assert found is not None
    return found, row is not None


async def _by_hash(pool: asyncpg.Pool, case_id: str, sha256: str) -> DocumentMeta | None:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            f"SELECT * FROM {_DOCUMENTS} WHERE case_id = $1 AND sha256 = $2", case_id, sha256
        )
    return DocumentMeta.model_validate(dict(row)) if row is not None else None


async def of_case(
    pool: asyncpg.Pool, case_id: str, *, public_only: bool = False
) -> list[DocumentMeta]:
    sql = f"SELECT * FROM {_DOCUMENTS} WHERE case_id = $1"
    if public_only:
        sql += " AND NOT confidential"
    async with pool.acquire() as conn:
        rows = await conn.fetch(sql + " ORDER BY uploaded_at, document_id", case_id)
    return [DocumentMeta.model_validate(dict(r)) for r in rows]


async def one(
    pool: asyncpg.Pool, case_id: str, document_id: uuid.UUID, *, public_only: bool = False
) -> DocumentMeta:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            f"SELECT * FROM {_DOCUMENTS} WHERE case_id = $1 AND document_id = $2",
            case_id,
            document_id,
        )
    if row is None or (public_only and row["confidential"]):
        raise DocumentNotFound(f"no document {document_id} of case {case_id}")
    return DocumentMeta.model_validate(dict(row))


async def content(store: DocumentStore, meta: DocumentMeta) -> bytes:
    try:
        data = await store.get(meta.sha256)
    except StoreUnavailable as err:
        raise ServiceUnavailable(f"the document could not be read: {err}; retry") from err
    except DocumentMissing as err:
        raise ServiceUnavailable(
            f"the store does not hold document {meta.document_id}'s content; tell the operator",
            rule="document-intact",
        ) from err
    if hashlib.sha256(data).hexdigest() != meta.sha256:  # never serve other bytes than uploaded
        raise ServiceUnavailable(
            f"document {meta.document_id}'s stored content is damaged; tell the operator",
            rule="document-intact",
        )
    return data


def public(meta: DocumentMeta) -> PublicDocument:
    return PublicDocument.model_validate(meta.model_dump())
