"""The advance informed agreement procedure (CP Arts 8-10, 15, 21) end to end on the
time-skipping test server, with the real register (PostgreSQL), SMTP sink and BCH stand-in.

Time only moves when a test says so (`env.sleep`), so every date below is exact.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any, TypeVar

import httpx
import pytest

from api import procedures
from api.cases import run_command, submit_notification
from api.errors import CommandRefused, InvalidCommand
from tests.support.samples import notification
from tests.support.temporal import Stack, read_case, record_history
from workflows import clock
from workflows.aia import AdvanceInformedAgreement
from workflows.aia.models import (
    Acknowledge,
    Decide,
    Extend,
    RecordInformationReceived,
    RequestInformation,
    RiskAssessment,
    Stage,
    Withdraw,
)
from workflows.models import CaseView, DeadlineStatus

T = TypeVar("T")

RA = RiskAssessment(
    carried_out_by="exporter",
    cost_borne_by_notifier=True,
    summary="No adverse effects on maize wild relatives expected; none occur in Hungary.",
    overall_risk="low",
    recommendation="Risks manageable with isolation distances.",
)


async def today(stack: Stack) -> date:
    return clock.local_date(await stack.env.get_current_time(), stack.settings.timezone)


async def start(stack: Stack, reference: str, **overrides: Any) -> CaseView:
    case, created = await submit_notification(
        stack.client,
        stack.settings,
        notification(reference, **overrides),
        now=await stack.env.get_current_time(),
    )
    assert created
    return case


async def start_with(stack: Stack, reference: str, **start: Any) -> tuple[str, str]:
    """Start an AIA case as the API opens it, with fields of its start changed (e.g. the kernel
    generation an older release opened it under); returns its case id and first run id."""
    now = await stack.env.get_current_time()
    opened = procedures.AIA.open(stack.settings, notification(reference), await today(stack), now)
    handle = await stack.client.start_workflow(
        procedures.AIA.workflow_type,
        opened.start.model_copy(update=start),
        id=opened.case_id,
        task_queue=stack.settings.task_queue,
    )
    assert handle.first_execution_run_id is not None
    return opened.case_id, handle.first_execution_run_id


async def advance(stack: Stack, days: float) -> None:
    await stack.env.sleep(timedelta(days=days))


async def result(stack: Stack, case_id: str) -> CaseView:
    return await stack.client.get_workflow_handle_for(
        AdvanceInformedAgreement.run, case_id
    ).result()


def mails(stack: Stack, case_id: str) -> list[Any]:
    return [m for m in stack.smtp.messages if m["X-Biosafety-Case"] == case_id]


async def eventually(probe: Callable[[], Awaitable[T]], timeout: float = 15.0) -> T:
    """Poll `probe` until it returns something truthy (deliveries and the register are
    asynchronous activities)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await probe()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.2)


def deadline(case: CaseView, key: str):  # type: ignore[no-untyped-def]
    return next(d for d in case.deadlines if d.key == key)


