"""The clocks of an advance informed agreement: its periods as data, and the deadlines the
statutory clock derives from what the case has recorded.

Art 9(1): acknowledge within 90 days of receipt. Art 10(3): decide within 270 days of receipt,
the clock stopped while requested information is awaited (10(3)(c)) and extended by notified
periods (10(3)(d)); on the Art 10(2)(b) route there is no such decision period, but a moment,
no less than 90 days after the acknowledgement, from which the movement may proceed.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from workflows import clock
from workflows.aia.models import AiaState
from workflows.kernel.ledger import Entry, Ledger
from workflows.kernel.periods import Period

ACKNOWLEDGEMENT = Period(
    key="acknowledgement",
    days=90,  # Art 9(1)
    counted_from="receipt",
    counted_from_hu="kézhezvétel",
    article="CP Art 9(1)",
    label="Acknowledgement of receipt",
    label_hu="A bejelentés átvételének visszaigazolása",
)
DECISION = Period(
    key="decision",
    days=270,  # Art 10(3)
    counted_from="receipt",
    counted_from_hu="kézhezvétel",
    article="CP Art 10(3)",
    label="Decision on the import",
    label_hu="Döntés a behozatalról",
    stoppable=True,  # Art 10(3)(c)
    extendable=True,  # Art 10(3)(d)
)
PROCEED_WITHOUT_CONSENT = Period(
    key="proceed_without_consent",
    days=90,  # Art 10(2)(b): "no less than ninety days"; the acknowledgement states the days
    counted_from="acknowledgement",
    counted_from_hu="visszaigazolás",
    article="CP Art 10(2)(b)",
    label="Movement may proceed without written consent after",
    label_hu="A szállítás írásos hozzájárulás nélkül megkezdhető",
    reminders=False,  # not a deadline of the authority's: the moment the movement may proceed
    lapses=False,
)

PUBLIC_CONSULTATION = Period(
    key="public_consultation",
    days=0,  # the authority sets the end date when it opens the consultation (Art 23(2))
    counted_from="opening of the consultation",
    counted_from_hu="a konzultáció megnyitása",
    article="CP Art 23(2)",
    label="Public consultation closes",
    label_hu="A nyilvános konzultáció lezárul",
    reminders=False,  # not a deadline of the authority's: the moment comments stop
    lapses=False,
)


class AiaClocks:
    def __init__(self, ledger: Ledger, received_on: date, state: AiaState) -> None:
        self._ledger = ledger
        self._received_on = received_on
        self._state = state

    def entries(self) -> list[Entry]:
        """The ledger: Art 9(1) acknowledgement, the Art 10(3) decision (route (a)) or the
        Art 10(2)(b) moment the movement may proceed (route (b))."""
        st = self._state
        if st.simplified is not None:
            return []  # Art 13(1): no AIA periods run under a specification
        closed_on = st.decided_on or st.withdrawn_on
        ack = self._ledger.compute(ACKNOWLEDGEMENT, self._received_on)
        out = [Entry(ACKNOWLEDGEMENT, ack, met_on=st.acknowledged_on, closed_on=closed_on)]
        if (decision := self.decision()) is not None:
            out.append(Entry(DECISION, decision, met_on=st.decided_on, closed_on=st.withdrawn_on))
        if (proceed := self.proceed()) is not None:
            out.append(Entry(self._proceed_period(), proceed, closed_on=closed_on))
        if (consultation := self.consultation()) is not None:
            out.append(Entry(PUBLIC_CONSULTATION, consultation, closed_on=closed_on))
        return out

    def consultation(self) -> clock.Deadline | None:
        """Art 23(2): the public consultation ends on the date the authority set, counted as
        stated (no counting rule moves a date the public was given)."""
        c = self._state.consultation
        if c is None:
            return None
        days = (c.ends_on - c.opened_on).days
        counted = self._ledger.compute(
            dataclasses.replace(PUBLIC_CONSULTATION, days=days), c.opened_on
        )
        return counted.model_copy(
            update={
                "due": c.ends_on,
                "base_due": c.ends_on,
                "rolled_forward_from": None,
                "explanation": f"The public consultation opened on {c.opened_on} receives "
                f"comments until the end of {c.ends_on}, the date the authority set (Art 23(2)): "
                f"{days} days",
                "explanation_hu": f"A {c.opened_on} napján megnyitott nyilvános konzultáció "
                f"{c.ends_on} végéig fogad észrevételeket, a hatóság által megadott időpontig "
                f"(23. cikk (2) bekezdés): {days} nap",
            }
        )

    @property
    def route_b(self) -> bool:
        ack = self._state.acknowledgement
        return ack is not None and ack.consent_route == "proceed_without_consent"

    def stops(self) -> list[clock.Stop]:
        """Art 10(3)(c): the waits that stop the decision clock (requests made in time)."""
        return [
            clock.Stop(requested_on=r.requested_on, received_on=r.received_on)
            for r in self._state.information_requests
            if r.counted
        ]

    def decision(self) -> clock.Deadline | None:
        if self.route_b:
            return None  # Art 10(3) concerns decisions under 10(2)(a)
        return self.decision_with(self.stops())

    def decision_with(self, stops: list[clock.Stop]) -> clock.Deadline:
        """Art 10(3): 270 days from receipt, with these stops and the notified extensions."""
        extensions = [
            clock.Extension(days=e.days, notified_on=on, reasons=e.reasons)
            for e, on in zip(self._state.extensions, self._state.extension_dates, strict=True)
        ]
        return self._ledger.compute(DECISION, self._received_on, stops, extensions)

    def stop_would_count(self, today: date) -> bool:
        """Whether a request made today stops the decision clock: not on the 10(2)(b) route, and
        not once the deadline has run out (a clock that has run out cannot be stopped)."""
        if self.route_b:
            return False
        try:
            self.decision_with([*self.stops(), clock.Stop(requested_on=today)])
        except clock.ClockError:
            return False
        return True

    def proceed(self) -> clock.Deadline | None:
        if not self.route_b or self._state.acknowledged_on is None:
            return None
        return self._ledger.compute(self._proceed_period(), self._state.acknowledged_on)

    def _proceed_period(self) -> Period:
        ack = self._state.acknowledgement
        assert ack is not None
        return dataclasses.replace(PROCEED_WITHOUT_CONSENT, days=ack.proceed_after_days)
