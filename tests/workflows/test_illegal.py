"""Illegal transboundary movements (CP Art 25) end to end on the time-skipping test server, with
the real register (PostgreSQL), SMTP sink and BCH stand-in: the request to the Party of origin
to dispose of the LMO at its own expense (25(2)), the case made available to the BCH (25(3)),
follow-ups at the configured interval until the disposal is confirmed; every refused command."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from temporalio.common import TypedSearchAttributes

from api import procedures
from api.cases import open_case, run_command
from api.errors import CommandRefused, InvalidCommand
from tests.support.temporal import Stack, read_case, record_history
from tests.workflows.test_aia import advance, deadline, eventually, mails, today
from workflows import search_attributes as sa
from workflows.bch_publication import BchPublicationWorkflow
from workflows.illegal import IllegalTransboundaryMovement
from workflows.illegal.models import (
    CloseCase,
    ConfirmDisposal,
    IllegalMovement,
    IllegalStart,
    RecordReply,
)
from workflows.models import CaseView, DeadlineStatus

ORIGIN = "cna@origin.example"
ILLEGAL_MOVEMENT_TYPE = "A9A800DC-F313-4F79-B3E4-768E41088D11"  # Art 25.3, the BCH's term


def movement(**overrides: Any) -> IllegalMovement:
    body: dict[str, Any] = {
        "reference": f"ILL-{uuid.uuid4().hex[:6]}",
        "lmo_name": "Maize MON 810",
        "lmo_id": "MON-ØØ81Ø-6",
        "party_of_origin": {
            "party": "US",
            "authority_name": "USDA APHIS Biotechnology Regulatory Services",
            "email": ORIGIN,
        },
        "found_on": "2020-01-01",  # replaced by the test server's today
        "how_found": "border_inspection",
        "circumstances": "Seed lot declared as conventional maize; PCR positive for MON 810.",
        "quantity": {"amount": 1200, "unit": "kg"},
        "held_at": "the customs warehouse at Záhony, sealed",
        "measures_taken": ["Consignment seized", "Importer notified of the infringement"],
    }
    return IllegalMovement.model_validate(body | overrides)


async def open_illegal(stack: Stack, m: IllegalMovement, follow_up_days: int = 30) -> Any:
    settings = stack.settings.model_copy(update={"illegal_follow_up_days": follow_up_days})
    m = m.model_copy(update={"found_on": await today(stack) - timedelta(days=2)})
    case, created = await open_case(
        stack.client,
        settings,
        procedures.ILLEGAL,
        m,
        now=await stack.env.get_current_time(),
        pool=stack.pool,
    )
    assert created
    return case


async def closed(stack: Stack, case_id: str) -> CaseView[Any]:
    handle = stack.client.get_workflow_handle_for(IllegalTransboundaryMovement.run, case_id)
    return await handle.result()


async def _async(value: Any) -> Any:
    return value


def to_origin(stack: Stack, case_id: str) -> list[Any]:
    return [m for m in mails(stack, case_id) if m["To"] == ORIGIN]


async def test_the_party_of_origin_is_followed_up_until_disposal_is_confirmed(
    stack: Stack,
) -> None:
    """25(2): the request goes at once; each 30 days without an answer the lapse is escalated to
    the officers and a follow-up letter goes to the Party of origin; a reply starts the next
    round; the confirmed disposal ends the follow-ups. 25(3): the case goes to the BCH."""
    case = await open_illegal(stack, movement())
    cid, r = case.case_id, case.received_on
    assert cid.startswith("illegal-hu-ill-") and case.stage == "disposal_requested"
    assert case.party_of_export == "US" and case.lmo_id == "MON-ØØ81Ø-6"
    first = deadline(case, "follow_up-1")
    assert first.due == r + timedelta(days=30) and first.article == "CP Art 25(2)"
    assert first.explanation == f"30 days from the request to dispose {r} = {first.due}"
    assert first.label_hu.startswith("1. követés") and first.explanation_hu != first.explanation
    assert [s.kind for s in case.history] == [
        "movement_recorded",
        "disposal_requested",
        "bch_report_queued",
    ]
    (request,) = await eventually(lambda: _async(to_origin(stack, cid)))
    assert "(Cartagena Protocol, Article 25(2))" in request["Subject"]
    body = request.get_body().get_content()
    assert "repatriation or destruction, as appropriate" in body
    assert f"Please tell us by {first.due.day} " in body

    # 25(3): the case on the BCH, as a communication whose movement type is "illegal".
    (publication,) = (await read_case(stack, cid)).bch_publications
    handle = stack.client.get_workflow_handle_for(BchPublicationWorkflow.run, publication)
    record = (await handle.query(BchPublicationWorkflow.view)).record
    assert record.decision_result is None and record.illegal_movement is not None
    assert "at its own expense by repatriation or destruction" in record.illegal_movement
    assert "Záhony" not in record.illegal_movement  # where it is held stays out of the BCH

    async def drafted() -> list[dict[str, Any]]:
        return [
            d["body"]
            for d in stack.bch.decision_drafts().values()  # type: ignore[attr-defined]
            if d["body"].get("transboundaryMovementType", {}).get("identifier")
            == ILLEGAL_MOVEMENT_TYPE
        ]

    (draft,) = await eventually(drafted)
    assert "otherTransboundryInformation" in draft and "decisionResult" not in draft

    # No answer in 30 days, twice: reminders, lapse escalated, follow-up letter, next round.
    await advance(stack, 31)
    case = await read_case(stack, cid)
    kinds = [s.kind for s in case.history]
    assert kinds.count("reminder") == 3  # 14, 7 and 1 days before (30 falls outside)
    assert kinds[-2:] == ["deadline_missed", "followed_up"]
    assert case.stage == "following_up" and not case.overdue
    assert [d.key for d in case.deadlines] == ["follow_up-2"]
    second = deadline(case, "follow_up-2")
    assert second.start == r + timedelta(days=31) and second.due == r + timedelta(days=61)
    assert second.explanation == f"30 days from the follow-up letter {second.start} = {second.due}"
    (missed, _) = case.details.follow_ups
    assert missed.outcome == f"no answer by {first.due}: followed up on {second.start}"
    escalated = await eventually(
        lambda: _async([m for m in mails(stack, cid) if m["To"] == "head@authority.example"])
    )
    assert escalated, "the lapse is escalated"
    letters = await eventually(lambda: _async(len(to_origin(stack, cid)) == 2 or None))
    assert letters
    follow_up = to_origin(stack, cid)[-1]
    assert follow_up["Subject"].startswith("Follow-up 1: request to dispose")

    await advance(stack, 31)
    case = await read_case(stack, cid)
    assert [s.kind for s in case.history].count("followed_up") == 2
    assert case.next_deadline is not None and case.next_deadline.key == "follow_up-3"

    # The Party of origin answers: the round is met and the next one counts from the reply.
    await advance(stack, 10)
    now = await today(stack)
    with pytest.raises(InvalidCommand, match="in the future"):
        await run_command(
            stack.client,
            cid,
            "record_reply",
            RecordReply(summary="x", received_on=now + timedelta(days=1)),
        )
    with pytest.raises(InvalidCommand, match="before follow-up 3 began on"):
        await run_command(
            stack.client,
            cid,
            "record_reply",
            RecordReply(summary="x", received_on=now - timedelta(days=20)),
        )
    reply = RecordReply(
        summary="The exporter will ship the lot back.", proposed_disposal="repatriation"
    )
    result = await run_command(stack.client, cid, "record_reply", reply)
    assert result.stage == "origin_replied"
    assert result.next_deadline is not None and result.next_deadline.key == "follow_up-4"
    assert result.next_deadline.due == now + timedelta(days=30)
    case = await read_case(stack, cid)
    assert deadline(case, "follow_up-3").status == DeadlineStatus.MET
    assert "it proposes repatriation" in case.history[-1].summary

    # 25(2): disposal confirmed; the follow-ups end.
    await advance(stack, 5)
    done = await today(stack)
    with pytest.raises(InvalidCommand, match="is in the future"):
        await run_command(
            stack.client,
            cid,
            "confirm_disposal",
            ConfirmDisposal(method="repatriation", disposed_on=done + timedelta(days=1),
                            evidence="x"),
        )  # fmt: skip
    confirm = ConfirmDisposal(
        method="repatriation",
        disposed_on=done - timedelta(days=1),
        evidence="Bill of lading HU-ZAH-2027-118, customs exit certificate",
    )
    result = await run_command(stack.client, cid, "confirm_disposal", confirm)
    assert result.stage == "disposal_confirmed" and result.next_deadline is None
    with pytest.raises(CommandRefused, match="was confirmed on"):
        await run_command(stack.client, cid, "confirm_disposal", confirm)
    with pytest.raises(CommandRefused, match="was confirmed on"):
        await run_command(stack.client, cid, "record_reply", reply)
    await advance(stack, 40)
    case = await read_case(stack, cid)
    assert deadline(case, "follow_up-4").status == DeadlineStatus.MET
    assert [s.kind for s in case.history].count("followed_up") == 2  # no more follow-ups
    assert (
        case.stage_text == f"Disposal confirmed (Art 25(2)): repatriation on {confirm.disposed_on}"
    )

    await run_command(
        stack.client, cid, "close_case", CloseCase(reasons="Repatriated; nothing further.")
    )
    final = await closed(stack, cid)
    assert final.closed and final.stage == "case_closed"
    assert final.details.close_reasons == "Repatriated; nothing further."
    await record_history(stack, cid, "illegal_followed_up_until_disposal")


async def test_the_interval_is_a_setting_and_a_case_closes_without_disposal(stack: Stack) -> None:
    """The Protocol sets no period for 25(2): the interval is the deployment's setting,
    snapshotted when the case opens. A case may be closed, with reasons, before any disposal;
    then every command is refused."""
    case = await open_illegal(stack, movement(lmo_id=None), follow_up_days=10)
    cid, r = case.case_id, case.received_on
    assert case.details.follow_up_days == 10
    assert deadline(case, "follow_up-1").due == r + timedelta(days=10)
    found = case.details.found_on
    with pytest.raises(InvalidCommand, match="before the movement was found"):
        await run_command(
            stack.client,
            cid,
            "confirm_disposal",
            ConfirmDisposal(
                method="destruction", disposed_on=found - timedelta(days=1), evidence="x"
            ),
        )
    await advance(stack, 11)
    case = await read_case(stack, cid)
    assert deadline(case, "follow_up-2").due == r + timedelta(days=21)
    reasons = "Destroyed by the authority under national law at the importer's expense."
    await run_command(stack.client, cid, "close_case", CloseCase(reasons=reasons))
    final = await closed(stack, cid)
    assert final.stage == "case_closed"
    assert deadline(final, "follow_up-2").status == DeadlineStatus.CANCELLED
    assert final.history[-1].summary.endswith(f"without the disposal confirmed: {reasons}")
    for name, cmd in (
        ("record_reply", RecordReply(summary="late")),
        ("confirm_disposal", ConfirmDisposal(method="destruction", disposed_on=r, evidence="x")),
        ("close_case", CloseCase(reasons="again")),
    ):
        with pytest.raises(CommandRefused, match="closed"):
            await run_command(stack.client, cid, name, cmd)
    await record_history(stack, cid, "illegal_closed_without_disposal")


async def test_a_silent_party_of_origin_is_followed_up_across_continue_as_new(
    stack: Stack,
) -> None:
    """Silence from the Party of origin never ends the case: it is followed up round after round,
    and continues as new before its history grows large, with its rounds, letters and search
    attributes carried over."""
    m = movement().model_copy(update={"found_on": await today(stack)})
    opened = procedures.ILLEGAL.open(
        stack.settings, m, await today(stack), await stack.env.get_current_time()
    )
    start = opened.start.model_copy(update={"continue_as_new_after_events": 80})
    assert isinstance(start, IllegalStart)
    handle = await stack.client.start_workflow(
        IllegalTransboundaryMovement.run,
        start,
        id=opened.case_id,
        task_queue=stack.settings.task_queue,
        search_attributes=TypedSearchAttributes(opened.search_attributes),
    )
    first_run = (await handle.describe()).run_id
    for _ in range(6):
        await advance(stack, 31)
    description = await handle.describe()
    assert description.run_id != first_run  # continued as new, under the same id
    case = await read_case(stack, opened.case_id)
    assert case.stage == "following_up" and not case.closed
    assert [f.number for f in case.details.follow_ups] == list(range(1, 8))
    assert [d.key for d in case.deadlines] == ["follow_up-7"]
    kinds = [s.kind for s in case.history]
    assert kinds[0] == "movement_recorded" and kinds.count("followed_up") == 6
    letters = await eventually(lambda: _async(len(to_origin(stack, opened.case_id)) == 7 or None))
    assert letters, "the request and six follow-up letters, each once"
    assert description.typed_search_attributes.get(sa.PARTY_OF_EXPORT) == "US"
    result = await run_command(
        stack.client,
        opened.case_id,
        "confirm_disposal",
        ConfirmDisposal(method="destruction", disposed_on=await today(stack), evidence="Cert 9"),
    )
    assert result.stage == "disposal_confirmed"
