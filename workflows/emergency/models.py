"""Unintentional transboundary movements and emergencies (CP Art 17): how a case opens, the
officers' commands, the stages and the procedure part of the case view.

A case opens when the authority knows of an occurrence under its jurisdiction resulting in a
release that leads, or may lead, to an unintentional transboundary movement of an LMO likely to
have significant adverse effects (17(1)). The opening carries what the notification must
include (17(3)(a)-(e)) and whom it goes to: the affected or potentially affected States through
their Article 17 contact points (17(2)) and, where appropriate, relevant international
organisations. The authority then consults the affected States (17(4)) and records their
responses and the emergency measures taken until the emergency is over.
"""

from __future__ import annotations

import hashlib
from datetime import date
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from workflows.kernel.state import KernelState
from workflows.models import (
    CaseFacts,
    CaseStart,
    Command,
    CountryCode,
    Email,
    Input,
    Language,
    Procedure,
    Text,
)
from workflows.review.models import Reference

# The items of Art 17(3), by letter: the field that carries each, and what it is in words.
ITEMS: dict[str, tuple[tuple[str, ...], str]] = {
    "a": (
        ("a_quantities_and_characteristics",),
        "estimated quantities and relevant characteristics and/or traits of the LMO",
    ),
    "b": (
        ("b_release_circumstances", "b_release_date", "b_use_in_originating_party"),
        "circumstances and estimated date of the release, and use of the LMO in the "
        "originating Party",
    ),
    "c": (
        ("c_adverse_effects_and_risk_management",),
        "possible adverse effects on biological diversity and human health, and possible risk "
        "management measures",
    ),
    "d": (("d_other_information",), "any other relevant information"),
    "e": (("e_point_of_contact",), "a point of contact for further information"),
}


def missing_items(data: dict[str, Any]) -> list[str]:
    """The letters of Art 17(3) whose information ``data`` lacks (blank text counts as none)."""

    def absent(value: Any) -> bool:
        return value is None or (isinstance(value, str) and not value.strip())

    return [
        letter for letter, (fields, _) in ITEMS.items() if any(absent(data.get(f)) for f in fields)
    ]


class ContactPoint(Input):
    """An affected or potentially affected State's point of contact for notifications under
    Article 17 (17(2): made available to the BCH), to which the notification is addressed."""

    party: CountryCode
    name: Text = Field(description="the contact point, e.g. the ministry's unit")
    email: Email
    language: Language | None = None


class Organisation(Input):
    """A relevant international organisation notified under Art 17(1) "where appropriate"."""

    name: Text
    email: Email
    language: Language | None = None


class PointOfContact(Input):
    """Art 17(3)(e): who answers for further information (also the BCH record's contact)."""

    name: Text
    organisation: Text
    address: Text
    email: Email
    phone: str | None = Field(default=None, max_length=100)
    country: CountryCode | None = Field(default=None, description="default the authority's")


class Occurrence(Input):
    """Art 17(1): what the authority knows of the occurrence and the release, with every item
    of 17(3) and whom the notification goes to."""

    reference: Reference
    learned_on: date | None = Field(
        default=None,
        description="when the authority knew of the occurrence (Art 17(1): the notification "
        "is due as soon as it knows); default today",
    )
    lmo_name: Text
    lmo_id: str | None = Field(default=None, max_length=64, description="unique identifier")
    a_quantities_and_characteristics: Text = Field(description="Art 17(3)(a)")
    b_release_circumstances: Text = Field(description="Art 17(3)(b): circumstances")
    b_release_date: date = Field(description="Art 17(3)(b): estimated date of the release")
    b_use_in_originating_party: Text = Field(description="Art 17(3)(b): use in this Party")
    c_adverse_effects_and_risk_management: Text = Field(description="Art 17(3)(c)")
    d_other_information: Text = Field(description="Art 17(3)(d)")
    e_point_of_contact: PointOfContact = Field(description="Art 17(3)(e)")
    affected_states: list[ContactPoint] = Field(
        min_length=1,
        description="the affected or potentially affected States, each through its Article 17 "
        "contact point (a State may be named with more than one address)",
    )
    organisations: list[Organisation] = Field(
        default_factory=list, description="relevant international organisations (Art 17(1))"
    )

    @model_validator(mode="before")
    @classmethod
    def _every_item_of_17_3(cls, data: Any) -> Any:
        """Refuse a notification that lacks any item of Art 17(3), naming each by its letter."""
        if isinstance(data, dict) and (missing := missing_items(data)):
            raise ValueError(
                "the notification lacks what Article 17(3) requires: "
                + "; ".join(f"({letter}) {ITEMS[letter][1]}" for letter in missing)
            )
        return data


