"""The state database's tables: the migration steps that make them, and the check at open.

Each step of MIGRATIONS takes a database from one version (PRAGMA user_version) to the next
in a transaction. `check` finds whether a database is fit to use: SQLite's own check, the
tables of its version, and every row's values of the right type and shape.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scraper.errors import StoreError
from scraper.models import CONTENT_FOLDERS

# Version 1, as the first releases created it. The text must stay byte for byte: the check at
# open compares each table's stored CREATE statement with what these steps produce.
_V1 = """
CREATE TABLE IF NOT EXISTS files (
    relpath TEXT PRIMARY KEY, kind TEXT NOT NULL, url TEXT NOT NULL, folded TEXT NOT NULL,
    date TEXT NOT NULL, title TEXT NOT NULL, size INTEGER NOT NULL, stamp TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS files_url ON files (url);
CREATE INDEX IF NOT EXISTS files_folded ON files (kind, folded);
CREATE INDEX IF NOT EXISTS files_title ON files (kind, title);
CREATE TABLE IF NOT EXISTS unreadable (
    relpath TEXT PRIMARY KEY, reason TEXT NOT NULL, size INTEGER NOT NULL, stamp TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS validators (
    url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT
);
CREATE TABLE IF NOT EXISTS written (
    url TEXT PRIMARY KEY, relpath TEXT NOT NULL, sha256 TEXT NOT NULL, published TEXT NOT NULL,
    written_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS written_relpath ON written (relpath);
CREATE TABLE IF NOT EXISTS nodes (node_url TEXT PRIMARY KEY, url TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pending (
    url TEXT PRIMARY KEY, kind TEXT NOT NULL, published TEXT, title TEXT,
    misses INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS robots (site TEXT PRIMARY KEY, text TEXT NOT NULL, fetched_at REAL);
"""

_V2 = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY, job TEXT NOT NULL, started TEXT NOT NULL, seconds REAL NOT NULL,
    exit_code INTEGER NOT NULL, counts TEXT NOT NULL, note TEXT
);
CREATE INDEX runs_job ON runs (job, started);
"""

# Version 3: what verify needs. What a sync learnt of the old exporter's files when it
# matched them to pages (their real address, for those holding an ASCII-folded one; the
# listing's date, for those it wrote as 0001-01-01), and when each file was last verified.
_V3 = """
CREATE TABLE learnt (relpath TEXT PRIMARY KEY, url TEXT NOT NULL, listed TEXT);
CREATE TABLE verified (relpath TEXT PRIMARY KEY, at REAL NOT NULL);
"""

# Version 4: each file's latest verify findings (a file found ok has no row), for status and
# report; `kinds` is the kinds joined by spaces.
_V4 = """
CREATE TABLE findings (
    relpath TEXT PRIMARY KEY, url TEXT NOT NULL, kinds TEXT NOT NULL, detail TEXT NOT NULL,
    at REAL NOT NULL
);
"""

# Version 5: where each kept page is in the WARC files (`.scraper/warc/`): one row per
# response or revisit record, so reading a page back is a seek. `at` is the offset of the
# record's gzip member (its request's member comes before it, from `start`); `listed` is the
# date the listing gave the page, which the parser falls back on.
_V5 = """
CREATE TABLE pages (
    id INTEGER PRIMARY KEY, url TEXT NOT NULL, record TEXT NOT NULL, record_id TEXT NOT NULL,
    file TEXT NOT NULL, start INTEGER NOT NULL, at INTEGER NOT NULL, size INTEGER NOT NULL,
    digest TEXT NOT NULL, fetched TEXT NOT NULL, listed TEXT
);
CREATE UNIQUE INDEX pages_at ON pages (file, at);
CREATE INDEX pages_url ON pages (url, id);
"""

# Version 6: files written from the feed alone (`sync --feed-only`), by the release's URL:
# they lack ministers, portfolios and attachments until a sync that reaches the page
# rewrites them. An older state simply has none.
_V6 = """
CREATE TABLE incomplete (url TEXT PRIMARY KEY, relpath TEXT NOT NULL);
"""

# Version 7: the kept record (pages.record_id: a response, or a revisit of one) each file
# this tool wrote was rendered from; a file written from no kept page (pages not kept, or a
# failure to keep it, or from the feed alone) has no row. Rebuild and stale-render use this
# record only, never a newer page of the release. An older state simply has none.
_V7 = """
CREATE TABLE sources (relpath TEXT PRIMARY KEY, record_id TEXT NOT NULL);
CREATE INDEX pages_record ON pages (record_id);
"""

# Version 8: writes noted before their rename (the intent journal): what the state is to
# record once the file is in place, so that a run killed between the rename and that record
# leaves the next run under the lock to finish it (store.py). `url` is null for a rewrite,
# which records the new digest alone; `incomplete` is 0 or 1.
_V8 = """
CREATE TABLE intents (
    relpath TEXT PRIMARY KEY, sha256 TEXT NOT NULL, url TEXT, published TEXT, written_at TEXT,
    incomplete INTEGER, source TEXT
);
"""

#: Step N takes a database from version N to N + 1 (PRAGMA user_version). Append; never edit.
MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8)
SCHEMA_VERSION = len(MIGRATIONS)


class Damaged(Exception):
    """The state database is damaged: not a database, corrupt, or values of a wrong shape.

    Raised by `check`; it never leaves the archive package.
    """


def migrate(db: sqlite3.Connection, version: int) -> None:
    """Run each migration step from `version` to the newest, each in its own transaction."""
    for number in range(version, SCHEMA_VERSION):
        try:
            db.executescript(
                f"BEGIN IMMEDIATE;\n{MIGRATIONS[number]}\nPRAGMA user_version = {number + 1};"
                "\nCOMMIT;"
            )
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise


def one_line(exc: BaseException | str) -> str:
    """An error's text on one line, cut short (SQLite quotes bad values in its messages)."""
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:199] + "…"


@dataclass(frozen=True)
class _Rule:
    """What a column's value must be: an SQL test of `{c}`, and how to say it in a message."""

    sql: str
    says: str
    #: Whether the value can hold any text, so its bytes must be checked to be UTF-8 (the
    #: other tests accept only ASCII text, or no text at all).
    free_text: bool = True


# Comparisons, not typeof(): they are cheaper, and they run on every row at every open.
# Every number sorts before every text, and every text before every blob.
_IS_TEXT = "({c} >= '' AND {c} < X'')"
_KINDS = ", ".join(f"'{kind}'" for kind in CONTENT_FOLDERS)
_TEXT = _Rule(_IS_TEXT, "text")
_TEXT_OR_NULL = _Rule(f"({{c}} IS NULL OR {_IS_TEXT})", "text or empty")
_INTEGER = _Rule("typeof({c}) = 'integer'", "an integer", free_text=False)
# A bound, not < '': SQLite keeps an infinity, which Python's checks of a duration refuse.
_SECONDS = _Rule("{c} >= 0 AND {c} < 1e18", "a number of seconds", free_text=False)
_KIND = _Rule(f"{{c}} IN ({_KINDS})", f"one of {_KINDS}", free_text=False)
# Through julianday(), as date() alone lets 2020-02-30 by (Python refuses it). The comparison
# with '0001' refuses what Python cannot hold (year 0), and a NULL (date(NULL) IS NULL).
_DATE = _Rule(
    "date(julianday({c})) IS {c} AND {c} >= '0001'", "a date (YYYY-MM-DD)", free_text=False
)
_DATE_OR_NULL = _Rule(
    f"({{c}} IS NULL OR ({_DATE.sql}))", "a date (YYYY-MM-DD) or empty", free_text=False
)
_FLAG_OR_NULL = _Rule(
    "({c} IS NULL OR (typeof({c}) = 'integer' AND {c} IN (0, 1)))", "0, 1 or empty", False
)
_SHA256 = _Rule(
    f"{_IS_TEXT} AND length({{c}}) = 64 AND trim({{c}}, '0123456789abcdef') = ''",
    "a SHA-256 in hex",
    free_text=False,
)

#: Every column of every table, and what its values must be. Checked in SQL: reading 55,000
#: rows into Python to check them there takes too long to do at every open.
_SHAPES: dict[str, dict[str, _Rule]] = {
    "files": {
        "relpath": _TEXT,
        "kind": _KIND,
        "url": _TEXT,
        "folded": _TEXT,
        "date": _DATE,
        "title": _TEXT,
        "size": _INTEGER,
        "stamp": _TEXT,
    },
    "unreadable": {"relpath": _TEXT, "reason": _TEXT, "size": _INTEGER, "stamp": _TEXT},
    "validators": {"url": _TEXT, "etag": _TEXT_OR_NULL, "last_modified": _TEXT_OR_NULL},
    "written": {
        "url": _TEXT,
        "relpath": _TEXT,
        "sha256": _SHA256,
        "published": _DATE,
        "written_at": _TEXT,  # never read back: only kept for whoever looks
    },
    "nodes": {"node_url": _TEXT, "url": _TEXT},
    "meta": {"key": _TEXT, "value": _TEXT},
    "pending": {
        "url": _TEXT,
        "kind": _TEXT,  # an unknown kind is harmless: pending() never selects it
        "published": _TEXT_OR_NULL,
        "title": _TEXT_OR_NULL,
        "misses": _INTEGER,
    },
    "robots": {"site": _TEXT, "text": _TEXT, "fetched_at": _SECONDS},
    "runs": {
        "id": _INTEGER,
        "job": _TEXT,
        "started": _TEXT,
        "seconds": _SECONDS,
        "exit_code": _INTEGER,
        "counts": _TEXT,  # JSON: parsed by Python, as SQLite may lack its JSON functions
        "note": _TEXT_OR_NULL,
    },
    "learnt": {"relpath": _TEXT, "url": _TEXT, "listed": _DATE_OR_NULL},
    "verified": {"relpath": _TEXT, "at": _SECONDS},
    "findings": {
        "relpath": _TEXT,
        "url": _TEXT,
        "kinds": _TEXT,
        "detail": _TEXT,
        "at": _SECONDS,
    },
    "pages": {
        "id": _INTEGER,
        "url": _TEXT,
        "record": _Rule("{c} IN ('response', 'revisit')", "response or revisit", False),
        "record_id": _TEXT,
        "file": _TEXT,
        "start": _INTEGER,
        "at": _INTEGER,
        "size": _INTEGER,
        "digest": _TEXT,
        "fetched": _TEXT,
        "listed": _DATE_OR_NULL,
    },
    "incomplete": {"url": _TEXT, "relpath": _TEXT},
    "sources": {"relpath": _TEXT, "record_id": _TEXT},
    "intents": {
        "relpath": _TEXT,
        "sha256": _SHA256,
        "url": _TEXT_OR_NULL,
        "published": _DATE_OR_NULL,
        "written_at": _TEXT_OR_NULL,
        "incomplete": _FLAG_OR_NULL,
        "source": _TEXT_OR_NULL,
    },
}
_IN_FOLDER = " ".join(
    f"WHEN '{kind}' THEN substr(relpath, 1, {len(folder) + 1}) = '{folder}/'"
    for kind, folder in CONTENT_FOLDERS.items()
)
#: Rules that span columns: an indexed file's kind is the one its folder holds; an intent
#: is a write's (url, date, time and mark all set) or a rewrite's (none of them, no source).
_ROW_RULES: dict[str, tuple[str, str]] = {
    "files": (f"CASE kind {_IN_FOLDER} END", "its kind is not that of its folder"),
    "intents": (
        "(url IS NULL) = (published IS NULL) AND (url IS NULL) = (written_at IS NULL)"
        " AND (url IS NULL) = (incomplete IS NULL) AND (url IS NOT NULL OR source IS NULL)",
        "it is neither a write's nor a rewrite's",
    ),
}


def is_moment(value: object) -> bool:
    """Whether a value is empty or reads back as a datetime (what the finder makes of it)."""
    if value is None:
        return True
    try:
        return isinstance(value, str) and bool(dt.datetime.fromisoformat(value))
    except ValueError:
        return False


def _is_aware_moment(value: object) -> bool:
    """Whether a value reads back as a timezone-aware datetime."""
    try:
        return isinstance(value, str) and dt.datetime.fromisoformat(value).utcoffset() is not None
    except ValueError:
        return False


def _is_counts(value: object) -> bool:
    """Whether JSON text holds an object of whole numbers."""
    try:
        counts = json.loads(str(value))
    except (ValueError, RecursionError):  # SQLite's JSON and Python's differ at the edges
        return False
    return isinstance(counts, dict) and all(
        isinstance(k, str) and type(v) is int for k, v in counts.items()
    )


#: Rules SQL cannot say: Python's own parsing of the values (tables of hundreds of rows).
_PYTHON_RULES: dict[str, dict[str, tuple[Callable[[object], bool], str]]] = {
    "pending": {"published": (is_moment, "a date and time")},
    "intents": {"written_at": (is_moment, "a date and time")},
    "runs": {
        "started": (_is_aware_moment, "a date and time with its zone"),
        "counts": (_is_counts, "an object of counts"),
    },
}


def check(db: sqlite3.Connection, path: Path, thorough: bool = True) -> int:
    """The schema version of a database fit to use; Damaged when it is not fit.

    Thorough is integrity_check: a damaged index passes quick_check, then fails the first
    write to its table or, worse, hides rows from lookups, and a sync writes a file twice.
    It costs several times as much, so the caller asks for it unless the file is as scraper
    last left it (see opening.py). Neither finds values of the wrong type or shape, nor text
    that is not UTF-8 (which Python cannot read back): every row is checked here every time.
    """
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} was made by a newer version of scraper (schema version {version}; this"
            f" one knows up to {SCHEMA_VERSION}); upgrade scraper, or move it aside to start"
            " afresh"
        )
    pragma = "integrity_check" if thorough else "quick_check"
    cache = db.execute("PRAGMA cache_size").fetchone()[0]
    # Room for the indexes' pages, which a check reads in key order, scattered in the file.
    db.execute("PRAGMA cache_size = -16384")
    try:
        result = db.execute(f"PRAGMA {pragma}").fetchone()[0]
    finally:
        db.execute(f"PRAGMA cache_size = {int(cache)}")
    if result != "ok":
        raise Damaged(f"{pragma}: {one_line(str(result))}")
    found = _schema_of(db)
    expected = _expected_schema(version)
    if found != expected:
        if version == 0:
            raise Damaged("it holds tables but no schema version, so scraper did not make it")
        names = ", ".join(sorted({row[1] for row in found ^ expected}))
        raise Damaged(f"its tables are not those of schema version {version} ({names})")
    for table in sorted(row[1] for row in expected if row[0] == "table"):
        _check_rows(db, table)
    return version


def _schema_of(db: sqlite3.Connection) -> frozenset[tuple[str, str, str, str | None]]:
    """The tables and indexes of a database as sqlite_master has them (not ANALYZE's)."""
    rows = db.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master"
        " WHERE substr(name, 1, 11) != 'sqlite_stat'"
    ).fetchall()
    return frozenset((str(t), str(n), str(b), s) for t, n, b, s in rows)


@functools.cache
def _expected_schema(version: int) -> frozenset[tuple[str, str, str, str | None]]:
    """The tables and indexes the migration steps make, up to a version."""
    db = sqlite3.connect(":memory:", isolation_level=None)
    try:
        for step in MIGRATIONS[:version]:
            db.executescript(step)
        return _schema_of(db)
    finally:
        db.close()


def _check_rows(db: sqlite3.Connection, table: str) -> None:
    """Damaged when any row of a table holds a value of the wrong type or shape."""
    shape = _SHAPES[table]
    tests = [f"({rule.sql.format(c=column)})" for column, rule in shape.items()]
    if table in _ROW_RULES:
        tests.append(f"({_ROW_RULES[table][0]})")
    free = [column for column, rule in shape.items() if rule.free_text]
    # One pass: how many rows fail (IS NOT 1, as the test of a NULL is NULL, not false),
    # and each text column as one value, which Python checks for UTF-8 far faster than it
    # reads rows. The separator keeps two halves of a broken character from joining up.
    texts = "".join(f", CAST(group_concat({column}, ' ') AS BLOB)" for column in free)
    found = db.execute(
        f"SELECT sum(({' AND '.join(tests)}) IS NOT 1){texts} FROM {table}"
    ).fetchone()
    if found[0]:
        raise Damaged(_what_is_wrong(db, table, tests))
    try:
        for blob in found[1:]:
            if blob is not None:
                blob.decode("utf-8")
    except UnicodeDecodeError:
        raise Damaged(_undecodable(db, table, free)) from None
    for column, (check, says) in _PYTHON_RULES.get(table, {}).items():
        for rowid, value in db.execute(f"SELECT rowid, {column} FROM {table}"):
            if not check(value):
                raise Damaged(f"{table}.{column} in row {rowid} is not {says}")


def _what_is_wrong(db: sqlite3.Connection, table: str, tests: list[str]) -> str:
    """Which value of the first bad row is wrong, for the note (it may not be printable)."""
    rowid = db.execute(
        f"SELECT rowid FROM {table} WHERE ({' AND '.join(tests)}) IS NOT 1 LIMIT 1"
    ).fetchone()[0]
    for column, rule in _SHAPES[table].items():
        sql = f"SELECT ({rule.sql.format(c=column)}) IS 1 FROM {table} WHERE rowid = ?"
        if not db.execute(sql, (rowid,)).fetchone()[0]:
            return f"{table}.{column} in row {rowid} is not {rule.says}"
    return f"{table} row {rowid}: {_ROW_RULES[table][1]}"


def _undecodable(db: sqlite3.Connection, table: str, columns: list[str]) -> str:
    """The sqlite3 module's own words for text of a table that is not UTF-8."""
    try:
        db.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
    except sqlite3.Error as exc:
        return one_line(exc)
    return f"{table} holds text that is not UTF-8"
