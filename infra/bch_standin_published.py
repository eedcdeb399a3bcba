"""The BCH stand-in's public reads: published records (ours and the seeded registry's), the
search index over them, and the thesaurus (which needs no token)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from infra.bch_standin_auth import Session
from infra.bch_standin_records import ApiError, index_doc, published_info, search
from infra.bch_standin_state import StandinState
from infra.bch_thesaurus import THESAURUS


def published_router(state: StandinState, session: Session) -> APIRouter:
    router = APIRouter()

    @router.get("/documents/{uid}")
    async def get_document(
        uid: str, info: str | None = None, realm: str = Depends(session)
    ) -> dict[str, Any]:
        pub = state.record(uid)
        if pub is None:
            raise ApiError(404, "Error.NotFound", f"no published record {uid}")
        return published_info(pub) if info is not None else pub.body

    @router.get("/index")
    async def index(
        q: str = "*:*", start: int = 0, rows: int = 25, realm: str = Depends(session)
    ) -> dict[str, Any]:
        found = search(state, q)
        docs = [index_doc(p) for p in found[start : start + rows]]
        return {"response": {"numFound": len(found), "start": start, "docs": docs}}

    @router.get("/thesaurus/domains/{domain}/terms")
    async def terms(domain: str) -> list[dict[str, Any]]:
        """Public, as documented (no token); domains spelled as the documentation spells them."""
        if domain not in THESAURUS:
            raise ApiError(404, "notFound", f"Domain not found: {domain}")
        return THESAURUS[domain]

    return router