async def test_full_procedure_with_stop_and_extension_to_conditional_approval(
    stack: Stack,
) -> None:
    """Issue scenario: receipt → acknowledgement on day 30 → information requested on day 50 and
    received 12 days later → 30-day extension → approval with conditions."""
    case = await start(stack, "FULL-1")
    r = case.received_on
    assert r == await today(stack)
    assert deadline(case, "acknowledgement").due == r + timedelta(days=90)  # Art 9(1)
    assert deadline(case, "decision").due == r + timedelta(days=270)  # Art 10(3)
    cid = case.case_id

    await advance(stack, 30)
    res = await run_command(stack.client, cid, "acknowledge", Acknowledge(), "ack-1")
    assert res.stage == Stage.ACKNOWLEDGED
    # The answer says what the case's view says: the stage and the deadline that now comes next.
    acknowledged = await read_case(stack, cid)
    assert res.next_deadline == acknowledged.next_deadline
    assert res.next_deadline is not None and res.next_deadline.key == "decision"

    await advance(stack, 20)
    await run_command(
        stack.client,
        cid,
        "request_information",
        RequestInformation(items=["field trial site map", "isolation distances"]),
    )
    case = await read_case(stack, cid)
    assert case.stage == Stage.AWAITING_INFORMATION
    assert case.clock_stopped
    dec = deadline(case, "decision")
    assert dec.status == DeadlineStatus.STOPPED and dec.due is None
    assert dec.remaining_days == 270 - 50

    await advance(stack, 12)
    await run_command(stack.client, cid, "record_information_received", RecordInformationReceived())
    case = await read_case(stack, cid)
    assert deadline(case, "decision").due == r + timedelta(days=270 + 12)

    await advance(stack, 8)
    await run_command(
        stack.client,
        cid,
        "extend",
        Extend(days=30, reasons="Seasonal field observations are needed"),
    )
    await run_command(stack.client, cid, "record_risk_assessment", RA)
    await advance(stack, 10)
    await run_command(
        stack.client,
        cid,
        "decide",
        Decide(
            result="approval_with_conditions",
            conditions=["isolation distance of 200 m", "post-harvest monitoring for 2 years"],
            reasons="Risks are manageable under the conditions set.",
            subsequent_imports="Applies to subsequent imports of the same event for field trials.",
        ),
    )
    final: CaseView = await result(stack, cid)
    assert final.stage == Stage.DECIDED
    dec = deadline(final, "decision")
    assert dec.due == r + timedelta(days=270 + 12 + 30)
    assert dec.status == DeadlineStatus.MET
    assert dec.met_on == r + timedelta(days=80)
    assert dec.explanation == (
        f"270 days from receipt {r}, +12 days waiting for information requested "
        f"{r + timedelta(days=50)} and received {r + timedelta(days=62)}, +30 days extension "
        f"notified {r + timedelta(days=70)} = {r + timedelta(days=312)}"
    )
    ack = deadline(final, "acknowledgement")
    assert ack.status == DeadlineStatus.MET and ack.met_on == r + timedelta(days=30)
    assert [s.kind for s in final.history] == [
        "notification_received",
        "acknowledged",
        "information_requested",
        "information_received",
        "extended",
        "risk_assessment_recorded",
        "decided",
    ]
    assert all(o.status == "sent" for o in final.outgoing), final.outgoing

    # E-mails that reached the SMTP sink: one per communication to the notifier.
    to_notifier = [m for m in mails(stack, cid) if m["To"] == "regulatory@acme-seeds.example"]
    assert len(to_notifier) == 4
    subjects = " | ".join(m["Subject"] for m in to_notifier)
    for article in ("9", "10(3)(c)", "10(3)(d)", "10(3)"):
        assert article in subjects

    # The BCH stand-in holds the Art 10(3) communications (request, extension, decision).
    # Each record is published by its own process, which outlives the case: wait for all three.
    async def bch_documents() -> list[dict[str, Any]]:
        async with httpx.AsyncClient(base_url=stack.bch.base_url) as http:
            state = (await http.get("/_standin/state")).json()
        found = [d for d in _documents(state) if cid in str(d)]
        return found if len(found) >= 3 else []

    drafts = await eventually(bch_documents)
    assert len(drafts) == 3, drafts
    assert not any("kg of seed" in str(d) for d in drafts)  # item (j) is confidential (Art 21)

    # The register: the case row at its final version and the whole audit trail.
    async def register_final():  # type: ignore[no-untyped-def]
        async with stack.pool.acquire() as conn:
            row = await conn.fetchrow("SELECT * FROM cases WHERE case_id = $1", cid)
            audit = await conn.fetch(
                "SELECT kind FROM audit_log WHERE case_id = $1 ORDER BY seq", cid
            )
        return (row, audit) if row and row["stage"] == "decided" and row["closed"] else None

    row, audit = await eventually(register_final)
    assert [a["kind"] for a in audit] == [s.kind for s in final.history]
    assert row["next_deadline_key"] is None
    await record_history(stack, cid, "aia_full_procedure")


