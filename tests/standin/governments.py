"""Government facet ids of the site's search and the periods they cover (NZ dates)."""

from __future__ import annotations

import datetime as dt

#: (facet id, first day in office), newest first; the last one runs from the beginning.
GOVERNMENTS: tuple[tuple[int, dt.date], ...] = (
    (6700, dt.date(2023, 11, 27)),
    (6455, dt.date(2020, 11, 6)),
    (6203, dt.date(2017, 10, 26)),
    (6064, dt.date(2014, 10, 8)),
    (5926, dt.date(2011, 12, 12)),
    (4775, dt.date(2008, 11, 19)),
    (4637, dt.date(2005, 10, 19)),
    (4507, dt.date(2002, 8, 15)),
    (4376, dt.date(1999, 12, 10)),
    (4265, dt.date(1996, 12, 16)),
    (4194, dt.date.min),
)
GOVERNMENT_IDS: frozenset[int] = frozenset(gid for gid, _ in GOVERNMENTS)
CURRENT_GOVERNMENT = 6700
#: Search results of these governments link `/node/<id>` rather than the content path.
NODE_LINKED_GOVERNMENTS: frozenset[int] = frozenset({4637, 4507, 4376, 4265, 4194})
#: Government assumed for undated items (the one undated fixture is a 2008 release).
UNDATED_GOVERNMENT = 4637


def government_of(day: dt.date) -> int:
    """Return the facet id of the government in office on a New Zealand date."""
    for gid, start in GOVERNMENTS:
        if day >= start:
            return gid
    return GOVERNMENTS[-1][0]
