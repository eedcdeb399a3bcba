"""Response measures under the Supplementary Protocol on Liability and Redress (SP Arts 2-8) end
to end on the time-skipping test server, with the real register (PostgreSQL), SMTP sink and the
Party's treaty status case: the scope check (Art 3, against SP Art 18), the evaluation (Art 2(3),
4), the decision in the order of preference of Art 2(2)(d)(ii) with reasons and remedies (5(2),
5(6)), follow-up checks until completion, the authority's own measures when the operator fails
(5(4)), review (5(6)), costs within the financial limit (5(5), 8), exemptions (6), time limits
(7) and continue-as-new."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter
from temporalio.common import TypedSearchAttributes

from api import procedures
from api.cases import open_case, run_command
from api.errors import CommandRefused, InvalidCommand
from infra.settings import Settings
from tests.support.temporal import Stack, read_case, record_history
from tests.workflows.test_aia import advance, deadline, eventually, mails, today
from tests.workflows.test_aia import start as start_aia
from workflows import search_attributes as sa
from workflows.models import CaseView, DeadlineStatus
from workflows.response import ResponseMeasures
from workflows.response.commands import (
    ApplyExemption,
    ConfirmCompletion,
    DecideMeasures,
    DemandCosts,
    EvaluateDamage,
    FollowUp,
    LinkCase,
    RecordCosts,
    RecordPayment,
    RequestReview,
    ReviewOutcome,
    TakeOver,
)
from workflows.response.models import ResponseStart
from workflows.response.opening import ResponseOpening
from workflows.treaty.models import Deposit

OPERATOR = "operations@seedco.example"


def settings_for(stack: Stack, party: str, **response: Any) -> Settings:
    """The stack's settings for an authority of ``party`` (each test its own Party, since the
    register is shared by the session), with the response-measure settings given."""
    return stack.settings.model_copy(
        update={"authority_party": party} | {f"response_{k}": v for k, v in response.items()}
    )


async def sp_in_force(stack: Stack, party: str, deposited_on: date = date(2019, 1, 2)) -> None:
    """The Party's Supplementary Protocol deposit (SP Art 18(2)), in the register."""
    deposit = Deposit(treaty="sp", party=party, instrument="accession", deposited_on=deposited_on)
    await open_case(
        stack.client, stack.settings, procedures.TREATY_STATUS, deposit,
        now=await stack.env.get_current_time(), pool=stack.pool,
    )  # fmt: skip
    assert await eventually(lambda: _registered(stack, f"treaty-sp-{party.lower()}"))


async def _registered(stack: Stack, case_id: str) -> bool:
    row = await stack.pool.fetchrow("SELECT 1 FROM cases WHERE case_id = $1", case_id)
    return row is not None


def report(**overrides: Any) -> Any:
    body: dict[str, Any] = {
        "reported_by": "operator",
        "reference": f"RM-{uuid.uuid4().hex[:6]}",
        "basis": "damage",
        "description": "GM oilseed rape volunteers outside the authorised field",
        "location": "Szigetköz, plot 12",
        "within_national_jurisdiction": True,
        "occurred_on": None,
        "lmo": {"name": "Oilseed rape GT73", "unique_identifier": "MON-ØØØ73-7",
                "category": "food_feed_processing"},
        "movement": {"kind": "intentional", "started_on": "2026-06-01", "party_of_export": "CA"},
        "operator": {"name": "SeedCo Kft.", "address": "Győr", "email": OPERATOR,
                     "role": "importer"},
    }  # fmt: skip
    return TypeAdapter(ResponseOpening).validate_python(body | overrides)


async def open_response(stack: Stack, settings: Settings, opening: Any) -> CaseView[Any]:
    case, created = await open_case(
        stack.client, settings, procedures.RESPONSE_MEASURES, opening,
        now=await stack.env.get_current_time(), pool=stack.pool,
    )  # fmt: skip
    assert created
    return case


async def at_stage(stack: Stack, case_id: str, stage: str) -> CaseView[Any] | None:
    case = await read_case(stack, case_id)
    return case if case.stage == stage else None


