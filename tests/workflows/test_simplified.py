"""The simplified procedure (CP Art 13) end to end on the time-skipping test server, with the real
register (PostgreSQL), SMTP sink and BCH stand-in: a specification made available to the BCH
within the deployment's period (13(1)), reminders and the escalated lapse while the national
focal point has not published it, the register of specifications in force, amendments and the
withdrawal; every refused command; and the matching the AIA intake applies (pure)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from api import procedures
from api.cases import open_case, run_command
from api.errors import CommandRefused, InvalidCommand
from api.simplified import find_specification, specifications_in_force
from tests.support.temporal import Stack, read_case, record_history
from tests.workflows.test_aia import advance, deadline, eventually, mails
from workflows.bch_publication import (
    BchPublicationWorkflow,
    PublicationState,
    publication_workflow_id,
)
from workflows.models import CaseView, DeadlineStatus
from workflows.simplified.matching import match
from workflows.simplified.models import (
    Amend,
    ExemptFromAia,
    MovementAtNotification,
    Specification,
    Withdraw,
)
from workflows.simplified.workflow import SimplifiedProcedure

MAIZE, SOY = "MON-ØØ81Ø-6", "MON-Ø4Ø32-6"


def fresh_lmo() -> str:
    """A unique identifier no other test uses: the register of specifications is shared by the
    whole test session."""
    return f"SP-{uuid.uuid4().hex[:6].upper()}-1"


def movement(**overrides: Any) -> MovementAtNotification:
    body: dict[str, Any] = {
        "kind": "movement_at_notification",
        "reference": f"SP-{uuid.uuid4().hex[:6]}",
        "title": "Field trials of maize MON 810 from the United States",
        "lmos": {MAIZE: "Maize MON 810"},
        "uses": ["field_trial"],
        "parties_of_export": ["US"],
        "adequate_measures": "Isolation distance of 200 m; post-trial monitoring for 2 years.",
        "legal_basis": "Government Decree 1/2027 on gene technology, section 4",
        "applies_to_subsequent_movements": True,
    }
    return MovementAtNotification.model_validate(body | overrides)


def exemption(**overrides: Any) -> ExemptFromAia:
    body = movement().model_dump(exclude={"kind", "applies_to_subsequent_movements"})
    body |= {"kind": "exempt_from_aia", "reference": f"SPX-{uuid.uuid4().hex[:6]}"}
    return ExemptFromAia.model_validate(body | overrides)


async def open_spec(stack: Stack, opening: MovementAtNotification | ExemptFromAia) -> Any:
    case, created = await open_case(
        stack.client,
        stack.settings,
        procedures.SIMPLIFIED,
        opening,
        now=await stack.env.get_current_time(),
        pool=stack.pool,
    )
    assert created
    return case


async def requested(stack: Stack, case_id: str, step: str) -> str:
    """The BCH publication request of the case's record ``step``, once it is filed."""
    pid = publication_workflow_id(f"{case_id}:bch:{step}")
    handle = stack.client.get_workflow_handle_for(BchPublicationWorkflow.run, pid)

    async def probe() -> str | None:
        try:
            view = await handle.query(BchPublicationWorkflow.view)
        except Exception:  # not started yet
            return None
        return view.request_id if view.state == PublicationState.REQUESTED else None

    request_id = await eventually(probe)
    assert request_id is not None, f"{pid} never requested publication"
    return request_id


async def when(stack: Stack, case_id: str, stage: str) -> Any:
    case = await read_case(stack, case_id)
    return case if case.stage == stage else None


async def listed(stack: Stack, lmo_id: str) -> list[str]:
    return [s.case_id for s in await specifications_in_force(stack.pool, lmo_id=lmo_id)]


