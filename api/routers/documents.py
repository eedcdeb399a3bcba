"""Dossier documents over HTTP (api/documents.py): staff upload to any case, a notifier to its
own cases only; both download what they may read; the public lists and downloads the documents
of the public register's cases that are not confidential (Art 21)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, Response, UploadFile

from api import documents as service
from api.auth import PUBLIC_SECURITY, OptionalPrincipalDep, PrincipalDep, ensure_case_access
from api.deps import ClientDep, PoolDep, SettingsDep
from api.errors import CaseNotFound
from api.params import CaseId
from api.problem_docs import problem_responses
from api.public_register import public_entry
from api.register import case_exists
from infra.documents import DocumentStore
from workflows.aia.models import AnnexIItem

TAG = "Documents"

router = APIRouter(prefix="/v1", tags=[TAG])

_BINARY: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the document's content, as uploaded, with its media type",
        "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
    }
}

_ALREADY: dict[int | str, dict[str, Any]] = {
    200: {"model": service.DocumentMeta, "description": "already in the dossier"}
}


def _store(request: Request) -> DocumentStore:
    store: DocumentStore = request.app.state.document_store
    return store


def _download(meta: service.DocumentMeta, data: bytes) -> Response:
    return Response(
        data,
        media_type=meta.media_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(meta.filename)}",
            "ETag": f'"{meta.sha256}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


async def _readable(principal: Any, case_id: str, client: Any, pool: Any) -> None:
    await ensure_case_access(principal, case_id, client, pool)
    if not await case_exists(pool, client, case_id):
        raise CaseNotFound(f"no case {case_id}")


@router.post(
    "/cases/{case_id}/documents",
    response_model=service.DocumentMeta,
    status_code=201,
    summary="Upload a document to the case's dossier (multipart)",
    description="Staff upload to any case, a notifier to its own cases only (another's is "
    "answered 404). `confidential: true` keeps it from the public and the BCH (Art 21) until "
    "the confidentiality case discloses its `annex_i_item`, if it names one (Art 21(2)). The "
    "size and media type are limited by settings (413, 415); a file whose content is not of "
    "its declared type is refused (415). The same content uploaded to the same case again is "
    "the same document (200).",
    responses=_ALREADY | problem_responses(401, 404, 413, 415, 422, 503),
)
async def upload(
    case_id: CaseId,
    request: Request,
    response: Response,
    principal: PrincipalDep,
    client: ClientDep,
    pool: PoolDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="the document")],
    kind: Annotated[service.Kind, Form(description="what the document is")],
    confidential: Annotated[bool, Form(description="claimed confidential (Art 21)")] = False,
    description: Annotated[str | None, Form(max_length=2000)] = None,
    # Not "| None": a form field is left out, never null (the document says so).
    annex_i_item: Annotated[
        AnnexIItem,
        Form(
            description="the Annex I item whose information the document holds, if one: a "
            "confidential document is public once that item is disclosed (Art 21(2))"
        ),
    ] = None,  # type: ignore[assignment]
) -> service.DocumentMeta:
    await _readable(principal, case_id, client, pool)
    data = await file.read(settings.documents_max_bytes + 1)
    meta, created = await service.add(
        pool,
        _store(request),
        settings,
        case_id=case_id,
        data=data,
        filename=file.filename,
        media_type=(file.content_type or "").split(";")[0].strip().lower(),
        kind=kind,
        description=description,
        confidential=confidential,
        annex_i_item=annex_i_item,
        uploaded_by=principal.name if principal.is_staff else f"notifier:{principal.name}",
    )
    if not created:
        response.status_code = 200
    return meta


@router.get(
    "/cases/{case_id}/documents",
    response_model=list[service.DocumentMeta],
    summary="The case's dossier documents, oldest first",
    description="Staff see every case's; a notifier its own cases' only.",
    responses=problem_responses(401, 404, 503),
)
async def list_documents(
    case_id: CaseId, principal: PrincipalDep, client: ClientDep, pool: PoolDep
) -> list[service.DocumentMeta]:
    await _readable(principal, case_id, client, pool)
    return await service.of_case(pool, case_id)


@router.get(
    "/cases/{case_id}/documents/{document_id}",
    summary="Download a document of the case",
    description="Staff download any case's documents, a notifier its own cases' only.",
    response_class=Response,
    responses=_BINARY | problem_responses(401, 404, 422, 503),
)
async def download(
    case_id: CaseId,
    document_id: uuid.UUID,
    request: Request,
    principal: PrincipalDep,
    client: ClientDep,
    pool: PoolDep,
) -> Response:
    await ensure_case_access(principal, case_id, client, pool)
    meta = await service.one(pool, case_id, document_id)
    return _download(meta, await service.content(_store(request), meta))


@router.get(
    "/register/{case_id}/documents",
    response_model=list[service.PublicDocument],
    summary="The public documents of a case in the public register",
    description="Every document of the case not marked confidential (Art 21). No token is needed.",
    responses=problem_responses(401, 404, 503),
    openapi_extra=PUBLIC_SECURITY,
)
async def public_documents(
    case_id: CaseId, _: OptionalPrincipalDep, pool: PoolDep
) -> list[service.PublicDocument]:
    if await public_entry(pool, case_id) is None:
        raise CaseNotFound(f"no case {case_id} in the public register")
    return [service.public(m) for m in await service.of_case(pool, case_id, public_only=True)]


@router.get(
    "/register/{case_id}/documents/{document_id}",
    summary="Download a public document of a case in the public register",
    description="A document marked confidential is answered 404, as if it did not exist. No "
    "token is needed.",
    response_class=Response,
    responses=_BINARY | problem_responses(401, 404, 422, 503),
    openapi_extra=PUBLIC_SECURITY,
)
async def public_download(
    case_id: CaseId, document_id: uuid.UUID, request: Request, _: OptionalPrincipalDep,
    pool: PoolDep,
) -> Response:  # fmt: skip
    if await public_entry(pool, case_id) is None:
        raise CaseNotFound(f"no case {case_id} in the public register")
    meta = await service.one(pool, case_id, document_id, public_only=True)
    return _download(meta, await service.content(_store(request), meta))