async def finished(stack: Stack, case_id: str) -> CaseView[Any]:
    return await stack.client.get_workflow_handle_for(ResponseMeasures.run, case_id).result()


async def letters(stack: Stack, case_id: str, to: str, article: str) -> list[Any]:
    return [m for m in mails(stack, case_id) if m["To"] == to and article in m["Subject"]]


EVALUATION = EvaluateDamage.model_validate(
    {
        "measurable": "Volunteers counted against the 2025 baseline survey of the reserve",
        "significance": {
            "finding": "significant",
            "factors": [
                {"factor": "a_long_term_change", "finding": "Seed bank persists for 10 years"},
                {"factor": "b_extent_of_change", "finding": "3 ha of protected meadow"},
            ],
        },
        "causal_link": {"established": True, "reasons": "Event-specific PCR on 40 plants"},
    }
)
DECISION = DecideMeasures.model_validate(
    {
        "operators": [{"name": "SeedCo Kft.", "address": "Győr", "email": OPERATOR}],
        "prevention": [
            {"kind": "contain", "description": "Fence and harvest the plot", "within_days": 20}
        ],
        "restoration": {
            "kind": "replacement",
            "previous_condition_not_possible": "The meadow's soil was ploughed in 2026",
            "description": "Establish 3 ha of equivalent meadow at Lipót",
            "within_days": 90,
        },
        "reasons": "The volunteers spread into a protected meadow.",
        "remedies": "Administrative review by the Ministry within 15 days of this decision.",
    }
)


