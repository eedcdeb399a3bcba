"""Treaty status (CP Arts 37, 39; SP Arts 18, 20) on the case kernel: one Party's status under
the Cartagena Protocol or the Supplementary Protocol, from the deposit of its instrument.

Art 37(2) / SP 18(2): the treaty enters into force for the Party on the ninetieth day after
deposit, or a later date (workflows/treaty/clocks.py). Art 39 / SP 20: a notice of withdrawal may
be given two years after that; the withdrawal takes effect one year after the Depositary receives
it, or on a later date the notice states. SP Art 20(3): withdrawing from the Protocol withdraws
the Party from the Supplementary Protocol too, so the Protocol case tells the Party's
Supplementary Protocol case, if there is one. Officers are told by e-mail when an entry into
force or a withdrawal takes effect; the case ends with the withdrawal.
"""

from __future__ import annotations

import asyncio
from datetime import date

from temporalio import workflow
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    from workflows.common import invalid, refuse
    from workflows.kernel.case import Case
    from workflows.kernel.ledger import Arrival, Entry
    from workflows.kernel.runtime import run_case
    from workflows.kernel.words import explained
    from workflows.models import CaseView, CommandResult
    from workflows.treaty.clocks import TreatyClocks, add_years, treaty_counting
    from workflows.treaty.models import (
        TREATIES,
        ProtocolWithdrawal,
        Stage,
        TreatyDetails,
        TreatyResume,
        TreatyStart,
        TreatyState,
        WithdrawalNotice,
        fingerprint,
        treaty_case_id,
    )


