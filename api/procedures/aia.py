"""Advance informed agreement (CP Arts 7-10, 15, 21) as the API declares it."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import asyncpg
from pydantic import ValidationError

from api import documents
from api.errors import DocumentNotFound, InvalidCommand, InvalidNotification
from api.procedures.confidentiality import claims_of
from api.procedures.spec import (
    CommandSpec,
    Opening,
    ProcedureSpec,
    example_notification,
    receipt_date,
    snapshot,
    start_attributes,
)
from infra.settings import Settings
from workflows.aia import AdvanceInformedAgreement
from workflows.aia import models as aia
from workflows.models import TEXT_MAX_LENGTH, Procedure

# ---- advance informed agreement (CP Arts 7-10, 15, 21) -----------------------------------------


def aia_case_id(party_of_import: str, notifier_reference: str) -> str:
    """Workflow id = case id, a business key: resubmitting a reference finds the same case."""
    return f"aia-{party_of_import.lower()}-{notifier_reference.lower()}"


def _open_aia(settings: Settings, n: aia.Notification, today: date, now: datetime) -> Opening:
    if n.party_of_import != settings.authority_party:
        raise InvalidNotification(
            f"party_of_import is {n.party_of_import}, but this authority acts for "
            f"{settings.authority_party}: send the notification to the competent national "
            "authority of the Party of import (Art 8(1))",
            rule="notified-to-party-of-import",
            article="Art 8(1)",
            field="party_of_import",
        )
    received_on = receipt_date(n.received_on, today, settings)
    case_id = aia_case_id(n.party_of_import, n.notifier_reference)
    _claims_can_open(case_id, received_on, n)
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


def _claims_can_open(case_id: str, received_on: date, n: aia.Notification) -> None:
    """Art 21(1): the claims a notification carries open a confidentiality case once the AIA case
    has started (api/cases.py). Whatever that case would refuse is refused here, before anything
    starts: a text over the bound every free text has, or anything else its model refuses."""
    texts = [("annex_i.c_lmo_name", n.annex_i.c_lmo_name)] + [
        (f"confidential[{i}].justification", c.justification) for i, c in enumerate(n.confidential)
    ]
    for field, text in texts:
        if text is not None and len(text) > TEXT_MAX_LENGTH:
            raise InvalidNotification(
                f"{field} is {len(text):,} characters long; free text is at most "
                f"{TEXT_MAX_LENGTH:,} characters",
                rule="text-length",
                field=field,
            )
    try:
        claims_of(case_id, received_on, n)
    except ValidationError as err:
        raise InvalidNotification(
            "the confidentiality claims cannot be recorded as they stand (Art 21(1)): "
            + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors()),
            rule="claims-recordable",
            article="Art 21(1)",
            field="confidential",
        ) from err


async def _simplified_path(pool: asyncpg.Pool, opening: Opening, n: aia.Notification) -> Opening:
    """Art 13(1): a notification that states its uses and falls under one of the Party's
    specifications in force on its date of receipt is recorded on the simplified path, with no
    AIA periods; any other takes the AIA procedure (Arts 7-10)."""
    from api.simplified import find_specification  # its router's imports reach back here

    lmo_id = n.annex_i.c_lmo_unique_identifier
    if n.uses is None or lmo_id is None:
        return opening
    found = await find_specification(pool, lmo_id, n.uses, n.party_of_export, opening.received_on)
    if found is None:
        return opening
    assert isinstance(opening.start, aia.AiaStart)
    return dataclasses.replace(
        opening,
        start=opening.start.model_copy(update={"simplified": found}),
        search_attributes=start_attributes(
            opening.case_id,
            Procedure.AIA,
            aia.Stage.SIMPLIFIED,
            party_of_import=n.party_of_import,
            party_of_export=n.party_of_export,
            lmo_id=lmo_id,
        ),
        static_summary=f"{opening.static_summary}; simplified procedure (Art 13) under "
        f"{found.reference}",
    )


async def _public_documents(pool: asyncpg.Pool, case_id: str, cmd: aia.Decide) -> None:
    """A decision links only documents of the case's own dossier that are public: everything
    on the BCH is public (Art 21)."""
    for index, document_id in enumerate(cmd.documents):
        try:
            meta = await documents.one(pool, case_id, document_id)
        except DocumentNotFound as err:
            raise InvalidCommand(
                f"{document_id} is not a document of case {case_id}'s dossier; "
                "upload it to the case first, or leave it out",
                rule="document-of-case",
                field=f"documents[{index}]",
            ) from err
        if meta.confidential:
            raise InvalidCommand(
                f"{document_id} ({meta.filename}) is marked confidential, and the "
                "BCH record is public: leave it out, or link a public version (Art 21(3))",
                rule="decision-documents-public",
                article="Art 21(3)",
                field=f"documents[{index}]",
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
    complete=_simplified_path,
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
            "open_consultation",
            "consultation",
            aia.OpenConsultation,
            "Open a public consultation on the decision (Art 23(2)), until a set end date",
            description="The public then reads it and comments without a token (`GET "
            "/v1/consultations`, `POST /v1/consultations/{case_id}/comments`) until the end of "
            "`ends_on`, which may be no later than the decision deadline. The decision waits for "
            "it to close and states its results (`consultation_results`). One per case.",
        ),
        CommandSpec(
            "decide",
            "decision",
            aia.Decide,
            "Decide: approve, approve with conditions, or prohibit the import (Art 10(3))",
            check=_public_documents,
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
