"""Unintentional transboundary movements and emergencies (CP Art 17) end to end on the
time-skipping test server, with the real register (PostgreSQL), SMTP sink and BCH stand-in: the
notification "as soon as" the authority knows (17(1)), each affected State's contact point, each
organisation and the BCH told the items of 17(3)(a)-(e); a lapse of that period escalated; the
consultation and the emergency measures (17(4)) followed up at the set interval until the case
is closed; every refused command."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from api import procedures
from api.cases import open_case, run_command
from api.errors import CommandRefused, InvalidCommand
from tests.support.temporal import Stack, read_case, record_history
from tests.workflows.test_aia import advance, deadline, eventually, mails, today
from workflows.emergency import Emergency
from workflows.emergency.models import (
    CloseEmergency,
    Occurrence,
    RecordConsultation,
    RecordMeasure,
)
from workflows.models import CaseView, DeadlineStatus

AT_CONTACT = "art17@umweltbundesamt.example"
SK_CONTACT = "art17@enviro.example"
ORGANISATION = "emergency@eppo.example"

OCCURRENCE: dict[str, Any] = {
    "lmo_name": "Oilseed rape GT73",
    "lmo_id": "MON-ØØØ73-7",
    "a_quantities_and_characteristics": "About 2 tonnes of seed; tolerant to glyphosate.",
    "b_release_circumstances": "A lorry overturned on the M1 near Hegyeshalom; seed spilled "
    "along the verge and into a drainage channel that flows into the Leitha.",
    "b_release_date": "2026-11-28",
    "b_use_in_originating_party": "Imported for processing into oil; not authorised for "
    "cultivation.",
    "c_adverse_effects_and_risk_management": "Feral populations and gene flow to wild "
    "Brassicaceae along transport routes are possible; the verge is being cleaned and mown "
    "before flowering, volunteers monitored for three years.",
    "d_other_information": "The consignment's documents identify it under Art 18(2)(a).",
    "e_point_of_contact": {
        "name": "Dr Kiss Anna",
        "organisation": "Géntechnológiai Hatóság",
        "address": "Budapest, Hungary",
        "email": "gmo-emergency@authority.example",
        "phone": "+36 1 555 0100",
    },
    "affected_states": [
        {"party": "AT", "name": "Umweltbundesamt", "email": AT_CONTACT, "language": "en"},
        {"party": "SK", "name": "Ministry of Environment", "email": SK_CONTACT, "language": "hu"},
    ],
    "organisations": [{"name": "EPPO", "email": ORGANISATION}],
}


def occurrence(**overrides: Any) -> Occurrence:
    body = {"reference": f"EM-{uuid.uuid4().hex[:6]}"} | OCCURRENCE | overrides
    return Occurrence.model_validate(body)


async def open_emergency(stack: Stack, o: Occurrence, **settings: Any) -> Any:
    case, created = await open_case(
        stack.client,
        stack.settings.model_copy(update=settings),
        procedures.EMERGENCY,
        o,
        now=await stack.env.get_current_time(),
        pool=stack.pool,
    )
    assert created
    return case


async def when_consulting(stack: Stack, case_id: str) -> Any:
    case = await read_case(stack, case_id)
    return case if case.stage == "consulting_affected_states" else None


async def _async(value: Any) -> Any:
    return value


async def mail_to(stack: Stack, case_id: str, to: str) -> list[Any]:
    async def probe() -> list[Any]:
        return [m for m in mails(stack, case_id) if m["To"] == to]

    return await eventually(probe)


def text(message: Any) -> str:
    """A letter's body with its lines joined: assertions read phrases, not line breaks."""
    return " ".join(message.get_body().get_content().split())


def consult(party: str = "AT", kind: str = "consulted", **overrides: Any) -> RecordConsultation:
    body = {"party": party, "kind": kind, "summary": f"{party}: call with the contact point"}
    return RecordConsultation.model_validate(body | overrides)


def test_a_notification_that_lacks_items_of_17_3_is_refused_naming_each_letter() -> None:
    body = {"reference": "EM-1"} | {
        k: v for k, v in OCCURRENCE.items() if k not in ("d_other_information", "b_release_date")
    }
    body["e_point_of_contact"] = None
    with pytest.raises(ValueError, match="Article 17\\(3\\) requires") as refused:
        Occurrence.model_validate(body)
    message = str(refused.value)
    assert "(b) circumstances and estimated date of the release" in message
    assert "(d) any other relevant information" in message
    assert "(e) a point of contact for further information" in message
    assert "(a)" not in message and "(c)" not in message
    with pytest.raises(ValueError, match="\\(c\\) possible adverse effects"):
        Occurrence.model_validate(
            {"reference": "EM-2"} | OCCURRENCE | {"c_adverse_effects_and_risk_management": " "}
        )


