"""Review of decisions (CP Art 12) as the API declares it."""

from __future__ import annotations

from datetime import date, datetime

from api.procedures.spec import (
    CommandSpec,
    Opening,
    ProcedureSpec,
    receipt_date,
    snapshot,
    start_attributes,
)
from infra.settings import Settings
from workflows.models import Procedure
from workflows.review import ReviewOfDecision
from workflows.review import models as review

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
