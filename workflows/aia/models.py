"""The advance informed agreement's own models (CP Arts 8-10, 15, 21): the Art 8 notification
with its Annex I items, the officers' commands (each the single typed input of one Temporal
Update), the stages, and the procedure part of the case view.

Field constraints are the first line of defence (the API turns them into 422s), the workflow's
validators the second (stage rules, 409s).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)

from workflows import decision
from workflows.kernel.state import KernelState
from workflows.models import (
    BchReference,
    CaseFacts,
    CaseStart,
    Command,
    CountryCode,
    Input,
    Notifier,
    Organisation,
    Procedure,
    Text,
)
from workflows.simplified.models import Specification, Use

NotifierReference = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"),
    Field(
        description="The notifier's own reference for this notification: letters, digits, "
        "'.', '_' and '-', at most 64 characters, not case-sensitive (ACME-1 and acme-1 are the "
        "same reference). Resubmitting the same notification under it returns the same case.",
        examples=["ACME-2027-001"],
    ),
]
# OECD unique identifier: developer code (2-3), event code (5-6), check digit; e.g. MON-ØØ81Ø-6
_OECD_ID = re.compile(r"^[A-Z0-9Ø]{2,3}-[A-Z0-9Ø]{5,6}-[0-9]$")
# The same in the OpenAPI document, in either letter case (it is upper-cased when read).
_OECD_ID_ANY_CASE = _OECD_ID.pattern.replace("A-Z0-9Ø", "A-Za-z0-9Øø")


class AnnexIItem(StrEnum):
    """The items a notification must contain at a minimum (CP Art 8(1), Annex I (a)-(o))."""

    A = "a"
    B = "b"
    C = "c"
    D = "d"
    E = "e"
    F = "f"
    G = "g"
    H = "h"
    I = "i"  # noqa: E741 - the Annex's own lettering
    J = "j"
    K = "k"
    L = "l"
    M = "m"
    N = "n"
    O = "o"  # noqa: E741


ANNEX_I_DESCRIPTIONS: dict[AnnexIItem, str] = {
    AnnexIItem.A: "name, address and contact details of the exporter",
    AnnexIItem.B: "name, address and contact details of the importer",
    AnnexIItem.C: "name and identity of the LMO and its domestic biosafety classification",
    AnnexIItem.D: "intended date or dates of the transboundary movement, if known",
    AnnexIItem.E: "taxonomic status, common name, point of collection or acquisition, and "
    "characteristics of the recipient or parental organisms",
    AnnexIItem.F: "centres of origin and genetic diversity, and the habitats where the "
    "organisms may persist or proliferate",
    AnnexIItem.G: "taxonomic status, common name, point of collection or acquisition, and "
    "characteristics of the donor organism or organisms",
    AnnexIItem.H: "description of the nucleic acid or modification, the technique used, and "
    "the resulting characteristics of the LMO",
    AnnexIItem.I: "intended use of the LMO or products thereof",
    AnnexIItem.J: "quantity or volume of the LMO to be transferred",
    AnnexIItem.K: "previous and existing risk assessment report consistent with Annex III",
    AnnexIItem.L: "suggested methods for safe handling, storage, transport and use",
    AnnexIItem.M: "regulatory status of the LMO within the State of export",
    AnnexIItem.N: "result and purpose of any notification by the exporter to other States",
    AnnexIItem.O: "declaration that the information is factually correct",
}

# Items the Annex itself qualifies with "if known": their absence is not an omission.
ANNEX_I_IF_KNOWN: frozenset[AnnexIItem] = frozenset({AnnexIItem.D})

# Art 21(6): never confidential. (a) the notifier's name and address are kept outside Annex I
# (Notifier) and are never confidential; (b) the general description of the LMO is item (c).
NEVER_CONFIDENTIAL: frozenset[AnnexIItem] = frozenset({AnnexIItem.C})


class AnnexI(Input):
    """Annex I, items (a)-(o). Missing items do not block receipt: they are recorded and the
    acknowledgement states whether the notification is prima facie complete (Art 9(2)(b))."""

    a_exporter: Organisation | None = None
    b_importer: Organisation | None = None
    c_lmo_name: str | None = Field(default=None, description="name and identity of the LMO")
    c_lmo_unique_identifier: str | None = Field(
        default=None,
        description="OECD unique identifier, e.g. MON-ØØ81Ø-6",
        json_schema_extra={"pattern": _OECD_ID_ANY_CASE},  # checked by _oecd_id, in words
    )
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
    o_declaration_of_accuracy: bool = False

    @field_validator("c_lmo_unique_identifier")
    @classmethod
    def _oecd_id(cls, v: str | None) -> str | None:
        if v is not None and not _OECD_ID.match(v.upper()):
            raise ValueError(
                "must be an OECD unique identifier: developer code (2-3 characters), event code "
                "(5-6), check digit, dash-separated, e.g. MON-ØØ81Ø-6"
            )
        return v.upper() if v else v

    def missing_items(self) -> list[AnnexIItem]:
        present = {
            AnnexIItem.A: self.a_exporter is not None,
            AnnexIItem.B: self.b_importer is not None,
            AnnexIItem.C: bool(self.c_lmo_name),
            AnnexIItem.D: bool(self.d_intended_movement_dates),
            AnnexIItem.E: bool(self.e_recipient_organism),
            AnnexIItem.F: bool(self.f_centres_of_origin_and_habitats),
            AnnexIItem.G: bool(self.g_donor_organisms),
            AnnexIItem.H: bool(self.h_modification),
            AnnexIItem.I: bool(self.i_intended_use),
            AnnexIItem.J: bool(self.j_quantity),
            AnnexIItem.K: bool(self.k_risk_assessment_report),
            AnnexIItem.L: bool(self.l_handling_methods),
            AnnexIItem.M: bool(self.m_regulatory_status_in_export_state),
            AnnexIItem.N: bool(self.n_notifications_to_other_states),
            AnnexIItem.O: self.o_declaration_of_accuracy,
        }
        return [i for i, ok in present.items() if not ok and i not in ANNEX_I_IF_KNOWN]


# What a notifier may claim confidential (Art 21(1)): every Annex I item but those of Art 21(6).
CLAIMABLE: tuple[AnnexIItem, ...] = tuple(i for i in AnnexIItem if i not in NEVER_CONFIDENTIAL)


class ConfidentialityClaim(Input):
    """Art 21(1): the notifier identifies information to be treated as confidential."""

    item: Annotated[
        AnnexIItem,
        WithJsonSchema(
            {
                "type": "string",
                "enum": [i.value for i in CLAIMABLE],
                "description": "the Annex I item, (a) to (o); never (c), the general "
                "description of the LMO (Art 21(6)(b))",
            }
        ),
    ]
    justification: str | None = Field(default=None, description="given on request, Art 21(1)")


class Notification(Input):
    """A notification under CP Art 8, as submitted by the notifier."""

    notifier_reference: NotifierReference
    notifier: Notifier
    party_of_export: CountryCode
    party_of_import: CountryCode
    received_on: date | None = Field(
        default=None,
        description="date of receipt; may be in the past for cases entered late, but neither in "
        "the future nor more than BIOSAFETY_MAX_RECEIPT_AGE_DAYS (default 1095) days back; "
        "default today in the authority's time zone; staff only",
    )
    annex_i: AnnexI
    uses: list[Use] | None = Field(
        default=None,
        min_length=1,
        description="the intended uses in the terms of the Party's specifications under the "
        "simplified procedure (Art 13(1)); a notification that states them and falls under a "
        "specification in force is recorded on the simplified path instead of the AIA procedure",
    )
    confidential: list[ConfidentialityClaim] = Field(
        default_factory=list,
        description="each Annex I item claimed confidential at most once",
        json_schema_extra={  # each item at most once, in JSON Schema
            "allOf": [
                {
                    "contains": {"properties": {"item": {"const": i.value}}, "required": ["item"]},
                    "minContains": 0,
                    "maxContains": 1,
                }
                for i in CLAIMABLE
            ]
        },
    )

    @field_validator("confidential")
    @classmethod
    def _art_21_6(cls, claims: list[ConfidentialityClaim]) -> list[ConfidentialityClaim]:
        for claim in claims:
            if claim.item in NEVER_CONFIDENTIAL:
                raise ValueError(
                    f"Annex I item ({claim.item.value}) cannot be confidential: Art 21(6)(b) "
                    "excludes the general description of the LMO"
                )
        items = [c.item for c in claims]
        if len(items) != len(set(items)):
            raise ValueError("each Annex I item may be claimed confidential once")
        return claims


def fingerprint(notification: Notification) -> str:
    """Identifies a notification's content, so that a resubmission under the same reference can be
    told apart from a different notification reusing it. The receipt date is left out: it
    defaults to the day of submission."""
    # ``uses`` came later: left out when not stated, so that the notifications of cases opened
    # before it still match their own resubmission.
    left_out = {"received_on"} | ({"uses"} if notification.uses is None else set())
    body = notification.model_dump_json(exclude=left_out)
    return hashlib.sha256(body.encode()).hexdigest()[:32]


class AiaStart(CaseStart):
    """Workflow input of an advance informed agreement case."""

    notification: Notification
    simplified: Specification | None = Field(
        default=None,
        description="the Party's specification under the simplified procedure (Art 13(1)) "
        "the notification falls under, found in the register at receipt; none: Arts 7-10 apply",
    )
    resume: AiaResume | None = Field(
        default=None, description="set when a long case continues as new: what it carried over"
    )

    def facts(self) -> CaseFacts:
        n = self.notification
        return CaseFacts(
            case_id=self.case_id,
            procedure=Procedure.AIA,
            title=f"{n.annex_i.c_lmo_name or 'LMO not named'} "
            f"({n.party_of_export} → {n.party_of_import})",
            notifier_reference=n.notifier_reference,
            notifier_name=n.notifier.name,
            notifier_email=n.notifier.email,
            notifier_language=n.notifier.language,
            party_of_export=n.party_of_export,
            party_of_import=n.party_of_import,
            lmo_name=n.annex_i.c_lmo_name,
            lmo_id=n.annex_i.c_lmo_unique_identifier,
            received_on=self.received_on,
            confidential_items=[c.item.value for c in n.confidential],
        )

    def letter_context(self) -> dict[str, str]:
        """The case's facts every letter of it states (activities/templates/*/_layout.j2)."""
        n = self.notification
        return {
            "case_id": self.case_id,
            "authority_name": self.authority.name,
            "notifier_name": n.notifier.name,
            "notifier_reference": n.notifier_reference,
            "lmo_name": n.annex_i.c_lmo_name or "(not stated)",
            "party_of_import": n.party_of_import,
            "party_of_export": n.party_of_export,
            "received_on": self.received_on.isoformat(),
        }


