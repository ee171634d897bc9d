"""The archive's state database: what it keeps, and the queries on it.

The state (`.scraper/state.db`) caches an index of the archive's files, keyed by path and
checked against each file's size, times and inode, so a sync need not re-read 55,000 files.
It also keeps what syncs remember between runs: HTTP validators, where /node/ links lead,
items found but not yet fetched, robots.txt, a record of each run, and which files this tool
wrote. That last cannot be rebuilt from the files, so the state is never reset: an older one
is migrated step by step (schema.py), a newer one is refused, and only a damaged one is set
aside and rebuilt (opening.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from scraper.archive.opening import Opened, state_error, write_seal
from scraper.archive.schema import is_moment
from scraper.errors import StoreError

#: A date that is a date, not a placeholder for "no date" (years 0001 and 9999; see dates.py).
REAL_DATE = f"date > '{dt.date(dt.MINYEAR, 12, 31)}' AND date < '{dt.date(dt.MAXYEAR, 1, 1)}'"

__all__ = ["RUNS_KEPT", "STATE_FILE", "Entry", "Intent", "RunRecord", "Stamped", "State"]

STATE_FILE = "state.db"
#: Records of runs kept per job; older ones are dropped so the check at open stays quick.
RUNS_KEPT = 1000


@dataclass(frozen=True)
class Entry:
    """One archive file as the index knows it."""

    relpath: str
    kind: str
    url: str
    folded: str
    date: dt.date
    title: str
    #: Written by this tool (so its url is a real URL, not an old exporter's folded one).
    ours: bool = False


@dataclass(frozen=True)
class Stamped:
    """One readable archive file as the index knows it, with what tells a changed one."""

    relpath: str
    kind: str
    url: str
    date: dt.date
    size: int
    #: Modification and change times and inode (see store._stamp): new whenever the file is.
    stamp: str


@dataclass(frozen=True)
class RunRecord:
    """One run of a job (sync, verify, daemon…) as the state keeps it."""

    job: str
    #: When it started; timezone-aware (read back in UTC).
    started: dt.datetime
    seconds: float
    exit_code: int
    counts: dict[str, int] = field(default_factory=dict)
    #: Why it stopped early, or anything else worth keeping in one line.
    note: str | None = None

    def __post_init__(self) -> None:
        """Refuse what the state could not keep, so a bad record fails here and not at open."""
        if self.started.utcoffset() is None:
            raise ValueError(f"RunRecord.started must be timezone-aware, not {self.started!r}")
        if not math.isfinite(self.seconds) or self.seconds < 0:
            raise ValueError(f"RunRecord.seconds must be a duration, not {self.seconds!r}")
        if any(not isinstance(k, str) or type(v) is not int for k, v in self.counts.items()):
            raise ValueError(f"RunRecord.counts must map names to ints, not {self.counts!r}")


def _day(date: dt.date) -> str:
    """YYYY-MM-DD of a date, also when given a datetime (whose isoformat has the time)."""
    return f"{date.year:04d}-{date.month:02d}-{date.day:02d}"


# -- the queries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Learnt:
    """What a sync learnt of an old exporter's file when it matched it to its page."""

    #: The page's real URL (the file may hold the ASCII-folded one).
    url: str
    #: The date a listing gave, when the file has the old exporter's 0001-01-01.
    listed: dt.date | None = None


@dataclass(frozen=True)
class Finding:
    """A file's latest verify findings: its kinds, and what was said of them."""

    relpath: str
    url: str
    kinds: tuple[str, ...]
    detail: str
    #: When (Unix time) the verify that found them ran.
    at: float = 0.0


@dataclass(frozen=True)
class Intent:
    """A write noted before its rename: what the state records once the file is in place.

    A write (`url` set) records the file as this tool's own; a rewrite (`url` None) only
    the new digest of a file this tool wrote, if it did (see Archive.write and rewrite).
    """

    relpath: str
    #: The SHA-256 of the new bytes: the file holds them once (and only if) renamed.
    sha256: str
    url: str | None = None
    published: dt.date | None = None
    written_at: dt.datetime | None = None
    incomplete: bool = False
    #: The WARC-Record-ID of the kept page it was rendered from (None: none).
    source: str | None = None


