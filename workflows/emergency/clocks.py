"""The periods of an emergency case (CP Art 17) as data, and its ledger.

Art 17(1): the notification "shall be provided as soon as the Party knows"; the Protocol sets no
number of days, so the authority's own limit (``notification_days``, a setting, one day by
default) is a period of its own, met when the notifications are queued, escalated when it
lapses. Art 17(4): the consultation is "immediate" and lasts as long as the emergency; the
Protocol sets no end, so the case follows up at a set interval (``follow_up_days``) until it is
closed: each follow-up is a moment, not a deadline the authority can miss.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from workflows.emergency.models import EmergencyState
from workflows.kernel.ledger import Entry, Ledger
from workflows.kernel.periods import Period

NOTIFY = Period(
    key="notify_affected_states",
    days=1,  # replaced by the case's notification_days
    counted_from="knowledge of the occurrence",
    counted_from_hu="az esemény tudomásra jutása",
    article="CP Art 17(1)",
    label="Affected States, the BCH and organisations notified",
    label_hu="Az érintett államok, a BCH és a szervezetek értesítése",
    reminders=False,  # "as soon as": nothing to remind of before it ends
)
FOLLOW_UP = Period(
    key="follow_up",
    days=14,  # replaced by the case's follow_up_days
    counted_from="the last follow-up (or the notification)",
    counted_from_hu="az előző áttekintés (vagy az értesítés)",
    article="CP Art 17(4)",
    label="Follow-up of the consultation and emergency measures",
    label_hu="A konzultáció és a szükséghelyzeti intézkedések áttekintése",
    reminders=False,
    lapses=False,  # a moment that arrives: the officers review the case
)


class EmergencyClocks:
    def __init__(
        self,
        ledger: Ledger,
        learned_on: date,
        state: EmergencyState,
        *,
        notification_days: int,
        follow_up_days: int,
    ) -> None:
        self._ledger = ledger
        self._learned_on = learned_on
        self._state = state
        self._notify = dataclasses.replace(NOTIFY, days=notification_days)
        self._follow_up = dataclasses.replace(FOLLOW_UP, days=follow_up_days)

    def entries(self) -> list[Entry]:
        st = self._state
        notify = self._ledger.compute(self._notify, self._learned_on)
        out = [Entry(self._notify, notify, met_on=st.notified_on, closed_on=st.closed_on)]
        if st.notified_on is not None and st.closed_on is None:
            since = st.follow_ups[-1] if st.follow_ups else st.notified_on
            out.append(Entry(self._follow_up, self._ledger.compute(self._follow_up, since)))
        return out

    def by_key(self, key: str) -> Entry:
        return next(e for e in self.entries() if e.period.key == key)
