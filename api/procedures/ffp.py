"""Food, feed or processing (CP Art 11, Annex II) as the API declares it."""

from __future__ import annotations

from datetime import date, datetime

from api.errors import InvalidNotification
from api.procedures.spec import (
    CommandSpec,
    Opening,
    ProcedureSpec,
    receipt_date,
    snapshot,
    start_attributes,
)
from infra.settings import Settings
from workflows.ffp import FoodFeedProcessing
from workflows.ffp import models as ffp
from workflows.models import Procedure

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
                f"{settings.timezone}); record the decision once it is made",
                rule="date-not-future",
                field="decided_on",
            )
        if o.application_received_on is not None and o.application_received_on > received_on:
            raise InvalidNotification(
                f"application_received_on {o.application_received_on} is not possible: it is "
                f"after the decision of {received_on}; check both dates",
                rule="date-order",
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
