"""Confidential information (CP Art 21) as the API declares it.

A case holds the claims of one AIA notification, under the id ``conf-<AIA case id>``. The API
opens it by itself when it accepts a notification carrying claims (api/cases.py), and tells it
when that notification is withdrawn (21(5)); staff may also open one for claims made otherwise
(21(1): information "required by the Party of import").
"""

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
from workflows.aia.models import Notification
from workflows.confidentiality import ConfidentialInformation
from workflows.confidentiality import models as conf
from workflows.models import Procedure

ID_PREFIX = "conf-"


def confidentiality_case_id(notification_case_id: str) -> str:
    return f"{ID_PREFIX}{notification_case_id}"


def periods(settings: Settings) -> conf.Periods:
    return conf.Periods(
        justification_days=settings.confidentiality_justification_days,
        consultation_days=settings.confidentiality_consultation_days,
        review_request_days=settings.confidentiality_review_request_days,
        review_decision_days=settings.confidentiality_review_decision_days,
    )


def claims_of(case_id: str, received_on: date, n: Notification) -> conf.ClaimsOpening | None:
    """The claims an accepted AIA notification carries, as a confidentiality case opens. The
    notification's texts are checked against the case's bounds before the AIA case starts
    (api/procedures/aia.py), so that this cannot fail once it has."""
    if not n.confidential:
        return None
    return conf.ClaimsOpening(
        notification_case_id=case_id,
        notifier=n.notifier,
        party_of_export=n.party_of_export,
        lmo_name=n.annex_i.c_lmo_name or None,  # blank: not named
        lmo_id=n.annex_i.c_lmo_unique_identifier,
        received_on=received_on,
        claims=[
            conf.Claim(item=c.item.value, justification=c.justification or None)  # blank: none
            for c in n.confidential
        ],
    )


def _open(settings: Settings, o: conf.ClaimsOpening, today: date, now: datetime) -> Opening:
    received_on = receipt_date(o.received_on, today, settings)
    case_id = confidentiality_case_id(o.notification_case_id)
    start = conf.ConfidentialityStart(
        case_id=case_id,
        opening=o,
        received_on=received_on,
        periods=periods(settings),
        **snapshot(settings, now),
    )
    return Opening(
        case_id=case_id,
        start=start,
        received_on=received_on,
        fingerprint=conf.fingerprint(o),
        search_attributes=start_attributes(
            case_id,
            Procedure.CONFIDENTIALITY,
            conf.Stage.CLAIMED,
            party_of_import=settings.authority_party,
            party_of_export=o.party_of_export,
            lmo_id=o.lmo_id,
        ),
        # Which items are claimed, never what they say (Art 21).
        static_summary=f"Confidentiality (Art 21) {case_id}: claims on Annex I items "
        f"{', '.join(f'({c.item})' for c in o.claims)} of notification "
        f"{o.notification_case_id}, received {received_on}",
        owner_email=None,
    )


_ITEM = "Names the claim by its Annex I item."

CONFIDENTIALITY = ProcedureSpec(
    procedure=Procedure.CONFIDENTIALITY,
    workflow=ConfidentialInformation,
    workflow_type="ConfidentialInformation",
    id_prefix=ID_PREFIX,
    details=conf.ConfidentialityDetails,
    stages=conf.Stage,
    tag="Confidential information",
    tag_description="CP Art 21: the claims of one notification. Justification upon request "
    "(21(1)); a claim is rejected only after consulting the notifier, the decision is given "
    "with reasons and the notifier may ask for an internal review before any disclosure "
    "(21(2)); claims stay confidential when the notification is withdrawn (21(5)); the items "
    "of 21(6) are never confidential. Opened by the API with every notification that carries "
    "claims.",
    start_path="/confidentiality/cases",
    start_body="claims",
    start_model=conf.ClaimsOpening,
    start_summary="Record the confidentiality claims of a notification (Art 21(1))",
    start_description="Opens the case `conf-<notification_case_id>`. The API opens it by itself "
    "when it accepts a notification carrying claims; staff open one for claims made otherwise. "
    "A claim on an item of Art 21(6) is refused (422). Staff only. Idempotent on the "
    "notification.",
    open=_open,
    fingerprint_of=lambda view: str(view.details.fingerprint),
    commands=(
        CommandSpec(
            "request_justification",
            "justification-requests",
            conf.RequestJustification,
            "Ask the notifier to justify claims (Art 21(1))",
        ),
        CommandSpec(
            "give_justification",
            "justifications",
            conf.GiveJustification,
            "Justify a claim (Art 21(1))",
            who="own",
            description="The notifier justifies its claim. " + _ITEM,
        ),
        CommandSpec(
            "open_consultation",
            "confidentiality-consultations",
            conf.OpenConsultation,
            "Consult the notifier on a claim that may not qualify (Art 21(2))",
        ),
        CommandSpec(
            "give_views",
            "confidentiality-views",
            conf.ConsultationViews,
            "Give the notifier's views in a consultation (Art 21(2))",
            who="own",
            description="The notifier answers a consultation on its claim. " + _ITEM,
        ),
        CommandSpec(
            "decide_claim",
            "confidentiality-decisions",
            conf.DecideClaim,
            "Decide a claim with reasons; a rejection only after consulting the notifier "
            "(Art 21(2))",
        ),
        CommandSpec(
            "request_review",
            "confidentiality-reviews",
            conf.RequestReview,
            "Ask for an internal review of a rejected claim (Art 21(2))",
            who="own",
            description="The notifier asks for an internal review before any disclosure, "
            "within the period it was given. " + _ITEM,
        ),
        CommandSpec(
            "decide_review",
            "confidentiality-review-decisions",
            conf.DecideReview,
            "Decide an internal review (Art 21(2))",
        ),
        CommandSpec(
            "disclose",
            "disclosures",
            conf.Disclose,
            "Record that a rejected item is no longer confidential, once no review is possible "
            "or the review upheld the rejection (Art 21(2))",
        ),
        CommandSpec(
            "notification_withdrawn",
            "notification-withdrawn",
            conf.NotificationWithdrawn,
            "Record the notification's withdrawal: every open claim stays confidential (Art 21(5))",
        ),
    ),
)
