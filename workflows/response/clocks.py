"""The periods of a response-measure case as data, its ledger, and the scope rule of SP Art 3.

The Supplementary Protocol sets no period of its own for the authority: the operator's measures
run for the days the decision gives each (SP Art 5(2)(c)); follow-up checks recur at the interval
domestic law sets until the authority confirms completion; the operator pays the costs within
the term of the demand (Art 5(5)); and domestic law may set relative and absolute time limits for
actions related to response measures, with the event each counts from (Art 7). Each is a durable
timer of the case kernel, not polling.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from workflows import clock
from workflows.kernel.ledger import Entry, Ledger
from workflows.kernel.periods import Period
from workflows.response.models import OrderedMeasure, ResponseStart, ResponseState, SpStatus

FOLLOW_UP = Period(
    key="follow_up",
    days=30,  # replaced by the policy's interval
    counted_from="the last follow-up check",
    counted_from_hu="az előző utóellenőrzés",
    article="SP Art 5(2)(c)",
    label="Follow-up check of the response measures",
    label_hu="A válaszintézkedések utóellenőrzése",
    reminders=False,
    lapses=False,  # a moment: the case checks, reminds the operator and sets the next one
)
PAYMENT = Period(
    key="payment",
    days=30,  # replaced by the policy's term
    counted_from="the demand for the costs",
    counted_from_hu="a költségek megtérítésére irányuló felhívás",
    article="SP Art 5(5)",
    label="Payment of the costs by the operator",
    label_hu="A költségek megfizetése az üzemeltető által",
)
RELATIVE_FROM = {
    "knowledge": (
        "the authority's knowledge of the damage",
        "a kárról való hatósági tudomásszerzés",
    ),
    "occurrence": ("the occurrence of the damage", "a kár bekövetkezése"),
}
ABSOLUTE_FROM = {
    "occurrence": ("the occurrence of the damage", "a kár bekövetkezése"),
    "movement": ("the start of the transboundary movement", "az országhatárokon átnyúló szállítás "
                 "kezdete"),
}  # fmt: skip


def measure_period(m: OrderedMeasure) -> Period:
    return Period(
        key=f"measure-{m.number}",
        days=m.days,
        counted_from=m.counted_from,
        counted_from_hu=m.counted_from_hu,
        article=m.article,
        label=f"Measure {m.number} completed by the operator",
        label_hu=f"A(z) {m.number}. intézkedés végrehajtása az üzemeltető által",
    )


def limit_period(kind: str, days: int, start_rule: str) -> Period:
    en, hu = (RELATIVE_FROM if kind == "relative" else ABSOLUTE_FROM)[start_rule]
    return Period(
        key=f"{kind}_limit",
        days=days,
        counted_from=en,
        counted_from_hu=hu,
        article="SP Art 7",
        label=f"{kind.capitalize()} time limit for actions on response measures",
        label_hu=("Relatív" if kind == "relative" else "Abszolút")
        + " határidő a válaszintézkedésekkel kapcsolatos eljárási cselekményekre",
        reminders=False,
        lapses=False,  # a moment: when it arrives, what is not yet done is time-barred
    )


def limit_start(start: ResponseStart, rule: str) -> date:
    """The date a time limit counts from (SP Art 7(b)); where the damage's date is not known,
    the day the authority learnt of it."""
    o = start.opening
    if rule == "movement":
        return o.movement.started_on
    if rule == "occurrence":
        return o.occurred_on or start.received_on
    return start.received_on


def scope_refusals(start: ResponseStart, sp: SpStatus | None) -> list[str]:
    """Why a case is outside the Supplementary Protocol (none: in scope). The movement kinds of
    Art 3(2)-(3) and the categories of Art 3(1) are the opening's shape; the date rule of Art
    3(4) compares the movement's start with the entry into force for the Party that the treaty
    status case computed (SP Art 18), and a withdrawal that took effect before it (SP Art 20)."""
    o, party = start.opening, start.authority.party
    started = o.movement.started_on
    out = []
    if not o.within_national_jurisdiction:
        out.append(
            "the damage did not occur within the limits of the national jurisdiction of "
            f"{party} (SP Art 3(5))"
        )
    if sp is None:
        out.append(
            f"no entry into force of the Supplementary Protocol for {party} is recorded: "
            f"record the deposit first (treaty status case treaty-sp-{party.lower()}, SP Art 18)"
        )
    elif started < sp.entry_into_force_on:
        out.append(
            f"the transboundary movement started on {started}, before the Supplementary "
            f"Protocol entered into force for {party} on {sp.entry_into_force_on} (SP Art 3(4), "
            f"Art 18; {sp.case_id})"
        )
    elif (gone := sp.withdrawal_takes_effect_on) is not None and started >= gone:
        out.append(
            f"the transboundary movement started on {started}, after the withdrawal of {party} "
            f"from the Supplementary Protocol took effect on {gone} (SP Art 20; {sp.case_id})"
        )
    return out


class ResponseClocks:
    def __init__(self, ledger: Ledger, start: ResponseStart, state: ResponseState) -> None:
        self._ledger = ledger
        self._start = start
        self._policy = start.policy
        self._state = state

    def measure_due(self, m: OrderedMeasure) -> clock.Deadline:
        return self._ledger.compute(measure_period(m), m.start)

    def limit(self, kind: str) -> tuple[Period, clock.Deadline]:
        p = self._policy
        if kind == "relative":
            period = limit_period(kind, p.relative_limit_days, p.relative_limit_from)
            start = limit_start(self._start, p.relative_limit_from)
        else:
            period = limit_period(kind, p.absolute_limit_days, p.absolute_limit_from)
            start = limit_start(self._start, p.absolute_limit_from)
        return period, self._ledger.compute(period, start)

    def entries(self) -> list[Entry]:
        st, out = self._state, []
        if st.scope_refusals:
            return []
        for kind in ("relative", "absolute"):
            period, due = self.limit(kind)
            met = st.demand.demanded_on if st.demand else None
            out.append(Entry(period, due, met_on=met, closed_on=st.closed_on))
        if st.suspended_since is None:
            for m in st.measures:
                closed = st.closed_on or m.taken_over_on
                out.append(Entry(measure_period(m), self.measure_due(m), m.completed_on, closed))
            if st.follow_up_from is not None and not st.closed_on and self.open_measures():
                period = dataclasses.replace(FOLLOW_UP, days=self._policy.follow_up_days)
                if st.follow_ups == 0:
                    period = dataclasses.replace(
                        period,
                        counted_from="the decision on response measures",
                        counted_from_hu="a válaszintézkedésekről hozott döntés",
                    )
                out.append(Entry(period, self._ledger.compute(period, st.follow_up_from)))
        if st.demand is not None:
            period = dataclasses.replace(PAYMENT, days=self._policy.payment_days)
            due = self._ledger.compute(period, st.demand.demanded_on)
            settled = st.payments[-1] if st.paid >= st.demand.recoverable else None
            out.append(Entry(period, due, met_on=settled, closed_on=st.closed_on))
        return out

    def open_measures(self) -> list[OrderedMeasure]:
        return [m for m in self._state.measures if m.completed_on is None]
