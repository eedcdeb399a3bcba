"""The models every procedure shares: field types, the case's common view, commands' base, the
deadline ledger's rows, history steps and outgoing messages.

A procedure adds its own models in its folder (``workflows/aia/models.py``, ...). A case view is
one common part (the register row, the public register and the Web UI are derived from it) and
a procedure part, ``details``. Articles cited are of the Cartagena Protocol (CP) unless marked
otherwise (SP: the Supplementary Protocol on Liability and Redress).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from workflows.clock import CountingRules

with_strip = ConfigDict(str_strip_whitespace=True, extra="forbid")

# Characters no text we are sent may hold: C0 controls but tab, line feed and carriage return,
# DEL, C1 controls, and lone surrogates. PostgreSQL cannot store U+0000 or a lone surrogate, and
# none of them belongs in a notification, a letter or a public register.
CONTROL_CHARACTERS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_FORBIDDEN = re.compile(rf"[{CONTROL_CHARACTERS}\ud800-\udfff]")
# The same rule as JSON Schema patterns, for the OpenAPI document (lone surrogates cannot be
# written in one): any text, and a Text, which also has a character that is not white space.
PLAIN_TEXT_PATTERN = rf"^[^{CONTROL_CHARACTERS}]*$"
TEXT_PATTERN = rf"^[^{CONTROL_CHARACTERS}]*[^{CONTROL_CHARACTERS}\s][^{CONTROL_CHARACTERS}]*$"


def _clean(value: object, where: str = "") -> None:
    if isinstance(value, str):
        if (found := _FORBIDDEN.search(value)) is not None:
            raise ValueError(
                f"contains the control character U+{ord(found.group()):04X}{where} at position "
                f"{found.start()}: only printable text, tabs and line breaks are accepted"
            )
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _clean(item, f" (item {i + 1})")
    elif isinstance(value, dict):
        for key, item in value.items():
            _clean(key)
            _clean(item)


class Input(BaseModel):
    """What a person or another system sends us: stripped, no unknown fields, and no control
    characters in any text (each refused with a 422 naming the field)."""

    model_config = with_strip

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: object) -> object:
        _clean(value)  # nested models validate their own fields
        return value

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        for field in handler.resolve_ref_schema(schema).get("properties", {}).values():
            _plain_text(field)
        return schema


def _plain_text(schema: dict[str, Any]) -> None:
    """Say in a field's JSON Schema what _no_control_characters refuses (a field with a pattern
    of its own says it there)."""
    if schema.get("type") == "string" and not {"pattern", "format", "enum", "const"} & set(schema):
        schema["pattern"] = PLAIN_TEXT_PATTERN
    for branch in schema.get("anyOf", []):
        _plain_text(branch)
    if isinstance(schema.get("items"), dict):
        _plain_text(schema["items"])


CountryCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{2}$"),
    Field(description="ISO 3166-1 alpha-2 code of a Party, e.g. HU", examples=["HU"]),
]
_EMAIL_PART = rf"[^@\s<>,;{CONTROL_CHARACTERS}]+"
EMAIL_PATTERN = rf"^{_EMAIL_PART}@{_EMAIL_PART}\.{_EMAIL_PART}$"
Email = Annotated[
    str,
    StringConstraints(pattern=EMAIL_PATTERN, max_length=254),
    Field(examples=["regulatory@example.com"]),
]
TEXT_MAX_LENGTH = 20_000  # characters of free text in any field
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=TEXT_MAX_LENGTH),
    Field(json_schema_extra={"pattern": TEXT_PATTERN}),  # checked by Input, in words
]
Language = Literal["en", "hu"]

# "References to other records carry a revision" (GUID@n): what a record points at must be the
# exact version a decision was taken on, not whatever the other record says later.
BCH_REFERENCE_PATTERN = (
    r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}@[1-9][0-9]*$"
)
_BCH_REFERENCE = re.compile(BCH_REFERENCE_PATTERN)


def bch_reference(value: str) -> str:
    """Check and normalise a reference to a BCH record: ``GUID@revision``, revision 1 or more.

    The GUID is accepted in either case and returned upper-case, as the BCH writes it.
    """
    text = value.strip()
    if not _BCH_REFERENCE.fullmatch(text):
        raise ValueError(
            f"{value!r} is not a reference to a BCH record: expected GUID@revision, e.g. "
            "'1E027990-5D44-F3AF-75E3-715B60BFD3CD@8' (a revision of 1 or more)"
        )
    return text.upper()


BchReference = Annotated[
    str,
    AfterValidator(bch_reference),
    Field(
        json_schema_extra={"pattern": BCH_REFERENCE_PATTERN},  # checked by bch_reference, in words
        examples=["1E027990-5D44-F3AF-75E3-715B60BFD3CD@8"],
    ),
]


class Procedure(StrEnum):
    """Every statutory procedure of the design (DESIGN.md, "The procedures"). Those a case can be
    opened for are the ones in the API's registry (api/procedures.py)."""

    AIA = "aia"  # advance informed agreement, CP Arts 7-10, 15, 21
    FFP = "ffp"  # food, feed or processing, CP Art 11
    REVIEW = "review"  # review of decisions, CP Art 12
    SIMPLIFIED = "simplified"  # simplified procedure, CP Art 13
    EMERGENCY = "emergency"  # unintentional movements and emergencies, CP Art 17
    ILLEGAL = "illegal"  # illegal transboundary movements, CP Art 25
    CONFIDENTIALITY = "confidentiality"  # confidential information, CP Art 21
    RESPONSE_MEASURES = "response_measures"  # SP Arts 2-8, 12
    TREATY_STATUS = "treaty_status"  # CP Arts 37, 39; SP Arts 18, 20