class State:
    """The state database, open; every method is safe to call from several threads.

    Any failure of the database, on reading or writing, is a StoreError naming the file and
    saying what to do; a failed write changes nothing.
    """

    def __init__(self, opened: Opened, path: Path) -> None:
        """Wrap a state database just opened and checked, from the state file at `path`."""
        self._db = opened.db
        self._path = path
        self._checked_at = opened.checked_at
        self._mutex = threading.Lock()
        #: Set when the state was damaged (set aside, or ignored when read-only): reported.
        self.state_problem = opened.problem

    def close(self) -> None:
        """Close the state database, sealing the file as it is left."""
        with self._mutex:
            self._db.close()
        if self._checked_at is not None:
            write_seal(self._path, self._checked_at)

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """The connection, to read from; StoreError if the database fails."""
        with self._mutex:
            try:
                yield self._db
            except sqlite3.Error as exc:
                raise state_error(self._path, exc) from exc

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """The connection in a write transaction, committed at the end of the block.

        On any error it is rolled back; a failure of the database is raised as StoreError.
        """
        with self._mutex:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                self._db.execute("COMMIT")
            except BaseException as exc:
                with contextlib.suppress(sqlite3.Error):
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise state_error(self._path, exc) from exc
                raise

    # -- the index -------------------------------------------------------------------------

    def by_url(self, url: str) -> list[Entry]:
        """The files that hold exactly this URL (old files can share one)."""
        return self._many("f.url = ? ORDER BY f.relpath", (url,))

    def by_folded(self, kind: str, folded: str) -> list[Entry]:
        """Every file of a content type whose URL folds to this id."""
        return self._many("f.kind = ? AND f.folded = ?", (kind, folded))

    def by_title(self, kind: str, title: str) -> list[Entry]:
        """Every file of a content type with exactly this title."""
        return self._many("f.kind = ? AND f.title = ?", (kind, title))

    def at(self, relpath: str) -> Entry | None:
        """The file at a relative path, if the index has one."""
        rows = self._many("f.relpath = ?", (relpath,))
        return rows[0] if rows else None

    def newest(self, kind: str) -> dt.date | None:
        """The latest date of any file of a content type (a placeholder date is none)."""
        with self._reading() as db:
            query = f"SELECT max(date) FROM files WHERE kind = ? AND {REAL_DATE}"
            row = db.execute(query, (kind,)).fetchone()
        return dt.date.fromisoformat(row[0]) if row and row[0] else None

    def unreadable(self) -> list[tuple[str, str]]:
        """Archive files (and folders) the index could not read, with the reason each."""
        with self._reading() as db:
            rows = db.execute("SELECT relpath, reason FROM unreadable ORDER BY 1").fetchall()
        return [(str(p), str(r)) for p, r in rows]

    def by_kind(self) -> dict[str, tuple[int, dt.date | None, dt.date | None]]:
        """Per content type: how many files, the oldest real date and the newest (or None)."""
        real = f"CASE WHEN {REAL_DATE} THEN date END"
        with self._reading() as db:
            rows = db.execute(
                f"SELECT kind, count(*), min({real}), max({real}) FROM files GROUP BY kind"
            ).fetchall()
        return {str(k): (int(n), _date(lo), _date(hi)) for k, n, lo, hi in rows}

    def unverified(self) -> int:
        """How many indexed files have never been checked against the source."""
        with self._reading() as db:
            return int(
                db.execute(
                    "SELECT count(*) FROM files WHERE relpath NOT IN (SELECT relpath FROM verified)"
                ).fetchone()[0]
            )

    def schema_version(self) -> int:
        """The state's schema version (PRAGMA user_version)."""
        with self._reading() as db:
            return int(db.execute("PRAGMA user_version").fetchone()[0])

    def count(self) -> int:
        """How many readable files the index holds."""
        with self._reading() as db:
            return int(db.execute("SELECT count(*) FROM files").fetchone()[0])

    def stamped(self) -> list[Stamped]:
        """Every readable file the index holds, by path, with its size and stamp."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT relpath, kind, url, date, size, stamp FROM files ORDER BY relpath"
            ).fetchall()
        return [
            Stamped(str(p), str(k), str(u), dt.date.fromisoformat(d), int(n), str(s))
            for p, k, u, d, n, s in rows
        ]

    def _many(self, where: str, args: tuple[str, ...]) -> list[Entry]:
        """The index entries matching a condition on `files f`, marked when this tool wrote them."""
        sql = (
            "SELECT f.relpath, f.kind, f.url, f.folded, f.date, f.title, w.url IS NOT NULL"
            " FROM files f LEFT JOIN written w ON w.relpath = f.relpath AND w.url = f.url"
            f" WHERE {where}"
        )
        with self._reading() as db:
            rows = db.execute(sql, args).fetchall()
        return [
            Entry(r[0], r[1], r[2], r[3], dt.date.fromisoformat(r[4]), r[5], bool(r[6]))
            for r in rows
        ]

    @staticmethod
    def _indexed(db: sqlite3.Connection, table: str) -> dict[str, tuple[int, str]]:
        """(size, stamp) by path of the files (or unreadable paths) the index holds."""
        rows = db.execute(f"SELECT relpath, size, stamp FROM {table}")
        return {str(p): (int(size), str(stamp)) for p, size, stamp in rows}

    @staticmethod
    def _put_entry(
        db: sqlite3.Connection, row: tuple[str, str, str, str, str, str, int, str]
    ) -> None:
        """Index a readable file: relpath, kind, url, folded, date, title, size, stamp."""
        db.execute("DELETE FROM unreadable WHERE relpath = ?", (row[0],))
        db.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)

    @staticmethod
    def _put_unreadable(
        db: sqlite3.Connection, relpath: str, reason: str, size: int, stamp: str
    ) -> None:
        """Note a path the index cannot read, and why."""
        db.execute("DELETE FROM files WHERE relpath = ?", (relpath,))
        db.execute(
            "INSERT OR REPLACE INTO unreadable VALUES (?, ?, ?, ?)", (relpath, reason, size, stamp)
        )

    @staticmethod
    def _unindex(db: sqlite3.Connection, relpaths: set[str]) -> None:
        """Forget paths that are no longer on disk (what this tool wrote is kept)."""
        gone = [(p,) for p in relpaths]
        db.executemany("DELETE FROM files WHERE relpath = ?", gone)
        db.executemany("DELETE FROM unreadable WHERE relpath = ?", gone)

    # -- what this tool wrote --------------------------------------------------------------

    @staticmethod
    def _put_written(
        db: sqlite3.Connection, row: tuple[str, str, str, dt.date, dt.datetime]
    ) -> None:
        """Note a file this tool wrote: url, relpath, sha256, published, written at."""
        url, relpath, sha256, published, now = row
        db.execute(
            "INSERT OR REPLACE INTO written VALUES (?, ?, ?, ?, ?)",
            (url, relpath, sha256, _day(published), now.isoformat(timespec="seconds")),
        )

    @staticmethod
    def _rehash_written(db: sqlite3.Connection, relpath: str, sha256: str) -> None:
        """Note new bytes of a file this tool wrote (if it did) that are still its own."""
        db.execute("UPDATE written SET sha256 = ? WHERE relpath = ?", (sha256, relpath))

    def _note_intent(self, intent: Intent) -> None:
        """Commit a write's intent, before its rename (replacing an older one of the path)."""
        when = intent.written_at
        row = (
            intent.relpath,
            intent.sha256,
            intent.url,
            None if intent.published is None else _day(intent.published),
            None if when is None else when.isoformat(timespec="seconds"),
            None if intent.url is None else int(intent.incomplete),
            intent.source,
        )
        with self._writing() as db:
            db.execute("INSERT OR REPLACE INTO intents VALUES (?, ?, ?, ?, ?, ?, ?)", row)

    def _forget_intent(self, relpath: str) -> None:
        """Drop a write's intent: its rename failed, so there is nothing to record."""
        with self._writing() as db:
            db.execute("DELETE FROM intents WHERE relpath = ?", (relpath,))

    def _intents(self) -> list[Intent]:
        """Every write's intent the state holds: writes whose record was never committed."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT relpath, sha256, url, published, written_at, incomplete, source"
                " FROM intents ORDER BY relpath"
            ).fetchall()
        return [
            Intent(
                str(p), str(h), u, _date(d), dt.datetime.fromisoformat(w) if w else None, bool(i), s
            )
            for p, h, u, d, w, i, s in rows
        ]

    def _record_intent(self, db: sqlite3.Connection, intent: Intent) -> None:
        """Record a write now in place, and drop its intent, in `db`'s write transaction."""
        if intent.url is None:
            self._rehash_written(db, intent.relpath, intent.sha256)
        else:
            assert intent.published is not None and intent.written_at is not None
            row = (intent.url, intent.relpath, intent.sha256, intent.published, intent.written_at)
            self._put_written(db, row)
            self._mark_incomplete(db, intent.url, intent.relpath, intent.incomplete)
            self._put_source(db, intent.relpath, intent.source)
        db.execute("DELETE FROM intents WHERE relpath = ?", (intent.relpath,))

    def written_since(self, since: dt.date) -> list[tuple[str, str]]:
        """(url, relpath) of files a sync wrote for releases published on or after `since`."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT url, relpath FROM written WHERE published >= ? ORDER BY published DESC",
                (since.isoformat(),),
            ).fetchall()
        return [(str(u), str(p)) for u, p in rows]

    def _written_sha256(self, relpath: str) -> str | None:
        """The SHA-256 of a file as this tool wrote it, if it did."""
        with self._reading() as db:
            row = db.execute("SELECT sha256 FROM written WHERE relpath = ?", (relpath,)).fetchone()
        return None if row is None else str(row[0])

    def _forget_file(self, relpath: str) -> None:
        """Forget a removed file: in the index, what this tool wrote, its alias, its check."""
        with self._writing() as db:
            tables = ("files", "written", "learnt", "verified", "findings", "incomplete", "sources")
            for table in tables:
                db.execute(f"DELETE FROM {table} WHERE relpath = ?", (relpath,))

    # -- the kept page each file was written from ------------------------------------------

    @staticmethod
    def _put_source(db: sqlite3.Connection, relpath: str, record_id: str | None) -> None:
        """Note the kept record a file was rendered from, or (None) that it was from none."""
        if record_id is None:
            db.execute("DELETE FROM sources WHERE relpath = ?", (relpath,))
        else:
            db.execute("INSERT OR REPLACE INTO sources VALUES (?, ?)", (relpath, record_id))

    def source_of(self, relpath: str) -> str | None:
        """The WARC-Record-ID of the kept page a file was written from (None: none kept)."""
        with self._reading() as db:
            row = db.execute("SELECT record_id FROM sources WHERE relpath = ?", (relpath,))
            found = row.fetchone()
        return None if found is None else str(found[0])

    def note_source(self, relpath: str, record_id: str) -> None:
        """Note that a file, as it is, is what a kept page renders (the page came again)."""
        with self._writing() as db:
            self._put_source(db, relpath, record_id)

    # -- files written from the feed alone (sync --feed-only) -------------------------------

    @staticmethod
    def _mark_incomplete(db: sqlite3.Connection, url: str, relpath: str, incomplete: bool) -> None:
        """Mark a release's file as written from the feed alone, or (False) clear the mark."""
        if incomplete:
            db.execute("INSERT OR REPLACE INTO incomplete VALUES (?, ?)", (url, relpath))
        else:
            db.execute("DELETE FROM incomplete WHERE url = ?", (url,))

    def incomplete(self) -> list[tuple[str, str]]:
        """(url, relpath) of the files written from the feed alone, by path."""
        with self._reading() as db:
            rows = db.execute("SELECT url, relpath FROM incomplete ORDER BY relpath, url")
            return [(str(u), str(p)) for u, p in rows.fetchall()]

    def clear_incomplete(self, url: str) -> None:
        """Forget that a release's file is incomplete: its page says no more than it does."""
        with self._writing() as db:
            self._mark_incomplete(db, url, "", False)

    # -- HTTP validators and node redirects ------------------------------------------------

    def get_validators(self, url: str) -> tuple[str | None, str | None] | None:
        """The ETag and Last-Modified last seen for a URL."""
        with self._reading() as db:
            row = db.execute(
                "SELECT etag, last_modified FROM validators WHERE url = ?", (url,)
            ).fetchone()
        return (row[0], row[1]) if row else None

    def put_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        """Remember a URL's ETag and Last-Modified for the next conditional request."""
        with self._writing() as db:
            db.execute(
                "INSERT OR REPLACE INTO validators VALUES (?, ?, ?)", (url, etag, last_modified)
            )

    def node_target(self, node_url: str) -> str | None:
        """The content URL a /node/<id> link was last found to lead to."""
        with self._reading() as db:
            row = db.execute("SELECT url FROM nodes WHERE node_url = ?", (node_url,)).fetchone()
        return str(row[0]) if row else None

    def remember_node(self, node_url: str, url: str) -> None:
        """Remember where a /node/<id> link leads, so it need not be fetched again."""
        with self._writing() as db:
            db.execute("INSERT OR REPLACE INTO nodes VALUES (?, ?)", (node_url, url))

    # -- values kept between runs ----------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        """A value the sync keeps between runs."""
        with self._reading() as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def put_meta(self, key: str, value: str) -> None:
        """Keep a value between runs."""
        with self._writing() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def delete_meta(self, key: str) -> None:
        """Forget a value kept between runs."""
        with self._writing() as db:
            db.execute("DELETE FROM meta WHERE key = ?", (key,))

    def meta_with_prefix(self, prefix: str) -> list[tuple[str, str]]:
        """Kept values whose keys start with a prefix."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT key, value FROM meta WHERE substr(key, 1, ?) = ?", (len(prefix), prefix)
            ).fetchall()
        return [(str(k), str(v)) for k, v in rows]

    # -- items found but not yet dealt with ------------------------------------------------

    def keep_pending(self, items: list[tuple[str, str, str | None, str | None]]) -> None:
        """Remember found items (url, kind, published, title) until they are dealt with."""
        for url, _, published, _ in items:
            # A value the check at open would refuse would cost the whole state next run.
            if published is not None and not is_moment(published):
                raise ValueError(f"pending item {url}: published {published!r} is not ISO 8601")
        with self._writing() as db:
            db.executemany(
                "INSERT INTO pending (url, kind, published, title) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (url) DO UPDATE SET kind = excluded.kind,"
                " published = excluded.published, title = excluded.title",
                items,
            )

    def pending(self, kinds: tuple[str, ...]) -> list[tuple[str, str, str | None, str | None]]:
        """Items found by earlier runs and not yet dealt with, of some content types."""
        marks = ",".join("?" * len(kinds))
        with self._reading() as db:
            rows = db.execute(
                f"SELECT url, kind, published, title FROM pending WHERE kind IN ({marks})"
                " ORDER BY published DESC",
                kinds,
            ).fetchall()
        return [(str(u), str(k), p, t) for u, k, p, t in rows]

    def missed_pending(self, url: str, limit: int) -> bool:
        """Count a found item's page as missing; forget it (True) after `limit` misses."""
        with self._writing() as db:
            db.execute("UPDATE pending SET misses = misses + 1 WHERE url = ?", (url,))
            row = db.execute("SELECT misses FROM pending WHERE url = ?", (url,)).fetchone()
            gone = row is not None and int(row[0]) >= limit
            if gone:
                db.execute("DELETE FROM pending WHERE url = ?", (url,))
        return gone

    def done_pending(self, url: str) -> None:
        """Forget a found item: it is in the archive, or gone from the site."""
        with self._writing() as db:
            db.execute("DELETE FROM pending WHERE url = ?", (url,))

    # -- what verify keeps: old files' real addresses, and when files were verified ------------

    def put_learnt(self, learnt: dict[str, Learnt]) -> None:
        """Remember what a sync learnt of old files (by relpath) when it matched them to pages."""
        rows = [
            (relpath, what.url, what.listed.isoformat() if what.listed else None)
            for relpath, what in learnt.items()
        ]
        with self._writing() as db:
            db.executemany("INSERT OR REPLACE INTO learnt VALUES (?, ?, ?)", rows)

    def learnt(self) -> dict[str, Learnt]:
        """What syncs learnt of old files: their real URL, and the listing's date."""
        with self._reading() as db:
            rows = db.execute("SELECT relpath, url, listed FROM learnt").fetchall()
        return {str(p): Learnt(str(u), dt.date.fromisoformat(d) if d else None) for p, u, d in rows}

    def mark_verified(self, relpaths: list[str], at: float) -> None:
        """Note that files were checked against the source at `at` (Unix time)."""
        with self._writing() as db:
            db.executemany(
                "INSERT OR REPLACE INTO verified VALUES (?, ?)", [(p, at) for p in relpaths]
            )

    def verified_at(self) -> dict[str, float]:
        """When each file was last checked against the source (Unix time)."""
        with self._reading() as db:
            return {str(p): float(a) for p, a in db.execute("SELECT relpath, at FROM verified")}

    def put_findings(self, found: list[Finding], ok: list[str], at: float) -> None:
        """Keep each checked file's latest findings; forget those of files now found ok."""
        rows = [(f.relpath, f.url, " ".join(f.kinds), f.detail, at) for f in found]
        with self._writing() as db:
            db.executemany("INSERT OR REPLACE INTO findings VALUES (?, ?, ?, ?, ?)", rows)
            db.executemany("DELETE FROM findings WHERE relpath = ?", [(p,) for p in ok])

    def findings(self) -> list[Finding]:
        """Every file's latest verify findings (files last found ok have none), by path."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT relpath, url, kinds, detail, at FROM findings ORDER BY relpath"
            ).fetchall()
        return [
            Finding(str(p), str(u), tuple(str(k).split()), str(d), float(a))
            for p, u, k, d, a in rows
        ]

    def written_digests(self) -> dict[str, str]:
        """The SHA-256 of each file as this tool last wrote it, by relative path."""
        with self._reading() as db:
            return {str(p): str(s) for p, s in db.execute("SELECT relpath, sha256 FROM written")}

    # -- robots.txt ------------------------------------------------------------------------

    def load_robots(self, site: str) -> tuple[str, float] | None:
        """The robots.txt kept for a site and its age in seconds (by the wall clock)."""
        with self._reading() as db:
            row = db.execute(
                "SELECT text, fetched_at FROM robots WHERE site = ?", (site,)
            ).fetchone()
        return None if row is None else (str(row[0]), max(0.0, time.time() - float(row[1])))

    def save_robots(self, site: str, text: str) -> None:
        """Keep a site's robots.txt, stamped with the wall clock, for later runs."""
        with self._writing() as db:
            db.execute("INSERT OR REPLACE INTO robots VALUES (?, ?, ?)", (site, text, time.time()))

    # -- the record of runs ----------------------------------------------------------------

    def record_run(self, record: RunRecord) -> None:
        """Keep a record of one run; only the newest RUNS_KEPT of each job are kept."""
        started = record.started.astimezone(dt.UTC).isoformat(timespec="microseconds")
        with self._writing() as db:
            db.execute(
                "INSERT INTO runs (job, started, seconds, exit_code, counts, note)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    record.job,
                    started,
                    float(record.seconds),
                    int(record.exit_code),
                    json.dumps(record.counts, sort_keys=True),
                    record.note,
                ),
            )
            db.execute(
                "DELETE FROM runs WHERE job = ? AND id NOT IN (SELECT id FROM runs"
                " WHERE job = ? ORDER BY started DESC, id DESC LIMIT ?)",
                (record.job, record.job, RUNS_KEPT),
            )

    def try_record_run(self, record: RunRecord) -> str | None:
        """Keep a record of a run; a note of why not, when the state cannot take it."""
        try:
            self.record_run(record)
        except StoreError as exc:
            return f"this run could not be recorded: {exc}"
        return None

    def runs(self, job: str | None = None, limit: int = 20) -> list[RunRecord]:
        """The latest records of runs, newest first: of one job, or of every job."""
        where, args = ("WHERE job = ?", (job, limit)) if job is not None else ("", (limit,))
        with self._reading() as db:
            rows = db.execute(
                "SELECT job, started, seconds, exit_code, counts, note FROM runs"
                f" {where} ORDER BY started DESC, id DESC LIMIT ?",
                args,
            ).fetchall()
        return [
            RunRecord(
                str(j), dt.datetime.fromisoformat(s), float(sec), int(code), json.loads(c), note
            )
            for j, s, sec, code, c, note in rows
        ]


def _date(text: str | None) -> dt.date | None:
    """A date the state holds as text, or None."""
    return dt.date.fromisoformat(text) if text else None
