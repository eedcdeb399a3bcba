"""The AIA intake and the simplified procedure (CP Art 13) together, on the time-skipping test
server with the real register, SMTP sink and BCH stand-in: a notification that states its uses and
falls under a specification in force on its date of receipt is recorded on the simplified path
(13(1)) with no AIA period; any other, or one received before the specification is in force,
takes the AIA procedure (Arts 7-10)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from api import procedures
from api.cases import open_case, run_command
from api.errors import CommandRefused
from tests.support.samples import notification_body
from tests.support.temporal import Stack, record_history
from tests.workflows.test_aia import advance, eventually, mails, result
from tests.workflows.test_simplified import exemption, movement, open_spec, requested, when
from workflows.aia.models import Acknowledge, Notification

LMO = "MON-8746Ø-4"  # the sample notification's maize


def notified(uses: list[str] | None, party_of_export: str = "US", **annex: Any) -> Notification:
    body = notification_body(f"SIMPLE-{uuid.uuid4().hex[:6]}", party_of_export=party_of_export)
    body["annex_i"] |= annex
    if uses is not None:
        body["uses"] = uses
    return Notification.model_validate(body)


async def submit(stack: Stack, n: Notification) -> Any:
    case, _ = await open_case(
        stack.client,
        stack.settings,
        procedures.AIA,
        n,
        now=await stack.env.get_current_time(),
        pool=stack.pool,
    )
    return case


async def in_force(stack: Stack, opening: Any) -> str:
    case = await open_spec(stack, opening)
    stack.bch.approve(await requested(stack, case.case_id, "specification"))
    await advance(stack, 2)
    assert await eventually(lambda: when(stack, case.case_id, "specification_in_force"))
    return str(case.case_id)


async def test_a_notification_under_a_specification_is_recorded_without_the_aia_periods(
    stack: Stack,
) -> None:
    lmos = {LMO: "Drought-tolerant maize MON 87460"}
    # Received before the specification is in force: the AIA procedure applies.
    early = await submit(stack, notified(["field_trial"]))
    assert early.stage == "received" and [d.key for d in early.deadlines] == [
        "acknowledgement",
        "decision",
    ]
    spec_id = await in_force(stack, movement(lmos=lmos))

    n = notified(["field_trial"], j_quantity=None)
    case = await submit(stack, n)
    assert case.stage == "recorded_simplified" and case.closed
    assert case.deadlines == [] and case.next_deadline is None
    assert case.details.simplified.case_id == spec_id
    step = case.history[-1]
    assert step.kind == "recorded_simplified"
    assert "at the same time as it is notified (Art 13(1)(a))" in step.summary
    assert "missing, which such a notification must give (Art 13(2)): (j)" in step.summary
    final = await result(stack, case.case_id)
    assert [s.kind for s in final.history] == ["notification_received", "recorded_simplified"]

    async def letter() -> list[Any]:
        return [m for m in mails(stack, case.case_id) if m["X-Template"] == "en/aia_simplified"]

    [mail] = await eventually(letter)
    body = " ".join(mail.get_body().get_content().split())
    assert "Article 13(1)(a)" in mail["Subject"] + body and "(j) quantity" in body
    # The same notification again finds the same case; no command of the AIA applies to it.
    again, created = await open_case(
        stack.client, stack.settings, procedures.AIA, n, await stack.env.get_current_time(),
        stack.pool,
    )  # fmt: skip
    assert not created and again.case_id == case.case_id
    with pytest.raises(CommandRefused, match=r"the case is closed \(recorded simplified\)"):
        await run_command(stack.client, case.case_id, "acknowledge", Acknowledge())
    await record_history(stack, case.case_id, "aia_recorded_simplified")

    # Not covered: no uses stated, a use the specification does not name, another Party of
    # export. Each takes the AIA procedure.
    for other in (
        notified(None),
        notified(["field_trial", "commercial_release"]),
        notified(["field_trial"], party_of_export="BR"),
    ):
        assert (await submit(stack, other)).stage == "received"


async def test_an_exemption_is_recorded_as_outside_the_aia_procedure(stack: Stack) -> None:
    await in_force(stack, exemption(lmos={LMO: "Maize"}, uses=["commercial_release"]))
    case = await submit(stack, notified(["commercial_release"]))
    assert case.stage == "recorded_simplified"
    assert "exempted from the advance informed agreement procedure (Art 13(1)(b))" in (
        case.history[-1].summary
    )
