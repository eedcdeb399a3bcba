"""Response measures under the Supplementary Protocol on Liability and Redress (SP Arts 2-8) as
the API declares it."""

from __future__ import annotations

from datetime import date, datetime

from api.errors import InvalidNotification
from api.procedures.spec import (
    CommandSpec,
    Opening,
    ProcedureSpec,
    receipt_date,
    snapshot,
    start_attributes,
)
from infra.settings import Settings
from workflows.models import Procedure
from workflows.response import ResponseMeasures
from workflows.response import commands as response_commands
from workflows.response import models as response
from workflows.response import opening as response_opening


def response_case_id(party: str, reference: str) -> str:
    return f"response-{party.lower()}-{reference.lower()}"


def policy(settings: Settings) -> response.ResponsePolicy:
    """What domestic law provides where the Supplementary Protocol leaves it to the Parties."""
    return response.ResponsePolicy(
        follow_up_days=settings.response_follow_up_days,
        review_suspends=settings.response_review_suspends,
        financial_limit=settings.response_financial_limit,
        currency=settings.response_currency,
        exemptions=tuple(settings.response_exemptions),
        relative_limit_days=settings.response_relative_limit_days,
        relative_limit_from=settings.response_relative_limit_from,
        absolute_limit_days=settings.response_absolute_limit_days,
        absolute_limit_from=settings.response_absolute_limit_from,
        payment_days=settings.response_payment_days,
    )


def _open_response(
    settings: Settings,
    o: response_opening.OperatorReport | response_opening.AuthorityFinding,
    today: date,
    now: datetime,
) -> Opening:
    party = settings.authority_party
    received_on = receipt_date(o.received_on, today, settings)
    if o.occurred_on is not None and o.occurred_on > received_on:
        raise InvalidNotification(
            f"occurred_on {o.occurred_on} is after the report of {received_on}: the damage is "
            "reported when it has occurred (or, for a likelihood of damage, leave it out)",
            rule="date-order",
            field="occurred_on",
        )
    if o.movement.started_on > received_on:
        raise InvalidNotification(
            f"started_on {o.movement.started_on} is after the report of {received_on}: the LMO "
            "finds its origin in a movement that had started (SP Art 3(1)); check the date",
            rule="date-order",
            article="SP Art 3(1)",
            field="movement.started_on",
        )
    case_id = response_case_id(party, o.reference)
    start = response.ResponseStart(
        case_id=case_id,
        opening=o,
        received_on=received_on,
        policy=policy(settings),
        **snapshot(settings, now),
    )
    return Opening(
        case_id=case_id,
        start=start,
        received_on=received_on,
        fingerprint=response_opening.fingerprint(o),
        search_attributes=start_attributes(
            case_id,
            Procedure.RESPONSE_MEASURES,
            response.Stage.SCOPE_CHECK,
            party_of_import=party,
            party_of_export=o.movement.party_of_export,
            lmo_id=o.lmo.unique_identifier,
        ),
        static_summary=f"Response measures {case_id} (SP Art 5): {o.basis} from {o.lmo.name} "
        f"at {o.location}, reported by the {o.reported_by} {received_on}",
        owner_email=None,
    )


RESPONSE_MEASURES = ProcedureSpec(
    procedure=Procedure.RESPONSE_MEASURES,
    workflow=ResponseMeasures,
    workflow_type="ResponseMeasures",
    id_prefix="response-",
    details=response.ResponseDetails,
    stages=response.Stage,
    tag="Response measures (liability and redress)",
    tag_description="Supplementary Protocol on Liability and Redress: damage, or a sufficient "
    "likelihood of damage (SP Art 5(3)), from an LMO that came from a transboundary movement; "
    "the scope check (Art 3), the evaluation of the damage (Art 2(2)(b), 2(3), 4), the reasoned "
    "decision on response measures with the remedies (Art 5(2), 5(6)), restoration in the order "
    "of preference of Art 2(2)(d)(ii), follow-up checks until completion, the authority's own "
    "measures (5(4)), review (5(6)), costs within the financial limit (5(5), 8), exemptions (6) "
    "and time limits (7).",
    start_path="/response-measures/cases",
    start_body="report",
    start_model=response_opening.ResponseOpening,
    start_summary="Open a response-measure case on damage or a likelihood of damage (SP Art 5)",
    start_description="`reported_by: operator` records the operator's report (SP Art 5(1)(a)); "
    "`reported_by: authority` a finding of the authority's own. The scope (SP Art 3) is checked "
    "at once against the Party's Supplementary Protocol status (treaty status case "
    "`treaty-sp-<party>`, SP Art 18, 20): a case outside it closes with the reasons. Staff "
    "only. Idempotent on the reference.",
    open=_open_response,
    fingerprint_of=lambda view: str(view.details.fingerprint),
    commands=(
        CommandSpec(
            "link_case",
            "response-link",
            response_commands.LinkCase,
            "Link the AIA, CP Art 17 or CP Art 25 case the damage comes from",
        ),
        CommandSpec(
            "evaluate_damage",
            "damage-evaluation",
            response_commands.EvaluateDamage,
            "Evaluate the damage (SP Art 5(2)(b), 2(3)) and the causal link (Art 4)",
        ),
        CommandSpec(
            "decide_measures",
            "response-measures",
            response_commands.DecideMeasures,
            "Decide the operator's measures, with reasons and remedies (SP Art 5(2), 5(6))",
        ),
        CommandSpec(
            "follow_up",
            "response-follow-up",
            response_commands.FollowUp,
            "Record a follow-up check; the next is counted from today",
        ),
        CommandSpec(
            "confirm_completion",
            "response-completion",
            response_commands.ConfirmCompletion,
            "Confirm that a measure is completed",
        ),
        CommandSpec(
            "take_over",
            "authority-measures",
            response_commands.TakeOver,
            "The authority implements measures itself (SP Art 5(4))",
        ),
        CommandSpec(
            "request_review",
            "response-review",
            response_commands.RequestReview,
            "Record the operator's request for administrative or judicial review (SP Art 5(6))",
        ),
        CommandSpec(
            "decide_review",
            "response-review-outcome",
            response_commands.ReviewOutcome,
            "Record the outcome of the review",
        ),
        CommandSpec(
            "record_costs",
            "response-costs",
            response_commands.RecordCosts,
            "Record costs of the evaluation and the measures (SP Art 5(5))",
        ),
        CommandSpec(
            "demand_costs",
            "cost-recovery",
            response_commands.DemandCosts,
            "Recover the costs from the operators, within the financial limit (SP Art 5(5), 8)",
        ),
        CommandSpec(
            "record_payment",
            "response-payment",
            response_commands.RecordPayment,
            "Record a payment of the costs by the operator",
        ),
        CommandSpec(
            "apply_exemption",
            "response-exemption",
            response_commands.ApplyExemption,
            "Apply an exemption domestic law provides: close or mitigate (SP Art 6)",
        ),
    ),
)
