"""BCH publication as its own durable process (workflows/bch_publication.py), against the real
BCH stand-in on the time-skipping server: request, focal point approval, reminders, lapse,
refusal and correction, and an outage longer than any retry interval."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError

from api.cases import run_command
from tests.support.temporal import Stack
from tests.workflows.test_aia import RA, advance, eventually, mails, record_history, start
from workflows.aia.models import Acknowledge, Decide
from workflows.bch_publication import (
    BchCorrection,
    BchPublicationStart,
    BchPublicationWorkflow,
    PublicationState,
    PublicationView,
    publication_workflow_id,
)


async def decide_case(stack: Stack, reference: str) -> tuple[str, str]:
    """A case decided today; returns (case id, id of its decision's publication workflow)."""
    case = await start(stack, reference)
    cid = case.case_id
    await run_command(stack.client, cid, "acknowledge", Acknowledge())
    await run_command(stack.client, cid, "record_risk_assessment", RA)
    await run_command(
        stack.client,
        cid,
        "decide",
        Decide(result="prohibition", reasons="Gene flow to wild relatives cannot be excluded."),
    )
    return cid, publication_workflow_id(f"{cid}:bch:decision")


async def publication(stack: Stack, workflow_id: str) -> PublicationView:
    handle = stack.client.get_workflow_handle_for(BchPublicationWorkflow.run, workflow_id)
    return await handle.query(BchPublicationWorkflow.view)


async def state_becomes(stack: Stack, workflow_id: str, state: PublicationState) -> PublicationView:
    async def probe() -> PublicationView | None:
        try:
            view = await publication(stack, workflow_id)
        except Exception:  # not started yet
            return None
        return view if view.state == state else None

    view = await eventually(probe)
    assert view is not None, f"{workflow_id} never became {state}"
    return view


async def test_decision_is_published_after_the_focal_point_approves(stack: Stack) -> None:
    cid, pid = await decide_case(stack, "PUB-1")
    view = await state_becomes(stack, pid, PublicationState.REQUESTED)
    assert view.window_ends_on == view.requested_on + timedelta(days=83)  # type: ignore[operator]
    assert view.request_id is not None
    # The case itself is finished: publication does not hold it open.
    case_handle = stack.client.get_workflow_handle(cid)
    await case_handle.result()
    stack.bch.approve(view.request_id)
    await advance(stack, 1)
    view = await state_becomes(stack, pid, PublicationState.PUBLISHED)
    assert view.public_id and view.public_id.startswith("bch-dec-hu-")
    # One decision. Its importer is a contact record of its own that the decision references
    # (the BCH keeps exporters and importers as references); the exporter's Annex I contact
    # details give no e-mail address, which a contact record needs, so it is named in the text
    # and the officer is told why.
    [decision] = stack.bch.published_decisions().values()
    assert "exporters" not in decision["body"]
    [importer] = decision["body"]["importers"]
    contact = stack.bch.state()["published"][importer["identifier"].split("@")[0]]
    assert contact["body"]["header"]["schema"] == "contact"
    assert contact["body"]["emails"] == ["kutatas@alfold.example"]
    assert contact["body"]["country"] == {"identifier": "hu"}
    notes = [s.summary for s in view.history if s.summary.startswith("Note for the officer")]
    assert any("Exporter" in note and "e-mail address" in note for note in notes)

    async def outcome_mail() -> list[object]:
        return [m for m in mails(stack, cid) if m["X-Template"] == "en/bch_publication_outcome"]

    assert len(await eventually(outcome_mail)) == 1


async def test_reminders_then_lapse_then_resubmission(stack: Stack) -> None:
    cid, pid = await decide_case(stack, "PUB-LAPSE")
    await state_becomes(stack, pid, PublicationState.REQUESTED)
    await advance(stack, 84)
    view = await state_becomes(stack, pid, PublicationState.LAPSED)
    reminders = [s for s in view.history if s.summary.startswith("Reminder")]
    assert len(reminders) == 3  # days 30, 60 and 76 of the focal point's 83
    assert "lapsed" in view.history[-1].summary
    # A lapsed request can be renewed as it is; the new request is a new record.
    handle = stack.client.get_workflow_handle_for(BchPublicationWorkflow.run, pid)
    await handle.execute_update(
        BchPublicationWorkflow.resubmit, BchCorrection(note="focal point back from leave")
    )
    view = await state_becomes(stack, pid, PublicationState.REQUESTED)
    assert view.submissions == 2
    assert view.request_id is not None
    stack.bch.approve(view.request_id)
    await advance(stack, 1)
    await state_becomes(stack, pid, PublicationState.PUBLISHED)
    await handle.result()
    await record_history(stack, pid, "bch_publication_lapse_and_renewal")


async def test_refused_record_waits_for_correction_and_resubmission(stack: Stack) -> None:
    """A record our own schema refuses (a prohibition without reasons, Art 10(4)) is never sent;
    the officer sees why, corrects it and resubmits."""
    cid, _ = await decide_case(stack, "PUB-REFUSED")
    decision_pid = publication_workflow_id(f"{cid}:bch:decision")
    template = (await state_becomes(stack, decision_pid, PublicationState.REQUESTED)).record
    record = template.model_copy(
        update={"message_key": f"{cid}:bch:manual", "reasons": None, "title": "Prohibition"}
    )
    pid = publication_workflow_id(record.message_key)
    handle = await stack.client.start_workflow(
        BchPublicationWorkflow.run,
        BchPublicationStart(
            case_id=cid, purpose="manual", record=record, officer_email="officers@authority.example"
        ),
        id=pid,
        task_queue=stack.settings.task_queue,
    )
    view = await state_becomes(stack, pid, PublicationState.VALIDATION_FAILED)
    assert any(e.get("property") == "reasons" for e in view.errors), view.errors
    # Nothing was sent to the BCH.
    assert not [c for c in stack.bch.calls() if "manual" in str(c)]
    # A resubmission that corrects nothing is refused.
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(BchPublicationWorkflow.resubmit, BchCorrection())
    await handle.execute_update(
        BchPublicationWorkflow.resubmit,
        BchCorrection(reasons="Gene flow to wild relatives cannot be excluded.", note="added"),
    )
    view = await state_becomes(stack, pid, PublicationState.REQUESTED)
    assert view.errors == []
    await record_history(stack, pid, "bch_publication_refused_then_corrected_open")


async def test_bch_outage_longer_than_any_retry_interval_loses_nothing(stack: Stack) -> None:
    stack.bch.set_faults("fail")
    cid, pid = await decide_case(stack, "PUB-OUTAGE")
    await state_becomes(stack, pid, PublicationState.SUBMITTING)
    await advance(stack, 3)  # three days of 503s: retried with backoff capped at one hour
    view = await publication(stack, pid)
    assert view.state == PublicationState.SUBMITTING
    stack.bch.set_faults("none")
    await advance(stack, 0.05)
    view = await state_becomes(stack, pid, PublicationState.REQUESTED)
    assert len(stack.bch.pending_requests()) == 1


async def test_bch_refuses_an_unknown_lmo_record_and_the_officer_corrects_it(
    stack: Stack,
) -> None:
    """The BCH checks references our own schema cannot: a decision naming an LMO record that
    does not exist is refused by the BCH's validation; the publication shows the error, the
    officer corrects the reference and the record goes through."""
    from infra.bch_standin_state import SEEDED_LMO_RECORDS

    case = await start(stack, "PUB-BADREF")
    cid = case.case_id
    await run_command(stack.client, cid, "acknowledge", Acknowledge())
    await run_command(stack.client, cid, "record_risk_assessment", RA)
    unknown = "0B0E0E0E-0000-4000-8000-000000000000@1"
    await run_command(
        stack.client,
        cid,
        "decide",
        Decide(
            result="prohibition",
            reasons="Gene flow to wild relatives cannot be excluded.",
            bch_modified_organisms=[unknown],
        ),
    )
    pid = publication_workflow_id(f"{cid}:bch:decision")
    view = await state_becomes(stack, pid, PublicationState.VALIDATION_FAILED)
    # The BCH's own report (answered 400, as documented), shown to the officer as it came.
    assert view.errors == [{"code": "Error.InvalidValue", "property": "modifiedOrganisms"}]
    validations = [
        c
        for c in stack.bch.calls()
        if c["path"].endswith("/validate") and "schema=biosafetyDecision" in c["query"]
    ]
    assert [c["status"] for c in validations] == [400]
    assert "The record was refused: modifiedOrganisms: Error.InvalidValue" in [
        step.summary for step in view.history
    ]
    assert not stack.bch.pending_requests()

    async def officer_told() -> list[object]:
        return [m for m in mails(stack, cid) if m["X-Template"] == "en/bch_validation_failed"]

    assert len(await eventually(officer_told)) == 1
    handle = stack.client.get_workflow_handle_for(BchPublicationWorkflow.run, pid)
    await handle.execute_update(
        BchPublicationWorkflow.resubmit,
        BchCorrection(
            modified_organisms=[SEEDED_LMO_RECORDS["MON-8746Ø-4"]],
            note="LMO record id looked up on the BCH",
        ),
    )
    view = await state_becomes(stack, pid, PublicationState.REQUESTED)
    assert view.record.modified_organisms == [SEEDED_LMO_RECORDS["MON-8746Ø-4"]]
    assert len(stack.bch.pending_requests()) == 1


async def test_a_contact_the_bch_refuses_is_corrected_by_the_officer(stack: Stack) -> None:
    """The exporter's contact record is the BCH's to validate too: its errors name the party,
    the officer corrects the party and resubmits, and the decision references the new contact."""
    from activities.bch import BchParty

    cid, decision_pid = await decide_case(stack, "PUB-CONTACT")
    template = (await state_becomes(stack, decision_pid, PublicationState.REQUESTED)).record
    exporter = BchParty(
        name="Acme Seeds B.V.",
        address="Wageningen",
        country="AA",  # our schema accepts the form; the BCH's thesaurus knows no such country
        contact="Jan de Vries, regulatory@acme-seeds.example",
    )
    record = template.model_copy(
        update={"message_key": f"{cid}:bch:contact-check", "exporters": [exporter]}
    )
    pid = publication_workflow_id(record.message_key)
    handle = await stack.client.start_workflow(
        BchPublicationWorkflow.run,
        BchPublicationStart(
            case_id=cid,
            purpose="contact",
            record=record,
            officer_email="officers@authority.example",
        ),
        id=pid,
        task_queue=stack.settings.task_queue,
    )
    view = await state_becomes(stack, pid, PublicationState.VALIDATION_FAILED)
    assert view.errors == [{"code": "Error.UnexpectedTerm", "property": "exporters[0].country"}]
    assert len(stack.bch.pending_requests()) == 1  # the case's own decision only

    fixed = exporter.model_copy(update={"country": "NL"})
    await handle.execute_update(
        BchPublicationWorkflow.resubmit,
        BchCorrection(exporters=[fixed], note="country code corrected"),
    )
    view = await state_becomes(stack, pid, PublicationState.REQUESTED)
    assert view.record.exporters == [fixed]
    assert "Resubmitted by case-officer (exporters): country code corrected" in [
        s.summary for s in view.history
    ]
    draft = stack.bch.state()["drafts"][view.document_uid]["body"]
    [reference] = draft["exporters"]
    contact = stack.bch.state()["published"][reference["identifier"].split("@")[0]]
    assert contact["body"]["country"] == {"identifier": "nl"}
