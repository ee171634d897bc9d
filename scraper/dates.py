"""Instants to calendar dates in a time zone, and the date rules of the old archive."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scraper.errors import ConfigError

#: What the old exporter wrote for a page without a date; never a publication date.
UNDATED = dt.date(1, 1, 1)

#: Years that only placeholders fall in: Go's zero time (0001-01-01, which the old exporter
#: wrote for "no date") and the largest date software uses for "never" (9999-12-31).
_PLACEHOLDER_YEARS = frozenset({dt.MINYEAR, dt.MAXYEAR})


def local_date(instant: dt.datetime, zone: str) -> dt.date:
    """The date of an aware instant in a time zone (naive instants are taken as UTC).

    Raises ValueError for an instant that the zone cannot place on the calendar (the first
    or last hours that `datetime` can hold).
    """
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    try:
        return instant.astimezone(time_zone(zone)).date()
    except OverflowError as exc:
        raise ValueError(f"{instant.isoformat()} is out of the calendar's range") from exc


def publication_date(instant: dt.datetime, zone: str) -> dt.date | None:
    """The date a release was published at `instant`; None when the instant is no date.

    A placeholder (0001-01-01, 9999-12-31) or an instant off the calendar says "no date":
    the caller then falls back on another source, and never writes it.
    """
    try:
        date = local_date(instant, zone)
    except ValueError:
        return None
    return None if is_placeholder(date) else date


def is_placeholder(date: dt.date) -> bool:
    """Whether a date is a placeholder for "no date" (0001-01-01, 9999-12-31), never a real one."""
    return date.year in _PLACEHOLDER_YEARS


def old_archive_dates(date: dt.date) -> frozenset[dt.date]:
    """The dates the old exporter may have given a release of this New Zealand date.

    It wrote the UTC date, which is the same day or the day before, and 0001-01-01 for pages
    it found no date on.
    """
    before = date - dt.timedelta(days=1) if date > dt.date.min else date
    return frozenset({date, before, UNDATED})


@lru_cache(maxsize=8)
def time_zone(name: str) -> ZoneInfo:
    """A time zone by IANA name; ConfigError naming it when there is no such zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"unknown time zone {name!r}: use an IANA name such as Pacific/Auckland or UTC"
        ) from exc
