"""Treaty status (CP Arts 37, 39; SP Arts 18, 20): the deposit of a Party's instrument that opens
a case, the notice of withdrawal that an officer records, the stages and the procedure part of
the case view.

One case per Party and treaty (``treaty-cp-hu``: Hungary under the Cartagena Protocol,
``treaty-sp-hu``: under the Supplementary Protocol), so that a withdrawal from the Protocol
finds the Party's Supplementary Protocol case (SP Art 20(3)).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from workflows.kernel.state import KernelState
from workflows.models import CaseFacts, CaseStart, Command, CountryCode, Input, Procedure

Treaty = Literal["cp", "sp"]
Instrument = Literal["ratification", "acceptance", "approval", "accession"]


@dataclass(frozen=True)
class TreatyText:
    """What the articles of one treaty say about its entry into force and withdrawal."""

    name: str
    name_hu: str
    adopted_on: date  # no instrument can be deposited before the text exists
    in_force_on: date  # its own entry into force (CP Art 37(1), SP Art 18(1))
    in_force_article: str  # CP Art 37(1) / SP Art 18(1)
    for_party_article: str  # CP Art 37(2) / SP Art 18(2)
    withdrawal_article: str  # CP Art 39(1) / SP Art 20(1)
    withdrawal_effect_article: str  # CP Art 39(2) / SP Art 20(2)


TREATIES: dict[str, TreatyText] = {
    "cp": TreatyText(
        name="Cartagena Protocol on Biosafety",
        name_hu="Cartagena Jegyzőkönyv a Biológiai Biztonságról",
        adopted_on=date(2000, 1, 29),  # done at Montreal
        # Art 37(1): the ninetieth day after the fiftieth instrument (deposited 2003-06-13).
        in_force_on=date(2003, 9, 11),
        in_force_article="CP Art 37(1)",
        for_party_article="CP Art 37(2)",
        withdrawal_article="CP Art 39(1)",
        withdrawal_effect_article="CP Art 39(2)",
    ),
    "sp": TreatyText(
        name="Nagoya-Kuala Lumpur Supplementary Protocol on Liability and Redress",
        name_hu="Nagojai-Kuala Lumpur-i Kiegészítő Jegyzőkönyv a felelősségről és jogorvoslatról",
        adopted_on=date(2010, 10, 15),  # done at Nagoya
        # SP Art 18(1): the ninetieth day after the fortieth instrument (deposited 2017-12-05).
        in_force_on=date(2018, 3, 5),
        in_force_article="SP Art 18(1)",
        for_party_article="SP Art 18(2)",
        withdrawal_article="SP Art 20(1)",
        withdrawal_effect_article="SP Art 20(2)",
    ),
}


def treaty_case_id(treaty: str, party: str) -> str:
    return f"treaty-{treaty}-{party.lower()}"


class Deposit(Input):
    """A Party's instrument of ratification, acceptance, approval or accession, deposited with
    the Depositary (the Secretary-General of the United Nations)."""

    # _cp_only and _sp_only in JSON Schema: each treaty's own date of entry into force, or none.
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"treaty": {"const": "sp"}}, "required": ["treaty"]},
            "then": {"properties": {"convention_in_force_on": {"type": "null"}}},
            "else": {"properties": {"protocol_in_force_on": {"type": "null"}}},
        }
    )

    treaty: Treaty = Field(
        default="cp", description="cp: the Cartagena Protocol; sp: the Supplementary Protocol"
    )
    party: CountryCode
    instrument: Instrument
    deposited_on: date = Field(description="the date of deposit with the Depositary")
    depositary_reference: str | None = Field(
        default=None, max_length=100, description="the depositary notification, e.g. C.N.35.2004"
    )
    convention_in_force_on: date | None = Field(
        default=None,
        description="CP Art 37(2): the date the Convention on Biological Diversity enters into "
        "force for the Party, when that is later than the ninetieth day after deposit",
    )
    protocol_in_force_on: date | None = Field(
        default=None,
        description="SP Art 18(2): the date the Cartagena Protocol enters into force for the "
        "Party, when that is later than the ninetieth day after deposit",
    )

    @field_validator("convention_in_force_on")
    @classmethod
    def _cp_only(cls, value: date | None, info: ValidationInfo) -> date | None:
        if value is not None and info.data.get("treaty") != "cp":
            raise ValueError("the Convention's date counts for the Protocol only (CP Art 37(2))")
        return value

    @field_validator("protocol_in_force_on")
    @classmethod
    def _sp_only(cls, value: date | None, info: ValidationInfo) -> date | None:
        if value is not None and info.data.get("treaty") != "sp":
            raise ValueError(
                "the Protocol's date counts for the Supplementary Protocol only (SP Art 18(2))"
            )
        return value


class WithdrawalNotice(Command):
    """CP Art 39 / SP Art 20: the Party's written notification of withdrawal to the Depositary."""

    received_by_depositary_on: date = Field(
        description="the date the Depositary received the notification (Art 39(1)-(2))"
    )
    takes_effect_on: date | None = Field(
        default=None,
        description="a later date specified in the notification; default one year after receipt",
    )
    depositary_reference: str | None = Field(default=None, max_length=100)


