"""Treaty status (CP Arts 37, 39; SP Arts 18, 20): the dates as the treaty counts them, and the
procedure end to end on the time-skipping test server with the real register, SMTP sink and BCH
stand-in.

The register is shared by the whole test session and a treaty case's id is its Party's
(``treaty-cp-hu``), so every test below follows a Party of its own.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.common import TypedSearchAttributes

from api import procedures
from api.cases import open_case, run_command
from api.errors import CommandRefused, InvalidCommand
from tests.support.temporal import Stack, read_case, record_history
from tests.workflows.test_aia import advance, deadline, eventually, mails, today
from workflows import clock
from workflows.kernel.ledger import Ledger
from workflows.models import CaseView, ClockRules, DeadlineStatus
from workflows.treaty import TreatyStatus
from workflows.treaty.clocks import TreatyClocks, add_years, treaty_counting
from workflows.treaty.models import Deposit, TreatyStart, TreatyState, WithdrawalNotice

# A deployment that counts the day of an event as day 1 and rolls deadlines forward to a working
# day (DESIGN.md's optional domestic rules): neither may move a treaty's date.
DOMESTIC = ClockRules(day_of_event_is_day_one=True, roll_forward_to_working_day=True)


def deposit(party: str, deposited_on: date, **overrides: Any) -> Deposit:
    return Deposit.model_validate(
        {"party": party, "instrument": "ratification", "deposited_on": deposited_on} | overrides
    )


def clocks(d: Deposit, state: TreatyState | None = None) -> TreatyClocks:
    return TreatyClocks(Ledger(treaty_counting(DOMESTIC), []), d, state or TreatyState())


# ---- the dates (pure) -------------------------------------------------------------------------


def test_hungary_2004_in_force_on_the_ninetieth_day_after_deposit() -> None:
    """Hungary deposited its instrument of ratification on 2004-01-13; Act CIX of 2004 applies
    the Protocol from 2004-04-12. The day of deposit is day 0: 18 days of January, 29 of
    February (a leap year), 31 of March and 12 of April make 90 (CP Art 37(2)). 2004-04-12 was
    Easter Monday and the deployment counts day 1 and rolls forward: the treaty's date stays."""
    hu = clocks(deposit("HU", date(2004, 1, 13)))
    eif = hu.entry_into_force()
    assert eif.due == date(2004, 4, 12)
    assert eif.explanation == "90 days from deposit of the instrument 2004-01-13 = 2004-04-12"
    assert eif.explanation_hu.endswith("(2004-01-13) számítva = 2004-04-12")
    assert not clock.is_working_day(date(2004, 4, 12), DOMESTIC)  # Easter Monday
    assert hu.withdrawal_possible_from() == date(2006, 4, 12)  # CP Art 39(1)


def test_the_later_date_applies() -> None:
    """CP Art 37(1)-(2): a Party that deposited before the fiftieth instrument was bound when the
    Protocol itself entered into force, 2003-09-11; likewise the Convention's later entry into
    force for the Party. SP Art 18(1)-(2): the Supplementary Protocol's own entry into force,
    2018-03-05, and the Protocol's for the Party."""
    early = clocks(deposit("BG", date(2003, 2, 1))).entry_into_force()
    assert early.due == date(2003, 9, 11)
    assert early.explanation == (
        "90 days from deposit of the instrument 2003-02-01 = 2003-05-02; the Protocol itself "
        "entered into force on 2003-09-11 (CP Art 37(1)), the later date: 2003-09-11"
    )
    assert early.explanation_hu.endswith("ez a későbbi időpont: 2003-09-11")
    convention = deposit("XX", date(2010, 1, 4), convention_in_force_on=date(2010, 6, 1))
    assert clocks(convention).entry_into_force().due == date(2010, 6, 1)
    sp_early = clocks(deposit("HU", date(2013, 12, 9), treaty="sp")).entry_into_force()
    assert sp_early.due == date(2018, 3, 5) and "(SP Art 18(1))" in sp_early.explanation
    sp_late = deposit("FI", date(2020, 1, 2), treaty="sp", protocol_in_force_on=date(2020, 5, 1))
    assert clocks(sp_late).entry_into_force().due == date(2020, 5, 1)
    assert clocks(deposit("FI", date(2020, 1, 2), treaty="sp")).entry_into_force().due == date(
        2020, 4, 1
    )