def _documents(state: dict[str, Any]) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for key in ("drafts", "published", "records"):
        value = state.get(key)
        if isinstance(value, dict):
            docs.extend(v.get("document", v) if isinstance(v, dict) else v for v in value.values())
        elif isinstance(value, list):
            docs.extend(value)
    return docs


async def test_missed_acknowledgement_is_escalated_never_consent(stack: Stack) -> None:
    case = await start(stack, "LATE-1")
    cid, r = case.case_id, case.received_on
    await advance(stack, 92)
    case = await read_case(stack, cid)
    ack = deadline(case, "acknowledgement")
    assert ack.status == DeadlineStatus.MISSED  # Art 9(4): silence is not consent
    assert ack.days_overdue == 2
    assert case.overdue and not case.closed
    assert case.stage == Stage.RECEIVED
    assert "OVERDUE" in case.status_text
    kinds = [s.kind for s in case.history]
    assert kinds.count("reminder") == 4  # 30, 14, 7 and 1 days before
    assert kinds.count("deadline_missed") == 1

    async def escalations():  # type: ignore[no-untyped-def]
        return [m for m in mails(stack, cid) if m["To"] == "head@authority.example"]

    assert len(await eventually(escalations)) == 1
    reminders = [m for m in mails(stack, cid) if m["To"] == "officers@authority.example"]
    assert len(reminders) >= 4
    desc = await stack.client.get_workflow_handle(cid).describe()
    from workflows import search_attributes as sa

    assert desc.typed_search_attributes.get(sa.OVERDUE) is True
    assert desc.typed_search_attributes.get(sa.STAGE) == "received"

    # A late acknowledgement is still possible and is recorded as late.
    await run_command(stack.client, cid, "acknowledge", Acknowledge())
    case = await read_case(stack, cid)
    assert deadline(case, "acknowledgement").status == DeadlineStatus.MET_LATE
    assert deadline(case, "decision").due == r + timedelta(days=270)
    await record_history(stack, cid, "aia_missed_acknowledgement_open")


async def test_article_10_2_b_route_lets_the_movement_proceed_after_the_period(
    stack: Stack,
) -> None:
    case = await start(stack, "ROUTE-B")
    cid, r = case.case_id, case.received_on
    await advance(stack, 10)
    await run_command(
        stack.client,
        cid,
        "acknowledge",
        Acknowledge(consent_route="proceed_without_consent", proceed_after_days=90),
    )
    case = await read_case(stack, cid)
    assert [d.key for d in case.deadlines] == ["acknowledgement", "proceed_without_consent"]
    assert case.details.may_proceed_from == r + timedelta(days=10 + 90 + 1)
    with pytest.raises(CommandRefused, match="10\\(2\\)\\(b\\)"):
        await run_command(stack.client, cid, "extend", Extend(days=10, reasons="more time"))
    await advance(stack, 89)
    assert (await read_case(stack, cid)).stage == Stage.ACKNOWLEDGED
    await advance(stack, 3)
    final: CaseView = await result(stack, cid)
    assert final.stage == Stage.MAY_PROCEED
    assert final.history[-1].kind == "may_proceed_without_consent"
    assert any(o.purpose == "aia_may_proceed" and o.status == "sent" for o in final.outgoing)
    await record_history(stack, cid, "aia_route_10_2_b")


async def test_withdrawal_closes_the_case_and_later_commands_are_refused(stack: Stack) -> None:
    case = await start(stack, "WITHDRAW-1")
    cid = case.case_id
    await advance(stack, 5)
    await run_command(stack.client, cid, "acknowledge", Acknowledge())
    await run_command(stack.client, cid, "request_information", RequestInformation(items=["x"]))
    await run_command(stack.client, cid, "withdraw", Withdraw(reason="project cancelled"))
    final: CaseView = await result(stack, cid)
    assert final.stage == Stage.WITHDRAWN and final.closed
    assert final.details.information_requests[0].received_on == final.details.withdrawn_on
    assert deadline(final, "decision").status == DeadlineStatus.CANCELLED
    with pytest.raises(CommandRefused, match="closed"):
        await run_command(stack.client, cid, "decide", Decide(result="prohibition", reasons="x"))
    await record_history(stack, cid, "aia_withdrawal")


