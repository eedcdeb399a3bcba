"""Reading cases, whatever their procedure: one case live from its workflow, the list from the
register (PostgreSQL) with filters, the audit log, delivery evidence, and an iCalendar feed of
the next deadline of every open case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from icalendar import Calendar, Event

from activities import register as reads
from api import case_reads
from api.auth import PrincipalDep, StaffDep, ensure_case_access
from api.calendar import event_uid
from api.deps import ClientDep, NowDep, PoolDep, SettingsDep
from api.errors import CaseNotFound
from api.params import CaseId, Day, Limit, Offset
from api.problem_docs import problem_responses
from api.procedures import AnyCaseView, KnownProcedure, KnownStage
from api.register import AuditRecord, CaseSummary, OutgoingMessage, case_exists, open_deadlines
from workflows import clock

TAG = "Cases"
CALENDAR_TAG = "Deadlines"

router = APIRouter(prefix="/v1")


@router.get(
    "/cases",
    response_model=list[CaseSummary],
    tags=[TAG],
    summary="List cases from the register, soonest deadline first",
    description="Staff see every case; a notifier only its own (those it notified under its "
    "e-mail).",
    responses=problem_responses(401, 422, 503),
)
async def list_cases(
    principal: PrincipalDep,
    pool: PoolDep,
    now: NowDep,
    settings: SettingsDep,
    procedure: KnownProcedure | None = None,
    stage: KnownStage | None = None,
    overdue: Annotated[
        bool | None,
        Query(description="only cases with (true) or without (false) a missed deadline"),
    ] = None,
    due_before: Annotated[
        Day | None,
        Query(description="only cases whose next deadline falls before this date (exclusive)"),
    ] = None,
    party_of_import: Annotated[
        str | None, Query(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2, e.g. HU")
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[CaseSummary]:
    rows = await reads.list_cases(
        pool,
        procedure=procedure.value if procedure else None,
        stage=stage.value if stage else None,
        overdue=overdue,
        due_before=due_before,
        party_of_import=party_of_import,
        notifier_email=None if principal.is_staff else principal.name,
        limit=limit,
        offset=offset,
    )
    today = clock.local_date(now, settings.timezone)
    return [CaseSummary.model_validate(dict(r)).as_of(today) for r in rows]


async def readable_case(
    case_id: CaseId,
    principal: PrincipalDep,
    client: ClientDep,
    pool: PoolDep,
    now: NowDep,
    settings: SettingsDep,
) -> AnyCaseView:
    """The case a request may read (staff any, a notifier its own; another's is a 404), as of
    the moment of reading: from the register when it is settled, else from its workflow
    (api/case_reads.py, ``read_case``; BIOSAFETY_API_CASE_READS)."""
    await ensure_case_access(principal, case_id, client, pool)
    return await case_reads.read_case(
        client, case_id, pool, now, from_register=settings.api_case_reads == "register"
    )


ReadableCaseDep = Annotated[AnyCaseView, Depends(readable_case)]


@router.get(
    "/cases/{case_id}",
    response_model=AnyCaseView,
    tags=[TAG],
    summary="Read a case: stage, deadline ledger with explanations, history",
    description="The case as its workflow holds it, with today's date, the remaining and "
    "overdue days and the status computed at the moment of reading. Read from the register "
    "when the case has nothing pending in Temporal (its row is then the workflow's latest), "
    "otherwise live from the workflow (a Temporal Query). `details` is the procedure's own "
    "part. A notifier reads its own cases only; another's is answered 404.",
    responses=problem_responses(401, 404, 503),
)
async def read_case(case: ReadableCaseDep) -> Any:
    return case


@router.get(
    "/cases/{case_id}/audit",
    response_model=list[AuditRecord],
    tags=[TAG],
    summary="The case's append-only audit log",
    description="Each step's `actor` is the authenticated principal that gave the command "
    "(a staff member's name, or `notifier:<email>`), `system` for the workflow's own steps. "
    "A notifier reads its own cases' logs only; another's is answered 404.",
    responses=problem_responses(401, 404, 503),
)
async def audit(
    case_id: CaseId, principal: PrincipalDep, pool: PoolDep, client: ClientDep
) -> list[AuditRecord]:
    await ensure_case_access(principal, case_id, client, pool)
    rows = await reads.audit_trail(pool, case_id)
    if not rows and not await case_exists(pool, client, case_id):
        raise CaseNotFound(f"no case {case_id}")
    return [AuditRecord.model_validate(dict(r)) for r in rows]


@router.get(
    "/cases/{case_id}/messages",
    response_model=list[OutgoingMessage],
    tags=[TAG],
    summary="Outgoing e-mails and BCH records of the case, with delivery evidence",
    description="A notifier reads its own cases only (another's is answered 404), and of them "
    "the e-mails sent to it and the BCH records; the authority's internal mail (reminders, "
    "escalations) is for staff.",
    responses=problem_responses(401, 404, 503),
)
async def messages(
    case_id: CaseId, principal: PrincipalDep, pool: PoolDep, client: ClientDep
) -> list[OutgoingMessage]:
    await ensure_case_access(principal, case_id, client, pool)
    rows = await reads.outgoing_messages(pool, case_id)
    if not rows and not await case_exists(pool, client, case_id):
        raise CaseNotFound(f"no case {case_id}")
    out = [OutgoingMessage.model_validate(dict(r)) for r in rows]
    if not principal.is_staff:
        out = [m for m in out if m.channel == "bch" or m.recipient == principal.name]
    return out


ICS_MEDIA_TYPE = "text/calendar"


@router.get(
    "/deadlines.ics",
    tags=[CALENDAR_TAG],
    summary="iCalendar feed: the next deadline of every open case",
    description="For the authority's staff.",
    response_class=Response,
    responses={
        200: {
            "description": "One all-day event per open case, on its next deadline's last day",
            "content": {ICS_MEDIA_TYPE: {"schema": {"type": "string"}}},
        },
        **problem_responses(401, 403, 503),
    },
)
async def deadlines_ics(_: StaffDep, pool: PoolDep) -> Response:
    cal = Calendar()
    cal.add("prodid", "-//Biosafety procedures//Statutory deadlines//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Biosafety case deadlines")
    stamp = datetime.now(UTC)
    for d in await open_deadlines(pool):
        label = d.label or d.key.replace("_", " ")
        event = Event()
        # Stable across stops and extensions (api/calendar.py): the event moves, not doubles.
        event.add("uid", event_uid(d.case_id, d.key))
        event.add("sequence", d.version)
        event.add("dtstamp", stamp)
        event.add("dtstart", d.due)
        event.add("dtend", d.due + timedelta(days=1))
        overdue = f"OVERDUE ({d.days_overdue} days): " if d.overdue else ""
        event.add(
            "summary",
            f"{overdue}{d.case_id}: {label} due" + (f" ({d.article})" if d.article else ""),
        )
        lines = [f"Case {d.case_id} ({d.procedure}, {d.stage.replace('_', ' ')})"]
        if d.lmo_name:
            lines.append(f"LMO: {d.lmo_name}")
        if d.explanation:
            lines.append(f"Deadline: {d.explanation}")
        lines.append(f"Details: /v1/cases/{d.case_id}")
        event.add("description", "\n".join(lines))
        event.add("categories", [d.procedure.upper(), d.key])
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return Response(
        content=cal.to_ical(),
        media_type=ICS_MEDIA_TYPE,
        headers={"Content-Disposition": 'inline; filename="deadlines.ics"'},
    )
