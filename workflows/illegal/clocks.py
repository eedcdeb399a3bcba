"""The periods of an illegal-movement case (CP Art 25(2)) as data, and its ledger.

The Protocol sets no period for the Party of origin to dispose of the LMO: the authority gives it
a number of days (a setting, snapshotted when the case opens) to answer the request or confirm
the disposal, and follows up each time that passes, until the disposal is confirmed. Each round
is a deadline in the ledger with reminders; its lapse is escalated to the officers, and a
follow-up letter goes to the Party of origin with a new round. A round that was followed up
leaves the ledger (its lapse stays in the history and in the details): the case is overdue only
while a round is.
"""

from __future__ import annotations

import dataclasses

from workflows.illegal.models import FollowUp, IllegalState
from workflows.kernel.ledger import Entry, Ledger
from workflows.kernel.periods import Period

FOLLOW_UP = Period(
    key="follow_up",
    days=30,  # replaced by the case's own number of days
    counted_from="the request to dispose",
    counted_from_hu="a rendelkezésre irányuló megkeresés",
    article="CP Art 25(2)",
    label="Disposal by the Party of origin",
    label_hu="A származási Részes Fél intézkedése",
)

# What each round counts from, in English and Hungarian.
COUNTED_FROM = {
    "request": ("the request to dispose", "a rendelkezésre irányuló megkeresés"),
    "follow_up": ("the follow-up letter", "az emlékeztető levél"),
    "reply": ("the reply of the Party of origin", "a származási Részes Fél válaszának"),
}


def period(round_: FollowUp) -> Period:
    en, hu = COUNTED_FROM[round_.because]
    return dataclasses.replace(
        FOLLOW_UP,
        key=f"follow_up-{round_.number}",
        days=round_.days,
        counted_from=en,
        counted_from_hu=hu,
        label=f"Follow-up {round_.number}: disposal by the Party of origin answered or confirmed",
        label_hu=f"{round_.number}. követés: a származási Részes Fél válasza vagy a "
        "rendelkezés megerősítése",
    )


class IllegalClocks:
    def __init__(self, ledger: Ledger, state: IllegalState) -> None:
        self._ledger = ledger
        self._state = state

    def entries(self) -> list[Entry]:
        st = self._state
        return [
            Entry(
                period(r),
                self._ledger.compute(period(r), r.started_on),
                met_on=r.answered_on,
                closed_on=st.closed_on,
            )
            for r in st.rounds
            if r.followed_up_on is None
        ]

    def entry(self, round_: FollowUp) -> Entry:
        return Entry(period(round_), self._ledger.compute(period(round_), round_.started_on))
