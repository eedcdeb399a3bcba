"""What a BCH record is made from, as the workflows hand it to the BCH activities: the decision's
public facts (``BchDecisionInput``), its parties and links, and what a publication came to
(``BchPublication``). Plain models, so that workflow code can import them without the record
builder and its schema checks (activities/bch_record.py)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel

from workflows.models import BchReference, Email

Result = Literal[
    "approval", "approval_with_conditions", "prohibition", "information_request", "extension"
]


class BchParty(BaseModel):
    """An exporter or importer. On the BCH it becomes a ``contact`` record, which needs at least
    one e-mail address: given in ``emails``, or found in ``contact`` (Annex I's free-text
    contact details)."""

    name: str
    address: str | None = None
    country: str | None = None  # ISO 3166-1 code
    emails: list[Email] = []
    contact: str | None = None


class BchLink(BaseModel):
    """A link as the BCH stores it (``Link``: ``{url, name, language}``). Public: never a link
    to anything confidential."""

    url: str
    name: str | None = None
    language: str | None = None  # of the linked document, if it is in one language


class BchMovement(BaseModel):
    """Art 17 (unintentional movement): the record is a communication with the 17(3) items in
    the record's own fields, and the point of contact (17(3)(e)) as a ``contact`` record."""

    type: Literal["unintentional"] = "unintentional"
    release_information: str
    estimated_quantities: str  # 17(3)(a)
    release_circumstance: str  # 17(3)(b)
    release_date: date  # 17(3)(b)
    lmo_use_information: str  # 17(3)(b)
    adverse_effect_information: str  # 17(3)(c)
    other_information: str | None = None  # 17(3)(d)
    points_of_contact: list[BchParty] = []  # 17(3)(e)


class BchDecisionInput(BaseModel):
    message_key: str  # e.g. f"{workflow_id}:bch:decision"
    case_id: str
    government: str  # ISO code of the Party of import, e.g. "HU"
    title: str
    decision_date: date
    decision_result: Result | None = None  # none for a communication (``movement``)
    conditions: list[str] = []
    reasons: str | None = None
    extension_period_days: int | None = None
    receipt_date: date
    acknowledgement_date: date | None = None
    communication_date: date
    exporters: list[BchParty] = []
    importers: list[BchParty] = []
    lmo_name: str
    lmo_unique_identifier: str | None = None
    applies_to_subsequent_imports: str | None = None
    risk_assessment_summary: str | None = None
    language: str = "en"
    # The BCH form asks these of every decision on an intentional introduction, as yes or no.
    involves_field_trial: bool = False
    involves_commercial_release: bool = False
    # None: yes for an approval that states how it applies to subsequent imports, else no.
    applies_to_subsequent_introductions: bool | None = None
    # Links to other BCH records (GUID@revision) and to the decision's documents.
    modified_organisms: list[BchReference] = []  # modifiedOrganism records (LMO identification)
    risk_assessments: list[BchReference] = []  # nationalRiskAssessment records
    documents: list[BchLink] = []  # the decision document(s)
    # Simplified procedure (Art 13(1)(a) and (b)): any of them set makes an Art 13 record.
    movement_allowed_under_13_1_a: bool | None = None
    exempt_from_aia: bool | None = None
    applies_to_subsequent_imports_art13: bool | None = None
    # Art 12 review: this record amends the earlier record(s), with a summary of what changed.
    amended_records: list[BchReference] = []
    amendment_details: str | None = None
    # Art 23(2): the public consultation and its results, made public with the decision.
    public_consultation: str | None = None
    # Art 17: a communication on an unintentional transboundary movement.
    movement: BchMovement | None = None
    # Art 25(3): information on a case of illegal transboundary movement; set, the record is that
    # communication (no decision result) and this text its otherTransboundryInformation.
    illegal_movement: str | None = None
    # Art 11: a decision on an LMO for direct use as food or feed, or for processing: on its
    # domestic use (11(1)) or on its import (11(6)), for these uses.
    direct_use: Literal["domestic_use", "import"] | None = None
    direct_uses: list[str] = []

    def parties(self) -> list[tuple[str, list[BchParty]]]:
        """Everyone the record references as a ``contact`` record, by the field that holds them."""
        contacts = self.movement.points_of_contact if self.movement else []
        return [("exporters", self.exporters), ("importers", self.importers)] + (
            [("pointOfContact", contacts)] if contacts else []
        )


class BchPublication(BaseModel):
    message_key: str
    document_uid: str
    status: Literal["publication_requested", "published", "rejected"]
    workflow_request_id: str | None
    public_id: str | None
    validation_errors: list[dict[str, Any]] = []
    notes: list[str] = []  # what the officer should know (e.g. a party without a contact record)
