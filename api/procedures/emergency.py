"""Unintentional transboundary movements and emergencies (CP Art 17) as the API declares it."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from api.errors import InvalidNotification
from api.procedures.spec import (
    CommandSpec,
    Opening,
    ProcedureSpec,
    snapshot,
    start_attributes,
)
from infra.settings import Settings
from workflows.emergency import Emergency
from workflows.emergency import models as emergency
from workflows.models import Procedure


def emergency_case_id(party: str, reference: str) -> str:
    return f"emergency-{party.lower()}-{reference.lower()}"


def _learned_on(o: emergency.Occurrence, today: date, settings: Settings) -> date:
    """The day the authority knew of the occurrence: today, or a past day for a case entered
    late (its Art 17(1) period then counts from that day), never in the future."""
    learned = o.learned_on or today
    if learned > today:
        raise InvalidNotification(
            f"learned_on {learned} is in the future (today is {today} in {settings.timezone}); "
            "state the day the authority knew of the occurrence, or leave it out for today",
            rule="date-not-future",
            field="learned_on",
        )
    oldest = today - timedelta(days=settings.max_receipt_age_days)
    if learned < oldest:
        raise InvalidNotification(
            f"learned_on {learned} is more than {settings.max_receipt_age_days} days ago (the "
            f"earliest accepted is {oldest}); check the date",
            rule="date-within-age-limit",
            field="learned_on",
        )
    return learned


def _open_emergency(
    settings: Settings, o: emergency.Occurrence, today: date, now: datetime
) -> Opening:
    party = settings.authority_party
    learned_on = _learned_on(o, today, settings)
    case_id = emergency_case_id(party, o.reference)
    start = emergency.EmergencyStart(
        case_id=case_id,
        occurrence=o,
        received_on=learned_on,
        notification_days=settings.emergency_notification_days,
        follow_up_days=settings.emergency_follow_up_days,
        **snapshot(settings, now),
    )
    states = ", ".join(dict.fromkeys(s.party for s in o.affected_states))
    return Opening(
        case_id=case_id,
        start=start,
        received_on=learned_on,
        fingerprint=emergency.fingerprint(o),
        search_attributes=start_attributes(
            case_id,
            Procedure.EMERGENCY,
            emergency.Stage.NOTIFYING,
            party_of_export=party,
            lmo_id=o.lmo_id,
        ),
        static_summary=f"Emergency {case_id} (Art 17): release of {o.lmo_name}, known "
        f"{learned_on}; affected States {states}",
        owner_email=None,
    )


EMERGENCY = ProcedureSpec(
    procedure=Procedure.EMERGENCY,
    workflow=Emergency,
    workflow_type="Emergency",
    id_prefix="emergency-",
    details=emergency.EmergencyDetails,
    stages=emergency.Stage,
    tag="Unintentional transboundary movements and emergencies",
    tag_description="CP Art 17: a release under the Party's jurisdiction that leads, or may "
    "lead, to an unintentional transboundary movement likely to have significant adverse "
    "effects; the affected or potentially affected States (their Article 17 contact points), "
    "the BCH and relevant international organisations notified at once with the items of "
    "17(3)(a)-(e); the affected States consulted, their responses and the emergency measures "
    "recorded until the emergency is over (17(4)).",
    start_path="/emergencies",
    start_body="occurrence",
    start_model=emergency.Occurrence,
    start_summary="Record a release that may lead to an unintentional transboundary movement "
    "(Art 17(1)); the notifications go out at once",
    start_description="Every item of Art 17(3)(a)-(e) is required: a notification that lacks "
    "any is refused (422), naming each missing item by its letter. Each affected State's "
    "contact point and each organisation gets its own e-mail, and the BCH a record, at once. "
    "Staff only. Idempotent on the reference.",
    open=_open_emergency,
    fingerprint_of=lambda view: str(view.details.fingerprint),
    commands=(
        CommandSpec(
            "record_consultation",
            "emergency-consultations",
            emergency.RecordConsultation,
            "Record the consultation of an affected State, or its response (Art 17(4))",
        ),
        CommandSpec(
            "record_measure",
            "emergency-measures",
            emergency.RecordMeasure,
            "Record an emergency measure taken (Art 17(4))",
        ),
        CommandSpec(
            "close_emergency",
            "emergency-closure",
            emergency.CloseEmergency,
            "Close the case, with reasons, once the emergency is over (every affected State "
            "consulted)",
        ),
    ),
)
