"""Unintentional transboundary movements and emergency measures (CP Art 17) on the case kernel.

17(1): a Party that knows of an occurrence under its jurisdiction resulting in a release that
leads, or may lead, to an unintentional transboundary movement of an LMO likely to have
significant adverse effects notifies the affected or potentially affected States, the BCH and,
where appropriate, relevant international organisations, as soon as it knows; 17(2): each
State's point of contact for these notifications is on the BCH; 17(3): the notification holds
items (a)-(e); 17(4): the Party immediately consults the affected States so that they can
determine their responses and initiate action, including emergency measures. The case kernel
keeps the deadlines, messages, history and projection; this module says what Article 17 says.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.common import invalid, refuse
    from workflows.emergency import bch
    from workflows.emergency.clocks import NOTIFY, EmergencyClocks
    from workflows.emergency.models import (
        STAGE_WORDS,
        CloseEmergency,
        Consultation,
        EmergencyDetails,
        EmergencyResume,
        EmergencyStart,
        EmergencyState,
        Measure,
        RecordConsultation,
        RecordMeasure,
        Stage,
        fingerprint,
    )
    from workflows.kernel.case import Case
    from workflows.kernel.ledger import Arrival, Entry
    from workflows.kernel.runtime import run_case
    from workflows.models import CaseView, CommandResult

NOTIFICATION = "emergency_notification"
BCH_PURPOSE = "unintentional_movement"


@workflow.defn(name="Emergency")
class Emergency:
    @workflow.init
    def __init__(self, start: EmergencyStart) -> None:
        self._start = start
        self._occurrence = start.occurrence
        self._state = start.resume.state if start.resume else EmergencyState()
        self.case = Case.open(start, start.resume.kernel if start.resume else None)
        self._clocks = EmergencyClocks(
            self.case.ledger,
            start.received_on,
            self._state,
            notification_days=start.notification_days,
            follow_up_days=start.follow_up_days,
        )
        self._fingerprint = fingerprint(start.occurrence)

    @workflow.run
    async def run(self, start: EmergencyStart) -> CaseView[EmergencyDetails]:
        if start.resume is None:
            self._opened()
        return await run_case(self)

    # ---- Art 17(1)-(3): the notification, as soon as the authority knows ----------------------

    def _opened(self) -> None:
        o, learned = self._occurrence, self._start.received_on
        due = self._clocks.by_key(NOTIFY.key).deadline
        self.case.record(
            "release_known",
            "case-officer",
            f"Occurrence {o.reference}: release of {o.lmo_name} (estimated {o.b_release_date}) "
            f"that leads or may lead to an unintentional transboundary movement, known on "
            f"{learned}; {self._states} to be notified as soon as the authority knows, by "
            f"{due.due} (Art 17(1))",
            {"affected_states": list(dict.fromkeys(s.party for s in o.affected_states))},
        )
        # A case entered after the period ended: the lapse is recorded and escalated before the
        # notifications are queued, late.
        now = workflow.now()
        self.case.react(self.case.ledger.due_events(self.entries(), now, closed=False))
        self._notify()

    def _notify(self) -> None:
        o, today, lang = self._occurrence, self.case.today(), self._start.authority.default_language
        items = self._items()
        for i, s in enumerate(o.affected_states, start=1):
            self.case.letter(
                f"notify-{i}-{s.party.lower()}",
                NOTIFICATION,
                s.email,
                s.language or lang,
                recipient_name=s.name,
                recipient_party=s.party,
                **items,
            )
        for i, org in enumerate(o.organisations, start=1):
            self.case.letter(
                f"notify-organisation-{i}",
                NOTIFICATION,
                org.email,
                org.language or lang,
                recipient_name=org.name,
                recipient_party=None,
                **items,
            )
        key = self.case.bch_key("notification")
        self.case.bch("notification", BCH_PURPOSE, bch.record(self._start, key, today))
        self._state.notified_on = today
        orgs = ", ".join(org.name for org in o.organisations)
        self.case.record(
            "notifications_queued",
            "system",
            f"Notification with the items of Art 17(3)(a)-(e) queued on {today} for the "
            f"Article 17 contact points of {self._states}, the BCH"
            + (f" and {orgs}" if orgs else "")
            + " (Art 17(1)); the affected States are to be consulted at once (Art 17(4))",
        )

    def _items(self) -> dict[str, Any]:
        o = self._occurrence
        return {
            "learned_on": self._start.received_on.isoformat(),
            "affected_states": list(dict.fromkeys(s.party for s in o.affected_states)),
            **o.model_dump(
                mode="json",
                include={
                    "reference",
                    "a_quantities_and_characteristics",
                    "b_release_circumstances",
                    "b_release_date",
                    "b_use_in_originating_party",
                    "c_adverse_effects_and_risk_management",
                    "d_other_information",
                    "e_point_of_contact",
                },
            ),
        }

    # ---- Art 17(4): consultation and emergency measures ---------------------------------------

    @workflow.update
    async def record_consultation(self, cmd: RecordConsultation) -> CommandResult:
        c = Consultation(
            number=len(self._state.consultations) + 1,
            party=cmd.party,
            kind=cmd.kind,
            summary=cmd.summary,
            on=cmd.occurred_on or self.case.today(),
            actor=cmd.actor,
        )
        self._state.consultations.append(c)
        what = "consulted" if c.kind == "consulted" else "response received from"
        self.case.record(
            "consultation" if c.kind == "consulted" else "state_response",
            cmd.actor,
            f"{c.party} {what} on {c.on} (Art 17(4)): {c.summary}"
            if c.kind == "consulted"
            else f"Response of {c.party} received on {c.on} (Art 17(4)): {c.summary}",
            cmd.model_dump(mode="json"),
        )
        return self._result(f"{'Consultation' if c.kind == 'consulted' else 'Response'} of "
                            f"{c.party} recorded")  # fmt: skip

    @record_consultation.validator
    def _consultation_allowed(self, cmd: RecordConsultation) -> None:
        self._require_open("record a consultation")
        parties = [s.party for s in self._occurrence.affected_states]
        if cmd.party not in parties:
            raise refuse(
                f"{cmd.party} is not among the affected or potentially affected States of this "
                f"case ({', '.join(dict.fromkeys(parties))}); Art 17(4) consultation is with "
                "them: name one of them",
                rule="consult-affected-states",
                article="Art 17(4)",
                field="party",
            )
        self._check_date("occurred_on", cmd.occurred_on)

    @workflow.update
    async def record_measure(self, cmd: RecordMeasure) -> CommandResult:
        m = Measure(
            number=len(self._state.measures) + 1,
            taken_by=cmd.taken_by,
            description=cmd.description,
            taken_on=cmd.taken_on or self.case.today(),
            actor=cmd.actor,
        )
        self._state.measures.append(m)
        self.case.record(
            "emergency_measure",
            cmd.actor,
            f"Emergency measure {m.number} taken on {m.taken_on} by {m.taken_by} (Art 17(4)): "
            f"{m.description}",
            cmd.model_dump(mode="json"),
        )
        return self._result(f"Emergency measure {m.number} recorded")

    @record_measure.validator
    def _measure_allowed(self, cmd: RecordMeasure) -> None:
        self._require_open("record an emergency measure")
        self._check_date("taken_on", cmd.taken_on)

    @workflow.update
    async def close_emergency(self, cmd: CloseEmergency) -> CommandResult:
        st = self._state
        st.closed_on, st.closing_reasons = self.case.today(), cmd.reasons
        self.case.record(
            "closed",
            cmd.actor,
            f"Emergency over, file closed on {st.closed_on}: {cmd.reasons}",
            cmd.model_dump(mode="json"),
        )
        return self._result("Emergency closed")

    @close_emergency.validator
    def _close_allowed(self, cmd: CloseEmergency) -> None:
        self._require_open("close the case")
        if missing := self._not_consulted():
            raise refuse(
                f"{', '.join(missing)} not yet consulted: Art 17(4) requires the affected States "
                "to be consulted immediately; record the consultation first",
                rule="affected-states-consulted",
                article="Art 17(4)",
            )

    # ---- what the kernel asks of the procedure -----------------------------------------------

    @workflow.query
    def view(self) -> CaseView[EmergencyDetails]:
        return self.current_view()

    @property
    def closed(self) -> bool:
        return self._state.closed_on is not None

    busy = False  # nothing runs beside the kernel's own deliveries

    def tick(self) -> None:
        """Nothing to do: the notification is met when queued."""

    def entries(self) -> list[Entry]:
        return self._clocks.entries()

    def on_arrival(self, arrival: Arrival) -> None:
        """A follow-up is due: the officers review the consultation and the measures."""
        due = arrival.view.due
        assert arrival.view.key == "follow_up" and due is not None
        self._state.follow_ups.append(due)
        n, st = len(self._state.follow_ups), self._state
        not_consulted, silent = self._not_consulted(), self._without_response()
        self.case.record(
            "follow_up",
            "system",
            f"Follow-up {n} of the emergency (Art 17(4)): "
            f"not yet consulted: {', '.join(not_consulted) or 'none'}; "
            f"no response yet from: {', '.join(silent) or 'none'}; "
            f"{len(st.measures)} emergency measure(s) recorded",
            {"follow_up": n},
        )
        self.case.internal(
            f"follow-up-{n}",
            "emergency_follow_up",
            self.case.authority.officer_email,
            follow_up=n,
            follow_up_days=self._start.follow_up_days,
            not_consulted=not_consulted,
            without_response=silent,
            measures=[m.model_dump(mode="json", include={"taken_on", "taken_by", "description"})
                      for m in st.measures],
        )  # fmt: skip

    def current_view(self) -> CaseView[EmergencyDetails]:
        st, stage = self._state, self._stage
        stage_text = STAGE_WORDS[stage]
        if stage == Stage.CONSULTING:
            stage_text += (
                f": {len({c.party for c in st.consultations if c.kind == 'response'})} of "
                f"{len(self._parties)} State(s) responded, {len(st.measures)} measure(s)"
            )
        return self.case.view(
            self.entries(),
            stage=stage.value,
            stage_text=stage_text,
            closed=self.closed,
            details=EmergencyDetails(
                learned_on=self._start.received_on,
                occurrence=self._occurrence,
                notified_on=st.notified_on,
                states_not_yet_consulted=self._not_consulted(),
                states_without_response=self._without_response(),
                consultations=list(st.consultations),
                measures=list(st.measures),
                follow_ups=list(st.follow_ups),
                closed_on=st.closed_on,
                closing_reasons=st.closing_reasons,
                fingerprint=self._fingerprint,
            ),
        )

    def carry_over(self) -> EmergencyStart:
        return self._start.model_copy(
            update={"resume": EmergencyResume(state=self._state, kernel=self.case.state)}
        )

    # ---- helpers ------------------------------------------------------------------------------

    @property
    def _stage(self) -> Stage:
        if self.closed:
            return Stage.CLOSED
        outgoing = (NOTIFICATION, BCH_PURPOSE)
        if any(m.purpose in outgoing for m in self.case.outbox.pending):
            return Stage.NOTIFYING
        return Stage.CONSULTING

    @property
    def _parties(self) -> list[str]:
        return list(dict.fromkeys(s.party for s in self._occurrence.affected_states))

    @property
    def _states(self) -> str:
        return ", ".join(self._parties)

    def _not_consulted(self) -> list[str]:
        # A State that responded has been consulted, whichever came first in the record.
        heard = {c.party for c in self._state.consultations}
        return [p for p in self._parties if p not in heard]

    def _without_response(self) -> list[str]:
        answered = {c.party for c in self._state.consultations if c.kind == "response"}
        return [p for p in self._parties if p not in answered]

    def _require_open(self, what: str) -> None:
        if self.closed:
            raise refuse(
                f"cannot {what}: the emergency was closed on {self._state.closed_on}",
                rule="case-open",
            )

    def _check_date(self, name: str, on: Any) -> None:
        if on is None:
            return
        if on > (today := self.case.today()):
            raise invalid(
                f"{name} {on} is in the future (today is {today})",
                rule="date-not-future",
                field=name,
            )
        if on < (release := self._occurrence.b_release_date):
            raise invalid(
                f"{name} {on} is before the release of {release} (Art 17(3)(b)): give a date on "
                "or after it",
                rule="date-after-release",
                article="Art 17(3)(b)",
                field=name,
            )

    def _result(self, summary: str) -> CommandResult:
        return self.case.result(self.entries(), self._stage.value, summary)