def test_years_are_calendar_years() -> None:
    """Art 39: "two years from" and "one year after" a date: the same day of the month (as the
    Depositary counts it), 28 February for a 29 February in a year without one."""
    assert add_years(date(2004, 4, 12), 2) == date(2006, 4, 12)
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    notice = WithdrawalNotice(received_by_depositary_on=date(2024, 2, 29))
    hu = clocks(deposit("HU", date(2004, 1, 13)), TreatyState(withdrawal=notice))
    withdrawal = hu.withdrawal()
    assert withdrawal is not None and withdrawal.due == date(2025, 2, 28)
    assert withdrawal.explanation == (
        "one year after receipt by the Depositary 2024-02-29 (CP Art 39(2)) = 2025-02-28"
    )


def test_a_deposit_states_only_its_own_treaty_s_later_date() -> None:
    with pytest.raises(ValueError, match="CP Art 37\\(2\\)"):
        deposit("HU", date(2020, 1, 2), treaty="sp", convention_in_force_on=date(2020, 5, 1))
    with pytest.raises(ValueError, match="SP Art 18\\(2\\)"):
        deposit("HU", date(2020, 1, 2), protocol_in_force_on=date(2020, 5, 1))


# ---- the procedure ----------------------------------------------------------------------------


async def open_deposit(stack: Stack, d: Deposit, **settings: Any) -> CaseView[Any]:
    case, created = await open_case(
        stack.client,
        stack.settings.model_copy(update=settings),
        procedures.TREATY_STATUS,
        d,
        now=await stack.env.get_current_time(),
        pool=stack.pool,
    )
    assert created
    return case


async def closed(stack: Stack, case_id: str) -> CaseView[Any]:
    return await stack.client.get_workflow_handle_for(TreatyStatus.run, case_id).result()


def officer_mails(stack: Stack, case_id: str) -> list[Any]:
    return [m for m in mails(stack, case_id) if m["To"] == "officers@authority.example"]


async def test_hungary_entered_late_is_in_force_from_2004_04_12_then_withdraws(
    stack: Stack,
) -> None:
    """The real case entered today, under domestic counting rules that must not apply: in force
    from 2004-04-12 (CP Art 37(2)), and free to withdraw since 2006-04-12 (Art 39(1)); with no
    Supplementary Protocol case, the withdrawal ends only the Protocol's status (SP Art 20(3))."""
    case = await open_deposit(
        stack,
        deposit("HU", date(2004, 1, 13), depositary_reference="C.N.35.2004.TREATIES-1"),
        day_of_event_is_day_one=True,
        roll_forward_to_working_day=True,
    )
    cid = case.case_id
    assert cid == "treaty-cp-hu"
    eif = deadline(case, "entry_into_force")
    assert eif.due == date(2004, 4, 12) and eif.article == "CP Art 37(2)"
    assert eif.status == DeadlineStatus.MET and not eif.authority_deadline
    assert case.stage == "in_force" and case.details.in_force
    assert case.details.withdrawal_possible_from == date(2006, 4, 12)
    assert [s.kind for s in case.history] == ["instrument_deposited", "entered_into_force"]
    assert case.history[1].summary == (
        "The Cartagena Protocol on Biosafety entered into force for HU on 2004-04-12 (CP Art 37(2))"
    )
    (mail,) = await eventually(lambda: _async(officer_mails(stack, cid)))
    assert "Article 37(2)" in mail["Subject"] and "12 April 2004" in mail["Subject"]

    received = await today(stack)
    result = await run_command(
        stack.client,
        cid,
        "record_withdrawal",
        WithdrawalNotice(received_by_depositary_on=received),
    )
    effective = add_years(received, 1)
    assert result.stage == "withdrawal_notified"
    assert result.next_deadline is not None and result.next_deadline.due == effective
    case = await eventually(lambda: _history_has(stack, cid, "supplementary_protocol"))
    assert case.details.supplementary_protocol_case == "treaty-sp-hu"
    assert case.details.supplementary_protocol_informed is False
    assert "no open Supplementary Protocol case" in case.history[-1].summary

    await advance(stack, (effective - received).days + 1)
    final = await closed(stack, cid)
    assert final.stage == "withdrawn" and final.closed and not final.details.in_force
    withdrawal = deadline(final, "withdrawal")
    assert withdrawal.status == DeadlineStatus.MET and withdrawal.due == effective
    assert withdrawal.explanation == (
        f"one year after receipt by the Depositary {received} (CP Art 39(2)) = {effective}"
    )
    assert final.history[-1].kind == "withdrawn"
    withdrawn_mail = officer_mails(stack, cid)[-1]
    assert "Article 39(2)" in withdrawn_mail["Subject"]
    await record_history(stack, cid, "treaty_status_hungary_withdrawal")


