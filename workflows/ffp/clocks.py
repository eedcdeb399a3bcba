"""The periods of a food, feed or processing case (CP Art 11) as data, and its ledger.

Art 11(1): inform the Parties through the BCH within 15 days of the decision; met when the
record is handed to the BCH publication process. Art 11(6)(b): a Party that declared it uses
that route decides before the first import within 270 days, counted here from the receipt of
the application; failing to decide implies neither consent nor refusal (11(7)). Art 11(3): the
Protocol sets no period for answering another Party's request for additional information;
:data:`ANSWER_DAYS` is the default an officer may change per request, the same 30 days the
Protocol gives for informing of a changed decision (Art 12(1)).
"""

from __future__ import annotations

import dataclasses
from datetime import date

from workflows.ffp.models import FfpState, InformationRequest
from workflows.kernel.ledger import Entry, Ledger
from workflows.kernel.periods import Period

ANSWER_DAYS = 30

INFORM_PARTIES = Period(
    key="inform_parties",
    days=15,  # Art 11(1)
    counted_from="the decision",
    counted_from_hu="a döntés meghozatala",
    article="CP Art 11(1)",
    label="Parties informed through the BCH",
    label_hu="A Részes Felek tájékoztatása a BCH útján",
)
FIRST_IMPORT_DECISION = Period(
    key="first_import_decision",
    days=270,  # Art 11(6)(b): "not exceeding two hundred and seventy days"
    counted_from="receipt of the application",
    counted_from_hu="a kérelem kézhezvétele",
    article="CP Art 11(6)(b)",
    label="Decision before the first import",
    label_hu="Döntés az első behozatal előtt",
)
ANSWER = Period(
    key="answer",
    days=ANSWER_DAYS,  # replaced by the request's own number of days
    counted_from="receipt of the request",
    counted_from_hu="a megkeresés kézhezvétele",
    article="CP Art 11(3)",
    label="Additional information for the requesting Party",
    label_hu="További információ a megkereső Részes Félnek",
)


def answer_period(request: InformationRequest) -> Period:
    return dataclasses.replace(
        ANSWER,
        key=f"answer-{request.number}",
        days=request.answer_within_days,
        label=f"Additional information for {request.requesting_party} (request {request.number})",
        label_hu=f"További információ a megkereső Részes Félnek ({request.requesting_party}, "
        f"{request.number}. megkeresés)",
    )


class FfpClocks:
    def __init__(self, ledger: Ledger, received_on: date, first_import: bool, state: FfpState):
        self._ledger = ledger
        self._received_on = received_on
        self._first_import = first_import
        self._state = state

    def entries(self) -> list[Entry]:
        st, out = self._state, []
        decided_on = st.decision.decided_on if st.decision else None
        if self._first_import:
            due = self._ledger.compute(FIRST_IMPORT_DECISION, self._received_on)
            out.append(Entry(FIRST_IMPORT_DECISION, due, met_on=decided_on, closed_on=st.closed_on))
        if decided_on is not None:
            inform = self._ledger.compute(INFORM_PARTIES, decided_on)
            out.append(Entry(INFORM_PARTIES, inform, met_on=st.informed_on))
        for r in st.requests:
            period = answer_period(r)
            answer = self._ledger.compute(period, r.received_on)
            out.append(Entry(period, answer, met_on=r.answered_on))
        return out

    def by_key(self, key: str) -> Entry:
        return next(e for e in self.entries() if e.period.key == key)
