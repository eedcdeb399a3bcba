"""Public consultation on a decision (CP Art 23(2)): the consultations open to comment, the
public's comments, and what the public may read of them.

An officer opens a consultation on an AIA case (the ``open_consultation`` command, which sets its
end date in the case's workflow); the register's copy of the case's state says which
consultations run. Comments are kept in PostgreSQL, not in the case's history: anyone may send
one, and a case's history must stay bounded. A comment is accepted until the end of the
consultation's last day in the authority's time zone; never after, never on a closed case.
Nothing here reads an Annex I item: what the public sees of the case is the public register's
entry (api/public_register.py), which never holds an item claimed confidential (Art 21).
"""

from __future__ import annotations

from datetime import date, datetime

import asyncpg
from pydantic import BaseModel, Field

from api.errors import CaseNotFound, CommandRefused
from api.public_register import (
    SELECT_PUBLIC,
    PublicConsultation,
    PublicDecision,
    RegisterEntry,
    public_entry,
    public_summary,
)
from workflows.models import Email, Input, Text


class CommentIn(Input):
    """A comment from the public (Art 23(2)). The name is published with the comment count only,
    never the e-mail address, which is for the authority's reply."""

    name: Text = Field(max_length=200, description="the commenter's name")
    email: Email | None = Field(default=None, description="for the authority's reply; not public")
    organisation: Text | None = Field(default=None, max_length=300)
    comment: Text  # at most TEXT_MAX_LENGTH characters, as all free text


class CommentReceipt(BaseModel):
    id: int
    case_id: str
    received_at: datetime
    received_on: date = Field(description="the day of receipt in the authority's time zone")


class Comment(CommentReceipt):
    """A comment as the authority's staff read it."""

    name: str
    email: str | None
    organisation: str | None
    comment: str


class OpenConsultation(BaseModel):
    """A consultation the public may comment on now."""

    case_id: str
    lmo_name: str | None = Field(description="general description of the LMO, Art 21(6)(b)")
    lmo_unique_identifier: str | None
    party_of_export: str | None
    consultation: PublicConsultation
    comments: int = Field(description="comments received so far")


class ConsultationCase(OpenConsultation):
    """A case's consultation, open or closed, with its results once the decision states them."""

    open: bool = Field(description="whether comments are received today")
    decision: PublicDecision | None = Field(
        description="the decision, with the consultation's results (Art 23(2)), once taken"
    )


def _accepts(entry: RegisterEntry, today: date) -> bool:
    c = entry.consultation
    return (
        c is not None
        and c.closed_on is None
        and entry.decision is None
        and entry.withdrawn_on is None
        and c.opened_on <= today <= c.ends_on
    )


async def _counts(pool: asyncpg.Pool, case_ids: list[str]) -> dict[str, int]:
    if not case_ids:
        return {}
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT case_id, count(*) AS n FROM consultation_comments "
            "WHERE case_id = ANY($1::text[]) GROUP BY case_id",
            case_ids,
        )
    return {r["case_id"]: r["n"] for r in rows}


def _open(entry: RegisterEntry, comments: int) -> OpenConsultation:
    assert entry.consultation is not None
    return OpenConsultation(
        case_id=entry.case_id,
        lmo_name=entry.lmo_name,
        lmo_unique_identifier=entry.lmo_id,
        party_of_export=entry.party_of_export,
        consultation=entry.consultation,
        comments=comments,
    )


async def open_consultations(
    pool: asyncpg.Pool, today: date, *, limit: int, offset: int
) -> list[OpenConsultation]:
    """The consultations that receive comments today, soonest end first."""
    c = "coalesce(state -> 'details' -> 'consultation', state -> 'consultation')"
    sql = (
        f"{SELECT_PUBLIC} WHERE procedure = 'aia' AND NOT closed"
        f" AND jsonb_typeof({c}) = 'object' AND ({c} ->> 'closed_on') IS NULL"
        f" AND ({c} ->> 'ends_on')::date >= $1"
        f" ORDER BY ({c} ->> 'ends_on'), case_id LIMIT $2 OFFSET $3"
    )
    async with pool.acquire() as conn:
        rows = await conn.fetch(sql, today, limit, offset)
    entries = [e for e in map(RegisterEntry.of_row, rows) if e is not None and _accepts(e, today)]
    counts = await _counts(pool, [e.case_id for e in entries])
    return [_open(e, counts.get(e.case_id, 0)) for e in entries]


