"""The advance informed agreement's own models (CP Arts 8-10, 15, 21): the case's start, the
officers' commands (each the single typed input of one Temporal Update), the stages, and the
procedure part of the case view. The Art 8 notification with its Annex I items is in
workflows/aia/notification.py; its names are re-exported here, where callers found them.

Field constraints are the first line of defence (the API turns them into 422s), the workflow's
validators the second (stage rules, 409s).
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from workflows import decision
from workflows.aia.notification import ANNEX_I_DESCRIPTIONS as ANNEX_I_DESCRIPTIONS
from workflows.aia.notification import CLAIMABLE as CLAIMABLE
from workflows.aia.notification import AnnexI as AnnexI
from workflows.aia.notification import AnnexIItem as AnnexIItem
from workflows.aia.notification import ConfidentialityClaim as ConfidentialityClaim
from workflows.aia.notification import Notification as Notification
from workflows.aia.notification import NotifierReference as NotifierReference
from workflows.aia.notification import fingerprint as fingerprint
from workflows.kernel.state import KernelState
from workflows.models import (
    BchReference,
    CaseFacts,
    CaseStart,
    Command,
    Procedure,
    Text,
)
from workflows.simplified.models import Specification


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