async def _async(value: Any) -> Any:
    return value


async def _history_has(stack: Stack, case_id: str, kind: str) -> Any:
    case = await read_case(stack, case_id)
    return case if kind in [s.kind for s in case.history] else None


async def test_entry_into_force_arrives_as_its_day_begins(stack: Stack) -> None:
    """The Protocol is in force for the whole of its ninetieth day: the case changes stage and
    tells the officers when that day begins in the authority's time zone, not when it ends."""
    deposited = await today(stack) - timedelta(days=88)
    case = await open_deposit(stack, deposit("SI", deposited))
    cid, eif = case.case_id, deposited + timedelta(days=90)
    assert case.stage == "instrument_deposited"
    assert deadline(case, "entry_into_force").due == eif
    assert deadline(case, "entry_into_force").status == DeadlineStatus.RUNNING
    begins = clock.start_of_day(eif, stack.settings.timezone)
    await stack.env.sleep(begins - await stack.env.get_current_time() - timedelta(minutes=1))
    assert (await read_case(stack, cid)).stage == "instrument_deposited"
    await stack.env.sleep(timedelta(minutes=2))
    case = await read_case(stack, cid)
    assert case.stage == "in_force" and case.today == eif
    assert deadline(case, "entry_into_force").status == DeadlineStatus.MET
    assert await eventually(lambda: _async(officer_mails(stack, cid)))


async def test_withdrawal_refused_before_two_years_and_effective_on_the_stated_date(
    stack: Stack,
) -> None:
    """CP Art 39(1): no notice before two years from the entry into force for the Party (a 409
    citing the article); 39(2): one year after the Depositary receives it, or a later date the
    notice states; an earlier stated date is invalid (422)."""
    deposited = await today(stack) - timedelta(days=80)
    case = await open_deposit(stack, deposit("SK", deposited))
    cid, eif = case.case_id, deposited + timedelta(days=90)

    async def withdraw(**fields: Any) -> Any:
        fields.setdefault("received_by_depositary_on", await today(stack))
        return await run_command(stack.client, cid, "record_withdrawal", WithdrawalNotice(**fields))

    with pytest.raises(CommandRefused, match=r"two years from .*\(CP Art 39\(1\)\)"):
        await withdraw()
    possible = add_years(eif, 2)
    await advance(stack, (possible - await today(stack)).days - 1)
    case = await read_case(stack, cid)
    assert case.stage == "in_force" and case.details.withdrawal_possible_from == possible
    with pytest.raises(CommandRefused, match=f"from {possible}"):
        await withdraw()
    await advance(stack, 1)
    received = await today(stack)
    assert received == possible
    with pytest.raises(InvalidCommand, match="in the future"):
        await withdraw(received_by_depositary_on=received + timedelta(days=1))
    with pytest.raises(InvalidCommand, match=r"too early.*CP Art 39\(2\)"):
        await withdraw(takes_effect_on=received + timedelta(days=200))
    stated = add_years(received, 1) + timedelta(days=30)
    result = await withdraw(takes_effect_on=stated)
    assert result.next_deadline is not None and result.next_deadline.due == stated
    with pytest.raises(CommandRefused, match=f"already recorded; it takes effect on {stated}"):
        await withdraw()

    await advance(stack, (stated - received).days + 1)
    final = await closed(stack, cid)
    assert final.stage == "withdrawn" and final.details.withdrawal_takes_effect_on == stated
    assert deadline(final, "withdrawal").explanation.startswith("the later date specified")
    with pytest.raises(CommandRefused, match="closed"):
        await withdraw()