async def test_specified_published_in_force_amended_and_withdrawn(stack: Stack) -> None:
    """13(1): the specification goes to the BCH at once; once the focal point publishes it, it is
    in force and in the register; an amendment amends the published record; the withdrawal
    takes it out of the register and ends the case."""
    lmo = fresh_lmo()
    case = await open_spec(stack, movement(lmos={lmo: "Maize MON 810"}))
    cid, on = case.case_id, case.received_on
    assert cid.startswith("simplified-hu-sp-") and case.stage == "awaiting_bch_publication"
    assert case.lmo_id == lmo and case.party_of_import == "HU"
    due = deadline(case, "bch_publication")
    assert due.due == on + timedelta(days=15) and due.article == "CP Art 13(1)"
    assert due.explanation == f"15 days from the specification {on} = {due.due}"
    assert due.label_hu == "A meghatározás közzététele a BCH-ban"
    assert [s.kind for s in case.history] == ["specified", "bch_record_queued"]
    assert "movement at the time of notification (Art 13(1)(a))" in case.history[0].summary

    request_id = await requested(stack, cid, "specification")
    (draft,) = [
        d["body"] for d in stack.bch.decision_drafts().values() if cid in d["body"]["title"]["en"]
    ]
    assert draft["decisionTypes"] == [{"identifier": "8979219B-330B-424F-A52C-209D4B4B65C0"}]
    assert draft["movementAllowedUnderA131A"] is True
    assert draft["appliesToSubsequentImports"] is True
    assert "exemptFromAIA" not in draft and "decisionResult" not in draft
    assert "Domestic legal basis: Government Decree 1/2027" in draft["relevantInformation"]["en"]
    assert await listed(stack, lmo) == []  # not in force before the BCH publishes it

    amend = Amend(uses=["field_trial", "commercial_release"], reasons="Cultivation added.")
    with pytest.raises(CommandRefused, match="not yet published by the national focal point"):
        await run_command(stack.client, cid, "amend_specification", amend)
    with pytest.raises(CommandRefused, match="not yet published"):
        await run_command(stack.client, cid, "withdraw_specification", Withdraw(reasons="x"))

    stack.bch.approve(request_id)
    await advance(stack, 2)  # the publication process and the case each look once a day
    case = await eventually(lambda: when(stack, cid, "specification_in_force"))
    assert deadline(case, "bch_publication").status == DeadlineStatus.MET
    assert case.stage_text.startswith("In force: made available to the BCH (Art 13(1))")
    spec = case.details.specification
    assert spec.in_force and spec.bch_record and spec.bch_record.endswith("@1")
    assert await eventually(lambda: listed(stack, lmo)) == [cid]

    with pytest.raises(InvalidCommand, match="nothing to amend"):
        await run_command(stack.client, cid, "amend_specification", Amend(reasons="x"))
    with pytest.raises(InvalidCommand, match="expires_on .* is before effective_on"):
        early = Amend(expires_on=spec.effective_on - timedelta(days=1), reasons="x")
        await run_command(stack.client, cid, "amend_specification", early)
    result = await run_command(stack.client, cid, "amend_specification", amend)
    assert result.stage == "specification_in_force"
    assert result.next_deadline is not None and result.next_deadline.key == "bch_publication-2"
    assert result.next_deadline.label == "Amendment 1 made available to the BCH"
    request_id = await requested(stack, cid, "amendment-2")
    (draft,) = [
        d["body"]
        for d in stack.bch.decision_drafts().values()
        if d["body"]["title"]["en"].startswith("Amended:") and cid in d["body"]["title"]["en"]
    ]
    assert draft["isAmendment"] is True
    assert draft["amendedRecords"] == [{"identifier": spec.bch_record}]
    (row,) = await specifications_in_force(stack.pool, lmo_id=lmo.lower())
    assert row.uses == ["field_trial", "commercial_release"] and row.version == 1
    stack.bch.approve(request_id)
    await advance(stack, 2)
    case = await eventually(lambda: _published(stack, cid, "bch_publication-2"), timeout=20)

    await run_command(
        stack.client, cid, "withdraw_specification", Withdraw(reasons="Trials ended.")
    )
    final: CaseView[Any] = await stack.client.get_workflow_handle_for(
        SimplifiedProcedure.run, cid
    ).result()
    assert final.closed and final.stage == "specification_withdrawn"
    assert not final.details.specification.in_force
    assert await eventually(lambda: _absent(stack, lmo, cid))
    with pytest.raises(CommandRefused, match="the case is closed"):
        await run_command(stack.client, cid, "withdraw_specification", Withdraw(reasons="x"))
    withdrawal = await requested(stack, cid, "withdrawal")
    assert withdrawal
    (draft,) = [
        d["body"]
        for d in stack.bch.decision_drafts().values()
        if d["body"]["title"]["en"].startswith("Withdrawn:") and cid in d["body"]["title"]["en"]
    ]
    assert draft["movementAllowedUnderA131A"] is False and "appliesToSubsequentImports" not in draft
    await record_history(stack, cid, "simplified_specified_amended_withdrawn")


async def _published(stack: Stack, cid: str, key: str) -> Any:
    case = await read_case(stack, cid)
    return case if deadline(case, key).status == DeadlineStatus.MET else None


async def _absent(stack: Stack, lmo_id: str, cid: str) -> bool:
    return cid not in await listed(stack, lmo_id)


