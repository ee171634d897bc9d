"""The state's index of kept pages (table `pages`, schema version 5): URL → WARC records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from scraper.archive.state import State


@dataclass(frozen=True)
class PageRecord:
    """Where one response or revisit record of a page is, and what it holds."""

    url: str
    #: "response" (the page's bytes are in it) or "revisit" (the same bytes as an earlier one).
    record: str
    record_id: str
    file: str
    #: Offset of the page's first member (its request record), then of this record's member.
    start: int
    at: int
    #: Bytes of this record's member.
    size: int
    #: WARC-Payload-Digest of the page's bytes ("sha1:" and base 32).
    digest: str
    #: The WARC-Date of the fetch (ISO 8601, UTC).
    fetched: str
    #: The date a listing gave the page: the parser's fallback when the page has none.
    listed: dt.date | None = None


_COLUMNS = "url, record, record_id, file, start, at, size, digest, fetched, listed"


def put_record(state: State, row: PageRecord) -> None:
    """Index one record, once its members are in their file and synced."""
    listed = row.listed.isoformat() if row.listed is not None else None
    with state._writing() as db:  # the state's own transaction: one lock for every table
        db.execute(
            f"INSERT INTO pages ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*_values(row)[:-1], listed),
        )


def newest_record(state: State, url: str) -> PageRecord | None:
    """The newest record kept of a page (a response, or a revisit of one)."""
    return _one(state, "url = ? ORDER BY id DESC LIMIT 1", (url,))


def record_by_id(state: State, record_id: str) -> PageRecord | None:
    """The record with this WARC-Record-ID (a file's source), or None when it is not indexed."""
    return _one(state, "record_id = ? ORDER BY id DESC LIMIT 1", (record_id,))


def newest_response(state: State, url: str, digest: str) -> PageRecord | None:
    """The newest response record of a page with these bytes (what a revisit refers to)."""
    where = "url = ? AND record = 'response' AND digest = ? ORDER BY id DESC LIMIT 1"
    return _one(state, where, (url, digest))


def indexed_end(state: State, file: str) -> int:
    """Where the last indexed record of a WARC file ends (0: none)."""
    with state._reading() as db:
        row = db.execute("SELECT max(at + size) FROM pages WHERE file = ?", (file,)).fetchone()
    return int(row[0] or 0)


def all_records(state: State) -> list[PageRecord]:
    """Every indexed record, in the order kept."""
    with state._reading() as db:
        rows = db.execute(f"SELECT {_COLUMNS} FROM pages ORDER BY id").fetchall()
    return [_record(row) for row in rows]


def _one(state: State, where: str, args: tuple[str, ...]) -> PageRecord | None:
    """The first record a query finds, or None."""
    with state._reading() as db:
        row = db.execute(f"SELECT {_COLUMNS} FROM pages WHERE {where}", args).fetchone()
    return None if row is None else _record(row)


def _values(row: PageRecord) -> tuple[object, ...]:
    """A record's values in column order."""
    return (
        row.url,
        row.record,
        row.record_id,
        row.file,
        row.start,
        row.at,
        row.size,
        row.digest,
        row.fetched,
        row.listed,
    )


def _record(row: tuple[object, ...]) -> PageRecord:
    """A row of the table as a PageRecord."""
    url, record, record_id, file, start, at, size, digest, fetched, listed = row
    return PageRecord(
        str(url),
        str(record),
        str(record_id),
        str(file),
        int(str(start)),
        int(str(at)),
        int(str(size)),
        str(digest),
        str(fetched),
        dt.date.fromisoformat(str(listed)) if listed else None,
    )