async def test_withdrawing_from_the_protocol_ends_the_supplementary_protocol_too(
    stack: Stack,
) -> None:
    """SP Art 20(3): a Party that withdraws from the Protocol (CP Art 39) is considered as also
    having withdrawn from the Supplementary Protocol; its SP case is told, shows the date and
    ends with the Protocol's."""
    cp = await open_deposit(stack, deposit("AT", date(2002, 8, 27)))
    assert deadline(cp, "entry_into_force").due == date(2003, 9, 11)  # CP Art 37(1)
    sp = await open_deposit(stack, deposit("AT", date(2013, 12, 9), treaty="sp"))
    assert sp.case_id == "treaty-sp-at" and sp.stage == "in_force"
    assert deadline(sp, "entry_into_force").due == date(2018, 3, 5)  # SP Art 18(1)

    received = await today(stack)
    await run_command(
        stack.client,
        cp.case_id,
        "record_withdrawal",
        WithdrawalNotice(received_by_depositary_on=received),
    )
    effective = add_years(received, 1)
    cp_case = await eventually(lambda: _history_has(stack, cp.case_id, "supplementary_protocol"))
    assert cp_case.details.supplementary_protocol_informed is True
    sp_case = await eventually(lambda: _history_has(stack, sp.case_id, "protocol_withdrawal"))
    assert sp_case.stage == "withdrawal_notified"
    assert sp_case.details.withdrawal_from_protocol.case_id == "treaty-cp-at"
    sp_withdrawal = deadline(sp_case, "withdrawal")
    assert sp_withdrawal.article == "SP Art 20(3)" and sp_withdrawal.due == effective
    assert sp_withdrawal.explanation.endswith(f"(SP Art 20(3)) = {effective}")
    # The SP case cannot be withdrawn from a second time.
    with pytest.raises(CommandRefused, match="already recorded"):
        await run_command(
            stack.client,
            sp.case_id,
            "record_withdrawal",
            WithdrawalNotice(received_by_depositary_on=received),
        )

    await advance(stack, (effective - received).days + 1)
    for cid in (cp.case_id, sp.case_id):
        final = await closed(stack, cid)
        assert final.stage == "withdrawn" and deadline(final, "withdrawal").due == effective
    subject = officer_mails(stack, sp.case_id)[-1]["Subject"]
    assert "Supplementary Protocol" in subject and "Article 20(3)" in subject
    await record_history(stack, cp.case_id, "treaty_status_cp_withdrawal_tells_sp")
    await record_history(stack, sp.case_id, "treaty_status_sp_withdrawn_with_protocol")


async def run_id(stack: Stack, workflow_id: str) -> str:
    """The workflow's current run, read without decoding its search attributes (the test
    server hands back an unset datetime attribute in a form the SDK cannot decode)."""
    response = await stack.client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=stack.client.namespace,
            execution=WorkflowExecution(workflow_id=workflow_id),
        )
    )
    return str(response.workflow_execution_info.execution.run_id)


async def test_a_party_in_force_for_years_continues_as_new(stack: Stack) -> None:
    """A Party stays a Party for decades: its case continues as new before its history grows
    large, same id, its history and state carried over; a command still works on the new run."""
    now = await stack.env.get_current_time()
    opened = procedures.TREATY_STATUS.open(
        stack.settings, deposit("PL", date(2003, 12, 10)), await today(stack), now
    )
    start = opened.start.model_copy(update={"continue_as_new_after_events": 40})
    assert isinstance(start, TreatyStart)
    await stack.client.start_workflow(
        TreatyStatus.run,
        start,
        id=opened.case_id,
        task_queue=stack.settings.task_queue,
        search_attributes=TypedSearchAttributes(opened.search_attributes),
    )
    first_run = await run_id(stack, opened.case_id)
    await advance(stack, 2 * 365)
    assert await run_id(stack, opened.case_id) != first_run
    case = await read_case(stack, opened.case_id)
    assert case.stage == "in_force" and case.details.entry_into_force_on == date(2004, 3, 9)
    assert [s.kind for s in case.history] == ["instrument_deposited", "entered_into_force"]
    received = await today(stack)
    await run_command(
        stack.client,
        opened.case_id,
        "record_withdrawal",
        WithdrawalNotice(received_by_depositary_on=received),
    )
    case = await read_case(stack, opened.case_id)
    assert case.details.withdrawal_takes_effect_on == add_years(received, 1)
