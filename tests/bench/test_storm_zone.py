"""The deadline storm's time zone (bench/storm_zone.py): a fixed offset whose local midnight
falls on a chosen instant, written as a TZif file that Python's zoneinfo reads, and the date of
receipt whose 90-day acknowledgement deadline (CP Art 9(1)) passes exactly then by the
statutory clock (workflows/clock/)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bench.storm_zone import (
    ZONE_NAME,
    offset_for_midnight_at,
    posix_tz,
    receipt_date_for,
    write_zone,
)
from workflows import clock


@pytest.mark.parametrize(
    ("instant", "offset"),
    [
        (datetime(2026, 12, 5, 2, 55, tzinfo=UTC), -timedelta(hours=2, minutes=55)),
        (datetime(2026, 12, 5, 13, 30, tzinfo=UTC), timedelta(hours=10, minutes=30)),
        (datetime(2026, 12, 5, 12, 0, tzinfo=UTC), timedelta(hours=12)),
        (datetime(2026, 12, 5, 0, 0, tzinfo=UTC), timedelta(0)),
        (datetime(2026, 12, 5, 23, 59, 30, tzinfo=UTC), timedelta(seconds=30)),
    ],
)
def test_the_offset_puts_local_midnight_on_the_instant(
    instant: datetime, offset: timedelta
) -> None:
    assert offset_for_midnight_at(instant) == offset
    local = instant + offset
    assert (local.hour, local.minute, local.second) == (0, 0, 0)


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        offset_for_midnight_at(datetime(2026, 12, 5, 2, 55))


def test_posix_strings_count_hours_west() -> None:
    assert posix_tz(timedelta(hours=5, minutes=30)) == "<+053000>-5:30:00"
    assert posix_tz(-timedelta(hours=2, minutes=55)) == "<-025500>+2:55:00"


@pytest.fixture
def zone_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder first on zoneinfo's search path (as PYTHONTZPATH puts it for the stack)."""
    before = zoneinfo.TZPATH
    zoneinfo.reset_tzpath([str(tmp_path), *before])
    try:
        yield tmp_path
    finally:
        zoneinfo.reset_tzpath(before)


@pytest.mark.parametrize("minutes", [-11 * 60 - 3, -175, 0, 330, 12 * 60])
def test_zoneinfo_reads_the_zone_file(zone_folder: Path, minutes: int) -> None:
    offset = timedelta(minutes=minutes)
    path = write_zone(zone_folder, offset)
    assert path == zone_folder / "Bench" / "Storm"
    with path.open("rb") as f:
        zone = zoneinfo.ZoneInfo.from_file(f)
    for instant in (datetime(2020, 1, 1, tzinfo=UTC), datetime(2030, 7, 1, 12, tzinfo=UTC)):
        assert instant.astimezone(zone).utcoffset() == offset


def test_the_acknowledgement_deadline_passes_on_the_instant(zone_folder: Path) -> None:
    storm = datetime(2026, 12, 5, 2, 58, tzinfo=UTC)
    offset = offset_for_midnight_at(storm)
    write_zone(zone_folder, offset)
    zoneinfo.ZoneInfo.clear_cache(only_keys=[ZONE_NAME])
    received = receipt_date_for(storm, offset, 90)
    # In the zone it is 4 December until 02:58 UTC; the 90th day after receipt is that day.
    assert received.isoformat() == "2026-09-05"
    assert clock.local_date(storm - timedelta(seconds=1), ZONE_NAME).isoformat() == "2026-12-04"
    assert clock.end_of_day(received + timedelta(days=90), ZONE_NAME) == storm
