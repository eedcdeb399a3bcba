"""Treaty status (CP Arts 37, 39; SP Arts 18, 20) as the API declares it."""

from __future__ import annotations

from datetime import date, datetime

from api.errors import InvalidNotification
from api.procedures.spec import (
    CommandSpec,
    Opening,
    ProcedureSpec,
    snapshot,
    start_attributes,
)
from infra.settings import Settings
from workflows.models import Procedure
from workflows.treaty import TreatyStatus
from workflows.treaty import models as treaty

# ---- treaty status (CP Arts 37, 39; SP Arts 18, 20) -------------------------------------------


def _open_treaty(settings: Settings, d: treaty.Deposit, today: date, now: datetime) -> Opening:
    text = treaty.TREATIES[d.treaty]
    if d.deposited_on > today:
        raise InvalidNotification(
            f"deposited_on {d.deposited_on} is in the future (today is {today} in "
            f"{settings.timezone}); record a deposit once it is made",
            rule="date-not-future",
            field="deposited_on",
        )
    if d.deposited_on < text.adopted_on:
        raise InvalidNotification(
            f"deposited_on {d.deposited_on} is before the {text.name} was adopted "
            f"({text.adopted_on}): no instrument could be deposited then; check the date",
            rule="date-order",
            field="deposited_on",
        )
    case_id = treaty.treaty_case_id(d.treaty, d.party)
    return Opening(
        case_id=case_id,
        start=treaty.TreatyStart(
            case_id=case_id, deposit=d, received_on=d.deposited_on, **snapshot(settings, now)
        ),
        received_on=d.deposited_on,
        fingerprint=treaty.fingerprint(d),
        search_attributes=start_attributes(
            case_id, Procedure.TREATY_STATUS, treaty.Stage.DEPOSITED
        ),
        static_summary=f"Treaty status {case_id}: {text.name}, {d.party}, instrument of "
        f"{d.instrument} deposited {d.deposited_on}",
        owner_email=None,
    )


TREATY_STATUS = ProcedureSpec(
    procedure=Procedure.TREATY_STATUS,
    workflow=TreatyStatus,
    workflow_type="TreatyStatus",
    id_prefix="treaty-",
    details=treaty.TreatyDetails,
    stages=treaty.Stage,
    tag="Treaty status",
    tag_description="CP Arts 37, 39 and SP Arts 18, 20: a Party's instrument, its entry into "
    "force for the Party on the ninetieth day after deposit (or a later date), and its "
    "withdrawal, possible two years after that and taking effect one year after the Depositary "
    "receives the notice (or on a later date it states). Withdrawing from the Protocol also "
    "withdraws the Party from the Supplementary Protocol (SP Art 20(3)).",
    start_path="/treaty-status/deposits",
    start_body="deposit",
    start_model=treaty.Deposit,
    start_summary="Record the deposit of an instrument (CP Art 37; SP Art 18)",
    start_description="Opens the case of a Party under the Cartagena Protocol (`treaty: cp`) "
    "or the Supplementary Protocol (`treaty: sp`), staff only; its id is "
    "`treaty-<treaty>-<party>`. Idempotent: the same deposit recorded again returns the same "
    "case (200), a different one for the same Party and treaty is refused (409).",
    open=_open_treaty,
    fingerprint_of=lambda view: str(view.details.fingerprint),
    commands=(
        CommandSpec(
            "record_withdrawal",
            "treaty-withdrawal",
            treaty.WithdrawalNotice,
            "Record a notice of withdrawal received by the Depositary (CP Art 39; SP Art 20)",
        ),
    ),
)
