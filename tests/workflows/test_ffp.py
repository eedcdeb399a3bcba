"""Food, feed or processing (CP Art 11, Annex II) end to end on the time-skipping test server,
with the real register (PostgreSQL), SMTP sink and BCH stand-in: the 15 days to inform the
Parties through the BCH (11(1)), other Parties' requests for additional information (11(3)) and
the 270 days before a first import (11(6)); every refused command."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from api import procedures
from api.cases import open_case, run_command
from api.errors import CommandRefused, InvalidCommand
from tests.support.role_bodies import ANNEX_II
from tests.support.temporal import Stack, read_case, record_history
from tests.workflows.test_aia import advance, deadline, eventually, mails, today
from workflows.bch_publication import BchPublicationWorkflow
from workflows.ffp import FoodFeedProcessing
from workflows.ffp.models import (
    AnswerInformationRequest,
    CloseCase,
    CompleteAnnexII,
    Decide,
    DomesticDecision,
    FirstImportApplication,
    RequestInformation,
)
from workflows.models import CaseView, DeadlineStatus

FOCAL_POINT = "focal-point@bch-less.example"
REQUESTER = "cna@requesting-party.example"
APPLICANT = "regulatory@grain-traders.example"


def reference(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def domestic(**overrides: Any) -> DomesticDecision:
    body: dict[str, Any] = {
        "kind": "domestic_decision",
        "reference": reference("FFP"),
        "uses": ["food", "feed"],
        "result": "approval_with_conditions",
        "conditions": ["Labelled 'genetically modified' on every consignment"],
        "reasons": "No risk beyond that of conventional maize.",
        "annex_ii": ANNEX_II,
        "copies_to": [
            {"party": "BO", "name": "Focal point", "email": FOCAL_POINT, "language": "hu"}
        ],
    }
    return DomesticDecision.model_validate(body | overrides)


def first_import(**overrides: Any) -> FirstImportApplication:
    body: dict[str, Any] = {
        "kind": "first_import",
        "reference": reference("IMP"),
        "declaration": "1E027990-5D44-F3AF-75E3-715B60BFD3CD@1",
        "applicant": {"name": "Grain Traders", "address": "Budapest", "email": APPLICANT},
        "party_of_export": "US",
        "uses": ["processing"],
        "annex_ii": ANNEX_II,
    }
    return FirstImportApplication.model_validate(body | overrides)


async def open_ffp(stack: Stack, opening: DomesticDecision | FirstImportApplication) -> Any:
    case, created = await open_case(
        stack.client,
        stack.settings,
        procedures.FFP,
        opening,
        now=await stack.env.get_current_time(),
        pool=stack.pool,
    )
    assert created
    return case


async def closed(stack: Stack, case_id: str) -> CaseView[Any]:
    return await stack.client.get_workflow_handle_for(FoodFeedProcessing.run, case_id).result()


async def when(stack: Stack, case_id: str, stage: str) -> Any:
    case = await read_case(stack, case_id)
    return case if case.stage == stage else None


def ask(**overrides: Any) -> RequestInformation:
    body: dict[str, Any] = {
        "requesting_party": "BO",
        "requester": {"name": "CNA of Bolivia", "address": "La Paz", "email": REQUESTER},
        "items": ["Event-specific detection method"],
    }
    return RequestInformation.model_validate(body | overrides)


async def test_a_decision_informs_the_parties_within_15_days_and_answers_a_request(
    stack: Stack,
) -> None:
    """11(1): the decision and Annex II go to the BCH at once, a copy in writing to the focal
    point of a Party without BCH access; the 15 days are met once the record is handed to the
    BCH publication process. 11(3): a request is recorded and answered; then the file closes."""
    case = await open_ffp(stack, domestic())
    cid, decided = case.case_id, case.received_on
    assert cid.startswith("ffp-hu-ffp-") and case.details.missing_annex_ii_items == []
    inform = deadline(case, "inform_parties")
    assert inform.due == decided + timedelta(days=15) and inform.article == "CP Art 11(1)"
    assert inform.explanation == f"15 days from the decision {decided} = {inform.due}"
    case = await eventually(lambda: when(stack, cid, "parties_informed"))
    assert case.details.informed_on == decided
    assert deadline(case, "inform_parties").status == DeadlineStatus.MET
    assert [s.kind for s in case.history] == ["decided", "bch_record_queued", "parties_informed"]
    (publication,) = case.bch_publications
    record = (
        await stack.client.get_workflow_handle_for(BchPublicationWorkflow.run, publication).query(
            BchPublicationWorkflow.view
        )
    ).record
    assert record.decision_result == "approval_with_conditions"
    assert record.title.startswith("Food, feed or processing (Art 11): Maize MON 810")
    assert "(c) name and identity of the living modified organism: Maize MON 810" in (
        record.reasons or ""
    )
    assert record.lmo_unique_identifier == "MON-ØØ81Ø-6"

    # On the BCH: the direct-use subject (Art 11) with its domestic-use narrower subject, and
    # the one use the thesaurus names ("food"), valid on the strict stand-in.
    async def drafted() -> list[dict[str, Any]]:
        drafts = stack.bch.decision_drafts().values()
        return [d["body"] for d in drafts if cid in d["body"]["title"]["en"]]

    (body,) = await eventually(drafted)
    assert body["decisionTypes"] == [
        {"identifier": "BE64016A-C3BD-4C61-9620-C3FEF96B2A24"},
        {"identifier": "C15E5CD8-B6F9-41AE-A09C-7EF5F73B0507"},
    ]
    assert body["uses"] == [{"identifier": "91BEAF12-ABE1-4294-AD3B-507935894C78"}]
    assert body["takenInAccordanceWithA116"] is False
    assert "addressesTransboundaryMovement" not in body
    (copy,) = await eventually(
        lambda: _async([m for m in mails(stack, cid) if m["To"] == FOCAL_POINT])
    )
    assert "11. cikk (1) bekezdés" in copy["Subject"]  # in the focal point's language
    body = copy.get_body().get_content()
    assert "b) A döntésért felelős hatóság neve és elérhetősége: Géntechnológiai Hatóság" in body

    with pytest.raises(CommandRefused, match=r"recorded when the case opened \(Art 11\(1\)\)"):
        await run_command(
            stack.client,
            cid,
            "decide_first_import",
            Decide(result="approval", risk_assessment_summary="x"),
        )
    with pytest.raises(CommandRefused, match="went to the BCH on"):
        await run_command(
            stack.client, cid, "complete_annex_ii", CompleteAnnexII(annex_ii={"c_lmo_name": "y"})
        )
    with pytest.raises(InvalidCommand, match="in the future"):
        tomorrow = await today(stack) + timedelta(days=1)
        await run_command(
            stack.client, cid, "record_information_request", ask(received_on=tomorrow)
        )
    with pytest.raises(InvalidCommand, match="before the decision"):
        yesterday = decided - timedelta(days=1)
        await run_command(
            stack.client, cid, "record_information_request", ask(received_on=yesterday)
        )

    await advance(stack, 3)
    result = await run_command(stack.client, cid, "record_information_request", ask())
    assert result.next_deadline is not None and result.next_deadline.key == "answer-1"
    assert result.next_deadline.due == decided + timedelta(days=3 + 30)
    assert result.next_deadline.article == "CP Art 11(3)"
    with pytest.raises(CommandRefused, match=r"request\(s\) 1 not yet answered"):
        await run_command(stack.client, cid, "close_file", CloseCase())
    with pytest.raises(InvalidCommand, match="there is no request 2"):
        await run_command(
            stack.client, cid, "answer_information_request",
            AnswerInformationRequest(request=2, answer="x"),
        )  # fmt: skip
    await advance(stack, 10)
    answer = AnswerInformationRequest(request=1, answer="The PCR method is with the EU-RL.")
    await run_command(stack.client, cid, "answer_information_request", answer)
    with pytest.raises(CommandRefused, match="request 1 was answered on"):
        await run_command(stack.client, cid, "answer_information_request", answer)
    case = await read_case(stack, cid)
    assert deadline(case, "answer-1").status == DeadlineStatus.MET
    assert "requester_email" not in case.details.model_dump_json()  # personal data stays in
    (letter,) = await eventually(
        lambda: _async([m for m in mails(stack, cid) if m["To"] == REQUESTER])
    )
    assert "Article 11(3)" in letter["Subject"]

    await run_command(
        stack.client, cid, "close_file", CloseCase(reason="Nothing further expected.")
    )
    final = await closed(stack, cid)
    assert final.closed and final.stage == "file_closed"
    with pytest.raises(CommandRefused, match="closed"):
        await run_command(stack.client, cid, "close_file", CloseCase())
    await record_history(stack, cid, "ffp_decision_informed_and_request_answered")


async def _async(value: Any) -> Any:
    return value


async def test_incomplete_annex_ii_holds_the_record_and_the_15_days_lapse(stack: Stack) -> None:
    """Art 11(1) asks for "at a minimum" the Annex II information: with items missing nothing
    goes to the BCH; the officers are reminded, the lapse on day 16 is escalated (the case stays
    open), and once the items are given the record goes out, late."""
    annex = {
        k: v
        for k, v in ANNEX_II.items()
        if k not in ("j_risk_assessment_report", "e_unique_identifier")
    }
    case = await open_ffp(stack, domestic(annex_ii=annex, copies_to=[]))
    cid, decided = case.case_id, case.received_on
    assert case.stage == "annex_ii_incomplete" and case.details.missing_annex_ii_items == ["j"]
    assert case.outgoing == [] and case.history[-1].kind == "annex_ii_incomplete"
    with pytest.raises(CommandRefused, match="not yet been informed"):
        await run_command(stack.client, cid, "close_file", CloseCase())
    with pytest.raises(InvalidCommand, match="no Annex II item given"):
        await run_command(stack.client, cid, "complete_annex_ii", CompleteAnnexII(annex_ii={}))

    await advance(stack, 16)
    case = await read_case(stack, cid)
    kinds = [s.kind for s in case.history]
    assert kinds.count("reminder") == 3  # 14, 7 and 1 days before (the 30-day one falls outside)
    assert "deadline_missed" in kinds and case.overdue and not case.closed
    inform = deadline(case, "inform_parties")
    assert inform.status == DeadlineStatus.MISSED and inform.days_overdue == 1
    assert any(m["To"] == "head@authority.example" for m in mails(stack, cid))

    await run_command(
        stack.client,
        cid,
        "complete_annex_ii",
        CompleteAnnexII(annex_ii={"j_risk_assessment_report": "National assessment 2027"}),
    )
    case = await eventually(lambda: when(stack, cid, "parties_informed"))
    inform = deadline(case, "inform_parties")
    assert inform.status == DeadlineStatus.MET_LATE
    assert inform.met_on == decided + timedelta(days=16)
    assert (
        "Annex II is complete"
        in next(s for s in case.history if s.kind == "annex_ii_completed").summary
    )


async def test_first_import_decided_within_270_days(stack: Stack) -> None:
    """Art 11(6): a Party that declared it uses the route decides before the first import within
    270 days of the application, on a risk assessment (11(6)(a)); the applicant is told, and the
    Parties are informed through the BCH within 15 days of the decision (11(1))."""
    case = await open_ffp(stack, first_import())
    cid, received = case.case_id, case.received_on
    assert case.stage == "application_received" and case.details.kind == "first_import"
    due = deadline(case, "first_import_decision")
    assert due.due == received + timedelta(days=270) and due.article == "CP Art 11(6)(b)"
    assert "(Art 11(7))" in case.history[0].summary
    with pytest.raises(CommandRefused, match="no decision has been taken yet"):
        await run_command(stack.client, cid, "record_information_request", ask())
    with pytest.raises(CommandRefused, match=r"still due \(Art 11\(6\)\)"):
        await run_command(stack.client, cid, "close_file", CloseCase())

    await advance(stack, 241)  # the 30-day reminder
    assert "reminder" in [s.kind for s in (await read_case(stack, cid)).history]
    decide = Decide(
        result="prohibition",
        reasons="Spillage in transport could not be excluded.",
        risk_assessment_summary="Moderate risk of spillage along the transport routes.",
        lack_of_scientific_certainty=True,
    )
    with pytest.raises(ValueError, match="reasons are required"):
        Decide.model_validate(decide.model_dump() | {"reasons": None})  # a 422 over HTTP
    # 241 days of 24 hours after receipt: the 241st day in the authority's zone, or the 242nd
    # when summer time began in between and the test runs in the last hour before midnight.
    decided_on = await today(stack)
    assert (decided_on - received).days in (241, 242)
    result = await run_command(stack.client, cid, "decide_first_import", decide)
    assert result.stage in ("informing_parties", "parties_informed")
    with pytest.raises(CommandRefused, match="the decision was taken on"):
        await run_command(stack.client, cid, "decide_first_import", decide)
    case = await eventually(lambda: when(stack, cid, "parties_informed"))
    decision = deadline(case, "first_import_decision")
    assert decision.status == DeadlineStatus.MET and decision.met_on == decided_on
    assert deadline(case, "inform_parties").status == DeadlineStatus.MET
    assert "(Art 11(8))" in next(s for s in case.history if s.kind == "decided").summary
    (letter,) = await eventually(
        lambda: _async([m for m in mails(stack, cid) if m["To"] == APPLICANT])
    )
    assert "Article 11(6)" in letter["Subject"]

    async def drafted() -> list[dict[str, Any]]:
        drafts = stack.bch.decision_drafts().values()
        return [d["body"] for d in drafts if cid in d["body"]["title"]["en"]]

    (body,) = await eventually(drafted)  # the import subject, taken under Art 11(6)
    assert body["decisionTypes"][1] == {"identifier": "0D0BEEF4-54E4-44C1-ABB2-B89DC145E0B3"}
    assert body["takenInAccordanceWithA116"] is True
    await record_history(stack, cid, "ffp_first_import_decided")


async def test_a_first_import_not_decided_in_270_days_lapses_and_stays_open(stack: Stack) -> None:
    """Art 11(7): failing to decide implies neither consent nor refusal; the lapse is recorded
    and escalated, and the case waits for the decision."""
    case = await open_ffp(stack, first_import())
    cid = case.case_id
    await advance(stack, 272)
    case = await read_case(stack, cid)
    assert case.stage == "application_received" and case.overdue and not case.closed
    assert deadline(case, "first_import_decision").status == DeadlineStatus.MISSED
    assert "deadline_missed" in [s.kind for s in case.history]
