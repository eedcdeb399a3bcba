"""How a response-measure case opens under the Supplementary Protocol (SP Arts 3, 5): the
operator's report or the authority's own finding of damage, or of a sufficient likelihood of
damage (SP Art 5(3)), with the LMO, the transboundary movement it came from and the operator;
the cases it may be linked to; and the fingerprint that tells a resubmission from a different
case under the same reference."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Annotated, Literal

from pydantic import Field

from workflows.models import (
    CountryCode,
    Email,
    Input,
    Language,
    Text,
)
from workflows.review.models import Reference

# The procedures whose cases a response-measure case may be linked to (SP Art 3(2)-(3)): the
# advance informed agreement of an intentional movement, CP Art 17 and CP Art 25.
LINKABLE_PREFIXES = ("aia-", "emergency-", "illegal-")
LINKED_CASE_PATTERN = r"^(aia|emergency|illegal)-[a-z0-9][a-z0-9._-]{0,140}$"

MovementKind = Literal["intentional", "unintentional", "illegal"]
MOVEMENT_WORDS = {
    "intentional": "an intentional transboundary movement (SP Art 3(2))",
    "unintentional": "an unintentional transboundary movement (CP Art 17, SP Art 3(3))",
    "illegal": "an illegal transboundary movement (CP Art 25, SP Art 3(3))",
}
LmoCategory = Literal["food_feed_processing", "contained_use", "environmental_release"]
CATEGORY_WORDS = {
    "food_feed_processing": "intended for direct use as food or feed, or for processing "
    "(SP Art 3(1)(a))",
    "contained_use": "destined for contained use (SP Art 3(1)(b))",
    "environmental_release": "intended for intentional introduction into the environment "
    "(SP Art 3(1)(c))",
}


class Operator(Input):
    """SP Art 2(2)(c): a person in direct or indirect control of the LMO."""

    name: Text
    address: Text
    email: Email
    role: Literal[
        "permit_holder", "placer_on_market", "developer", "producer", "notifier", "exporter",
        "importer", "carrier", "supplier", "other",
    ] = "other"  # fmt: skip
    language: Language | None = None


class Lmo(Input):
    name: Text
    unique_identifier: str | None = Field(default=None, min_length=1, max_length=100)
    category: LmoCategory = Field(description="SP Art 3(1)(a)-(c)")


class Movement(Input):
    """The transboundary movement the LMO came from (SP Art 3(1))."""

    kind: MovementKind
    started_on: date = Field(description="SP Art 3(4): when the movement started")
    party_of_export: CountryCode | None = None


class _Report(Input):
    reference: Reference
    received_on: date | None = Field(
        default=None, description="the day the authority was informed or found it; default today"
    )
    basis: Literal["damage", "likelihood"] = Field(
        description="damage, or a sufficient likelihood of damage if timely response measures "
        "are not taken (SP Art 5(3))"
    )
    description: Text
    location: Text
    within_national_jurisdiction: bool = Field(description="SP Art 3(5)")
    occurred_on: date | None = Field(default=None, description="when the damage occurred")
    lmo: Lmo
    movement: Movement


class OperatorReport(_Report):
    """SP Art 5(1)(a): the operator informs the competent authority immediately."""

    reported_by: Literal["operator"]
    operator: Operator


class AuthorityFinding(_Report):
    """The authority found the damage itself (SP Art 5(2))."""

    reported_by: Literal["authority"]
    operator: Operator | None = None


ResponseOpening = Annotated[OperatorReport | AuthorityFinding, Field(discriminator="reported_by")]


def fingerprint(opening: OperatorReport | AuthorityFinding) -> str:
    """Identifies what a case was opened with, so that opening it again under the same
    reference can be told apart from a different case reusing it."""
    return hashlib.sha256(opening.model_dump_json().encode()).hexdigest()[:32]
