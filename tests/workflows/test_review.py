"""The review of decisions (CP Art 12) end to end on the time-skipping test server, with the real
register (PostgreSQL), SMTP sink and BCH stand-in: the case kernel's deadlines, reminders,
lapses, outbox and continue-as-new under a second procedure."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from temporalio.common import TypedSearchAttributes

from api import procedures
from api.case_reads import get_case
from api.cases import open_case, run_command, submit_notification
from api.errors import CommandRefused, InvalidCommand
from tests.support.samples import notification
from tests.support.temporal import Stack, read_case, record_history
from tests.workflows.test_aia import advance, deadline, eventually, mails, today
from workflows import search_attributes as sa
from workflows.bch_publication import BchPublicationWorkflow
from workflows.models import CaseView, DeadlineStatus
from workflows.review import ReviewOfDecision
from workflows.review.models import (
    AnswerRequest,
    AuthorityReview,
    ChangeDecision,
    ReviewedDecision,
    ReviewRequest,
    ReviewStart,
)


def lmo_id() -> str:
    """A fresh OECD unique identifier: the register is shared by every test of the session."""
    return f"TST-{uuid.uuid4().hex[:6].upper()}-1"


def unique(reference: str) -> str:
    return f"{reference}-{uuid.uuid4().hex[:6]}"


def decision(lmo: str, **overrides: Any) -> ReviewedDecision:
    return ReviewedDecision(lmo_name="Drought-tolerant maize", lmo_id=lmo, **overrides)


def request(reference: str, lmo: str, **overrides: Any) -> ReviewRequest:
    body: dict[str, Any] = {
        "reference": reference,
        "requester": {
            "name": "Acme Seeds B.V.",
            "address": "Stationsplein 1, Wageningen",
            "email": "regulatory@acme-seeds.example",
            "language": "hu",
        },
        "requested_by": "notifier",
        "party_of_export": "NL",
        "decision": decision(lmo).model_dump(),
        "grounds": "additional_information",
        "statement": "Five more years of field data show no outcrossing.",
    }
    return ReviewRequest.model_validate(body | overrides)


async def open_review(stack: Stack, opening: AuthorityReview | ReviewRequest) -> CaseView[Any]:
    case, created = await open_case(
        stack.client,
        stack.settings,
        procedures.REVIEW,
        opening,
        now=await stack.env.get_current_time(),
        pool=stack.pool,
    )
    assert created
    return case


async def closed(stack: Stack, case_id: str) -> CaseView[Any]:
    return await stack.client.get_workflow_handle_for(ReviewOfDecision.run, case_id).result()


async def test_request_answered_in_writing_within_90_days(stack: Stack) -> None:
    """Art 12(2)-(3): a notifier asks for a review on the grounds of 12(2)(b); the authority
    answers in writing, with reasons, before the 90 days are out; 12(4) is recorded."""
    case = await open_review(stack, request(unique("REQ-1"), lmo_id()))
    r, cid = case.received_on, case.case_id
    assert cid.startswith("review-hu-req-1-") and case.stage == "review_requested"
    answer = deadline(case, "answer")
    assert answer.due == r + timedelta(days=90) and answer.article == "CP Art 12(3)"
    assert answer.explanation == f"90 days from receipt of the request {r} = {answer.due}"
    assert answer.explanation_hu.endswith(f"= {answer.due}")
    assert "a felülvizsgálati kérelem kézhezvétele" in answer.explanation_hu
    # The requester is told, in its own language, when the answer is due (Art 12(3)).
    (ack,) = await eventually(lambda: _async(mails(stack, cid)))  # type: ignore[arg-type]
    assert ack["To"] == "regulatory@acme-seeds.example"
    body = ack.get_body().get_content()  # type: ignore[union-attr]
    assert "Magyarország" in body and answer.explanation_hu in body

    await advance(stack, 61)  # the 30-day reminder is due
    case = await read_case(stack, cid)
    assert [s.kind for s in case.history] == ["review_requested", "reminder"]
    assert case.history[-1].summary == (
        f"Reminder: written answer to the request for review due {answer.due} "
        "(30 days left, CP Art 12(3))"
    )

    result = await run_command(
        stack.client,
        cid,
        "answer",
        AnswerRequest(
            reasons="The new data confirm the risk assessment; the decision stands.",
            risk_assessment_required=True,
        ),
    )
    assert result.stage == "answered"
    final = await closed(stack, cid)
    assert final.closed and final.stage == "answered"
    met = deadline(final, "answer")
    assert met.status == DeadlineStatus.MET and met.met_on == r + timedelta(days=61)
    assert final.details.answered_on == r + timedelta(days=61)
    assert "(Art 12(4))" in final.history[-1].summary
    letters = [m for m in mails(stack, cid) if m["To"] == "regulatory@acme-seeds.example"]
    assert len(letters) == 2 and "12" in letters[-1]["Subject"]
    await record_history(stack, cid, "review_request_answered")

    async def registered() -> Any:
        async with stack.pool.acquire() as conn:
            return await conn.fetchrow("SELECT * FROM cases WHERE case_id = $1 AND closed", cid)

    row = await eventually(registered)
    assert row["procedure"] == "review" and row["stage"] == "answered"
    assert row["notifier_email"] == "regulatory@acme-seeds.example"
    assert row["lmo_id"] == case.lmo_id and row["title"].startswith("Review of the decision")


async def _async(value: Any) -> Any:
    return value


async def test_unanswered_request_lapses_and_reads_show_today_weeks_later(stack: Stack) -> None:
    """Silence is never an answer: day 91 records the lapse and escalates; the case stays open.
    Weeks later, with no activation since, a read shows today's figures."""
    case = await open_review(stack, request(unique("REQ-LATE"), lmo_id()))
    cid, due = case.case_id, deadline(case, "answer").due
    assert due is not None
    await advance(stack, 92)
    lapsed = await read_case(stack, cid)
    assert deadline(lapsed, "answer").status == DeadlineStatus.MISSED
    assert "deadline_missed" in [s.kind for s in lapsed.history]
    escalations = [m for m in mails(stack, cid) if "head@authority.example" in m["To"]]
    assert escalations

    await advance(stack, 21)  # no timer, no command: the workflow is not activated
    stale = await get_case(stack.client, cid)  # as the Query answers: its last activation
    now = await read_case(stack, cid)  # as the API reads it
    expected = (await today(stack) - due).days
    assert now.today == await today(stack) and stale.today < now.today
    assert deadline(now, "answer").days_overdue == expected >= 22
    assert deadline(stale, "answer").days_overdue < expected
    assert f"{expected} days ago" in now.status_text
    assert now.overdue and not now.closed and now.stage == "review_requested"