async def test_refused_commands_leave_no_trace(stack: Stack) -> None:
    case = await start(stack, "REFUSE-1")
    cid = case.case_id
    # decision before acknowledgement
    with pytest.raises(CommandRefused, match="Art 9"):
        await run_command(stack.client, cid, "decide", Decide(result="prohibition", reasons="r"))
    # information "received" with no open request
    with pytest.raises(CommandRefused, match="no open request"):
        await run_command(
            stack.client, cid, "record_information_received", RecordInformationReceived()
        )
    await run_command(stack.client, cid, "acknowledge", Acknowledge())
    # a second acknowledgement
    with pytest.raises(CommandRefused, match="already acknowledged"):
        await run_command(stack.client, cid, "acknowledge", Acknowledge())
    # decision without a risk assessment (Art 15(2))
    with pytest.raises(CommandRefused, match="risk assessment"):
        await run_command(stack.client, cid, "decide", Decide(result="prohibition", reasons="r"))
    await run_command(stack.client, cid, "record_risk_assessment", RA)
    # a prohibition without reasons (Art 10(4))
    with pytest.raises(InvalidCommand, match="10\\(4\\)"):
        await run_command(stack.client, cid, "decide", Decide(result="prohibition"))
    # conditions on an unconditional approval, and a conditional approval without conditions
    with pytest.raises(InvalidCommand, match="approval_with_conditions"):
        await run_command(
            stack.client,
            cid,
            "decide",
            Decide(result="approval", conditions=["c"], subsequent_imports="s"),
        )
    with pytest.raises(InvalidCommand, match="at least one condition"):
        await run_command(
            stack.client,
            cid,
            "decide",
            Decide(result="approval_with_conditions", reasons="r", subsequent_imports="s"),
        )
    # an approval that does not say how it applies to subsequent imports (Art 10(3)(a))
    with pytest.raises(InvalidCommand, match="subsequent"):
        await run_command(stack.client, cid, "decide", Decide(result="approval"))
    await run_command(stack.client, cid, "request_information", RequestInformation(items=["a"]))
    # a second request while one is open
    with pytest.raises(CommandRefused, match="not been received"):
        await run_command(stack.client, cid, "request_information", RequestInformation(items=["b"]))
    # information received "in the future"
    future = await today(stack) + timedelta(days=3)
    with pytest.raises(InvalidCommand, match="future"):
        await run_command(
            stack.client,
            cid,
            "record_information_received",
            RecordInformationReceived(received_on=future),
        )
    case = await read_case(stack, cid)
    assert [s.kind for s in case.history] == [
        "notification_received",
        "acknowledged",
        "risk_assessment_recorded",
        "information_requested",
    ]
    # An unconditional approval needs no reasons (Art 10(4)) and closes the open request.
    await run_command(
        stack.client,
        cid,
        "decide",
        Decide(result="approval", subsequent_imports="Same event, same use: no new notification."),
    )
    final: CaseView = await result(stack, cid)
    assert final.details.decision is not None and final.details.decision.result == "approval"
    assert final.details.information_requests[0].received_on == final.details.decided_on


