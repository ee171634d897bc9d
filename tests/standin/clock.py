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
    utc = as_utc(when)
    # strftime's %Y does not pad years before 1000 (glibc writes `1`, not `0001`).
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S}Z"


def nz_wall(when: dt.datetime) -> tuple[dt.datetime, int]:
    """Return a time's New Zealand wall clock and the years to add to its year (0 or 400)."""
    utc = as_utc(when)
    try:
        return utc.astimezone(NZ), 0
    except OverflowError:
        # Late on 9999-12-31 UTC it is already year 10000 in New Zealand, which datetime cannot
        # hold. The calendar (weekdays too) repeats every 400 years and the zone's rules that
        # far out repeat every year, so the wall clock 400 years earlier differs only in year.
        return utc.replace(year=utc.year - 400).astimezone(NZ), 400


def nz_day(when: dt.datetime) -> dt.date:
    """Return the New Zealand calendar date of a time (`date.max` past year 9999)."""
    local, extra_years = nz_wall(when)
    return dt.date.max if extra_years else local.date()


def nz_date_text(when: dt.datetime) -> str:
    """Format a time as the site's visible date, e.g. `10 December 2025` (NZ date)."""
    local, extra_years = nz_wall(when)
    return f"{local.day} {local:%B} {local.year + extra_years}"


def rss_date(when: dt.datetime) -> str:
    """Format a time as the feed's pubDate, e.g. `Tue, 01 Apr 2025 17:42:54 +1300`."""
    local, extra_years = nz_wall(when)
    offset = local.utcoffset() or dt.timedelta(0)
    # Before 1868 the zone is on local mean time (+11:39:04), which a `+HHMM` offset cannot
    # write: round it to the minute and move the clock with it, so the date names the instant.
    minutes = round(offset / dt.timedelta(minutes=1))
    local += dt.timedelta(minutes=minutes) - offset
    sign, hours_minutes = "+" if minutes >= 0 else "-", divmod(abs(minutes), 60)
    day, month = _DAYS[local.weekday()], _MONTHS[local.month - 1]
    year = local.year + extra_years
    return (
        f"{day}, {local.day:02d} {month} {year:04d} {local:%H:%M:%S} "
        f"{sign}{hours_minutes[0]:02d}{hours_minutes[1]:02d}"
    )


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