@workflow.defn(name="TreatyStatus")
class TreatyStatus:
    @workflow.init
    def __init__(self, start: TreatyStart) -> None:
        self._start = start = start.model_copy(update={"rules": treaty_counting(start.rules)})
        self._deposit = start.deposit
        self._treaty = TREATIES[start.deposit.treaty]
        self._state = start.resume.state if start.resume else TreatyState()
        self.case = Case.open(start, start.resume.kernel if start.resume else None)
        self._clocks = TreatyClocks(self.case.ledger, start.deposit, self._state)
        self._informing = False
        self._fingerprint = fingerprint(start.deposit)

    @workflow.run
    async def run(self, start: TreatyStart) -> CaseView[TreatyDetails]:
        if start.resume is None:
            d, eif = self._deposit, self._clocks.entry_into_force()
            self.case.record(
                "instrument_deposited",
                "case-officer",
                f"Instrument of {d.instrument} of the {self._treaty.name} deposited by {d.party} "
                f"on {d.deposited_on}; it enters into force for {d.party} on {eif.due} "
                f"({self._treaty.for_party_article}): {eif.explanation}",
                d.model_dump(mode="json"),
            )
        return await run_case(self)

    # ---- CP Art 39 / SP Art 20: withdrawal ---------------------------------------------------

    @workflow.update
    async def record_withdrawal(self, cmd: WithdrawalNotice) -> CommandResult:
        self._state.withdrawal, self._state.withdrawal_recorded_on = cmd, self.case.today()
        effect = self._clocks.withdrawal()
        assert effect is not None
        self.case.record(
            "withdrawal_notified",
            cmd.actor,
            f"Notice of withdrawal from the {self._treaty.name} received by the Depositary on "
            f"{cmd.received_by_depositary_on}; it takes effect on {effect.due} "
            f"({self._treaty.withdrawal_effect_article}): {effect.explanation}",
            cmd.model_dump(mode="json"),
        )
        if self._deposit.treaty == "cp" and effect.due is not None:
            self._informing = True
            asyncio.create_task(self._inform_supplementary_protocol(cmd, effect.due))
        return self._result(f"Withdrawal recorded; it takes effect on {effect.due}")

    @record_withdrawal.validator
    def _withdrawal_allowed(self, cmd: WithdrawalNotice) -> None:
        party = self._deposit.party
        if self.closed:
            raise refuse(f"{party} has withdrawn; the case is closed", rule="case-open")
        if (effect := self._clocks.withdrawal()) is not None:
            raise refuse(
                f"a withdrawal is already recorded; it takes effect on {effect.due}",
                rule="withdrawal-once",
            )
        if (received := cmd.received_by_depositary_on) > (today := self.case.today()):
            raise invalid(
                f"received_by_depositary_on {received} is in the future (today is {today})",
                rule="date-not-future",
                field="received_by_depositary_on",
            )
        if received < (possible := self._clocks.withdrawal_possible_from()):
            raise refuse(
                f"a notice of withdrawal may be given only after two years from the entry into "
                f"force for {party} on {self._clocks.in_force_on()}, i.e. from {possible} "
                f"({self._treaty.withdrawal_article}); this one was received on {received}",
                rule="withdrawal-after-two-years",
                article=self._treaty.withdrawal_article.removeprefix("CP "),
                field="received_by_depositary_on",
            )
        earliest = add_years(received, 1)
        if cmd.takes_effect_on is not None and cmd.takes_effect_on < earliest:
            raise invalid(
                f"takes_effect_on {cmd.takes_effect_on} is too early: a withdrawal takes effect "
                f"one year after the Depositary receives the notice ({earliest}) or on a later "
                f"date specified in it ({self._treaty.withdrawal_effect_article}): give "
                f"{earliest} or later, or leave it out",
                rule="withdrawal-effect-after-one-year",
                article=self._treaty.withdrawal_effect_article.removeprefix("CP "),
                field="takes_effect_on",
            )

    async def _inform_supplementary_protocol(self, cmd: WithdrawalNotice, on: date) -> None:
        """SP Art 20(3): the Party's Supplementary Protocol case, if any, ends with this."""
        sp_case = treaty_case_id("sp", self._deposit.party)
        notice = ProtocolWithdrawal(
            case_id=self._start.case_id,
            received_by_depositary_on=cmd.received_by_depositary_on,
            takes_effect_on=on,
        )
        try:
            await workflow.get_external_workflow_handle(sp_case).signal(
                TreatyStatus.protocol_withdrawn, notice
            )
            informed = True
        except FailureError:  # no such case, or it has closed
            informed = False
        self._state.supplementary_protocol_case, self._state.supplementary_protocol_informed = (
            sp_case,
            informed,
        )
        self._informing = False
        self.case.record(
            "supplementary_protocol",
            "system",
            f"Under SP Art 20(3) {self._deposit.party} is considered also to have withdrawn from "
            "the Supplementary Protocol: "
            + (
                f"its case {sp_case} was told; the withdrawal takes effect there on {on} too"
                if informed
                else f"there is no open Supplementary Protocol case for it ({sp_case})"
            ),
            {"case_id": sp_case, "informed": informed},
        )

    @workflow.signal
    def protocol_withdrawn(self, notice: ProtocolWithdrawal) -> None:
        """SP Art 20(3), from the Party's Protocol case: the Party withdraws from the
        Supplementary Protocol with its withdrawal from the Protocol."""
        if self._deposit.treaty != "sp" or self.closed or self._state.protocol_withdrawal == notice:
            workflow.logger.warning(
                "withdrawal from the Protocol ignored", extra=notice.model_dump(mode="json")
            )
            return
        self._state.protocol_withdrawal = notice
        effect = self._clocks.withdrawal()
        assert effect is not None
        self.case.record(
            "protocol_withdrawal",
            "system",
            f"{self._deposit.party} withdraws from the Cartagena Protocol (notice received by the "
            f"Depositary on {notice.received_by_depositary_on}, case {notice.case_id}): it is "
            f"considered also to have withdrawn from this Supplementary Protocol (SP Art 20(3)); "
            f"the withdrawal takes effect on {effect.due}",
            notice.model_dump(mode="json"),
        )

    @workflow.query
    def view(self) -> CaseView[TreatyDetails]:
        return self.current_view()

    # ---- what the kernel asks of the procedure -----------------------------------------------

    @property
    def closed(self) -> bool:
        return self._state.withdrawn

    @property
    def busy(self) -> bool:
        return self._informing

    def tick(self) -> None:
        """Nothing to watch beyond the ledger."""

    def entries(self) -> list[Entry]:
        return self._clocks.wake_entries()

    def on_arrival(self, arrival: Arrival) -> None:
        """An entry into force or a withdrawal takes effect today (its eve has just ended)."""
        entry = next(e for e in self._clocks.entries() if e.period.key == arrival.view.key)
        on, article, d = entry.deadline.due, entry.period.article, self._deposit
        language = self._start.authority.default_language
        facts = {"article": article, "explanation": explained(entry.deadline, language)}
        if entry.period.key == "entry_into_force":
            self._state.in_force = True
            self.case.record(
                "entered_into_force",
                "system",
                f"The {self._treaty.name} entered into force for {d.party} on {on} ({article})",
                {"on": str(on)},
            )
            self.case.internal(
                "entry-into-force",
                "treaty_entry_into_force",
                self._start.authority.officer_email,
                instrument=d.instrument,
                deposited_on=d.deposited_on.isoformat(),
                in_force_on=str(on),
                withdrawal_possible_from=self._clocks.withdrawal_possible_from().isoformat(),
                **facts,
            )
            return
        self._state.withdrawn = True
        via = self._state.protocol_withdrawal if article == "SP Art 20(3)" else None
        self.case.record(
            "withdrawn",
            "system",
            f"The withdrawal of {d.party} from the {self._treaty.name} took effect on {on} "
            f"({article}); it is no longer a Party",
            {"on": str(on)},
        )
        self.case.internal(
            "withdrawal",
            "treaty_withdrawal_effective",
            self._start.authority.officer_email,
            withdrawn_on=str(on),
            notice_received_on=str(entry.deadline.start),
            protocol_case_id=via.case_id if via else None,
            **facts,
        )

    def current_view(self) -> CaseView[TreatyDetails]:
        st, d, stage = self._state, self._deposit, self._stage
        effect = self._clocks.withdrawal()
        return self.case.view(
            self._clocks.entries(),
            stage=stage.value,
            stage_text=self._stage_text(stage),
            closed=self.closed,
            details=TreatyDetails(
                treaty=d.treaty,
                treaty_name=self._treaty.name,
                party=d.party,
                instrument=d.instrument,
                deposited_on=d.deposited_on,
                depositary_reference=d.depositary_reference,
                entry_into_force_on=self._clocks.in_force_on(),
                in_force=st.in_force and not st.withdrawn,
                withdrawal_possible_from=self._clocks.withdrawal_possible_from(),
                withdrawal=st.withdrawal,
                withdrawal_recorded_on=st.withdrawal_recorded_on,
                withdrawal_takes_effect_on=effect.due if effect else None,
                withdrawn=st.withdrawn,
                withdrawal_from_protocol=st.protocol_withdrawal,
                supplementary_protocol_case=st.supplementary_protocol_case,
                supplementary_protocol_informed=st.supplementary_protocol_informed,
                fingerprint=self._fingerprint,
            ),
        )

    def carry_over(self) -> TreatyStart:
        return self._start.model_copy(
            update={"resume": TreatyResume(state=self._state, kernel=self.case.state)}
        )

    # ---- stages ------------------------------------------------------------------------------

    @property
    def _stage(self) -> Stage:
        st = self._state
        if st.withdrawn:
            return Stage.WITHDRAWN
        if st.withdrawal is not None or st.protocol_withdrawal is not None:
            return Stage.WITHDRAWAL_NOTIFIED
        return Stage.IN_FORCE if st.in_force else Stage.DEPOSITED

    def _stage_text(self, stage: Stage) -> str:
        d, t, c = self._deposit, self._treaty, self._clocks
        effect = c.withdrawal()
        on = effect.due if effect else None
        return {
            Stage.DEPOSITED: f"Instrument of {d.instrument} deposited on {d.deposited_on}; enters "
            f"into force for {d.party} on {c.in_force_on()} ({t.for_party_article})",
            Stage.IN_FORCE: f"In force for {d.party} since {c.in_force_on()}; a notice of "
            f"withdrawal may be given from {c.withdrawal_possible_from()} ({t.withdrawal_article})",
            Stage.WITHDRAWAL_NOTIFIED: f"Withdrawal notified; {d.party} remains a Party until it "
            f"takes effect on {on}",
            Stage.WITHDRAWN: f"Withdrawn on {on}: {d.party} is no longer a Party",
        }[stage]

    def _result(self, summary: str) -> CommandResult:
        return self.case.result(self._clocks.entries(), self._stage.value, summary)
