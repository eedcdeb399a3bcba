"""Outgoing e-mail of a case when the SMTP server misbehaves: nothing lost, nothing sent twice,
pending messages visible, permanent refusals recorded and escalated."""

from __future__ import annotations

from datetime import timedelta

from api.cases import run_command
from tests.support.temporal import Stack, read_case
from tests.workflows.test_aia import RA, advance, eventually, mails, start
from workflows import search_attributes as sa
from workflows.aia.models import Acknowledge, Decide, RequestInformation

NOTIFIER = "regulatory@acme-seeds.example"


async def test_smtp_down_then_back_delivers_exactly_one_message(stack: Stack) -> None:
    case = await start(stack, "SMTP-DOWN")
    cid = case.case_id
    stack.smtp.set_down(True)
    await run_command(stack.client, cid, "acknowledge", Acknowledge())

    async def pending() -> bool:
        view = await read_case(stack, cid)
        ack = [o for o in view.outgoing if o.purpose == "aia_acknowledgement"]
        return bool(ack) and ack[0].status == "pending" and "pending delivery" in view.status_text

    assert await eventually(pending)
    await advance(stack, 0.25)  # six hours of 421s, retried with backoff
    assert not mails(stack, cid)

    async def flagged() -> bool:
        desc = await stack.client.get_workflow_handle(cid).describe()
        return desc.typed_search_attributes.get(sa.MESSAGES_PENDING) is True

    assert await eventually(flagged)  # the Web UI can filter on MessagesPending = true
    async with stack.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT status, attempts, last_error FROM outgoing_messages WHERE message_key = $1",
            f"{cid}:acknowledgement",
        )
    assert row is not None and row["status"] == "pending" and row["attempts"] > 1
    assert "421" in row["last_error"]

    stack.smtp.set_down(False)
    await advance(stack, 1)

    async def delivered() -> list[object]:
        return [m for m in mails(stack, cid) if m["To"] == NOTIFIER]

    assert len(await eventually(delivered)) == 1
    view = await read_case(stack, cid)
    assert all(o.status == "sent" for o in view.outgoing)
    assert "pending" not in view.status_text
    await advance(stack, 1)
    assert len(await delivered()) == 1  # and never a second copy


async def test_permanent_refusal_is_recorded_and_escalated(stack: Stack) -> None:
    stack.smtp.refuse(NOTIFIER)
    case = await start(stack, "SMTP-REFUSED")
    cid = case.case_id
    await run_command(stack.client, cid, "acknowledge", Acknowledge())

    async def failed() -> bool:
        view = await read_case(stack, cid)
        return any(o.status == "failed" for o in view.outgoing)

    assert await eventually(failed)
    view = await read_case(stack, cid)
    failure = next(o for o in view.outgoing if o.status == "failed")
    assert failure.recipient == NOTIFIER and "550" in (failure.detail or "")
    assert "FAILED" in view.status_text
    assert view.history[-1].kind == "message_failed"

    async def escalation() -> list[object]:
        return [m for m in mails(stack, cid) if m["To"] == "head@authority.example"]

    assert len(await eventually(escalation)) == 1
    async with stack.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT status, server_response FROM outgoing_messages WHERE message_key = $1",
            f"{cid}:acknowledgement",
        )
    assert row["status"] == "failed" and row["server_response"].startswith("550")
    # The case itself goes on: the refusal is not retried forever and blocks nothing.
    await run_command(stack.client, cid, "request_information", RequestInformation(items=["x"]))
    stack.smtp.accept(NOTIFIER)
    await run_command(stack.client, cid, "record_risk_assessment", RA)
    await run_command(
        stack.client, cid, "decide", Decide(result="prohibition", reasons="Risks not manageable.")
    )
    await advance(stack, timedelta(hours=1).total_seconds() / 86400)

    async def decision_mail() -> list[object]:
        return [m for m in mails(stack, cid) if m["X-Template"] == "en/aia_decision"]

    assert len(await eventually(decision_mail)) == 1


async def test_letters_follow_the_notifiers_language(stack: Stack) -> None:
    """The authority writes to each recipient in its language (here Hungarian), citing the
    article in Hungarian form; the register records the language with the evidence."""
    from tests.support.samples import notification_body

    body = notification_body("NYELV-1")
    body["notifier"]["language"] = "hu"
    case = await start(stack, "NYELV-1", notifier=body["notifier"])
    cid = case.case_id
    await run_command(stack.client, cid, "acknowledge", Acknowledge())

    async def letter() -> list[object]:
        return [m for m in mails(stack, cid) if m["To"] == NOTIFIER]

    (message,) = await eventually(letter)
    assert message["Content-Language"] == "hu"
    assert message["X-Template"] == "hu/aia_acknowledgement"
    assert "9. cikk" in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "visszaigazol" in text.lower()
    async with stack.pool.acquire() as conn:
        language = await conn.fetchval(
            "SELECT language FROM outgoing_messages WHERE message_key = $1",
            f"{cid}:acknowledgement",
        )
    assert language == "hu"