class Organisation(Input):
    name: Text
    address: Text
    contact: str | None = Field(default=None, description="phone, e-mail or contact person")


class Notifier(Input):
    """Who notified (Art 8(1): the Party of export or the exporter on its behalf), or who else
    writes to the authority and is answered by letter."""

    name: Text
    address: Text
    email: Email
    language: Language | None = Field(
        default=None, description="language of our letters; default: the authority's setting"
    )


class ClockRules(CountingRules):
    """The deployment's counting rules and reminder offsets, snapshotted into each case when it
    starts so that a later configuration change never moves the deadlines of running cases."""

    reminder_offsets_days: tuple[int, ...] = (30, 14, 7, 1)


class AuthorityContext(BaseModel):
    """Who runs the case and where its internal mail goes; snapshotted at start."""

    party: CountryCode = "HU"
    name: str = "Competent National Authority"
    officer_email: str = "case-officers@example.org"
    escalation_email: str = "head-of-unit@example.org"
    default_language: Language = "en"
    api_url: str | None = Field(
        default=None,
        description="the API's public address, for links in the Web UI's current details; "
        "None in cases opened before it was snapshotted",
    )


class BchPolicy(BaseModel):
    """How the case's records are followed on the BCH (reference/bch-api.md), snapshotted."""

    poll_interval: timedelta = timedelta(days=1)
    approval_window_days: int = 83


# The case kernel's generation new cases open under (CaseStart.generation). Generation 2 has
# every change the kernel's patches brought up to e-mail sent locally first: such a case records
# no patch marker (each is a marker, a search-attribute upsert and worker memory for the run).
# Generation 3: the register is written once a change is shown (workflows/kernel/runtime.py).
# Generation 4: the e-mails of a reminder or a lapse go out in the workflow task after the one
# that recorded it (workflows/kernel/outbox.py, NEXT_TASK). Generation 5: the search attributes
# follow in that next task too (workflows/kernel/runtime.py, LISTS_WITH_THE_EMAILS). Generation 6:
# only a turn its timer woke holds them; what the opening finds due goes out in the opening's
# task (HELD_ONLY_WHEN_TIME_WOKE).
CURRENT_GENERATION = 6


class CaseStart(BaseModel):
    """What every case's workflow input holds beside the procedure's own: the case id, the date
    its periods count from, and the deployment's rules snapshotted when it opened."""

    case_id: str
    received_on: date
    rules: ClockRules = Field(default_factory=ClockRules)
    authority: AuthorityContext = Field(default_factory=AuthorityContext)
    bch: BchPolicy = Field(default_factory=BchPolicy)
    submitted_at: datetime | None = None
    continue_as_new_after_events: int = Field(
        default=5000, description="a long case continues as new past this many history events"
    )
    generation: int = Field(
        default=1,
        ge=1,
        description="the case kernel's generation the case opened under (workflows/kernel/"
        "runtime.py): 1 for cases opened before generations, whose patch markers decide",
    )

    def facts(self) -> CaseFacts:
        """What the case is about, for its view, the register and the Web UI."""
        raise NotImplementedError

    def letter_context(self) -> dict[str, Any]:
        """The case's facts every letter of it states (activities/templates/*/_layout.j2)."""
        raise NotImplementedError


# ---- commands (Temporal Update inputs) --------------------------------------------------------


class Command(Input):
    actor: str = Field(default="case-officer", max_length=200, description="who gives the command")


# ---- what a case shows ------------------------------------------------------------------------