class Acknowledge(Command):
    """Art 9(1)-(2) acknowledgement, with the Art 10(2) choice of route."""

    prima_facie_complete: bool | None = Field(
        default=None,
        description="Art 9(2)(b); default: complete when no Annex I item is missing",
    )
    procedure: Literal["article_10", "domestic_framework"] = Field(
        default="article_10", description="Art 9(2)(c)"
    )
    consent_route: Literal["written_consent", "proceed_without_consent"] = Field(
        default="written_consent",
        description="Art 10(2)(a) only after written consent, or (b) after no less than 90 days "
        "without a subsequent written consent",
    )
    proceed_after_days: int = Field(
        default=90,
        ge=90,
        le=3650,
        description="Art 10(2)(b) route: days after the acknowledgement (no less than 90)",
    )


class RequestInformation(Command):
    """Art 10(3)(c): request additional relevant information; the decision clock stops."""

    items: list[Text] = Field(min_length=1, description="what is requested")
    note: str | None = None


class RecordInformationReceived(Command):
    """The requested information arrived; the decision clock resumes."""

    received_on: date | None = Field(
        default=None,
        description="date the information arrived; default today; neither in the future nor "
        "before the information was requested",
    )
    summary: str | None = None


class Extend(Command):
    """Art 10(3)(d): the decision period is extended by a defined period, with reasons."""

    days: int = Field(ge=1, le=730)
    reasons: Text