async def test_unpublished_specification_is_reminded_and_its_lapse_escalated(
    stack: Stack,
) -> None:
    """While the focal point has not published the record, the officers are reminded 14, 7 and
    1 days before the period ends; on day 16 the lapse is recorded and escalated, and the
    specification is not in force. Published late, it comes into force then."""
    soy = fresh_lmo()
    case = await open_spec(stack, exemption(lmos={soy: "Soybean MON 87705"}))
    cid, on = case.case_id, case.received_on
    request_id = await requested(stack, cid, "specification")
    (draft,) = [
        d["body"] for d in stack.bch.decision_drafts().values() if cid in d["body"]["title"]["en"]
    ]
    assert draft["exemptFromAIA"] is True and "movementAllowedUnderA131A" not in draft

    with pytest.raises(CommandRefused, match="not yet published"):
        await run_command(stack.client, cid, "amend_specification", Amend(title="x", reasons="y"))
    await advance(stack, 16)
    case = await read_case(stack, cid)
    kinds = [s.kind for s in case.history]
    assert kinds.count("reminder") == 3  # 14, 7 and 1 days before (the 30-day one falls outside)
    assert "deadline_missed" in kinds and case.overdue and not case.closed
    missed = deadline(case, "bch_publication")
    assert missed.status == DeadlineStatus.MISSED and missed.days_overdue == 1
    assert case.stage == "awaiting_bch_publication" and await listed(stack, soy) == []
    escalation = [m for m in mails(stack, cid) if m["To"] == "head@authority.example"]
    assert (
        "Deadline: Specification made available to the BCH"
        in escalation[0].get_body().get_content()
    )

    stack.bch.approve(request_id)
    await advance(stack, 2)
    case = await eventually(lambda: when(stack, cid, "specification_in_force"))
    published = deadline(case, "bch_publication")
    assert published.status == DeadlineStatus.MET_LATE
    assert published.met_on is not None and published.met_on > on + timedelta(days=15)
    assert await eventually(lambda: listed(stack, soy)) == [cid]
    with pytest.raises(CommandRefused, match=r"for specifications under Art 13\(1\)\(a\)"):
        await run_command(
            stack.client,
            cid,
            "amend_specification",
            Amend(applies_to_subsequent_movements=True, reasons="x"),
        )
    found = await find_specification(stack.pool, soy.lower(), ["field_trial"], "us", on)
    assert found is not None and found.case_id == cid and found.kind == "exempt_from_aia"
    assert await find_specification(stack.pool, soy, ["field_trial"], "BR", on) is None
    await record_history(stack, cid, "simplified_published_late_open")


# ---- the matching the AIA intake applies (pure) -----------------------------------------------


def spec(case_id: str = "simplified-hu-a", **overrides: Any) -> Specification:
    body: dict[str, Any] = {
        "case_id": case_id,
        "reference": case_id,
        "kind": "movement_at_notification",
        "title": "t",
        "lmos": {MAIZE: "Maize MON 810"},
        "uses": ["field_trial", "commercial_release"],
        "parties_of_export": [],
        "adequate_measures": "m",
        "legal_basis": "b",
        "effective_on": date(2027, 1, 1),
        "expires_on": date(2027, 12, 31),
        "in_force": True,
    }
    return Specification.model_validate(body | overrides)


ON = date(2027, 6, 1)


def test_a_movement_matches_a_specification_in_force_that_covers_it() -> None:
    s = spec()
    assert match([s], MAIZE, ["field_trial"], "US", ON) is s
    assert match([s], "mon-øø81ø-6 ", ["field_trial"], "us", ON) is s  # as written by hand
    assert match([s], MAIZE, ["field_trial", "commercial_release"], "US", ON) is s


@pytest.mark.parametrize(
    ("why", "changes", "lmo_id", "uses", "party", "on"),
    [
        ("another LMO", {}, SOY, ["field_trial"], "US", ON),
        ("a use not covered", {"uses": ["field_trial"]}, MAIZE, ["commercial_release"], "US", ON),
        ("one use of two not covered", {"uses": ["field_trial"]}, MAIZE,
         ["field_trial", "other_release"], "US", ON),
        ("no use named", {}, MAIZE, [], "US", ON),
        ("another Party of export", {"parties_of_export": ["NL"]}, MAIZE, ["field_trial"], "US",
         ON),
        ("before it takes effect", {}, MAIZE, ["field_trial"], "US", date(2026, 12, 31)),
        ("after it expires", {}, MAIZE, ["field_trial"], "US", date(2028, 1, 1)),
        ("not in force (withdrawn, or not yet published)", {"in_force": False}, MAIZE,
         ["field_trial"], "US", ON),
    ],
)  # fmt: skip
def test_no_match(
    why: str, changes: dict[str, Any], lmo_id: str, uses: list[Any], party: str, on: date
) -> None:
    assert match([spec(**changes)], lmo_id, uses, party, on) is None, why


def test_the_first_and_last_day_are_in_effect_and_an_open_end_never_expires() -> None:
    s = spec()
    assert match([s], MAIZE, ["field_trial"], "US", date(2027, 1, 1)) is s
    assert match([s], MAIZE, ["field_trial"], "US", date(2027, 12, 31)) is s
    open_ended = spec(expires_on=None)
    assert match([open_ended], MAIZE, ["field_trial"], "US", date(2099, 1, 1)) is open_ended


def test_an_exemption_goes_first_then_the_oldest_whatever_the_order() -> None:
    a_old = spec("simplified-hu-a1", effective_on=date(2026, 1, 1))
    a_new = spec("simplified-hu-a2")
    b = spec("simplified-hu-b", kind="exempt_from_aia")
    for order in ([a_old, a_new, b], [b, a_new, a_old], [a_new, b, a_old]):
        assert match(order, MAIZE, ["field_trial"], "US", ON) is b
    assert match([a_new, a_old], MAIZE, ["field_trial"], "US", ON) is a_old
    assert match([], MAIZE, ["field_trial"], "US", ON) is None