async def test_decision_change_informs_every_notifier_and_the_bch(stack: Stack) -> None:
    """Art 12(1): the notifiers of the LMO are found in the register by its unique identifier
    and each is informed, with reasons, within 30 days, as is the BCH; one notifier whose mail
    server refuses the letter holds up none of the others."""
    lmo = lmo_id()
    emails = ["a@one.example", "b@two.example", "c@three.example"]
    for i, email in enumerate(emails):
        n = notification(
            f"NOT-{lmo}-{i}",
            notifier={"name": f"Notifier {i}", "address": "Somewhere 1", "email": email},
            annex_i=notification().annex_i.model_dump() | {"c_lmo_unique_identifier": lmo},
        )
        await submit_notification(
            stack.client, stack.settings, n, now=await stack.env.get_current_time()
        )

    async def all_registered() -> bool:
        async with stack.pool.acquire() as conn:
            count = await conn.fetchval("SELECT count(*) FROM cases WHERE lmo_id = $1", lmo)
        return bool(count == 3)

    assert await eventually(all_registered)
    stack.smtp.refuse("b@two.example")  # type: ignore[attr-defined]
    bch_record = "1E027990-5D44-F3AF-75E3-715B60BFD3CD@8"
    case = await open_review(
        stack,
        AuthorityReview(
            reference=f"R12-{lmo}",
            decision=decision(lmo, bch_record=bch_record, decision_case_id=f"aia-hu-not-{lmo}-0"),
            new_information="A 2027 study reports gene flow to teosinte at 2 km.",
        ),
    )
    cid = case.case_id
    assert case.stage == "review_opened" and case.deadlines == []

    await advance(stack, 5)
    with pytest.raises(CommandRefused, match="no request to answer"):
        await run_command(stack.client, cid, "answer", AnswerRequest(reasons="x"))
    with pytest.raises(InvalidCommand, match="at least one condition"):
        await run_command(
            stack.client, cid, "change_decision",
            ChangeDecision(result="approval_with_conditions", reasons="x"),
        )  # fmt: skip
    result = await run_command(
        stack.client,
        cid,
        "change_decision",
        ChangeDecision(
            result="prohibition",
            reasons="Gene flow to wild relatives can no longer be excluded.",
            risk_assessment_required=True,
        ),
    )
    assert result.stage == "informing"
    assert result.next_deadline is not None and result.next_deadline.key == "inform"
    assert result.next_deadline.due == case.received_on + timedelta(days=5 + 30)
    with pytest.raises(CommandRefused, match="already changed"):
        await run_command(
            stack.client, cid, "change_decision",
            ChangeDecision(result="prohibition", reasons="again"),
        )  # fmt: skip

    final = await closed(stack, cid)
    assert final.stage == "decision_changed" and final.closed
    informed = final.details.notifiers_informed
    assert sorted(n.email for n in informed) == emails
    inform = deadline(final, "inform")
    assert inform.status == DeadlineStatus.MET
    by_recipient = {
        o.recipient: o for o in final.outgoing if o.purpose == "review_decision_changed"
    }
    assert by_recipient["a@one.example"].status == "sent"
    assert by_recipient["c@three.example"].status == "sent"
    assert by_recipient["b@two.example"].status == "failed"
    assert "550" in (by_recipient["b@two.example"].detail or "")
    kinds = [s.kind for s in final.history]
    assert kinds[:3] == ["review_opened", "decision_changed", "notifiers_found"]
    assert "message_failed" in kinds and kinds[-1] == "informed"
    assert "FAILED (escalated): b@two.example" in final.history[-1].summary
    # The failure is escalated to the head of unit; the other two letters went out.
    assert [m["To"] for m in mails(stack, cid) if m["To"] in emails] in (
        ["a@one.example", "c@three.example"],
        ["c@three.example", "a@one.example"],
    )
    assert any(m["To"] == "head@authority.example" for m in mails(stack, cid))
    # The BCH record of the amended decision points at the record it amends (Art 12(1)).
    (publication,) = final.bch_publications
    view = await stack.client.get_workflow_handle_for(
        BchPublicationWorkflow.run, publication
    ).query(BchPublicationWorkflow.view)
    assert view.record.amended_records == [bch_record]
    assert view.record.decision_result == "prohibition"
    assert "(Art 12(4))" in (view.record.amendment_details or "")
    await record_history(stack, cid, "review_decision_changed")


