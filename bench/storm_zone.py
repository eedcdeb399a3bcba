"""A time zone made for the deadline storm: one whose local midnight falls on a chosen instant.

A deadline counted in days passes when its last day ends in the authority's time zone
(workflows/clock/, ``end_of_day``). With the receipt dates of 1,000 cases put 90 days back
(CP Art 9(1): acknowledgement within 90 days of receipt) and a zone whose day ends a few minutes
from now in real time, all their acknowledgement deadlines pass on one instant. The zone is a
fixed offset, written as a TZif file (RFC 8536) into a folder that is put first on
``PYTHONTZPATH`` for the stack: the same file ``zic`` would compile, with no tool needed.
"""

from __future__ import annotations

import struct
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ZONE_NAME = "Bench/Storm"
_DAY = timedelta(days=1)


def offset_for_midnight_at(instant: datetime) -> timedelta:
    """The UTC offset, in (-12 h, +12 h], whose local time at ``instant`` is 00:00:00.

    ``instant`` is taken to the whole second (offsets are whole seconds in TZif)."""
    if instant.tzinfo is None:
        raise ValueError("instant must be aware")
    utc = instant.astimezone(UTC)
    since_midnight = timedelta(hours=utc.hour, minutes=utc.minute, seconds=utc.second)
    offset = -since_midnight % _DAY  # local = utc + offset ≡ 00:00
    if offset > timedelta(hours=12):
        offset -= _DAY
    return offset


def posix_tz(offset: timedelta) -> str:
    """The POSIX TZ string of a fixed offset (its sign is the opposite of ISO 8601's)."""
    seconds = int(offset.total_seconds())
    sign = "-" if seconds >= 0 else "+"  # POSIX: hours west of Greenwich are positive
    h, rest = divmod(abs(seconds), 3600)
    m, s = divmod(rest, 60)
    name = f"<{'+' if seconds >= 0 else '-'}{h:02d}{m:02d}{s:02d}>"
    return f"{name}{sign}{h}:{m:02d}:{s:02d}"


def tzif(offset: timedelta) -> bytes:
    """A TZif version 2 file for a zone fixed at ``offset``: no transitions, one local time
    type, and the POSIX TZ string as its footer."""
    seconds = int(offset.total_seconds())
    abbreviation = b"STORM\0"

    def block() -> bytes:
        # counts: UT/local indicators, standard/wall indicators, leap seconds, transitions,
        # local time types, abbreviation characters
        counts = struct.pack(">6l", 0, 0, 0, 0, 1, len(abbreviation))
        return counts + struct.pack(">lBB", seconds, 0, 0) + abbreviation

    header = b"TZif2" + b"\0" * 15
    return header + block() + header + block() + f"\n{posix_tz(offset)}\n".encode()


def write_zone(folder: Path, offset: timedelta) -> Path:
    """Write the zone as ``<folder>/Bench/Storm``; ``folder`` goes on ``PYTHONTZPATH``."""
    path = folder / ZONE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(tzif(offset))
    return path


def receipt_date_for(instant: datetime, offset: timedelta, period_days: int) -> date:
    """The date of receipt whose ``period_days`` deadline (day of receipt = day 0) ends at
    ``instant``, local midnight in the zone: the deadline's last day is the local day before."""
    last_day = (instant.astimezone(UTC) + offset - timedelta(seconds=1)).date()
    return last_day - timedelta(days=period_days)
