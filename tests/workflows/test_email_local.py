"""How a case sends its e-mail (workflows/kernel/outbox.py): first by a local activity inside the
workflow task that queued it, so that a command's letter is delivered before the command is
answered and costs the server no activity task; when the SMTP server does not take it at once,
by the activity with the full retry policy; a refusal for good is final at the first attempt."""

from __future__ import annotations

import uuid

from api.cases import run_command
from tests.support.history import local_activities_after_update, local_and_remote
from tests.support.temporal import Stack, read_case
from tests.workflows.test_aia import advance, eventually, mails, start
from workflows import search_attributes as sa
from workflows.aia.models import Acknowledge
from workflows.kernel.failures import LOCAL_ATTEMPT_TIMEOUT

NOTIFIER = "regulatory@acme-seeds.example"
KEY = "{}:acknowledgement"


async def _email_commands(stack: Stack, case_id: str) -> tuple[int, int]:
    """(local activities recorded, e-mail activities scheduled on the server) in the history."""
    return await local_and_remote(stack, case_id, "send_email")


async def _attempts(stack: Stack, case_id: str) -> int:
    async with stack.pool.acquire() as conn:
        attempts = await conn.fetchval(
            "SELECT attempts FROM outgoing_messages WHERE message_key = $1", KEY.format(case_id)
        )
    return int(attempts)


async def test_a_commands_letter_is_delivered_before_the_command_is_answered(
    stack: Stack,
) -> None:
    case = await start(stack, f"MAIL-{uuid.uuid4().hex[:6]}")
    cid = case.case_id
    await run_command(stack.client, cid, "acknowledge", Acknowledge())
    # No waiting: the answer came after the letter was handed to the SMTP server.
    view = await read_case(stack, cid)
    (letter,) = [o for o in view.outgoing if o.purpose == "aia_acknowledgement"]
    assert letter.status == "sent" and (letter.detail or "").startswith("Message-ID <")
    assert [m["To"] for m in mails(stack, cid)] == [NOTIFIER]
    assert "pending" not in view.status_text
    local, remote = await _email_commands(stack, cid)
    assert remote == 0 and local >= 2  # the letter and the register write, at least
    assert await _attempts(stack, cid) == 1
    desc = await stack.client.get_workflow_handle(cid).describe()
    assert desc.typed_search_attributes.get(sa.MESSAGES_PENDING) is False
    # The letter, then one register write with its outcome (generation 3): the register says
    # "sent" when the command is answered.
    assert await local_activities_after_update(stack, cid) == ["send_email", "sync_register"]
    async with stack.pool.acquire() as conn:
        state = await conn.fetchval("SELECT state FROM cases WHERE case_id = $1", cid)
    (row,) = [o for o in state["outgoing"] if o["purpose"] == "aia_acknowledgement"]
    assert row["status"] == "sent"


async def test_an_smtp_outage_leaves_the_letter_to_the_activity(stack: Stack) -> None:
    case = await start(stack, f"MAIL-{uuid.uuid4().hex[:6]}")
    cid = case.case_id
    stack.smtp.set_down(True)
    await run_command(stack.client, cid, "acknowledge", Acknowledge())
    # The command is answered although the letter could not go: it waits for the activity.
    view = await read_case(stack, cid)
    (letter,) = [o for o in view.outgoing if o.purpose == "aia_acknowledgement"]
    assert letter.status == "pending"
    assert view.history[-1].kind == "acknowledged"

    async def handed_over() -> int:
        return (await _email_commands(stack, cid))[1]

    assert await eventually(handed_over) == 1
    stack.smtp.set_down(False)
    await advance(stack, 1)

    async def delivered() -> list[object]:
        return [m for m in mails(stack, cid) if m["To"] == NOTIFIER]

    assert len(await eventually(delivered)) == 1
    assert await _attempts(stack, cid) >= 2  # the local attempt, then the activity's
    await advance(stack, 1)
    assert len(await delivered()) == 1  # never a second copy


async def test_a_refusal_for_good_is_final_at_the_first_attempt(stack: Stack) -> None:
    recipient = f"gone-{uuid.uuid4().hex[:6]}@acme-seeds.example"
    stack.smtp.refuse(recipient)
    notifier = {"name": "Gone B.V.", "address": "Nowhere 1", "email": recipient, "language": "en"}
    case = await start(stack, f"MAIL-{uuid.uuid4().hex[:6]}", notifier=notifier)
    cid = case.case_id
    await run_command(stack.client, cid, "acknowledge", Acknowledge())
    view = await read_case(stack, cid)
    (letter,) = [o for o in view.outgoing if o.purpose == "aia_acknowledgement"]
    assert letter.status == "failed" and "550" in (letter.detail or "")
    assert "message_failed" in [s.kind for s in view.history]
    assert (await _email_commands(stack, cid))[1] == 0  # no activity tries it again
    assert await _attempts(stack, cid) == 1


async def test_a_server_slow_to_answer_gets_the_letter_once(stack: Stack) -> None:
    """The SMTP server takes the letter but answers DATA only after the local attempt's time is
    up: the attempt still records what the server said, and the activity that takes over finds
    the letter sent instead of sending it again."""
    case = await start(stack, f"MAIL-{uuid.uuid4().hex[:6]}")
    cid = case.case_id
    stack.smtp.set_slow(LOCAL_ATTEMPT_TIMEOUT.total_seconds() + 1)
    try:
        await run_command(stack.client, cid, "acknowledge", Acknowledge())
    finally:
        stack.smtp.set_slow(0)

    async def sent() -> bool:
        view = await read_case(stack, cid)
        return any(o.purpose == "aia_acknowledgement" and o.status == "sent" for o in view.outgoing)

    assert await eventually(sent, timeout=30)
    assert (await _email_commands(stack, cid))[1] == 1  # the local attempt's time ran out
    assert [m["To"] for m in mails(stack, cid)] == [NOTIFIER]
    assert await _attempts(stack, cid) == 1
    await advance(stack, 1)
    assert [m["To"] for m in mails(stack, cid)] == [NOTIFIER]