async def test_release_notified_at_once_consulted_and_closed(stack: Stack) -> None:
    """17(1): on the day the authority knows, each affected State's contact point, the
    organisation and the BCH are notified with 17(3)(a)-(e), each message on its own; the
    period shows as met. 17(4): consultation, responses and measures are recorded, followed up
    every 14 days while open; the case closes, with reasons, once every State was consulted."""
    case = await open_emergency(stack, occurrence())
    cid, learned = case.case_id, case.received_on
    assert cid.startswith("emergency-hu-em-") and case.procedure == "emergency"
    notify = deadline(case, "notify_affected_states")
    assert notify.article == "CP Art 17(1)" and notify.due == learned + timedelta(days=1)
    assert notify.explanation == f"1 day from knowledge of the occurrence {learned} = {notify.due}"
    assert notify.label_hu == "Az érintett államok, a BCH és a szervezetek értesítése"
    assert notify.status == DeadlineStatus.MET and notify.met_on == learned
    assert [s.kind for s in case.history] == ["release_known", "notifications_queued"]
    assert len(case.outgoing) == 4  # AT, SK, EPPO and the BCH: each on its own
    follow_up = deadline(case, "follow_up")
    assert follow_up.due == learned + timedelta(days=14) and not follow_up.authority_deadline

    case = await eventually(lambda: when_consulting(stack, cid))
    assert case is not None and {o.status for o in case.outgoing} == {"sent"}
    assert case.details.states_not_yet_consulted == ["AT", "SK"]
    to_at, to_sk, to_eppo = [
        await mail_to(stack, cid, to) for to in (AT_CONTACT, SK_CONTACT, ORGANISATION)
    ]
    (letter,) = to_at
    assert "Article 17(1)" in letter["Subject"] and letter["Subject"].startswith("URGENT")
    body = letter.get_body().get_content()
    assert "(a) Estimated quantities and relevant characteristics" in body
    assert (
        "About 2 tonnes of seed" in body
        and "Estimated date of the release: 28 November 2026" in body
    )
    assert "(e) Point of contact for further information: Dr Kiss Anna" in body
    assert "Austria is an affected or potentially affected State" in body
    assert "17. cikk (1) bekezdés" in to_sk[0]["Subject"]  # in the contact point's language
    assert "Szlovákia érintett vagy potenciálisan érintett állam" in text(to_sk[0])
    assert "The States notified are: Austria, Slovakia." in text(to_eppo[0])

    (publication,) = case.bch_publications
    drafts = await eventually(lambda: _async(list(stack.bch.decision_drafts().values())))
    (draft,) = drafts
    record = draft["body"]
    assert record["decisionTypes"] == [{"identifier": "83C0DBFB-AD5C-4B88-8ECE-5365991F2956"}]
    assert record["transboundaryMovementType"] == {
        "identifier": "22B915C4-193E-4087-89ED-D104EEEC4330"
    }
    assert record["releaseDate"] == "2026-11-28"
    assert "About 2 tonnes of seed" in record["estimatedQuantities"]["en"]
    assert "Hegyeshalom" in record["releaseCircumstance"]["en"]
    assert "decisionResult" not in record
    (poc,) = record["pointOfContact"]
    contact = stack.bch.state()["published"][poc["identifier"].split("@")[0]]
    assert contact["body"]["emails"] == ["gmo-emergency@authority.example"]
    assert publication.startswith("bch-")

    # 17(4): refused commands leave no trace.
    with pytest.raises(CommandRefused, match="DE is not among the affected"):
        await run_command(stack.client, cid, "record_consultation", consult("DE"))
    with pytest.raises(CommandRefused, match=r"AT, SK not yet consulted: Art 17\(4\)"):
        await run_command(stack.client, cid, "close_emergency", CloseEmergency(reasons="x"))
    tomorrow = await today(stack) + timedelta(days=1)
    with pytest.raises(InvalidCommand, match="occurred_on .* is in the future"):
        await run_command(stack.client, cid, "record_consultation", consult(occurred_on=tomorrow))
    with pytest.raises(InvalidCommand, match="taken_on 2026-11-27 is before the release"):
        measure = RecordMeasure(taken_by="x", description="y", taken_on="2026-11-27")
        await run_command(stack.client, cid, "record_measure", measure)
    assert [s.kind for s in (await read_case(stack, cid)).history] == [
        "release_known", "notifications_queued",
    ]  # fmt: skip

    await run_command(stack.client, cid, "record_consultation", consult("AT"))
    measure = RecordMeasure(
        taken_by="the authority", description="Verge cleaned; drainage channel netted."
    )
    result = await run_command(stack.client, cid, "record_measure", measure)
    assert result.summary == "Emergency measure 1 recorded"

    await advance(stack, 15)  # the first follow-up, 14 days after the notification
    case = await read_case(stack, cid)
    (step,) = [s for s in case.history if s.kind == "follow_up"]
    assert "not yet consulted: SK; no response yet from: AT, SK" in step.summary
    assert case.details.follow_ups == [learned + timedelta(days=14)]
    assert deadline(case, "follow_up").due == learned + timedelta(days=28)
    (officers,) = await eventually(
        lambda: _async(
            [m for m in mails(stack, cid) if m["X-Template"] == "en/emergency_follow_up"]
        )
    )
    follow_up_body = text(officers)
    assert "Not yet consulted: Slovakia" in follow_up_body
    assert "the authority: Verge cleaned; drainage channel netted." in follow_up_body

    await run_command(
        stack.client, cid, "record_consultation",
        consult("SK", "response", summary="Slovakia monitors the Danube bank downstream."),
    )  # fmt: skip
    case = await read_case(stack, cid)
    assert case.details.states_not_yet_consulted == []
    assert case.details.states_without_response == ["AT"]
    await run_command(
        stack.client, cid, "close_emergency",
        CloseEmergency(reasons="No volunteers found after two mowings; the States agree."),
    )  # fmt: skip
    final: CaseView[Any] = await stack.client.get_workflow_handle_for(Emergency.run, cid).result()
    assert final.closed and final.stage == "emergency_over"
    assert [d.key for d in final.deadlines] == ["notify_affected_states"]
    with pytest.raises(CommandRefused, match="the case is closed"):
        await run_command(stack.client, cid, "record_measure", measure)
    await record_history(stack, cid, "emergency_notified_consulted_closed")