class RiskAssessment(Command):
    """Art 15 and Annex III: the risk assessment a decision rests on."""

    carried_out_by: Literal["authority", "exporter"] = Field(
        description="Art 15(2): the Party of import may require the exporter to carry it out"
    )
    cost_borne_by_notifier: bool = Field(
        default=False, description="Art 15(3): if the Party of import so requires"
    )
    summary: Text = Field(description="never confidential, Art 21(6)(c)")
    overall_risk: Literal["negligible", "low", "moderate", "high", "not_estimable"]
    recommendation: Text = Field(description="Annex III 8(e): are the risks acceptable/manageable")
    scientific_uncertainty: bool = Field(default=False, description="Annex III 8(f)")
    document_reference: str | None = None


class Decide(Command):
    """Art 10(3)(a)/(b): approve (with or without conditions) or prohibit the import."""

    model_config = ConfigDict(
        json_schema_extra=decision.stated(
            *decision.CONDITIONS_SCHEMA,
            decision.REASONS_SCHEMA,
            decision.SUBSEQUENT_IMPORTS_SCHEMA,
        )
    )

    result: Literal["approval", "approval_with_conditions", "prohibition"]
    conditions: list[Text] = Field(
        default_factory=list,
        description="at least one with approval_with_conditions, none otherwise",
    )
    reasons: str | None = Field(
        default=None, description="required unless consent is unconditional, Art 10(4)"
    )
    subsequent_imports: str | None = Field(
        default=None,
        description="Art 10(3)(a): how an approval applies to subsequent imports of the same "
        "LMO; required with an approval",
    )
    lack_of_scientific_certainty: bool = Field(
        default=False, description="Art 10(6): decided despite lack of scientific certainty"
    )
    bch_modified_organisms: list[BchReference] = Field(
        default_factory=list,
        description="the LMO's record(s) on the BCH, as GUID@revision, if registered there",
    )
    bch_risk_assessments: list[BchReference] = Field(
        default_factory=list, description="risk assessment records on the BCH (GUID@revision)"
    )
    consultation_results: Text | None = Field(
        default=None,
        description="Art 23(2): the results of the public consultation and how they were taken "
        "into account; required when the public was consulted, public like the decision",
    )
    documents: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=20,
        description="documents of the case's dossier to link from the BCH record (the decision "
        "document, say): each must be in the dossier and not confidential (Art 21)",
    )


