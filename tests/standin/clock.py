"""Date and time formats the site uses: UTC attributes, New Zealand text, HTTP and RSS dates."""

from __future__ import annotations

import datetime as dt
import email.utils
from zoneinfo import ZoneInfo

NZ = ZoneInfo("Pacific/Auckland")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def utc_now() -> dt.datetime:
    """Return the current UTC time to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def as_utc(when: dt.datetime) -> dt.datetime:
    """Return a time in UTC; a naive time is taken to be UTC already."""
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def parse_record_time(text: str | None) -> dt.datetime | None:
    """Parse a fixture's UTC time; empty, missing or year-1 placeholders mean undated."""
    if not text or text.startswith("0001-"):
        return None
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC)


def iso_z(when: dt.datetime) -> str:
    """Format a time as the site's `datetime` attribute, e.g. `2025-12-09T21:37:58Z`."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def nz_day(when: dt.datetime) -> dt.date:
    """Return the New Zealand calendar date of a time."""
    return when.astimezone(NZ).date()


def nz_date_text(when: dt.datetime) -> str:
    """Format a time as the site's visible date, e.g. `10 December 2025` (NZ date)."""
    day = nz_day(when)
    return f"{day.day} {day:%B} {day.year}"


def rss_date(when: dt.datetime) -> str:
    """Format a time as the feed's pubDate, e.g. `Tue, 01 Apr 2025 17:42:54 +1300`."""
    local = when.astimezone(NZ)
    offset = local.strftime("%z")
    day, month = _DAYS[local.weekday()], _MONTHS[local.month - 1]
    return f"{day}, {local.day:02d} {month} {local.year} {local:%H:%M:%S} {offset}"


def http_date(when: dt.datetime) -> str:
    """Format a time as an HTTP date."""
    return email.utils.format_datetime(as_utc(when), usegmt=True)


def parse_http_date(text: str) -> dt.datetime | None:
    """Parse an HTTP date, or return None when it is not one."""
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed
