"""What a procedure declares to the API (:class:`ProcedureSpec`, :class:`CommandSpec`,
:class:`Opening`; see the package's docstring), and what every case snapshots from the settings
when it opens.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any, Literal

import asyncpg
from pydantic import BaseModel
from temporalio.common import SearchAttributePair

from api.errors import InvalidNotification
from infra.settings import Settings
from workflows import search_attributes as sa
from workflows.models import (
    CURRENT_GENERATION,
    AuthorityContext,
    BchPolicy,
    CaseView,
    ClockRules,
    Command,
    Procedure,
)


@cache
def example_notification() -> dict[str, Any]:
    """The README's sample notification (api/examples/notification.json)."""
    text = (resources.files("api") / "examples" / "notification.json").read_text(encoding="utf-8")
    example: dict[str, Any] = json.loads(text)
    return example


@dataclass(frozen=True)
class CommandSpec:
    """One command of a procedure: ``POST /v1/cases/{case_id}/{path}`` runs the Update ``name``."""

    name: str
    path: str
    model: type[Command]
    summary: str
    # staff: the authority's officers only; own: also the notifier whose case it is
    who: Literal["staff", "own"] = "staff"
    description: str = ""
    # What the command needs checked against the register before it runs (e.g. that the
    # documents it links are public); raises the API's own problem when it is not so.
    check: Callable[[asyncpg.Pool, str, Any], Awaitable[None]] | None = None


@dataclass(frozen=True)
class Opening:
    """What a procedure makes of a request to open a case."""

    case_id: str
    start: BaseModel
    received_on: date
    fingerprint: str
    search_attributes: list[SearchAttributePair[Any]]
    static_summary: str
    owner_email: str | None  # the notifier (or requester) who may read the case


@dataclass(frozen=True)
class ProcedureSpec:
    procedure: Procedure
    workflow: type
    workflow_type: str  # @workflow.defn(name=...): recognised in histories
    id_prefix: str  # every case id of the procedure starts with it
    details: type[BaseModel]
    stages: type[StrEnum]
    tag: str
    tag_description: str
    start_path: str  # POST /v1{start_path}
    start_body: str  # the body's name, e.g. "notification": 422s name its fields under it
    start_model: Any  # the request body: a model, or an annotated union of models
    start_summary: str
    start_description: str
    open: Callable[[Settings, Any, date, datetime], Opening]
    fingerprint_of: Callable[[CaseView[Any]], str]  # of an existing case, to compare
    commands: tuple[CommandSpec, ...]
    start_examples: dict[str, Any] = field(default_factory=dict)
    upgrade_state: Callable[[dict[str, Any]], dict[str, Any]] = lambda state: state
    # What a new case's opening needs from the register before it starts (e.g. the Art 13
    # specification a notification falls under); a failed lookup is a 503, never a guess.
    complete: Callable[[asyncpg.Pool, Opening, Any], Awaitable[Opening]] | None = None

    @property
    def view_model(self) -> type[CaseView[Any]]:
        return CaseView[self.details]  # type: ignore[name-defined]

    def command(self, name: str) -> CommandSpec | None:
        return next((c for c in self.commands if c.name == name), None)


# ---- what every case snapshots at start ---------------------------------------------------------


def clock_rules(settings: Settings) -> ClockRules:
    return ClockRules(
        timezone=settings.timezone,
        day_of_event_is_day_one=settings.day_of_event_is_day_one,
        roll_forward_to_working_day=settings.roll_forward_to_working_day,
        holiday_country=settings.holiday_country,
        reminder_offsets_days=tuple(settings.reminder_offsets_days),
    )


def authority(settings: Settings) -> AuthorityContext:
    return AuthorityContext(
        party=settings.authority_party,
        name=settings.authority_name,
        officer_email=settings.officer_email,
        escalation_email=settings.escalation_email,
        default_language=settings.default_language,
        api_url=settings.api_public_url.rstrip("/"),
    )


def snapshot(settings: Settings, now: datetime) -> dict[str, Any]:
    """What every case's start input takes from the deployment's settings when it opens."""
    return {
        "rules": clock_rules(settings),
        "authority": authority(settings),
        "bch": bch_policy(settings),
        "submitted_at": now,
        "generation": CURRENT_GENERATION,
    }


def bch_policy(settings: Settings) -> BchPolicy:
    return BchPolicy(
        poll_interval=timedelta(seconds=settings.bch_poll_interval_seconds),
        approval_window_days=settings.bch_approval_window_days,
    )


def start_attributes(
    case_id: str,
    procedure: Procedure,
    stage: StrEnum,
    *,
    party_of_import: str | None = None,
    party_of_export: str | None = None,
    lmo_id: str | None = None,
) -> list[SearchAttributePair[Any]]:
    """The search attributes a case opens with (the kernel upserts them as the case moves on);
    a fact the case does not have is left out, never set empty."""
    pairs: list[SearchAttributePair[Any]] = [
        SearchAttributePair(sa.CASE_ID, case_id),
        SearchAttributePair(sa.PROCEDURE, procedure.value),
        SearchAttributePair(sa.STAGE, stage.value),
    ]
    for key, value in (
        (sa.PARTY_OF_IMPORT, party_of_import),
        (sa.PARTY_OF_EXPORT, party_of_export),
        (sa.LMO_ID, lmo_id),
    ):
        if value:
            pairs.append(SearchAttributePair(key, value))
    return pairs


def receipt_date(received_on: date | None, today: date, settings: Settings) -> date:
    """The date of receipt a case counts from: today, or a past date for a case entered late,
    neither in the future nor implausibly far back."""
    received = received_on or today
    if received > today:
        raise InvalidNotification(
            f"received_on {received} is in the future (today is {today} in {settings.timezone}); "
            "state the real date of receipt, or leave it out for today",
            rule="date-not-future",
            field="received_on",
        )
    oldest = today - timedelta(days=settings.max_receipt_age_days)
    if received < oldest:
        raise InvalidNotification(
            f"received_on {received} is more than {settings.max_receipt_age_days} days ago (the "
            f"earliest accepted is {oldest}); check the date. A case entered late counts its "
            "deadlines from its real date of receipt, so every one of them would long have "
            "lapsed (BIOSAFETY_MAX_RECEIPT_AGE_DAYS sets the bound)",
            rule="date-within-age-limit",
            field="received_on",
        )
    return received
