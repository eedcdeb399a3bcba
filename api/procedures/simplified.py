"""The simplified procedure (CP Art 13) as the API declares it: a specification is opened by staff
under the authority's reference, and amended or withdrawn by commands. The register of the
specifications in force is api/simplified.py."""

from __future__ import annotations

from datetime import date, datetime

from api.errors import InvalidNotification
from api.procedures.spec import CommandSpec, Opening, ProcedureSpec, snapshot, start_attributes
from infra.settings import Settings
from workflows.models import Procedure
from workflows.simplified import models as simplified
from workflows.simplified.workflow import SimplifiedProcedure


def simplified_case_id(party: str, reference: str) -> str:
    return f"simplified-{party.lower()}-{reference.lower()}"


def _open_simplified(
    settings: Settings,
    o: simplified.MovementAtNotification | simplified.ExemptFromAia,
    today: date,
    now: datetime,
) -> Opening:
    effective = o.effective_on or today
    if effective < today:
        raise InvalidNotification(
            f"effective_on {effective} is before today ({today} in {settings.timezone}): a "
            "specification is made in advance (Art 13(1)) and applies from today at the earliest",
            rule="specified-in-advance",
            article="Art 13(1)",
            field="effective_on",
        )
    if o.expires_on is not None and o.expires_on < effective:
        raise InvalidNotification(
            f"expires_on {o.expires_on} is before effective_on {effective}: a specification "
            "expires after it takes effect",
            rule="date-order",
            field="expires_on",
        )
    party = settings.authority_party
    case_id = simplified_case_id(party, o.reference)
    start = simplified.SimplifiedStart(
        case_id=case_id,
        opening=o,
        received_on=today,
        publication_days=settings.simplified_publication_days,
        **snapshot(settings, now),
    )
    first_lmo = next(iter(o.lmos))
    return Opening(
        case_id=case_id,
        start=start,
        received_on=today,
        fingerprint=simplified.fingerprint(o),
        search_attributes=start_attributes(
            case_id,
            Procedure.SIMPLIFIED,
            simplified.Stage.PUBLISHING,
            party_of_import=party,
            party_of_export=o.parties_of_export[0] if len(o.parties_of_export) == 1 else None,
            lmo_id=first_lmo,
        ),
        static_summary=f"Simplified procedure {case_id}: {o.title}; "
        f"{simplified.KIND_WORDS[o.kind]}, {len(o.lmos)} LMO(s), specified {today}",
        owner_email=None,
    )


SIMPLIFIED = ProcedureSpec(
    procedure=Procedure.SIMPLIFIED,
    workflow=SimplifiedProcedure,
    workflow_type="SimplifiedProcedure",
    id_prefix="simplified-",
    details=simplified.SimplifiedDetails,
    stages=simplified.Stage,
    tag="Simplified procedure",
    tag_description="CP Art 13: the Party's advance specifications, made available to the BCH: "
    "movements that may take place at the same time as they are notified (13(1)(a)) and imports "
    "exempted from the AIA procedure (13(1)(b)). A specification is in force once the BCH has "
    "published it, and the AIA intake looks notifications up in the register of those in force "
    "(`GET /v1/simplified/register`).",
    start_path="/simplified/specifications",
    start_body="specification",
    start_model=simplified.SpecificationOpening,
    start_summary="Specify in advance (Art 13(1)(a) or (b)); its BCH record is queued at once",
    start_description="`kind: movement_at_notification`: movements that may take place at the "
    "same time as they are notified (Art 13(1)(a)); `kind: exempt_from_aia`: imports exempted "
    "from the AIA procedure (13(1)(b)). The BCH record goes out at once and is to be published "
    "within the deployment's period (BIOSAFETY_SIMPLIFIED_PUBLICATION_DAYS). Staff only. "
    "Idempotent on the reference.",
    open=_open_simplified,
    fingerprint_of=lambda view: str(view.details.fingerprint),
    commands=(
        CommandSpec(
            "amend_specification",
            "simplified-amendment",
            simplified.Amend,
            "Amend a specification in force; its BCH record is amended (Art 13(1))",
        ),
        CommandSpec(
            "withdraw_specification",
            "simplified-withdrawal",
            simplified.Withdraw,
            "Withdraw a specification: it leaves the register; the BCH record says so",
        ),
    ),
)