async def test_request_answered_by_a_change_of_decision(stack: Stack) -> None:
    """A request under 12(2)(a) answered by changing the decision: the answer is met the day of
    the change, and the inform period of 12(1) runs from it."""
    case = await open_review(
        stack, request(unique("REQ-CHG"), lmo_id(), grounds="change_in_circumstances")
    )
    cid, r = case.case_id, case.received_on
    await advance(stack, 10)
    await run_command(
        stack.client, cid, "change_decision",
        ChangeDecision(result="approval_with_conditions", conditions=["monitoring"],
                       reasons="Risks manageable with monitoring."),
    )  # fmt: skip
    with pytest.raises(CommandRefused, match="closed|changed"):
        await run_command(stack.client, cid, "answer", AnswerRequest(reasons="late"))
    final = await closed(stack, cid)
    assert deadline(final, "answer").met_on == r + timedelta(days=10)
    assert deadline(final, "inform").start == r + timedelta(days=10)
    assert final.details.notifiers_informed == []  # no AIA case of this LMO in the register
    # The decision's own BCH record is not known: the change is a record of its own, not a
    # half amendment, and says what it changes and why.
    (publication,) = final.bch_publications
    view = await stack.client.get_workflow_handle_for(
        BchPublicationWorkflow.run, publication
    ).query(BchPublicationWorkflow.view)
    assert view.record.amended_records == [] and view.record.amendment_details is None
    assert "Reviewed under Art 12" in (view.record.reasons or "")
    assert view.state != "validation_failed", view.errors
    answers = [m for m in mails(stack, cid) if m["To"] == "regulatory@acme-seeds.example"]
    assert len(answers) == 2  # receipt, then the reasoned answer


async def test_a_long_overdue_case_continues_as_new_with_its_state(stack: Stack) -> None:
    """A case overdue for years never ends (silence is never an answer): it continues as new
    before its history grows large, same workflow id, history and search attributes kept."""
    lmo = lmo_id()
    now = await stack.env.get_current_time()
    received = await today(stack)
    opening = request(unique("REQ-CAN"), lmo)
    case_id = procedures.review_case_id("HU", opening.reference)
    opened = procedures.REVIEW.open(stack.settings, opening, received, now)
    start = opened.start.model_copy(update={"continue_as_new_after_events": 60})
    assert isinstance(start, ReviewStart)
    handle = await stack.client.start_workflow(
        ReviewOfDecision.run,
        start,
        id=case_id,
        task_queue=stack.settings.task_queue,
        search_attributes=TypedSearchAttributes(opened.search_attributes),
    )
    first_run = (await handle.describe()).run_id
    await advance(stack, 3 * 365)
    description = await handle.describe()
    assert description.run_id != first_run  # continued as new, under the same id
    case = await read_case(stack, case_id)
    assert case.overdue and not case.closed and case.stage == "review_requested"
    answer = deadline(case, "answer")
    assert answer.days_overdue == (await today(stack) - (received + timedelta(days=90))).days
    # The history of the first run came along: receipt, reminders, the lapse, in order.
    kinds = [s.kind for s in case.history]
    assert kinds[0] == "review_requested" and kinds.count("deadline_missed") == 1
    assert [s.seq for s in case.history] == list(range(1, len(kinds) + 1))
    # Still found in the Web UI's filters: its search attributes were carried over.
    attrs = description.typed_search_attributes
    assert attrs.get(sa.CASE_ID) == case_id and attrs.get(sa.OVERDUE) is True
    # A command still works on the new run.
    await run_command(stack.client, case_id, "answer", AnswerRequest(reasons="Late, but here."))
    final = await closed(stack, case_id)
    assert deadline(final, "answer").status == DeadlineStatus.MET_LATE
    assert date.fromisoformat(str(final.details.answered_on)) == await today(stack)
