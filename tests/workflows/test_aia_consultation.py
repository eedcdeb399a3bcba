"""Public consultation inside the advance informed agreement procedure (CP Art 23(2)) on the
time-skipping test server: a window the officer opens with an end date no later than the
decision deadline, which closes at the end of that day; the decision waits for it and states its
results, which go to the notifier and, like the decision, to the BCH."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from api.cases import run_command
from api.errors import CommandRefused, InvalidCommand
from tests.support.temporal import Stack, read_case, record_history
from tests.workflows.test_aia import (
    RA,
    advance,
    deadline,
    eventually,
    mails,
    result,
    start,
    today,
)
from workflows.aia.models import Acknowledge, Decide, OpenConsultation, Withdraw
from workflows.models import DeadlineStatus

SUBJECT = "Import of MON 810 maize grain for a confined field trial near Szeged"
RESULTS = "Twelve comments; two asked for wider isolation distances, now a condition."


def text(message: Any) -> str:
    return " ".join(message.get_body().get_content().split())


def decide(**overrides: Any) -> Decide:
    body: dict[str, Any] = {
        "result": "approval_with_conditions",
        "conditions": ["isolation distance of 400 m"],
        "reasons": "Risks manageable with isolation.",
        "subsequent_imports": "Applies to subsequent imports of the same event.",
    }
    return Decide.model_validate(body | overrides)


async def test_consultation_closes_on_its_end_date_and_its_results_go_with_the_decision(
    stack: Stack,
) -> None:
    case = await start(stack, "CONSULT-1")
    cid, r = case.case_id, case.received_on
    await run_command(stack.client, cid, "acknowledge", Acknowledge())
    await run_command(stack.client, cid, "record_risk_assessment", RA)
    decision_due = r + timedelta(days=270)

    # Art 23(2) with Art 10(3): the consultation must close in time for the decision to take
    # its results into account, so it cannot end after the decision deadline.
    with pytest.raises(InvalidCommand, match="after the decision deadline"):
        await run_command(
            stack.client,
            cid,
            "open_consultation",
            OpenConsultation(ends_on=decision_due + timedelta(days=1), subject=SUBJECT),
        )
    with pytest.raises(InvalidCommand, match="a consultation ends after today"):
        await run_command(
            stack.client,
            cid,
            "open_consultation",
            OpenConsultation(ends_on=await today(stack), subject=SUBJECT),
        )
    ends_on = r + timedelta(days=30)
    await run_command(
        stack.client, cid, "open_consultation", OpenConsultation(ends_on=ends_on, subject=SUBJECT)
    )
    with pytest.raises(CommandRefused, match="already opened"):
        await run_command(
            stack.client,
            cid,
            "open_consultation",
            OpenConsultation(ends_on=ends_on, subject=SUBJECT),
        )
    view = await read_case(stack, cid)
    window = deadline(view, "public_consultation")
    assert window.due == ends_on and window.status == DeadlineStatus.RUNNING
    assert window.article == "CP Art 23(2)"
    assert window.explanation.endswith(f"until the end of {ends_on}, the date the authority set "
                                       "(Art 23(2)): 30 days")  # fmt: skip
    assert "23. cikk (2)" in window.explanation_hu
    assert not window.authority_deadline  # a moment: never reminded, never "missed"

    # While it runs, the decision waits.
    with pytest.raises(CommandRefused, match=f"runs until the end of {ends_on}"):
        await run_command(stack.client, cid, "decide", decide(consultation_results=RESULTS))

    # The last day still belongs to the public; the window closes as that day ends.
    await advance(stack, 30)  # on the last day, at the hour the case was received
    view = await read_case(stack, cid)
    assert view.details.consultation.closed_on is None
    await advance(stack, 1)
    view = await read_case(stack, cid)
    assert view.details.consultation.closed_on == ends_on
    assert deadline(view, "public_consultation").status == DeadlineStatus.MET  # arrived
    closed_step = next(s for s in view.history if s.kind == "consultation_closed")
    assert f"closed at the end of {ends_on}" in closed_step.summary

    # The decision states the results (Art 23(2)); none is refused, nor results without one.
    with pytest.raises(InvalidCommand, match="state the results of the consultation"):
        await run_command(stack.client, cid, "decide", decide())
    await run_command(stack.client, cid, "decide", decide(consultation_results=RESULTS))
    final = await result(stack, cid)
    assert final.details.decision.consultation_results == RESULTS
    assert [s.kind for s in final.history] == [
        "notification_received",
        "acknowledged",
        "risk_assessment_recorded",
        "consultation_opened",
        "consultation_closed",
        "decided",
    ]

    async def decision_letter() -> list[Any]:
        return [m for m in mails(stack, cid) if m["X-Template"] == "en/aia_decision"]

    [letter] = await eventually(decision_letter)
    body = text(letter)
    assert "The public was consulted on this decision from" in body and "(Article 23(2))" in body
    assert SUBJECT in body and RESULTS in body

    async def decision_record() -> list[dict[str, Any]]:
        drafts = stack.bch.decision_drafts().values()
        return [d["body"] for d in drafts if cid in str(d["body"].get("title"))]

    [record] = await eventually(decision_record)
    info = " ".join(record["relevantInformation"].values())
    assert "Public consultation (Article 23(2))" in info and RESULTS in info
    await record_history(stack, cid, "aia_public_consultation")


async def test_a_case_without_consultation_takes_no_results_and_withdrawal_ends_one(
    stack: Stack,
) -> None:
    plain = await start(stack, "CONSULT-2")
    await run_command(stack.client, plain.case_id, "acknowledge", Acknowledge())
    await run_command(stack.client, plain.case_id, "record_risk_assessment", RA)
    with pytest.raises(InvalidCommand, match="no public consultation was held"):
        await run_command(
            stack.client, plain.case_id, "decide", decide(consultation_results=RESULTS)
        )

    case = await start(stack, "CONSULT-3")
    cid = case.case_id
    ends_on = case.received_on + timedelta(days=20)
    await run_command(
        stack.client, cid, "open_consultation", OpenConsultation(ends_on=ends_on, subject=SUBJECT)
    )
    await run_command(stack.client, cid, "withdraw", Withdraw(reason="Trial cancelled"))
    final = await result(stack, cid)
    assert final.details.consultation.closed_on == await today(stack)
    with pytest.raises(CommandRefused, match="the case is closed"):
        await run_command(
            stack.client,
            cid,
            "open_consultation",
            OpenConsultation(ends_on=ends_on, subject=SUBJECT),
        )