async def test_a_case_runs_from_report_to_completion_through_the_operators_failure(
    stack: Stack,
) -> None:
    """Report → in scope → evaluation → decision (order of preference, reasons, remedies) →
    review that does not stop the measures → the operator misses a term, follow-up, the
    authority takes the measure over (5(4)) → completion → costs, limited by Art 8 → paid."""
    settings = settings_for(stack, "SK", financial_limit=1_000_000, follow_up_days=30)
    await sp_in_force(stack, "SK")
    case = await open_response(stack, settings, report())
    cid = case.case_id
    assert cid.startswith("response-sk-rm-") and case.procedure == "response_measures"
    case = await eventually(lambda: at_stage(stack, cid, "damage_evaluation"))
    assert case.details.sp_in_force_on == date(2019, 4, 2)  # SP Art 18(2): deposit + 90 days
    assert [s.kind for s in case.history] == ["reported", "in_scope"]
    assert "SP Art 3" in case.history[-1].summary
    relative = deadline(case, "relative_limit")
    assert relative.article == "SP Art 7" and relative.period_days == 3 * 365
    assert "the authority's knowledge of the damage" in relative.explanation

    with pytest.raises(CommandRefused, match="not in the case register"):
        await run_command(stack.client, cid, "link_case", LinkCase(case_id="aia-sk-nothing"))
    aia = await start_aia(stack, f"RM-AIA-{uuid.uuid4().hex[:6]}")
    assert await eventually(lambda: _registered(stack, aia.case_id))
    await run_command(stack.client, cid, "link_case", LinkCase(case_id=aia.case_id))
    assert (await read_case(stack, cid)).details.linked_cases == [aia.case_id]
    with pytest.raises(CommandRefused, match=r"not been evaluated yet \(SP Art 5\(2\)\(b\)\)"):
        await run_command(stack.client, cid, "decide_measures", DECISION)
    await run_command(stack.client, cid, "evaluate_damage", EVALUATION)
    result = await run_command(stack.client, cid, "decide_measures", DECISION)
    assert result.stage == "measures_ongoing"
    decided = await today(stack)
    case = await read_case(stack, cid)
    first, second = case.details.measures
    assert (first.article, first.due) == ("SP Art 2(2)(d)(i)", decided + timedelta(days=20))
    assert (second.article, second.due) == ("SP Art 2(2)(d)(ii)(b)", decided + timedelta(days=90))
    assert case.details.restoration_not_possible == "The meadow's soil was ploughed in 2026"
    assert deadline(case, "follow_up").due == decided + timedelta(days=30)
    (letter,) = await eventually(lambda: letters(stack, cid, OPERATOR, "Article 5(2) and 5(6)"))
    body = letter.get_body().get_content()
    assert "Administrative review by the Ministry" in body and "does not suspend" in body

    # SP Art 5(6): recourse to remedies does not impede the measures (the default).
    await run_command(
        stack.client, cid, "request_review",
        RequestReview(kind="administrative", body="Ministry", grounds="Too costly"),
    )  # fmt: skip
    case = await read_case(stack, cid)
    assert case.stage == "measures_ongoing" and case.details.suspended_since is None
    assert "the measures go on: recourse to remedies does not impede them" in (
        case.history[-1].summary
    )

    await advance(stack, 21)  # the operator's 20 days pass with measure 1 open
    case = await eventually(lambda: at_stage(stack, cid, "operator_failed"))
    assert any("may implement it itself (SP Art 5(4))" in s.summary for s in case.history)
    await advance(stack, 10)  # the first follow-up check, 30 days after the decision
    case = await eventually(lambda: _if(read_case(stack, cid), lambda c: c.details.follow_ups == 1))
    assert deadline(case, "follow_up").due == decided + timedelta(days=60)
    assert await eventually(lambda: letters(stack, cid, OPERATOR, "Article 5(2)) –"))
    await run_command(
        stack.client, cid, "take_over", TakeOver(measures=[1], reasons="No fence after 30 days")
    )
    case = await read_case(stack, cid)
    assert case.stage == "measures_ongoing" and case.details.measures[0].by_authority
    assert deadline(case, "measure-1").status == DeadlineStatus.CANCELLED
    await run_command(stack.client, cid, "follow_up", FollowUp(findings="Fence erected by us"))
    await run_command(
        stack.client, cid, "decide_review", ReviewOutcome(outcome="upheld", reasons="Lawful")
    )
    with pytest.raises(InvalidCommand, match="there is no measure 3: the case has 2"):
        await run_command(
            stack.client, cid, "confirm_completion", ConfirmCompletion(measure=3, findings="x")
        )
    await run_command(
        stack.client, cid, "confirm_completion", ConfirmCompletion(measure=1, findings="Fenced")
    )
    await advance(stack, 20)
    await run_command(
        stack.client, cid, "confirm_completion",
        ConfirmCompletion(measure=2, findings="Meadow sown and established"),
    )  # fmt: skip
    case = await read_case(stack, cid)
    assert case.stage == "cost_recovery" and "follow_up" not in [d.key for d in case.deadlines]

    # SP Art 5(5), 8: recovered within the financial limit.
    with pytest.raises(CommandRefused, match="no costs have been recorded"):
        await run_command(stack.client, cid, "demand_costs", DemandCosts())
    costs = RecordCosts.model_validate(
        {"items": [
            {"kind": "evaluation", "description": "PCR analyses", "amount": 400_000},
            {"kind": "measures", "description": "Fencing by the authority", "amount": 800_000},
        ]}
    )  # fmt: skip
    await run_command(stack.client, cid, "record_costs", costs)
    await run_command(stack.client, cid, "demand_costs", DemandCosts())
    case = await read_case(stack, cid)
    demand = case.details.demand
    assert (demand.total, demand.recoverable) == (1_200_000, 1_000_000)
    assert "limited to 1000000 HUF (SP Art 8)" in demand.explanation
    payment = deadline(case, "payment")
    assert payment.due == await today(stack) + timedelta(days=30)
    (claim,) = await eventually(lambda: letters(stack, cid, OPERATOR, "Article 5(5)"))
    assert "1000000 HUF" in claim.get_body().get_content()
    await run_command(stack.client, cid, "record_payment", RecordPayment(amount=600_000))
    assert (await read_case(stack, cid)).stage == "cost_recovery"
    await run_command(stack.client, cid, "record_payment", RecordPayment(amount=400_000))
    final = await finished(stack, cid)
    assert final.stage == "response_completed" and final.closed
    assert deadline(final, "payment").status == DeadlineStatus.MET
    kinds = [s.kind for s in final.history]
    for kind in ("operator_failed", "follow_up", "authority_measures", "review_requested",
                 "review_decided", "measures_completed", "costs_demanded", "closed"):  # fmt: skip
        assert kind in kinds
    row = await stack.pool.fetchrow("SELECT stage, closed FROM cases WHERE case_id = $1", cid)
    assert row is not None and row["stage"] == "response_completed" and row["closed"]
    await record_history(stack, cid, "response_completed_after_operator_failed")