class DeadlineStatus(StrEnum):
    RUNNING = "running"
    STOPPED = "stopped"
    MET = "met"
    MISSED = "missed"  # passed with nothing done; the case stays open (Art 9(4), 10(5))
    MET_LATE = "met_late"
    CANCELLED = "cancelled"  # the case closed before the deadline (withdrawal, 10(2)(b) route)


class DeadlineView(BaseModel):
    """One row of a case's deadline ledger. ``remaining_days``, ``days_overdue`` and ``status``
    are as of ``today`` of the view they are in; the API recomputes them at read time."""

    key: str = Field(description="which period, e.g. decision, acknowledgement, answer")
    label: str
    label_hu: str = ""
    article: str
    period_days: int
    start: date
    due: date | None
    ends_at: datetime | None = Field(description="the instant the last day ends (UTC)")
    status: DeadlineStatus
    remaining_days: int | None = Field(
        default=None,
        description="days left: to the last day while the deadline runs, or the days that "
        "remain on a stopped clock",
    )
    days_overdue: int = 0
    met_on: date | None = None
    explanation: str
    explanation_hu: str = ""
    authority_deadline: bool = Field(
        default=True,
        description="a deadline of the authority's, which lapses when missed; false for a moment "
        "that simply arrives (e.g. the Art 10(2)(b) date the movement may proceed)",
    )


class Step(BaseModel):
    """One entry of the case history (and of the register's audit log)."""

    seq: int
    at: datetime
    on: date
    kind: str
    actor: str
    summary: str
    data: dict[str, object] = Field(default_factory=dict)


class OutgoingView(BaseModel):
    key: str
    channel: Literal["email", "bch"]
    recipient: str
    purpose: str
    status: Literal["pending", "sent", "failed"]
    detail: str | None = None


# Marks a field of the case summary that the public register may show (Art 21(6) and the
# information Art 20(3) makes public); every other field stays with the authority.
PUBLIC: dict[str, Any] = {"public": True}


def public_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of ``model`` marked :data:`PUBLIC`, in their order."""
    return tuple(
        name
        for name, info in model.model_fields.items()
        if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get("public")
    )


class CaseFacts(BaseModel):
    """What a case is about: fixed when it opens (the LMO can be named later). Every list, the
    register row and the public register are made of these facts and of the case's state."""

    case_id: str = Field(json_schema_extra=PUBLIC)
    procedure: Procedure = Field(json_schema_extra=PUBLIC)
    title: str = Field(description="one line naming the case, for lists and the Web UI")
    notifier_reference: str | None = None
    notifier_name: str | None = Field(default=None, json_schema_extra=PUBLIC)  # Art 21(6)(a)
    notifier_email: str | None = Field(default=None, exclude=True)  # personal data: never shown
    notifier_language: Language | None = None
    party_of_export: str | None = Field(default=None, json_schema_extra=PUBLIC)
    party_of_import: str | None = Field(default=None, json_schema_extra=PUBLIC)
    lmo_name: str | None = Field(default=None, json_schema_extra=PUBLIC)  # Art 21(6)(b)
    lmo_id: str | None = Field(default=None, json_schema_extra=PUBLIC)
    received_on: date = Field(
        description="the date the case's periods count from", json_schema_extra=PUBLIC
    )
    confidential_items: list[str] = Field(
        default_factory=list,
        description="what the notifier claimed confidential (Art 21(1)): named, never shown",
        json_schema_extra=PUBLIC,
    )


class CaseSummary(CaseFacts):
    """Where the case stands: the common part of every view, and the register's row."""

    stage: str = Field(json_schema_extra=PUBLIC)
    closed: bool = False
    clock_stopped: bool = False
    overdue: bool = False
    days_overdue: int = 0
    next_deadline_key: str | None = None
    next_deadline_on: date | None = None
    next_deadline_at: datetime | None = None


DetailsT = TypeVar("DetailsT")


class CaseView(CaseSummary, Generic[DetailsT]):
    """Everything about a case, as its Query returns it and the register keeps it: the common
    part, then ``details``, what only its procedure knows."""

    today: date
    timezone: str = Field(
        default="Europe/Budapest", description="the authority's time zone: a day ends there"
    )
    stage_text: str = Field(description="the stage in words")
    status_text: str = Field(description="the stage and the deadlines in words, as of today")
    next_deadline: DeadlineView | None
    deadlines: list[DeadlineView]
    outgoing: list[OutgoingView] = Field(default_factory=list)
    history: list[Step] = Field(default_factory=list)
    bch_publications: list[str] = Field(
        default_factory=list, description="ids of the BCH publication workflows of this case"
    )
    version: int
    details: DetailsT


AnyCaseView = CaseView[dict[str, Any]]


class CommandResult(BaseModel):
    case_id: str
    stage: str
    summary: str
    next_deadline: DeadlineView | None