# ---- commands ---------------------------------------------------------------------------------


class RecordConsultation(Command):
    """Art 17(4): the authority consulted an affected State, or the State responded."""

    party: CountryCode
    kind: Literal["consulted", "response"] = Field(
        description="consulted: the authority consulted the State; response: the State's "
        "response (how it determines its response and any action it initiates)"
    )
    summary: Text
    occurred_on: date | None = Field(default=None, description="default today")


class RecordMeasure(Command):
    """Art 17(4): an emergency measure taken, by this Party or an affected State."""

    taken_by: Text = Field(description="who took the measure, e.g. the authority, or a State")
    description: Text
    taken_on: date | None = Field(default=None, description="default today")


class CloseEmergency(Command):
    reasons: Text = Field(description="why the emergency is over")


class Stage(StrEnum):
    NOTIFYING = "notifying_affected_states"  # notifications queued, not all handed over
    CONSULTING = "consulting_affected_states"  # 17(4): consultation and emergency measures
    CLOSED = "emergency_over"


STAGE_WORDS = {
    Stage.NOTIFYING: "Release notified; the notifications to the affected States, the BCH and "
    "organisations are going out (Art 17(1))",
    Stage.CONSULTING: "Affected States notified; consultation and emergency measures (Art 17(4))",
    Stage.CLOSED: "Emergency over; file closed",
}


# ---- state and view ---------------------------------------------------------------------------


class Consultation(BaseModel):
    number: int
    party: str
    kind: Literal["consulted", "response"]
    summary: str
    on: date
    actor: str


class Measure(BaseModel):
    number: int
    taken_by: str
    description: str
    taken_on: date
    actor: str


class EmergencyState(BaseModel):
    notified_on: date | None = None
    consultations: list[Consultation] = Field(default_factory=list)
    measures: list[Measure] = Field(default_factory=list)
    follow_ups: list[date] = Field(default_factory=list, description="follow-ups made")
    closed_on: date | None = None
    closing_reasons: str | None = None


class EmergencyResume(BaseModel):
    state: EmergencyState
    kernel: KernelState


class EmergencyStart(CaseStart):
    """Workflow input of an emergency case; ``received_on`` is the day the authority knew of the
    occurrence, from which the notification is due."""

    occurrence: Occurrence
    notification_days: int = Field(default=1, ge=1, description="Art 17(1): 'as soon as'")
    follow_up_days: int = Field(default=14, ge=1, description="follow-ups while the case is open")
    resume: EmergencyResume | None = None

    def facts(self) -> CaseFacts:
        o = self.occurrence
        states = ", ".join(dict.fromkeys(s.party for s in o.affected_states))
        return CaseFacts(
            case_id=self.case_id,
            procedure=Procedure.EMERGENCY,
            title=f"Release of {o.lmo_name}: unintentional transboundary movement to {states} "
            "(Art 17)",
            notifier_reference=o.reference,
            party_of_export=self.authority.party,  # the Party under whose jurisdiction it occurred
            lmo_name=o.lmo_name,
            lmo_id=o.lmo_id,
            received_on=self.received_on,
        )

    def letter_context(self) -> dict[str, Any]:
        o = self.occurrence
        return {
            "case_id": self.case_id,
            "authority_name": self.authority.name,
            "party_of_import": self.authority.party,  # the layout's "competent authority of"
            "lmo_name": o.lmo_name,
            "lmo_id": o.lmo_id,
        }


class EmergencyDetails(BaseModel):
    """The procedure part of an emergency case's view."""

    procedure: Literal["emergency"] = "emergency"
    learned_on: date
    occurrence: Occurrence
    notified_on: date | None = Field(description="Art 17(1): the notifications queued")
    states_not_yet_consulted: list[str]
    states_without_response: list[str]
    consultations: list[Consultation]
    measures: list[Measure]
    follow_ups: list[date]
    closed_on: date | None
    closing_reasons: str | None
    fingerprint: str


def fingerprint(occurrence: Occurrence) -> str:
    """Identifies what a case was opened with, so that opening it again under the same
    reference can be told apart from a different case reusing it."""
    return hashlib.sha256(occurrence.model_dump_json().encode()).hexdigest()[:32]
