"""One case's clock for people and their calendars: its timeline picture (api/timeline.py) and
an iCalendar feed of its deadlines (api/calendar.py), both drawn from the case as
``GET /v1/cases/{id}`` reads it (api/routers/cases.py, ``readable_case``), as of the moment of
reading. The same access as reading the case: staff, or the notifier its own case."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api import calendar, cases, timeline
from api.deps import ClientDep, NowDep
from api.problem_docs import problem_responses
from api.routers.cases import CALENDAR_TAG, TAG, ReadableCaseDep
from workflows.bch_publication import PublicationView

router = APIRouter(prefix="/v1")


@router.get(
    "/cases/{case_id}/timeline.svg",
    tags=[TAG],
    summary="The case's timeline picture (SVG)",
    description="Receipt, acknowledgement, clock stops (CP Art 10(3)(c)), extensions "
    "(10(3)(d)), reminders, lapses, the decision and the BCH publication on one time axis, "
    "with each deadline of the ledger (labelled in English and Hungarian, its explanation as "
    "the tooltip) and today. A notifier reads its own cases only; another's is answered 404.",
    response_class=Response,
    responses={
        200: {
            "description": "An SVG image of the case as of the moment of reading",
            "content": {timeline.MEDIA_TYPE: {"schema": {"type": "string"}}},
        },
        **problem_responses(401, 404, 503),
    },
)
async def timeline_svg(case: ReadableCaseDep, client: ClientDep) -> Response:
    publications: list[PublicationView] = []
    if case.bch_publications:
        # Published records are public (Art 20); where a publication stands is read live.
        publications = await cases.list_publications(client, case.case_id)
    return Response(
        content=timeline.svg(case, publications),
        media_type=timeline.MEDIA_TYPE,
        headers={"Cache-Control": "no-store"},
    )


@router.get(
    "/cases/{case_id}/deadlines.ics",
    tags=[CALENDAR_TAG],
    summary="iCalendar feed: every deadline of one case",
    description="One all-day event per deadline of the case's ledger, on its last day; while "
    "a clock is stopped (CP Art 10(3)(c)), a tentative event on the earliest day it can end. "
    "Each event's UID names the case and the deadline, so that a subscribed calendar moves "
    "the event when the clock stops or is extended (10(3)(d)), never doubles it; SEQUENCE "
    "grows with the case. A notifier reads its own cases only; another's is answered 404.",
    response_class=Response,
    responses={
        200: {
            "description": "The case's deadlines as an iCalendar (RFC 5545) document",
            "content": {calendar.MEDIA_TYPE: {"schema": {"type": "string"}}},
        },
        **problem_responses(401, 404, 503),
    },
)
async def case_deadlines_ics(case: ReadableCaseDep, now: NowDep) -> Response:
    return calendar.ics_response(calendar.case_calendar(case, now), f"{case.case_id}-deadlines.ics")
