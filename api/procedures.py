"""The procedures the API knows, each declared once: its workflow, how a case is opened (start
model, id rule, search attributes), its commands (each a Temporal Update) and the procedure part
of its view. The routes (api/routers/procedures.py), the OpenAPI document, reading any case, the
lists, the audit log, messages and the calendar all follow from this table.

Adding a procedure: write its folder under ``workflows/`` (models, periods, workflow on the case
kernel), add its workflow to ``worker.WORKFLOWS``, and add one :class:`ProcedureSpec` here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, Field
from temporalio.common import SearchAttributePair

from api.errors import InvalidNotification
from infra.settings import Settings
from workflows import search_attributes as sa
from workflows.aia import AdvanceInformedAgreement
from workflows.aia import models as aia
from workflows.ffp import FoodFeedProcessing
from workflows.ffp import models as ffp
from workflows.models import (
    AuthorityContext,
    BchPolicy,
    CaseView,
    ClockRules,
    Command,
    Procedure,
)
from workflows.review import ReviewOfDecision
from workflows.review import models as review
from workflows.treaty import TreatyStatus
from workflows.treaty import models as treaty


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
    )


def snapshot(settings: Settings, now: datetime) -> dict[str, Any]:
    """What every case's start input takes from the deployment's settings when it opens."""
    return {
        "rules": clock_rules(settings),
        "authority": authority(settings),
        "bch": bch_policy(settings),
        "submitted_at": now,
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
            f"received_on {received} is in the future (today is {today} in {settings.timezone})",
            field="received_on",
        )
    oldest = today - timedelta(days=settings.max_receipt_age_days)
    if received < oldest:
        raise InvalidNotification(
            f"received_on {received} is more than {settings.max_receipt_age_days} days ago (the "
            f"earliest accepted is {oldest}); check the date. A case entered late counts its "
            "deadlines from its real date of receipt, so every one of them would long have "
            "lapsed (BIOSAFETY_MAX_RECEIPT_AGE_DAYS sets the bound)",
            field="received_on",
        )
    return received


# ---- advance informed agreement (CP Arts 7-10, 15, 21) -----------------------------------------


def aia_case_id(party_of_import: str, notifier_reference: str) -> str:
    """Workflow id = case id, a business key: resubmitting a reference finds the same case."""
    return f"aia-{party_of_import.lower()}-{notifier_reference.lower()}"


def _open_aia(settings: Settings, n: aia.Notification, today: date, now: datetime) -> Opening:
    if n.party_of_import != settings.authority_party:
        raise InvalidNotification(
            f"party_of_import is {n.party_of_import}, but this authority acts for "
            f"{settings.authority_party}; Art 8 notifications go to the Party of import",
            field="party_of_import",
        )
    received_on = receipt_date(n.received_on, today, settings)
    case_id = aia_case_id(n.party_of_import, n.notifier_reference)
    attributes = start_attributes(
        case_id,
        Procedure.AIA,
        aia.Stage.RECEIVED,
        party_of_import=n.party_of_import,
        party_of_export=n.party_of_export,
        lmo_id=n.annex_i.c_lmo_unique_identifier,
    )
    return Opening(
        case_id=case_id,
        start=aia.AiaStart(
            case_id=case_id, notification=n, received_on=received_on, **snapshot(settings, now)
        ),
        received_on=received_on,
        fingerprint=aia.fingerprint(n),
        search_attributes=attributes,
        static_summary=f"AIA {case_id}: {n.annex_i.c_lmo_name or 'LMO not named'}, "
        f"{n.party_of_export} → {n.party_of_import}, received {received_on}",
        owner_email=n.notifier.email,
    )


AIA = ProcedureSpec(
    procedure=Procedure.AIA,
    workflow=AdvanceInformedAgreement,
    workflow_type="AdvanceInformedAgreement",
    id_prefix="aia-",
    details=aia.AiaDetails,
    stages=aia.Stage,
    tag="AIA: advance informed agreement",
    tag_description="CP Arts 7-10, 15, 21: notification, acknowledgement within 90 days, "
    "decision within 270 days of receipt.",
    start_path="/aia/notifications",
    start_body="notification",
    start_model=aia.Notification,
    start_summary="Submit a notification (Art 8)",
    start_description="Starts an advance informed agreement case. Idempotent on the notifier's "
    "reference: the same notification submitted again returns the same case (200), a different "
    "notification under a used reference is refused (409). A notifier submits only under its "
    "own e-mail (`notifier.email`), and the date of receipt is the authority's to record: a "
    "notifier may not state `received_on` (403 for either).",
    open=_open_aia,
    start_examples={
        "maize field trial": {
            "summary": "MON 810 maize for a confined field trial in Hungary",
            "value": example_notification(),
        }
    },
    fingerprint_of=lambda view: str(view.details.notification_fingerprint),
    upgrade_state=aia.view_state_upgraded,
    commands=(
        CommandSpec(
            "acknowledge",
            "acknowledgement",
            aia.Acknowledge,
            "Acknowledge receipt (Art 9) and choose the Art 10(2) route",
        ),
        CommandSpec(
            "request_information",
            "information-requests",
            aia.RequestInformation,
            "Request additional information (Art 10(3)(c)); the decision clock stops",
        ),
        CommandSpec(
            "record_information_received",
            "information-received",
            aia.RecordInformationReceived,
            "Record the requested information as received; the decision clock runs again",
        ),
        CommandSpec(
            "extend",
            "extensions",
            aia.Extend,
            "Extend the decision period by a defined number of days (Art 10(3)(d))",
        ),
        CommandSpec(
            "record_risk_assessment",
            "risk-assessment",
            aia.RiskAssessment,
            "Record the risk assessment (Art 15, Annex III)",
        ),
        CommandSpec(
            "decide",
            "decision",
            aia.Decide,
            "Decide: approve, approve with conditions, or prohibit the import (Art 10(3))",
        ),
        CommandSpec(
            "withdraw",
            "withdrawal",
            aia.Withdraw,
            "Withdraw the notification (the notifier); the case closes",
            who="own",
            description="The notifier withdraws its own notification (another's case is "
            "answered 404); staff may record a withdrawal on the notifier's behalf. "
            "Confidential information stays confidential (Art 21(5)).",
        ),
    ),
)


# ---- review of decisions (CP Art 12) ------------------------------------------------------------


def review_case_id(party: str, reference: str) -> str:
    return f"review-{party.lower()}-{reference.lower()}"


def _open_review(
    settings: Settings, opening: review.AuthorityReview | review.ReviewRequest, today: date,
    now: datetime,
) -> Opening:  # fmt: skip
    party = settings.authority_party
    request = opening if isinstance(opening, review.ReviewRequest) else None
    received_on = receipt_date(request.received_on if request else None, today, settings)
    case_id = review_case_id(party, opening.reference)
    attributes = start_attributes(
        case_id,
        Procedure.REVIEW,
        review.Stage.REQUESTED if request else review.Stage.OPENED,
        party_of_import=party,
        party_of_export=request.party_of_export if request else None,
        lmo_id=opening.decision.lmo_id,
    )
    how = f"requested by the {request.requested_by.replace('_', ' ')}" if request else "by us"
    return Opening(
        case_id=case_id,
        start=review.ReviewStart(
            case_id=case_id, opening=opening, received_on=received_on, **snapshot(settings, now)
        ),
        received_on=received_on,
        fingerprint=review.fingerprint(opening),
        search_attributes=attributes,
        static_summary=f"Review {case_id} (Art 12) of the decision on {opening.decision.lmo_name} "
        f"({opening.decision.lmo_id}), {how}, opened {received_on}",
        owner_email=request.requester.email if request else None,
    )


REVIEW = ProcedureSpec(
    procedure=Procedure.REVIEW,
    workflow=ReviewOfDecision,
    workflow_type="ReviewOfDecision",
    id_prefix="review-",
    details=review.ReviewDetails,
    stages=review.Stage,
    tag="Review of decisions",
    tag_description="CP Art 12: the authority changes a decision in the light of new scientific "
    "information and informs every notifier of the LMO and the BCH within 30 days (12(1)); a "
    "notifier or the Party of export asks for a review and is answered within 90 days (12(2)-(3)).",
    start_path="/reviews",
    start_body="review",
    start_model=review.ReviewOpening,
    start_summary="Open a review of a decision (Art 12)",
    start_description="`origin: authority` opens the authority's own review (Art 12(1), staff "
    "only); `origin: request` records a request for review by a notifier or the Party of export "
    "(Art 12(2)); a notifier files requests under its own e-mail (`requester.email`) only. "
    "Idempotent on the reference: the same review opened again returns the same case (200).",
    open=_open_review,
    fingerprint_of=lambda view: str(view.details.fingerprint),
    commands=(
        CommandSpec(
            "change_decision",
            "decision-change",
            review.ChangeDecision,
            "Change the decision (Art 12(1)); every notifier of the LMO and the BCH are informed",
        ),
        CommandSpec(
            "answer",
            "review-answer",
            review.AnswerRequest,
            "Answer a request for review in writing, keeping the decision (Art 12(3))",
        ),
    ),
)


# ---- treaty status (CP Arts 37, 39; SP Arts 18, 20) -------------------------------------------


def _open_treaty(settings: Settings, d: treaty.Deposit, today: date, now: datetime) -> Opening:
    text = treaty.TREATIES[d.treaty]
    if d.deposited_on > today:
        raise InvalidNotification(
            f"deposited_on {d.deposited_on} is in the future (today is {today} in "
            f"{settings.timezone})",
            field="deposited_on",
        )
    if d.deposited_on < text.adopted_on:
        raise InvalidNotification(
            f"deposited_on {d.deposited_on} is before the {text.name} was adopted "
            f"({text.adopted_on}): no instrument could be deposited then",
            field="deposited_on",
        )
    case_id = treaty.treaty_case_id(d.treaty, d.party)
    return Opening(
        case_id=case_id,
        start=treaty.TreatyStart(
            case_id=case_id, deposit=d, received_on=d.deposited_on, **snapshot(settings, now)
        ),
        received_on=d.deposited_on,
        fingerprint=treaty.fingerprint(d),
        search_attributes=start_attributes(
            case_id, Procedure.TREATY_STATUS, treaty.Stage.DEPOSITED
        ),
        static_summary=f"Treaty status {case_id}: {text.name}, {d.party}, instrument of "
        f"{d.instrument} deposited {d.deposited_on}",
        owner_email=None,
    )


TREATY_STATUS = ProcedureSpec(
    procedure=Procedure.TREATY_STATUS,
    workflow=TreatyStatus,
    workflow_type="TreatyStatus",
    id_prefix="treaty-",
    details=treaty.TreatyDetails,
    stages=treaty.Stage,
    tag="Treaty status",
    tag_description="CP Arts 37, 39 and SP Arts 18, 20: a Party's instrument, its entry into "
    "force for the Party on the ninetieth day after deposit (or a later date), and its "
    "withdrawal, possible two years after that and taking effect one year after the Depositary "
    "receives the notice (or on a later date it states). Withdrawing from the Protocol also "
    "withdraws the Party from the Supplementary Protocol (SP Art 20(3)).",
    start_path="/treaty-status/deposits",
    start_body="deposit",
    start_model=treaty.Deposit,
    start_summary="Record the deposit of an instrument (CP Art 37; SP Art 18)",
    start_description="Opens the case of a Party under the Cartagena Protocol (`treaty: cp`) "
    "or the Supplementary Protocol (`treaty: sp`), staff only; its id is "
    "`treaty-<treaty>-<party>`. Idempotent: the same deposit recorded again returns the same "
    "case (200), a different one for the same Party and treaty is refused (409).",
    open=_open_treaty,
    fingerprint_of=lambda view: str(view.details.fingerprint),
    commands=(
        CommandSpec(
            "record_withdrawal",
            "treaty-withdrawal",
            treaty.WithdrawalNotice,
            "Record a notice of withdrawal received by the Depositary (CP Art 39; SP Art 20)",
        ),
    ),
)


# ---- food, feed or processing (CP Art 11, Annex II) ---------------------------------------------


def ffp_case_id(party: str, reference: str) -> str:
    return f"ffp-{party.lower()}-{reference.lower()}"


def _open_ffp(
    settings: Settings, o: ffp.DomesticDecision | ffp.FirstImportApplication, today: date,
    now: datetime,
) -> Opening:  # fmt: skip
    party = settings.authority_party
    first = o if isinstance(o, ffp.FirstImportApplication) else None
    if first is not None:
        received_on = receipt_date(first.received_on, today, settings)
    else:
        assert isinstance(o, ffp.DomesticDecision)
        received_on = o.decided_on or today
        if received_on > today:
            raise InvalidNotification(
                f"decided_on {received_on} is in the future (today is {today} in "
                f"{settings.timezone})",
                field="decided_on",
            )
        if o.application_received_on is not None and o.application_received_on > received_on:
            raise InvalidNotification(
                f"application_received_on {o.application_received_on} is not possible: it is "
                f"after the decision of {received_on}",
                field="application_received_on",
            )
    case_id = ffp_case_id(party, o.reference)
    start = ffp.FfpStart(
        case_id=case_id, opening=o, received_on=received_on, **snapshot(settings, now)
    )
    attributes = start_attributes(
        case_id,
        Procedure.FFP,
        ffp.FfpState.opened(start).stage,
        party_of_import=party,
        party_of_export=first.party_of_export if first is not None else None,
        lmo_id=o.annex_ii.e_unique_identifier,
    )
    what = "first-import application (Art 11(6)) received" if first else "decided (Art 11(1))"
    return Opening(
        case_id=case_id,
        start=start,
        received_on=received_on,
        fingerprint=ffp.fingerprint(o),
        search_attributes=attributes,
        static_summary=f"FFP {case_id}: {o.annex_ii.c_lmo_name or 'LMO not named'} for "
        f"{', '.join(o.uses)}, {what} {received_on}",
        owner_email=None,
    )


FFP = ProcedureSpec(
    procedure=Procedure.FFP,
    workflow=FoodFeedProcessing,
    workflow_type="FoodFeedProcessing",
    id_prefix="ffp-",
    details=ffp.FfpDetails,
    stages=ffp.Stage,
    tag="Food, feed or processing",
    tag_description="CP Art 11, Annex II: a final decision on domestic use of an LMO for direct "
    "use as food or feed, or for processing; the Parties informed through the BCH within 15 "
    "days, with the Annex II information (11(1)); other Parties' requests for additional "
    "information (11(3)); the decision before the first import within 270 days for a Party "
    "that declared it uses Art 11(6).",
    start_path="/ffp/cases",
    start_body="ffp",
    start_model=ffp.FfpOpening,
    start_summary="Record an Art 11(1) decision, or an Art 11(6) first-import application",
    start_description="`kind: domestic_decision` records the authority's final decision "
    "(Art 11(1)); its BCH record is queued at once when Annex II is complete. "
    "`kind: first_import` records an application before the first import (Art 11(6)), to be "
    "decided within 270 days of receipt. Staff only. Idempotent on the reference.",
    open=_open_ffp,
    fingerprint_of=lambda view: str(view.details.fingerprint),
    commands=(
        CommandSpec(
            "decide_first_import",
            "ffp-decision",
            ffp.Decide,
            "Decide before the first import (Art 11(6)), on a risk assessment (Annex III)",
        ),
        CommandSpec(
            "complete_annex_ii",
            "annex-ii",
            ffp.CompleteAnnexII,
            "Give missing Annex II items; the BCH record is queued once Annex II is complete",
        ),
        CommandSpec(
            "record_information_request",
            "ffp-information-requests",
            ffp.RequestInformation,
            "Record another Party's request for additional information (Art 11(3))",
        ),
        CommandSpec(
            "answer_information_request",
            "ffp-information-answers",
            ffp.AnswerInformationRequest,
            "Answer a request for additional information (Art 11(3))",
        ),
        CommandSpec(
            "close_file",
            "ffp-closure",
            ffp.CloseCase,
            "Close the file once the Parties are informed and every request is answered",
        ),
    ),
)


PROCEDURES: tuple[ProcedureSpec, ...] = (AIA, REVIEW, TREATY_STATUS, FFP)


def _check(specs: tuple[ProcedureSpec, ...]) -> None:
    paths = [c.path for s in specs for c in s.commands]
    duplicates = {p for p in paths if paths.count(p) > 1}
    if duplicates:
        raise RuntimeError(f"command paths used by two procedures: {sorted(duplicates)}")
    prefixes = [s.id_prefix for s in specs]
    for p in prefixes:
        if any(q != p and q.startswith(p) for q in prefixes):
            raise RuntimeError(f"case id prefix {p!r} is ambiguous")


_check(PROCEDURES)


def for_case(case_id: str) -> ProcedureSpec | None:
    """The procedure of a case, from its id (every procedure's ids have their own prefix)."""
    return next((s for s in PROCEDURES if case_id.startswith(s.id_prefix)), None)


def of(procedure: Procedure | str) -> ProcedureSpec | None:
    return next((s for s in PROCEDURES if s.procedure == procedure), None)


# The view of a case of any procedure: its details are told apart by their "procedure".
AnyDetails: Any = Annotated[
    Union[tuple(s.details for s in PROCEDURES)],  # noqa: UP007
    Field(discriminator="procedure"),
]
AnyCaseView: Any = CaseView[AnyDetails]

# What the lists may be filtered on: the procedures a case can be opened for, and their stages.
KnownProcedure: Any = StrEnum(  # type: ignore[misc]
    "KnownProcedure", {s.procedure.name: s.procedure.value for s in PROCEDURES}
)
KnownStage: Any = StrEnum(  # type: ignore[misc]
    "KnownStage", {st.value: st.value for s in PROCEDURES for st in s.stages}
)
