"""Which specification of the Party's (CP Art 13(1)) a notified movement falls under: pure, for
the AIA intake (api/simplified.py reads the register and applies it).

A specification covers a movement when it is in force on the day, names the LMO by its unique
identifier, covers every use notified, and is open to the Party of export. Where several do, an
exemption from the AIA procedure (13(1)(b)) goes before a movement at the time of notification
(13(1)(a)), since under it nothing waits for the Party of import at all; then the one in effect
longest, then the case id, so that the answer never depends on the order they are read in.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from workflows.simplified.models import Specification, Use


def covers(
    spec: Specification, lmo_id: str, uses: Iterable[Use], party_of_export: str, on_date: date
) -> bool:
    wanted = set(uses)
    return (
        spec.in_force
        and spec.effective_on <= on_date
        and (spec.expires_on is None or on_date <= spec.expires_on)
        and lmo_id.strip().upper() in spec.lmos
        and bool(wanted)
        and wanted <= set(spec.uses)
        and (not spec.parties_of_export or party_of_export.upper() in spec.parties_of_export)
    )


def match(
    specifications: Iterable[Specification],
    lmo_id: str,
    uses: Iterable[Use],
    party_of_export: str,
    on_date: date,
) -> Specification | None:
    """The specification a movement of ``lmo_id`` for ``uses`` from ``party_of_export`` on
    ``on_date`` falls under, or None: then the AIA procedure applies (Arts 7-10)."""
    wanted = list(uses)
    found = [s for s in specifications if covers(s, lmo_id, wanted, party_of_export, on_date)]
    found.sort(key=lambda s: (s.kind != "exempt_from_aia", s.effective_on, s.case_id))
    return found[0] if found else None
