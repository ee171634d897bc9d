"""Instants to dates, placeholders, and the old archive's date window."""

from __future__ import annotations

import datetime as dt

import pytest

from scraper.dates import UNDATED, local_date, old_archive_dates, publication_date

NZ = "Pacific/Auckland"


def test_the_new_zealand_date_of_an_instant() -> None:
    instant = dt.datetime(2025, 12, 9, 21, 37, 58, tzinfo=dt.UTC)
    assert publication_date(instant, NZ) == dt.date(2025, 12, 10)
    assert publication_date(instant, "UTC") == dt.date(2025, 12, 9)


@pytest.mark.parametrize(
    "instant",
    [
        dt.datetime(1, 1, 1, tzinfo=dt.UTC),
        dt.datetime(9999, 12, 31, tzinfo=dt.UTC),
        dt.datetime(9999, 12, 31, 23, tzinfo=dt.UTC),  # off the calendar in New Zealand
        dt.datetime.max,
    ],
)
def test_placeholders_and_instants_off_the_calendar_are_no_date(instant: dt.datetime) -> None:
    assert publication_date(instant, NZ) is None


def test_an_instant_off_the_calendar_is_a_value_error_not_an_overflow() -> None:
    with pytest.raises(ValueError, match="out of the calendar"):
        local_date(dt.datetime(9999, 12, 31, 23, tzinfo=dt.UTC), NZ)


def test_the_old_archive_wrote_the_day_before_or_no_date() -> None:
    day = dt.date(2017, 12, 5)
    assert old_archive_dates(day) == {day, dt.date(2017, 12, 4), UNDATED}


def test_the_first_day_of_the_calendar_has_no_day_before() -> None:
    assert old_archive_dates(dt.date.min) == {dt.date.min}