class ProtocolWithdrawal(BaseModel):
    """SP Art 20(3): the Party's case under the Protocol tells its Supplementary Protocol case
    of a withdrawal from the Protocol (a Signal from one workflow to the other)."""

    case_id: str
    received_by_depositary_on: date
    takes_effect_on: date


class Stage(StrEnum):
    DEPOSITED = "instrument_deposited"  # waiting for the entry into force for the Party
    IN_FORCE = "in_force"
    WITHDRAWAL_NOTIFIED = "withdrawal_notified"  # the withdrawal takes effect on a known date
    WITHDRAWN = "withdrawn"


class TreatyState(BaseModel):
    in_force: bool = False  # the entry into force has arrived
    withdrawal: WithdrawalNotice | None = None
    withdrawal_recorded_on: date | None = None
    protocol_withdrawal: ProtocolWithdrawal | None = None  # SP Art 20(3)
    supplementary_protocol_case: str | None = None  # CP: the SP case told of the withdrawal
    supplementary_protocol_informed: bool | None = None  # None until the Signal was tried
    withdrawn: bool = False  # the withdrawal has taken effect


class TreatyResume(BaseModel):
    state: TreatyState
    kernel: KernelState


class TreatyStart(CaseStart):
    """Workflow input of a treaty status case; ``received_on`` is the date of deposit."""

    deposit: Deposit
    resume: TreatyResume | None = None

    def facts(self) -> CaseFacts:
        d, t = self.deposit, TREATIES[self.deposit.treaty]
        return CaseFacts(
            case_id=self.case_id,
            procedure=Procedure.TREATY_STATUS,
            title=f"{t.name}: {d.party}, instrument of {d.instrument} deposited {d.deposited_on}",
            notifier_reference=f"{d.treaty}-{d.party}".lower(),
            received_on=self.received_on,
        )

    def letter_context(self) -> dict[str, Any]:
        d = self.deposit
        return {
            "case_id": self.case_id,
            "authority_name": self.authority.name,
            "party_of_import": self.authority.party,
            # The letters' common facts name an LMO (activities/templates/*/_layout.j2); a
            # treaty status case has none, and the kernel's own letters still print the line.
            "lmo_name": "–",
            "treaty": d.treaty,
            "party": d.party,
        }


class TreatyDetails(BaseModel):
    """The procedure part of a treaty status case's view."""

    procedure: Literal["treaty_status"] = "treaty_status"
    treaty: Treaty
    treaty_name: str
    party: str
    instrument: Instrument
    deposited_on: date
    depositary_reference: str | None
    entry_into_force_on: date = Field(description="CP Art 37 / SP Art 18, for this Party")
    in_force: bool
    withdrawal_possible_from: date = Field(description="CP Art 39(1) / SP Art 20(1)")
    withdrawal: WithdrawalNotice | None
    withdrawal_recorded_on: date | None
    withdrawal_takes_effect_on: date | None
    withdrawn: bool
    withdrawal_from_protocol: ProtocolWithdrawal | None = Field(
        description="SP Art 20(3): the withdrawal from the Protocol this SP status ends with"
    )
    supplementary_protocol_case: str | None
    supplementary_protocol_informed: bool | None
    fingerprint: str


def fingerprint(deposit: Deposit) -> str:
    """Identifies what a case was opened with, so that recording the same deposit again can be
    told apart from a different one for the same Party and treaty."""
    return hashlib.sha256(deposit.model_dump_json().encode()).hexdigest()[:32]