async def test_a_release_entered_late_lapses_and_is_escalated_then_notified(
    stack: Stack,
) -> None:
    """17(1): "as soon as the Party knows". A case entered three days after the authority knew
    has missed its own one-day limit: the lapse is recorded and escalated to the head of unit,
    and the notifications still go out at once (met late)."""
    learned = await today(stack) - timedelta(days=3)
    case = await open_emergency(stack, occurrence(learned_on=learned.isoformat()))
    cid = case.case_id
    assert [s.kind for s in case.history] == [
        "release_known", "deadline_missed", "notifications_queued",
    ]  # fmt: skip
    notify = deadline(case, "notify_affected_states")
    assert notify.status == DeadlineStatus.MET_LATE
    assert notify.due == learned + timedelta(days=1) and notify.met_on == learned + timedelta(3)

    async def both() -> list[Any]:  # to the head of unit and to the officers, each its own
        sent = [m for m in mails(stack, cid) if m["X-Template"] == "en/deadline_missed"]
        return sent if len(sent) == 2 else []

    escalations = await eventually(both)
    assert {m["To"] for m in escalations} == {
        "head@authority.example",
        "officers@authority.example",
    }
    assert "Affected States, the BCH and organisations notified" in escalations[0]["Subject"]
    await record_history(stack, cid, "emergency_entered_late_escalated")


async def test_follow_ups_repeat_at_the_set_interval_until_closed(stack: Stack) -> None:
    """17(4) sets no end to the consultation: the case follows up every N days (a setting,
    snapshotted when the case opens) for as long as it is open, and never lapses."""
    case = await open_emergency(stack, occurrence(organisations=[]), emergency_follow_up_days=5)
    cid, learned = case.case_id, case.received_on
    assert deadline(case, "follow_up").period_days == 5
    await advance(stack, 16)
    case = await read_case(stack, cid)
    assert case.details.follow_ups == [learned + timedelta(days=n) for n in (5, 10, 15)]
    assert [s.summary.split(" of ")[0] for s in case.history if s.kind == "follow_up"] == [
        "Follow-up 1", "Follow-up 2", "Follow-up 3",
    ]  # fmt: skip
    assert not case.overdue and "deadline_missed" not in [s.kind for s in case.history]
    nxt = case.next_deadline
    assert nxt is not None and nxt.key == "follow_up" and nxt.due == learned + timedelta(20)
    assert nxt.explanation == (
        f"5 days from the last follow-up (or the notification) {learned + timedelta(15)} = "
        f"{learned + timedelta(20)}"
    )