class OpenConsultation(Command):
    """Art 23(2): consult the public on the decision, for comments until ``ends_on``."""

    ends_on: date = Field(
        description="the last day on which the public may comment (until the end of that day "
        "in the authority's time zone); no later than the decision deadline"
    )
    subject: Text = Field(
        description="what the public is consulted on, shown to the public as written: never an "
        "item claimed confidential (Art 21, 23(2))"
    )


class ConsultationView(BaseModel):
    """A public consultation (Art 23(2)) of the case: comments are received through the public
    API until the end of ``ends_on``; their results are stated with the decision."""

    opened_on: date
    ends_on: date
    subject: str
    closed_on: date | None = Field(
        default=None, description="when the window ended (its end date, or the case closed)"
    )


class Withdraw(Command):
    """The notifier withdraws its notification; the case closes (Art 21(5) still applies)."""

    actor: str = Field(default="notifier", max_length=200)
    reason: str | None = None


class Stage(StrEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    AWAITING_INFORMATION = "awaiting_information"
    DECIDED = "decided"
    MAY_PROCEED = "may_proceed_without_consent"
    WITHDRAWN = "withdrawn"
    SIMPLIFIED = "recorded_simplified"  # Art 13(1): recorded under a specification, no AIA


CLOSED_STAGES = frozenset({Stage.DECIDED, Stage.MAY_PROCEED, Stage.WITHDRAWN, Stage.SIMPLIFIED})

STAGE_WORDS = {
    Stage.RECEIVED: "Received, not yet acknowledged",
    Stage.ACKNOWLEDGED: "Acknowledged, awaiting decision",
    Stage.AWAITING_INFORMATION: "Waiting for information requested from the notifier",
    Stage.DECIDED: "Decided",
    Stage.MAY_PROCEED: "Movement may proceed without consent (Art 10(2)(b))",
    Stage.WITHDRAWN: "Withdrawn by the notifier",
    Stage.SIMPLIFIED: "Recorded under the simplified procedure (Art 13)",
}


class InformationRequestView(BaseModel):
    requested_on: date
    items: list[str]
    note: str | None
    received_on: date | None = None
    counted: bool = Field(description="whether the wait stops the clock (Art 10(3)(c))")


class AiaState(BaseModel):
    """What the procedure has recorded so far: carried over when the case continues as new."""

    acknowledgement: Acknowledge | None = None
    acknowledged_on: date | None = None
    information_requests: list[InformationRequestView] = Field(default_factory=list)
    extensions: list[Extend] = Field(default_factory=list)
    extension_dates: list[date] = Field(default_factory=list)
    risk_assessment: RiskAssessment | None = None
    decision: Decide | None = None
    decided_on: date | None = None
    withdrawn_on: date | None = None
    may_proceed_reached: bool = False
    consultation: ConsultationView | None = None  # Art 23(2)
    simplified: Specification | None = None  # Art 13(1): the specification it was recorded under

    def open_request(self) -> InformationRequestView | None:
        return next((r for r in self.information_requests if r.received_on is None), None)

    @property
    def stage(self) -> Stage:
        if self.simplified is not None:
            return Stage.SIMPLIFIED
        if self.withdrawn_on is not None:
            return Stage.WITHDRAWN
        if self.decision is not None:
            return Stage.DECIDED
        if self.may_proceed_reached:
            return Stage.MAY_PROCEED
        if self.open_request() is not None:
            return Stage.AWAITING_INFORMATION
        if self.acknowledged_on is not None:
            return Stage.ACKNOWLEDGED
        return Stage.RECEIVED


class AiaResume(BaseModel):
    state: AiaState
    kernel: KernelState


class AiaDetails(AiaState):
    """The procedure part of an AIA case view: what was recorded, and what follows from it."""

    procedure: Literal["aia"] = "aia"
    missing_annex_i_items: list[str]
    may_proceed_from: date | None = None
    notification_fingerprint: str


AiaStart.model_rebuild()


# The procedure part of a case view, by field: a register row written before the case kernel
# kept these at the top of its state (one flat AIA view).
_DETAIL_FIELDS = tuple(f for f in AiaDetails.model_fields if f != "procedure")


def view_state_upgraded(state: dict[str, object]) -> dict[str, object]:
    """A register ``state`` of an AIA case in today's shape (common part plus ``details``),
    whatever version of the workflow projected it."""
    if "details" in state:
        return state
    upgraded = {k: v for k, v in state.items() if k not in _DETAIL_FIELDS}
    upgraded["details"] = {"procedure": "aia"} | {k: state[k] for k in _DETAIL_FIELDS if k in state}
    status = str(state.get("status_text") or state.get("stage") or "")
    upgraded.setdefault("stage_text", status.split(";")[0])
    upgraded.setdefault("title", f"{state.get('lmo_name') or 'LMO not named'}")
    return upgraded
