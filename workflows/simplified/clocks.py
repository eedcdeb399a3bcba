"""The one period of a specification (CP Art 13(1): "specify in advance to the Biosafety
Clearing-House"): each of its BCH records (the specification, each amendment) is to be published
on the BCH within a number of days the deployment sets (``simplified_publication_days``; the
Protocol sets none), counted from the day it was made; met when the national focal point has
published it."""

from __future__ import annotations

import dataclasses
from datetime import date

from workflows.kernel.ledger import Entry, Ledger
from workflows.kernel.periods import Period
from workflows.simplified.models import BchRecord

PUBLICATION = Period(
    key="bch_publication",
    days=15,  # replaced by the setting snapshotted into the case
    counted_from="the specification",
    counted_from_hu="a meghatározás",
    article="CP Art 13(1)",
    label="Specification made available to the BCH",
    label_hu="A meghatározás közzététele a BCH-ban",
)


def publication_period(record: BchRecord, days: int) -> Period:
    if record.number == 1:
        return dataclasses.replace(PUBLICATION, days=days)
    return dataclasses.replace(
        PUBLICATION,
        key=f"bch_publication-{record.number}",
        days=days,
        counted_from="the amendment",
        counted_from_hu="a módosítás",
        label=f"Amendment {record.number - 1} made available to the BCH",
        label_hu=f"A {record.number - 1}. módosítás közzététele a BCH-ban",
    )


def entries(
    ledger: Ledger, records: list[BchRecord], days: int, closed_on: date | None
) -> list[Entry]:
    """One deadline per record that has one: the withdrawal's record ends the case, and its
    publication is followed by its own process (workflows/bch_publication.py)."""
    out = []
    for r in records:
        if r.step == "withdrawal":
            continue
        period = publication_period(r, days)
        due = ledger.compute(period, r.queued_on)
        out.append(Entry(period, due, met_on=r.published_on, closed_on=closed_on))
    return out
