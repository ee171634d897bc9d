"""Instants to calendar dates in a time zone."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scraper.errors import ConfigError


def local_date(instant: dt.datetime, zone: str) -> dt.date:
    """The date of an aware instant in a time zone (naive instants are taken as UTC)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    return instant.astimezone(time_zone(zone)).date()


@lru_cache(maxsize=8)
def time_zone(name: str) -> ZoneInfo:
    """A time zone by IANA name; ConfigError naming it when there is no such zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"unknown time zone {name!r}: use an IANA name such as Pacific/Auckland or UTC"
        ) from exc
