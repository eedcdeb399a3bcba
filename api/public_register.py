"""The public register (CP Art 20, Art 21(6)): what anyone may read of a case, from the case
register (PostgreSQL), with the notifier's confidential items withheld (Art 21).

The staff's reads of the register are api/register.py."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import asyncpg
import structlog
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from activities.register import filtered_query
from api.procedures.confidentiality import ID_PREFIX as CONFIDENTIALITY_PREFIX
from api.register import jsonb_value
from workflows import models
from workflows.aia.models import ANNEX_I_DESCRIPTIONS, AnnexIItem, Notification
from workflows.models import Organisation, Procedure

log = structlog.get_logger("api")


# ---- the public register ------------------------------------------------------------------------
#
# Built from the register (PostgreSQL): a row's columns and, of its ``state`` (the CaseView the
# workflow last projected), only the keys that may be public, extracted in SQL: what Art 21(6) and
# the Art 20(3) communications make public. The state also holds what must stay out (outgoing
# messages name the notifier's e-mail; the history's data repeats commands verbatim), so it never
# reaches the API whole. The Annex I items come from the notification the case's workflow was
# started with, minus every item claimed confidential (Art 21(1)) that its confidentiality case
# (``conf-<case id>``) has not disclosed after the procedure of Art 21(2).


class PublicDecision(BaseModel):
    """The decision (Art 10(3)), as communicated to the BCH (Art 20(3)(d))."""

    result: Literal["approval", "approval_with_conditions", "prohibition"]
    conditions: list[str] = Field(default_factory=list)
    reasons: str | None = Field(default=None, description="Art 10(4)")
    subsequent_imports: str | None = Field(
        default=None, description="how an approval applies to subsequent imports, Art 10(3)(a)"
    )
    decided_on: date | None = None
    consultation_results: str | None = Field(
        default=None,
        description="the results of the public consultation, when there was one (Art 23(2))",
    )


class PublicConsultation(BaseModel):
    """A public consultation on the decision (Art 23(2)): what the public was asked about and
    when comments were received."""

    model_config = ConfigDict(extra="ignore")

    subject: str
    opened_on: date
    ends_on: date = Field(description="comments are received until the end of this day")
    closed_on: date | None = Field(description="set once comments are no longer received")


class WithheldItem(BaseModel):
    """An Annex I item the notifier identified as confidential (Art 21(1)): neither its value
    nor the notifier's justification is shown, until the confidentiality case discloses it
    (Art 21(2))."""

    item: AnnexIItem
    description: str = Field(description="what the item is, in the words of Annex I")


class PublicCaseSummary(BaseModel):
    """What anyone may know about a case."""

    case_id: str
    procedure: Procedure
    stage: str
    lmo_name: str | None = Field(description="general description of the LMO, Art 21(6)(b)")
    lmo_unique_identifier: str | None = Field(description="OECD unique identifier")
    party_of_export: str | None
    party_of_import: str | None
    notifier_name: str | None = Field(description="Art 21(6)(a)")
    received_on: date | None
    acknowledged_on: date | None
    decision: PublicDecision | None
    risk_assessment_summary: str | None = Field(description="Art 21(6)(c)")
    withdrawn_on: date | None
    consultation: PublicConsultation | None = Field(
        default=None, description="the public consultation on the decision (Art 23(2)), if any"
    )
    withheld_items: list[WithheldItem] = Field(
        description="Annex I items claimed confidential and not disclosed after the procedure "
        "of Art 21(2): left out of this register"
    )


class PublicAnnexI(BaseModel):
    """The notification's Annex I items that are not claimed confidential, or were disclosed
    after the procedure of Art 21(2). An item withheld is null here and listed in
    ``withheld_items``; item (c), the LMO's general description, can never be confidential
    (Art 21(6)(b))."""

    a_exporter: Organisation | None = None
    b_importer: Organisation | None = None
    c_lmo_name: str | None = None
    c_lmo_unique_identifier: str | None = None
    c_biosafety_level: str | None = None
    d_intended_movement_dates: str | None = None
    e_recipient_organism: str | None = None
    f_centres_of_origin_and_habitats: str | None = None
    g_donor_organisms: str | None = None
    h_modification: str | None = None
    i_intended_use: str | None = None
    j_quantity: str | None = None
    k_risk_assessment_report: str | None = None
    l_handling_methods: str | None = None
    m_regulatory_status_in_export_state: str | None = None
    n_notifications_to_other_states: str | None = None
    o_declaration_of_accuracy: bool | None = None


class PublicCase(PublicCaseSummary):
    notifier_address: str | None = Field(
        description="Art 21(6)(a); null once the case service no longer holds the notification "
        "(past its retention)"
    )
    annex_i: PublicAnnexI | None = Field(
        description="null once the case service no longer holds the notification"
    )


def _item_of(field_name: str) -> AnnexIItem:
    return AnnexIItem(field_name.split("_", 1)[0])  # a_exporter → (a)


def _withheld(items: set[AnnexIItem]) -> list[WithheldItem]:
    return [
        WithheldItem(item=i, description=ANNEX_I_DESCRIPTIONS[i])
        for i in sorted(items, key=lambda i: i.value)
    ]


class _StateDecision(BaseModel):
    model_config = ConfigDict(extra="ignore")
    result: Literal["approval", "approval_with_conditions", "prohibition"]
    conditions: list[str] = Field(default_factory=list)
    reasons: str | None = None
    subsequent_imports: str | None = None
    consultation_results: str | None = None


class _StateRiskAssessment(BaseModel):
    model_config = ConfigDict(extra="ignore")
    summary: str | None = None


class RegisterEntry(BaseModel):
    """What the public register reads of one register row: its columns and the few fields of its
    ``state`` (a CaseView) that may be public. Lenient, so that a row projected by an older or
    newer version of the workflow still reads; nothing else of the state is ever loaded."""

    model_config = ConfigDict(extra="ignore")

    case_id: str
    procedure: Procedure
    stage: str
    notifier_name: str | None = None
    party_of_export: str | None = None
    party_of_import: str | None = None
    lmo_name: str | None = None
    lmo_id: str | None = None
    received_on: date | None = None
    # from the state
    confidential_items: list[AnnexIItem] = Field(default_factory=list)

    @field_validator("confidential_items", mode="before")
    @classmethod
    def _decode_items(cls, v: Any) -> Any:
        return jsonb_value(v) or []

    # the items its confidentiality case disclosed (Art 21(2)): no longer withheld
    disclosed_items: list[AnnexIItem] = Field(default_factory=list)

    @field_validator("disclosed_items", mode="before")
    @classmethod
    def _decode_disclosed(cls, v: Any) -> Any:
        return jsonb_value(v) or []

    acknowledged_on: date | None = None
    decision: _StateDecision | None = None
    decided_on: date | None = None
    risk_assessment: _StateRiskAssessment | None = None
    withdrawn_on: date | None = None
    consultation: PublicConsultation | None = None

    @classmethod
    def of_row(cls, row: asyncpg.Record) -> RegisterEntry | None:
        state = jsonb_value(row["state"])
        fields = {k: row[k] for k in _PUBLIC_COLUMNS}
        # The public facts of a decision under Art 10 (Art 20(3)(d)) are an AIA case's; other
        # procedures show their common facts only.
        if isinstance(state, dict) and row["procedure"] == Procedure.AIA:
            fields |= {k: state.get(k) for k in _PUBLIC_STATE if state.get(k) is not None}
            fields["disclosed_items"] = row["disclosed_items"]
        try:
            return cls.model_validate(fields)
        except ValidationError as err:
            # A row the public register cannot read is left out, never shown half-read.
            log.warning(
                "register row left out of the public register",
                case_id=row["case_id"],
                errors=err.error_count(),
            )
            return None


# The register's columns the public may see: those the case summary marks public.
_PUBLIC_COLUMNS = models.public_fields(models.CaseSummary)
_PUBLIC_STATE = (
    "acknowledged_on",
    "decision",
    "decided_on",
    "risk_assessment",
    "withdrawn_on",
    "consultation",
)
# The state's JSON is read in the database down to these keys: the rest never reaches the API.
SELECT_PUBLIC = (
    "SELECT "
    + ", ".join(_PUBLIC_COLUMNS)
    + ", jsonb_build_object("
    # a state written before the case kernel held the AIA's fields at its top
    + ", ".join(
        f"'{k}', coalesce(state -> 'details' -> '{k}', state -> '{k}')" for k in _PUBLIC_STATE
    )
    + ") AS state, "
    # The items the case's confidentiality case disclosed (Art 21(2)), from the state it last
    # projected: the disclosure is recorded there, and nothing else of that state is read.
    + "(SELECT jsonb_path_query_array(k.state, "
    "'$.details.claims[*] ? (@.disclosed_on != null).item') FROM cases k "
    f"WHERE k.case_id = '{CONFIDENTIALITY_PREFIX}' || cases.case_id) AS disclosed_items "
    "FROM cases"
)


def _confidential(entry: RegisterEntry, notification: Notification | None) -> set[AnnexIItem]:
    items = set(entry.confidential_items)
    if notification is not None:
        items |= {c.item for c in notification.confidential}
    return items - set(entry.disclosed_items)


def public_summary(
    entry: RegisterEntry, notification: Notification | None = None
) -> PublicCaseSummary:
    decision = None
    if entry.decision is not None:
        decision = PublicDecision(
            result=entry.decision.result,
            conditions=list(entry.decision.conditions),
            reasons=entry.decision.reasons,
            subsequent_imports=entry.decision.subsequent_imports,
            decided_on=entry.decided_on,
            consultation_results=entry.decision.consultation_results,
        )
    return PublicCaseSummary(
        case_id=entry.case_id,
        procedure=entry.procedure,
        stage=entry.stage,
        lmo_name=entry.lmo_name,
        lmo_unique_identifier=entry.lmo_id,
        party_of_export=entry.party_of_export,
        party_of_import=entry.party_of_import,
        notifier_name=entry.notifier_name,
        received_on=entry.received_on,
        acknowledged_on=entry.acknowledged_on,
        decision=decision,
        risk_assessment_summary=entry.risk_assessment.summary if entry.risk_assessment else None,
        withdrawn_on=entry.withdrawn_on,
        consultation=entry.consultation,
        withheld_items=_withheld(_confidential(entry, notification)),
    )


def public_case(entry: RegisterEntry, notification: Notification | None) -> PublicCase:
    summary = public_summary(entry, notification)
    annex_i = None
    if notification is not None:
        confidential = _confidential(entry, notification)
        annex_i = PublicAnnexI.model_validate(
            {
                name: value
                for name, value in notification.annex_i.model_dump().items()
                if _item_of(name) not in confidential
            }
        )
    return PublicCase(
        **summary.model_dump(),
        notifier_address=notification.notifier.address if notification is not None else None,
        annex_i=annex_i,
    )


async def public_entries(
    pool: asyncpg.Pool,
    *,
    stage: str | None = None,
    party_of_import: str | None = None,
    lmo_id: str | None = None,
    lmo_key: str | None = None,
    party: str | None = None,
    received_from: date | None = None,
    received_to: date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[RegisterEntry]:
    """The register's cases, newest receipt first. ``lmo_key``: the LMO's identifier in upper
    case with its slashed zeros written as zeros (as people type it); ``party``: the Party of
    export or of import."""
    sql, args = filtered_query(
        SELECT_PUBLIC,
        [
            ("stage =", stage),
            ("party_of_import =", party_of_import),
            ("lmo_id =", lmo_id),
            ("translate(upper(lmo_id), 'Ø', '0') =", lmo_key),
            ("ARRAY[party_of_export, party_of_import] @>", [party] if party else None),
            ("received_on >=", received_from),
            ("received_on <=", received_to),
        ],
        order_by="received_on DESC NULLS LAST, case_id",
        limit=limit,
        offset=offset,
    )
    async with pool.acquire() as conn:
        rows = await conn.fetch(sql, *args)
    return [e for e in map(RegisterEntry.of_row, rows) if e is not None]


async def public_entry(pool: asyncpg.Pool, case_id: str) -> RegisterEntry | None:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(SELECT_PUBLIC + " WHERE case_id = $1", case_id)
    return RegisterEntry.of_row(row) if row is not None else None
