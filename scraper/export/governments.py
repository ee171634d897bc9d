"""The governments whose releases the site holds, and which one was in office on a day.

One table, newest first: the site's search facet id of each government (the ids of
`site/discover.py`), the years the site gives it, and its first day in office (a New Zealand
date). A release belongs to the government in office on its date; one the old exporter dated
0001-01-01 (it had no date) belongs to none. The names are made from
those years only: the site's own names of its governments have not been seen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from scraper.dates import UNDATED

__all__ = ["GOVERNMENTS", "Government", "government_of"]

#: The old exporter's date for a page that had none: it says nothing of the government.


@dataclass(frozen=True)
class Government:
    """One government as the site files it."""

    #: The id of its `government_facet` in the site's search.
    facet: int
    #: The years the site gives it, e.g. "2017–2020".
    years: str
    #: Its first day in office; None for the earliest, whose start the site does not give.
    first_day: dt.date | None

    @property
    def name(self) -> str:
        """How a person reads it: "Government 2017–2020"."""
        return f"Government {self.years}"

    @property
    def label(self) -> str:
        """Its name with when it began: "Government 2017–2020 (from 2017-10-26)"."""
        if self.first_day is None:
            return f"{self.name} (the earliest)"
        return f"{self.name} (from {self.first_day.isoformat()})"


#: Newest first; each runs from its first day to the day before the next one's.
GOVERNMENTS: tuple[Government, ...] = (
    Government(6700, "2023–2026", dt.date(2023, 11, 27)),
    Government(6455, "2020–2023", dt.date(2020, 11, 6)),
    Government(6203, "2017–2020", dt.date(2017, 10, 26)),
    Government(6064, "2014–2017", dt.date(2014, 10, 8)),
    Government(5926, "2011–2014", dt.date(2011, 12, 12)),
    Government(4775, "2008–2011", dt.date(2008, 11, 19)),
    Government(4637, "2005–2008", dt.date(2005, 10, 19)),
    Government(4507, "2002–2005", dt.date(2002, 8, 15)),
    Government(4376, "1999–2002", dt.date(1999, 12, 10)),
    Government(4265, "1996–1999", dt.date(1996, 12, 16)),
    Government(4194, "1993–1996", None),
)


def government_of(day: dt.date) -> Government | None:
    """The government in office on a New Zealand date (the earliest for any day before it);
    None for the old exporter's undated 0001-01-01."""
    if day == UNDATED:
        return None
    for government in GOVERNMENTS:
        if government.first_day is None or day >= government.first_day:
            return government
    return GOVERNMENTS[-1]