async def test_a_case_outside_the_scope_closes_with_its_reasons(stack: Stack) -> None:
    """SP Art 3(4): a movement that started before the entry into force for the Party; 3(5):
    damage outside national jurisdiction; and a Party with no Supplementary Protocol status."""
    settings = settings_for(stack, "SI")
    await sp_in_force(stack, "SI", date(2019, 1, 2))
    movement = {"kind": "unintentional", "started_on": "2019-03-01", "party_of_export": "AT"}
    case = await open_response(
        stack, settings, report(movement=movement, within_national_jurisdiction=False)
    )
    final = await finished(stack, case.case_id)
    assert final.stage == "out_of_scope" and final.closed
    reasons = final.details.scope_refusals
    assert any("SP Art 3(5)" in r for r in reasons)
    assert any(
        "started on 2019-03-01, before the Supplementary Protocol entered into force for SI on "
        "2019-04-02 (SP Art 3(4)" in r
        for r in reasons
    )
    assert "SP Art 3(4)" in final.stage_text and final.deadlines == []
    (letter,) = await eventually(lambda: letters(stack, final.case_id, OPERATOR, "Article 5"))
    assert "SP Art 3(4)" in letter.get_body().get_content()
    await record_history(stack, final.case_id, "response_out_of_scope")

    lone = await open_response(stack, settings_for(stack, "LV"), report())
    final = await finished(stack, lone.case_id)
    (reason,) = final.details.scope_refusals
    assert "no entry into force of the Supplementary Protocol for LV is recorded" in reason


async def test_a_suspending_review_and_an_exemption(stack: Stack) -> None:
    """With the domestic setting, a review suspends the measures: their terms keep the days
    they had left; SP Art 6: an exemption domestic law does not provide is refused, one it
    provides closes the case."""
    settings = settings_for(stack, "HR", review_suspends=True)
    await sp_in_force(stack, "HR")
    case = await open_response(stack, settings, report(basis="likelihood", reported_by="authority",
                                                       operator=None))  # fmt: skip
    cid = case.case_id
    await eventually(lambda: at_stage(stack, cid, "damage_evaluation"))
    await run_command(stack.client, cid, "evaluate_damage", EVALUATION)
    decision = DECISION.model_copy(update={"restoration": None})
    await run_command(stack.client, cid, "decide_measures", decision)
    decided = await today(stack)
    await advance(stack, 5)
    await run_command(
        stack.client, cid, "request_review",
        RequestReview(kind="judicial", body="Győr Court", grounds="Not the operator"),
    )  # fmt: skip
    case = await read_case(stack, cid)
    assert case.stage == "measures_suspended" and case.details.suspended_since == decided + (
        timedelta(days=5)
    )
    assert [d.key for d in case.deadlines] == ["relative_limit", "absolute_limit"]
    with pytest.raises(CommandRefused, match="suspended pending review"):
        await run_command(stack.client, cid, "follow_up", FollowUp(findings="x"))
    await advance(stack, 40)  # past the original 20 days: nothing fails while suspended
    case = await read_case(stack, cid)
    assert case.stage == "measures_suspended" and case.details.follow_ups == 0
    await run_command(
        stack.client, cid, "decide_review", ReviewOutcome(outcome="upheld", reasons="Lawful")
    )
    resumed = await today(stack)
    case = await read_case(stack, cid)
    measure = deadline(case, "measure-1")
    assert measure.due == resumed + timedelta(days=15)  # 20 days, 5 used before the review
    assert "end of the suspension pending review" in measure.explanation

    other = ApplyExemption.model_validate(
        {"ground": "other", "reasons": "x", "result": {"effect": "close"}}
    )
    with pytest.raises(CommandRefused, match=r"provides no 'other' exemption \(SP Art 6"):
        await run_command(stack.client, cid, "apply_exemption", other)
    war = ApplyExemption.model_validate(
        {"ground": "war_or_civil_unrest", "reasons": "The area is a zone of armed conflict",
         "result": {"effect": "close"}}
    )  # fmt: skip
    await run_command(stack.client, cid, "apply_exemption", war)
    final = await finished(stack, cid)
    assert final.stage == "exempted" and "SP Art 6(1)(b)" in (final.details.exemption or "")
    await record_history(stack, cid, "response_suspending_review_and_exemption")