async def consultation(pool: asyncpg.Pool, case_id: str, today: date) -> ConsultationCase:
    entry = await public_entry(pool, case_id)
    if entry is None or entry.consultation is None:
        raise CaseNotFound(f"no public consultation on case {case_id}")
    counts = await _counts(pool, [case_id])
    return ConsultationCase(
        **_open(entry, counts.get(case_id, 0)).model_dump(),
        open=_accepts(entry, today),
        decision=public_summary(entry).decision,
    )


async def add_comment(
    pool: asyncpg.Pool, case_id: str, comment: CommentIn, now: datetime, today: date,
    key: str | None,
) -> tuple[CommentReceipt, bool]:  # fmt: skip
    """Keep a comment if the consultation receives comments today; (receipt, created)."""
    entry = await public_entry(pool, case_id)
    if entry is None or entry.consultation is None:
        raise CaseNotFound(f"no public consultation on case {case_id}")
    async with pool.acquire() as conn, conn.transaction():
        if key is not None:
            row = await conn.fetchrow(
                "SELECT id, case_id, received_at, received_on FROM consultation_comments "
                "WHERE case_id = $1 AND idempotency_key = $2",
                case_id,
                key,
            )
            if row is not None:
                return CommentReceipt.model_validate(dict(row)), False
        if not _accepts(entry, today):
            raise CommandRefused(
                _why_closed(entry, today), rule="consultation-open", article="Art 23(2)"
            )
        row = await conn.fetchrow(
            "INSERT INTO consultation_comments (case_id, author_name, author_email, organisation,"
            " comment, received_at, received_on, idempotency_key) VALUES ($1, $2, $3, $4, $5, $6,"
            " $7, $8) ON CONFLICT (case_id, idempotency_key) DO NOTHING"
            " RETURNING id, case_id, received_at, received_on",
            case_id,
            comment.name,
            comment.email,
            comment.organisation,
            comment.comment,
            now,
            today,
            key,
        )
        if row is None:  # the same key, sent twice at once: the first one's receipt
            row = await conn.fetchrow(
                "SELECT id, case_id, received_at, received_on FROM consultation_comments "
                "WHERE case_id = $1 AND idempotency_key = $2",
                case_id,
                key,
            )
            assert row is not None
            return CommentReceipt.model_validate(dict(row)), False
    return CommentReceipt.model_validate(dict(row)), True


def _why_closed(entry: RegisterEntry, today: date) -> str:
    c = entry.consultation
    assert c is not None
    if entry.withdrawn_on is not None:
        return (
            f"the notification was withdrawn on {entry.withdrawn_on}: the public consultation "
            "on it ended (Art 23(2)) and receives no more comments"
        )
    if entry.decision is not None or c.closed_on is not None or today > c.ends_on:
        return (
            f"the public consultation on {entry.case_id} closed at the end of {c.ends_on} "
            "(Art 23(2)); comments are no longer received"
        )
    return (
        f"the public consultation on {entry.case_id} (Art 23(2)) opens on {c.opened_on}; send "
        f"comments from then until the end of {c.ends_on}"
    )


async def comments(pool: asyncpg.Pool, case_id: str) -> list[Comment]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT id, case_id, received_at, received_on, author_name AS name,"
            " author_email AS email, organisation, comment FROM consultation_comments"
            " WHERE case_id = $1 ORDER BY id",
            case_id,
        )
    return [Comment.model_validate(dict(r)) for r in rows]
