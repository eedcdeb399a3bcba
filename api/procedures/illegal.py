"""Illegal transboundary movements (CP Art 25) as the API declares it."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from api.errors import InvalidNotification
from api.procedures.spec import CommandSpec, Opening, ProcedureSpec, snapshot, start_attributes
from infra.settings import Settings
from workflows.illegal import IllegalTransboundaryMovement
from workflows.illegal import models as illegal
from workflows.models import Procedure


def illegal_case_id(party: str, reference: str) -> str:
    return f"illegal-{party.lower()}-{reference.lower()}"


def _open_illegal(
    settings: Settings, m: illegal.IllegalMovement, today: date, now: datetime
) -> Opening:
    party = settings.authority_party
    if m.found_on > today:
        raise InvalidNotification(
            f"found_on {m.found_on} is in the future (today is {today} in {settings.timezone}); "
            "state the day the movement was found",
            rule="date-not-future",
            field="found_on",
        )
    oldest = today - timedelta(days=settings.max_receipt_age_days)
    if m.found_on < oldest:
        raise InvalidNotification(
            f"found_on {m.found_on} is more than {settings.max_receipt_age_days} days ago (the "
            f"earliest accepted is {oldest}); check the date",
            rule="date-within-age-limit",
            field="found_on",
        )
    if m.party_of_origin.party == party:
        raise InvalidNotification(
            f"the Party of origin cannot be {party}, the Party recording the movement: an "
            "illegal transboundary movement comes from another Party (Art 25(2)); name the "
            "Party it came from",
            rule="origin-another-party",
            article="Art 25(2)",
            field="party_of_origin.party",
        )
    case_id = illegal_case_id(party, m.reference)
    start = illegal.IllegalStart(
        case_id=case_id,
        movement=m,
        received_on=today,
        follow_up_days=settings.illegal_follow_up_days,
        **snapshot(settings, now),
    )
    return Opening(
        case_id=case_id,
        start=start,
        received_on=today,
        fingerprint=illegal.fingerprint(m),
        search_attributes=start_attributes(
            case_id,
            Procedure.ILLEGAL,
            illegal.Stage.DISPOSAL_REQUESTED,
            party_of_import=party,
            party_of_export=m.party_of_origin.party,
            lmo_id=m.lmo_id,
        ),
        static_summary=f"Illegal movement {case_id}: {m.lmo_name} from "
        f"{m.party_of_origin.party}, found {m.found_on} (CP Art 25)",
        owner_email=None,
    )


ILLEGAL = ProcedureSpec(
    procedure=Procedure.ILLEGAL,
    workflow=IllegalTransboundaryMovement,
    workflow_type="IllegalTransboundaryMovement",
    id_prefix="illegal-",
    details=illegal.IllegalDetails,
    stages=illegal.Stage,
    tag="Illegal transboundary movements",
    tag_description="CP Art 25: an illegal transboundary movement found within the Party's "
    "jurisdiction (25(1)); the Party of origin requested to dispose of the LMO at its own "
    "expense by repatriation or destruction, and followed up at an interval until the disposal "
    "is confirmed (25(2)); the case made available to the BCH (25(3)).",
    start_path="/illegal-movements",
    start_body="movement",
    start_model=illegal.IllegalMovement,
    start_summary="Record an illegal transboundary movement (Art 25(1))",
    start_description="Records the movement, sends the Party of origin the request to dispose of "
    "the LMO (Art 25(2)) and queues the BCH record (Art 25(3)); the first follow-up falls due "
    "after `BIOSAFETY_ILLEGAL_FOLLOW_UP_DAYS` (default 30). Staff only. Idempotent on the "
    "reference.",
    open=_open_illegal,
    fingerprint_of=lambda view: str(view.details.fingerprint),
    commands=(
        CommandSpec(
            "record_reply",
            "illegal-replies",
            illegal.RecordReply,
            "Record the Party of origin's answer (Art 25(2)); the next follow-up counts from it",
        ),
        CommandSpec(
            "confirm_disposal",
            "illegal-disposal",
            illegal.ConfirmDisposal,
            "Confirm the LMO's repatriation or destruction (Art 25(2)); follow-ups end",
        ),
        CommandSpec(
            "close_case",
            "illegal-closure",
            illegal.CloseCase,
            "Close the case, with reasons",
        ),
    ),
)