async def test_extension_after_the_deadline_is_refused_and_late_request_stops_nothing(
    stack: Stack,
) -> None:
    case = await start(stack, "LATE-EXT")
    cid, r = case.case_id, case.received_on
    await advance(stack, 3)
    await run_command(stack.client, cid, "acknowledge", Acknowledge())
    await advance(stack, 270)
    case = await read_case(stack, cid)
    assert deadline(case, "decision").status == DeadlineStatus.MISSED
    # 273 days of 24 hours after receipt: 3 days past the due date, or 4 when the summer time
    # change moved the authority's local midnight into them (counted in local days, as of now).
    assert (
        deadline(case, "decision").days_overdue
        == (await today(stack) - (r + timedelta(days=270))).days
    )
    assert deadline(case, "decision").days_overdue in (3, 4)
    with pytest.raises(CommandRefused, match="10\\(3\\)\\(d\\)"):
        await run_command(stack.client, cid, "extend", Extend(days=30, reasons="late"))
    await run_command(stack.client, cid, "request_information", RequestInformation(items=["a"]))
    case = await read_case(stack, cid)
    assert case.details.information_requests[0].counted is False
    assert deadline(case, "decision").due == r + timedelta(days=270)
    assert deadline(case, "decision").status == DeadlineStatus.MISSED


async def test_workflow_type_is_registered_under_a_stable_name() -> None:
    # Running cases are bound to this name: renaming the class must not rename the type.
    assert AdvanceInformedAgreement.__temporal_workflow_definition.name == (  # type: ignore[attr-defined]
        "AdvanceInformedAgreement"
    )


async def test_back_dated_arrival_that_would_make_an_extension_late_is_refused(
    stack: Stack,
) -> None:
    """An extension notified while the clock was stopped is in time; recording the information
    as having arrived earlier would put that extension after the deadline then in force
    (Art 10(3)(d)). The command is refused and the case stays readable and consistent."""
    case = await start(stack, "BACKDATE-1")
    cid, r = case.case_id, case.received_on
    await run_command(stack.client, cid, "acknowledge", Acknowledge())
    await advance(stack, 265)
    await run_command(stack.client, cid, "request_information", RequestInformation(items=["a"]))
    await advance(stack, 35)
    await run_command(stack.client, cid, "extend", Extend(days=10, reasons="more data needed"))
    with pytest.raises(InvalidCommand, match="comes too late|not possible"):
        await run_command(
            stack.client,
            cid,
            "record_information_received",
            RecordInformationReceived(received_on=r + timedelta(days=266)),
        )
    await run_command(stack.client, cid, "record_information_received", RecordInformationReceived())
    case = await read_case(stack, cid)
    # 270 days + 35 days stopped + 10 days extension
    assert deadline(case, "decision").due == r + timedelta(days=315)


async def test_case_entered_late_counts_from_the_real_date_of_receipt(stack: Stack) -> None:
    """A notification received 80 days ago and entered today: the acknowledgement is due in 10
    days. The reminders whose day has passed are not sent one by one: one reminder, the nearest
    (14 days before), goes out at once and says how many days are left."""
    received = await today(stack) - timedelta(days=80)
    case = await start(stack, "LATE-ENTRY", received_on=received.isoformat())
    cid = case.case_id
    assert case.received_on == received
    ack = deadline(case, "acknowledgement")
    assert ack.due == received + timedelta(days=90) and ack.status == DeadlineStatus.RUNNING

    async def reminded() -> list[Any]:
        view = await read_case(stack, cid)
        return [s for s in view.history if s.kind == "reminder"]

    (reminder,) = await eventually(reminded)
    assert reminder.data["days_left"] == 10 and reminder.data["deadline"] == "acknowledgement"
    await advance(stack, 4)  # the 7-day reminder fires at the start of day 83 of 90
    assert [s.data["days_left"] for s in await reminded()] == [10, 7]


async def test_case_entered_after_its_acknowledgement_deadline_is_overdue_at_once(
    stack: Stack,
) -> None:
    received = await today(stack) - timedelta(days=100)
    case = await start(stack, "LATE-ENTRY-2", received_on=received.isoformat())

    async def missed() -> CaseView | None:
        view = await read_case(stack, case.case_id)
        return view if any(s.kind == "deadline_missed" for s in view.history) else None

    view = await eventually(missed)
    assert view is not None and view.overdue and view.stage == Stage.RECEIVED
    assert deadline(view, "acknowledgement").days_overdue == 10
    assert deadline(view, "decision").status == DeadlineStatus.RUNNING