async def test_time_limits_bar_the_decision_and_no_damage_closes(stack: Stack) -> None:
    """SP Art 7: the relative time limit (here 60 days from the authority's knowledge) passes
    before a decision: the case closes as time-barred. Art 2(3), 4: no causal link closes."""
    settings = settings_for(stack, "EE", relative_limit_days=60)
    await sp_in_force(stack, "EE")
    case = await open_response(stack, settings, report())
    cid = case.case_id
    await eventually(lambda: at_stage(stack, cid, "damage_evaluation"))
    await run_command(stack.client, cid, "evaluate_damage", EVALUATION)
    await advance(stack, 61)
    final = await finished(stack, cid)
    assert final.stage == "time_barred" and final.details.time_barred == ["relative_limit"]
    assert "60 days from the authority's knowledge of the damage" in final.history[-1].summary

    case = await open_response(stack, settings, report())
    await eventually(lambda: at_stage(stack, case.case_id, "damage_evaluation"))
    no_link = EvaluateDamage.model_validate(
        EVALUATION.model_dump()
        | {"causal_link": {"established": False, "reasons": "Conventional rape"}}
    )
    await run_command(stack.client, case.case_id, "evaluate_damage", no_link)
    final = await finished(stack, case.case_id)
    assert final.stage == "no_damage" and "no causal link (SP Art 4)" in final.history[-1].summary


async def test_a_long_case_continues_as_new_with_its_follow_ups(stack: Stack) -> None:
    """Follow-up checks are durable timers; a case followed up for years continues as new under
    the same id, its history and search attributes carried over."""
    settings = settings_for(stack, "LT", follow_up_days=7)
    await sp_in_force(stack, "LT")
    opened = procedures.RESPONSE_MEASURES.open(
        settings, report(), await today(stack), await stack.env.get_current_time()
    )
    start = opened.start.model_copy(update={"continue_as_new_after_events": 80})
    assert isinstance(start, ResponseStart)
    handle = await stack.client.start_workflow(
        ResponseMeasures.run, start, id=opened.case_id, task_queue=settings.task_queue,
        search_attributes=TypedSearchAttributes(opened.search_attributes),
    )  # fmt: skip
    first_run = (await handle.describe()).run_id
    cid = opened.case_id
    await eventually(lambda: at_stage(stack, cid, "damage_evaluation"))
    await run_command(stack.client, cid, "evaluate_damage", EVALUATION)
    long = DECISION.model_copy(update={"restoration": None})
    long.prevention[0].within_days = 3000
    await run_command(stack.client, cid, "decide_measures", long)
    await advance(stack, 7 * 12 + 1)
    description = await handle.describe()
    assert description.run_id != first_run
    case = await read_case(stack, cid)
    assert case.details.follow_ups == 12 and case.stage == "measures_ongoing"
    kinds = [s.kind for s in case.history]
    assert kinds[:4] == ["reported", "in_scope", "damage_evaluated", "measures_decided"]
    assert description.typed_search_attributes.get(sa.CASE_ID) == cid
    await run_command(
        stack.client, cid, "confirm_completion", ConfirmCompletion(measure=1, findings="Done")
    )
    assert (await read_case(stack, cid)).stage == "cost_recovery"


async def _if(read: Any, test: Any) -> Any:
    case = await read
    return case if test(case) else None
