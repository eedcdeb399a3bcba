"""The periods of a confidentiality case (CP Art 21) as data, one set per claim.

The Protocol sets no number of days for any step of Art 21: each is a domestic setting
(``infra/settings.py``), snapshotted into the case when it opens.

- Justification (21(1)): the notifier's, counted from the request; when it passes unanswered the
  officers are told (a lapse), and the claim still stands.
- Consultation (21(2)): the notifier's time to give its views before the authority may reject a
  claim; a moment that arrives, after which the authority may decide.
- Internal review window (21(2)): after a rejection, the notifier's opportunity to ask for an
  internal review before any disclosure; a moment, after which the item may be disclosed.
- Review decision (21(2)): the authority's own deadline to decide a review.
"""

from __future__ import annotations

from datetime import date

from workflows.confidentiality.models import ClaimState, ConfidentialityState, Periods
from workflows.kernel.ledger import Entry, Ledger
from workflows.kernel.periods import Period


def justification(item: str, days: int) -> Period:
    return Period(
        key=f"justification-{item}",
        days=days,
        counted_from="the request for justification",
        counted_from_hu="az indokolás bekérése",
        article="CP Art 21(1)",
        label=f"Justification of the claim on Annex I item ({item})",
        label_hu=f"Az I. Melléklet {item}) pontjára vonatkozó igény indokolása",
    )


def consultation(item: str, days: int) -> Period:
    return Period(
        key=f"consultation-{item}",
        days=days,
        counted_from="the consultation letter",
        counted_from_hu="a konzultációs levél",
        article="CP Art 21(2)",
        label=f"Notifier's views on the claim on Annex I item ({item})",
        label_hu=f"A bejelentő álláspontja az I. Melléklet {item}) pontjára vonatkozó igényről",
        reminders=False,
        lapses=False,
    )


def review_window(item: str, days: int) -> Period:
    return Period(
        key=f"review-window-{item}",
        days=days,
        counted_from="the decision rejecting the claim",
        counted_from_hu="az igényt elutasító döntés",
        article="CP Art 21(2)",
        label=f"Opportunity for an internal review: Annex I item ({item})",
        label_hu=f"Belső felülvizsgálat kérésének lehetősége: I. Melléklet {item}) pont",
        reminders=False,
        lapses=False,
    )


def review_decision(item: str, days: int) -> Period:
    return Period(
        key=f"review-decision-{item}",
        days=days,
        counted_from="the request for review",
        counted_from_hu="a felülvizsgálati kérelem",
        article="CP Art 21(2)",
        label=f"Decision on the internal review: Annex I item ({item})",
        label_hu=f"Döntés a belső felülvizsgálatról: I. Melléklet {item}) pont",
    )


class ConfidentialityClocks:
    def __init__(self, ledger: Ledger, periods: Periods, state: ConfidentialityState) -> None:
        self._ledger = ledger
        self._periods = periods
        self._state = state

    def entries(self) -> list[Entry]:
        out: list[Entry] = []
        for c in self._state.claims:
            out += self._of(c)
        return out

    def _of(self, c: ClaimState) -> list[Entry]:
        p, out = self._periods, []
        ended = c.settled_on or self._state.withdrawn_on
        if c.justification_requested_on is not None:
            period = justification(c.item, p.justification_days)
            due = self._ledger.compute(period, c.justification_requested_on)
            out.append(Entry(period, due, met_on=c.justified_on, closed_on=ended))
        if c.consultation_opened_on is not None:
            period = consultation(c.item, p.consultation_days)
            due = self._ledger.compute(period, c.consultation_opened_on)
            out.append(Entry(period, due, met_on=c.views_given_on, closed_on=ended))
        if c.outcome == "not_confidential" and c.decided_on is not None:
            period = review_window(c.item, p.review_request_days)
            due = self._ledger.compute(period, c.decided_on)
            out.append(Entry(period, due, met_on=c.review_requested_on, closed_on=ended))
        if c.review_requested_on is not None:
            period = review_decision(c.item, p.review_decision_days)
            due = self._ledger.compute(period, c.review_requested_on)
            out.append(Entry(period, due, met_on=c.reviewed_on, closed_on=ended))
        return out

    def due(self, key: str) -> date:
        due = next(e for e in self.entries() if e.period.key == key).deadline.due
        assert due is not None  # these periods never stop
        return due
