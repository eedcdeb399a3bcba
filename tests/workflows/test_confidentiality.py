"""Confidential information (CP Art 21) end to end on the time-skipping test server, with the
real register (PostgreSQL) and SMTP sink: justification upon request (21(1)), consultation
before a rejection, the decision with reasons and the internal review before any disclosure
(21(2)), claims kept after a withdrawal (21(5)), the items that can never be confidential
(21(6)); each period and every refused command."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from api import procedures
from api.cases import open_case, run_command
from api.errors import CommandRefused, InvalidCommand
from tests.support.temporal import Stack, read_case, record_history
from tests.workflows.test_aia import advance, deadline, eventually, mails
from workflows import search_attributes as sa
from workflows.confidentiality import ConfidentialInformation
from workflows.confidentiality.models import (
    ClaimsOpening,
    ConsultationViews,
    DecideClaim,
    DecideReview,
    Disclose,
    GiveJustification,
    NotificationWithdrawn,
    OpenConsultation,
    RequestJustification,
    RequestReview,
)
from workflows.models import CaseView, DeadlineStatus

NOTIFIER = "regulatory@seeds.example"
SECRET = "Construct pX-17 with the proprietary promoter"  # what a justification may say


def claims(**overrides: Any) -> ClaimsOpening:
    body: dict[str, Any] = {
        "notification_case_id": f"aia-hu-conf-{uuid.uuid4().hex[:6]}",
        "notifier": {"name": "Example Seeds", "address": "1 Main St", "email": NOTIFIER},
        "party_of_export": "US",
        "lmo_name": "Maize MON 810",
        "lmo_id": "MON-ØØ81Ø-6",
        "claims": [{"item": "h"}, {"item": "j", "justification": "commercial planning"}],
    }
    return ClaimsOpening.model_validate(body | overrides)


async def open_claims(stack: Stack, opening: ClaimsOpening | None = None) -> Any:
    case, created = await open_case(
        stack.client,
        stack.settings,
        procedures.CONFIDENTIALITY,
        opening or claims(),
        now=await stack.env.get_current_time(),
        pool=stack.pool,
    )
    assert created
    return case


async def run(stack: Stack, cid: str, name: str, command: Any) -> Any:
    return await run_command(stack.client, cid, name, command)


async def closed(stack: Stack, case_id: str) -> CaseView[Any]:
    return await stack.client.get_workflow_handle_for(ConfidentialInformation.run, case_id).result()


def claim(case: Any, item: str) -> Any:
    return next(c for c in case.details.claims if c.item == item)


async def test_rejection_only_after_consultation_then_disclosure_after_the_review_window(
    stack: Stack,
) -> None:
    """21(1): a justification is requested and, when it does not come, its lapse is escalated.
    21(2): a rejection is refused before the notifier is consulted and while it may still give
    its views; the rejection, with reasons, opens the window for an internal review, and the
    item may be disclosed only once the window has passed without a request."""
    case = await open_claims(stack)
    cid, opened = case.case_id, case.received_on
    assert cid.startswith("conf-aia-hu-conf-") and case.stage == "claims_recorded"
    assert case.confidential_items == ["h", "j"]

    result = await run(stack, cid, "request_justification", RequestJustification(items=["h"]))
    assert result.stage == "justification_requested"
    case = await read_case(stack, cid)
    just = deadline(case, "justification-h")
    assert just.due == opened + timedelta(days=30) and just.article == "CP Art 21(1)"
    assert just.explanation == f"30 days from the request for justification {opened} = {just.due}"
    assert just.label_hu == "Az I. Melléklet h) pontjára vonatkozó igény indokolása"
    assert "az indokolás bekérése" in just.explanation_hu
    with pytest.raises(CommandRefused, match=r"justification of item \(h\) was requested on"):
        await run(stack, cid, "request_justification", RequestJustification(items=["h"]))
    with pytest.raises(CommandRefused, match=r"has no claim on Annex I item \(k\)"):
        await run(stack, cid, "request_justification", RequestJustification(items=["k"]))

    await advance(stack, 31)  # the notifier let the 30 days pass: officers are told
    case = await read_case(stack, cid)
    assert deadline(case, "justification-h").status == DeadlineStatus.MISSED
    assert "deadline_missed" in [s.kind for s in case.history]
    assert case.overdue
    # The Web UI: the case's search attributes and its current details, in words.
    desc = await stack.client.get_workflow_handle(cid).describe()
    attributes = desc.typed_search_attributes
    assert attributes.get(sa.PROCEDURE) == "confidentiality"
    assert attributes.get(sa.STAGE) == "justification_requested"
    assert attributes.get(sa.OVERDUE) is True and attributes.get(sa.LMO_ID) == "MON-ØØ81Ø-6"
    assert case.status_text.startswith(
        "Justification requested from the notifier (Art 21(1)); OVERDUE: justification of the "
        f"claim on annex i item (h) was due {just.due}, 1 day ago"
    )
    await eventually(
        lambda: _some(m for m in mails(stack, cid) if m["To"] == stack.settings.escalation_email)
    )

    rejection = DecideClaim(item="h", outcome="not_confidential", reasons="Published in a patent.")
    with pytest.raises(CommandRefused, match=r"must be consulted before .* \(Art 21\(2\)\)"):
        await run(stack, cid, "decide_claim", rejection)
    await run(stack, cid, "open_consultation", OpenConsultation(item="h", grounds="A patent."))
    case = await read_case(stack, cid)
    consult = deadline(case, "consultation-h")
    assert case.stage == "notifier_consulted" and consult.article == "CP Art 21(2)"
    assert consult.due == opened + timedelta(days=31 + 30)
    with pytest.raises(
        CommandRefused, match=f"being consulted on item \\(h\\) until {consult.due}"
    ):
        await run(stack, cid, "decide_claim", rejection)
    with pytest.raises(CommandRefused, match="was consulted on item"):
        await run(stack, cid, "open_consultation", OpenConsultation(item="h", grounds="again"))

    await advance(stack, 31)  # the consultation period ends without the notifier's views
    case = await read_case(stack, cid)
    assert "consultation_ended" in [s.kind for s in case.history]
    assert not deadline(case, "consultation-h").authority_deadline
    result = await run(stack, cid, "decide_claim", rejection)
    assert result.stage == "rejection_notified"
    case = await read_case(stack, cid)
    window = deadline(case, "review-window-h")
    decided = opened + timedelta(days=62)
    assert window.due == decided + timedelta(days=30)
    assert window.explanation == (
        f"30 days from the decision rejecting the claim {decided} = {window.due}"
    )
    with pytest.raises(CommandRefused, match=f"internal review of item \\(h\\) until {window.due}"):
        await run(stack, cid, "disclose", Disclose(item="h"))
    with pytest.raises(CommandRefused, match="was decided on"):
        await run(stack, cid, "decide_claim", rejection)

    await advance(stack, 31)  # no review asked for: the item may now be disclosed
    case = await read_case(stack, cid)
    assert claim(case, "h").stage_now == "disclosure_allowed"
    assert case.stage == "disclosure_allowed"  # before (j), which is only claimed
    with pytest.raises(CommandRefused, match=r"ended on .* \(Art 21\(2\)\)"):
        await run(stack, cid, "request_review", RequestReview(item="h", grounds="late"))
    await run(stack, cid, "disclose", Disclose(item="h"))
    with pytest.raises(CommandRefused, match=r"its claim is settled"):
        await run(stack, cid, "disclose", Disclose(item="h"))
    with pytest.raises(CommandRefused, match="has not been rejected after consulting"):
        await run(stack, cid, "disclose", Disclose(item="j"))
    await run(
        stack, cid, "decide_claim",
        DecideClaim(item="j", outcome="confidential", reasons="Commercial planning."),
    )  # fmt: skip

    final = await closed(stack, cid)
    assert final.stage == "claims_settled" and final.closed
    assert [c.stage_now for c in final.details.claims] == ["disclosed", "kept_confidential"]
    kinds = [s.kind for s in final.history]
    assert kinds[:2] == ["claims_recorded", "justification_requested"]
    assert kinds[-4:] == ["claim_decided", "review_window_ended", "disclosed", "claim_decided"]
    letters = [m for m in mails(stack, cid) if m["To"] == NOTIFIER]
    subjects = sorted(m["Subject"].split(" (")[0] for m in letters)
    assert subjects == [
        "Consultation on a confidentiality claim",
        "Decision on a confidentiality claim",
        "Decision on a confidentiality claim",
        "Justification of confidentiality claims requested",
    ]
    await record_history(stack, cid, "confidentiality_rejected_and_disclosed")


async def test_internal_review_before_any_disclosure_and_its_lapse(stack: Stack) -> None:
    """21(2): the notifier's views allow a decision at once; a review asked for in time holds
    any disclosure until it is decided; the authority's review deadline lapses and is
    escalated; a review that upholds the rejection allows the disclosure."""
    case = await open_claims(stack, claims(claims=[{"item": "h"}]))
    cid = case.case_id
    await run(stack, cid, "open_consultation", OpenConsultation(item="h", grounds="A patent."))
    with pytest.raises(CommandRefused, match="has not been rejected"):
        await run(stack, cid, "request_review", RequestReview(item="h", grounds="x"))
    await advance(stack, 5)
    await run(stack, cid, "give_views", ConsultationViews(item="h", views="Not the same."))
    with pytest.raises(CommandRefused, match="views on item"):
        await run(stack, cid, "give_views", ConsultationViews(item="h", views="again"))
    await run(
        stack, cid, "give_justification", GiveJustification(item="h", justification=SECRET)
    )  # fmt: skip
    await run(
        stack, cid, "decide_claim",
        DecideClaim(item="h", outcome="not_confidential", reasons="Published in a patent."),
    )  # fmt: skip
    with pytest.raises(CommandRefused, match="no internal review of item"):
        await run(stack, cid, "decide_review", DecideReview(
            item="h", outcome="rejection_upheld", reasons="x"))  # fmt: skip
    await advance(stack, 10)
    result = await run(stack, cid, "request_review", RequestReview(item="h", grounds="Unlike."))
    assert result.stage == "internal_review"
    assert result.next_deadline is not None and result.next_deadline.key == "review-decision-h"
    with pytest.raises(CommandRefused, match="review of item .* was requested on"):
        await run(stack, cid, "request_review", RequestReview(item="h", grounds="again"))
    await advance(stack, 31)  # past the window: the review asked for still holds the item
    with pytest.raises(CommandRefused, match="still to be decided"):
        await run(stack, cid, "disclose", Disclose(item="h"))

    await advance(stack, 30)  # 60 days for the authority's review decision have passed
    case = await read_case(stack, cid)
    review = deadline(case, "review-decision-h")
    assert review.status == DeadlineStatus.MISSED and review.authority_deadline
    assert "review_window_ended" not in [s.kind for s in case.history]
    await run(
        stack, cid, "decide_review",
        DecideReview(item="h", outcome="rejection_upheld", reasons="The patent is public."),
    )  # fmt: skip
    await run(stack, cid, "disclose", Disclose(item="h"))
    final = await closed(stack, cid)
    assert final.details.claims[0].stage_now == "disclosed"
    assert deadline(final, "review-decision-h").status == DeadlineStatus.MET_LATE
    # The justification stays with the case: not in its history (the audit log), nor in any
    # message (the letters name the item only).
    assert SECRET not in final.model_dump_json(exclude={"details"})
    assert all(SECRET not in m.as_string() for m in mails(stack, cid))
    await record_history(stack, cid, "confidentiality_review_upheld")


async def test_withdrawal_keeps_every_open_claim_confidential(stack: Stack) -> None:
    """21(5): when the notification is withdrawn, its claims stay confidential, the one whose
    rejection awaits the end of the review window included; the case ends."""
    case = await open_claims(stack)
    cid = case.case_id
    with pytest.raises(CommandRefused, match=r"has not been consulted on item \(h\)"):
        await run(stack, cid, "give_views", ConsultationViews(item="h", views="Early."))
    await run(stack, cid, "open_consultation", OpenConsultation(item="h", grounds="A patent."))
    await run(stack, cid, "give_views", ConsultationViews(item="h", views="Not the same."))
    await run(
        stack, cid, "decide_claim",
        DecideClaim(item="h", outcome="not_confidential", reasons="Published in a patent."),
    )  # fmt: skip
    with pytest.raises(CommandRefused, match=r"claim on item \(h\) was decided on"):
        await run(
            stack, cid, "give_justification", GiveJustification(item="h", justification="late")
        )  # fmt: skip
    with pytest.raises(InvalidCommand, match="in the future"):
        later = case.received_on + timedelta(days=2)
        await run(stack, cid, "notification_withdrawn", NotificationWithdrawn(withdrawn_on=later))
    await advance(stack, 3)
    await run(stack, cid, "notification_withdrawn", NotificationWithdrawn())
    final = await closed(stack, cid)
    assert final.stage == "protected_after_withdrawal"
    assert [c.stage_now for c in final.details.claims] == ["protected_after_withdrawal"] * 2
    assert deadline(final, "review-window-h").status == DeadlineStatus.CANCELLED
    with pytest.raises(CommandRefused, match="closed"):
        await run(stack, cid, "disclose", Disclose(item="h"))
    (letter,) = await eventually(
        lambda: _some(m for m in mails(stack, cid) if "Article 21(5)" in m["Subject"])
    )
    assert letter["To"] == NOTIFIER
    await record_history(stack, cid, "confidentiality_withdrawn")


@pytest.mark.parametrize(
    ("item", "paragraph"),
    [
        ("c", r"Art 21\(6\)\(b\)"),
        ("notifier", r"Art 21\(6\)\(a\)"),
        ("risk_assessment_summary", r"Art 21\(6\)\(c\)"),
        ("emergency_response", r"Art 21\(6\)\(d\)"),
    ],
)
def test_the_items_of_21_6_can_never_be_claimed(item: str, paragraph: str) -> None:
    with pytest.raises(ValidationError, match=f"can never be confidential: {paragraph}"):
        claims(claims=[{"item": item}])


def test_a_claim_names_an_annex_i_item_once() -> None:
    with pytest.raises(ValidationError, match="not an Annex I item"):
        claims(claims=[{"item": "z"}])
    with pytest.raises(ValidationError, match="claimed confidential once"):
        claims(claims=[{"item": "h"}, {"item": "h"}])


async def _some(items: Any) -> list[Any]:
    return list(items)
