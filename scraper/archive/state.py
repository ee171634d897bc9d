"""The archive's state database: opening it, setting a damaged one aside, and its queries.

The state (`.scraper/state.db`) caches an index of the archive's files, keyed by path and
checked against each file's size, times and inode, so a sync need not re-read 55,000 files.
It also keeps what syncs remember between runs: HTTP validators, where /node/ links lead,
items found but not yet fetched, robots.txt, a record of each run, and which files this tool
wrote. That last cannot be rebuilt from the files, so the state is never reset: an older one
is migrated step by step, a newer one is refused, and only a damaged one is set aside (as
`state.db.damaged`) and rebuilt. Trouble that is not damage (a lock another program holds, a
read-only file, a full disk) is a StoreError that leaves the file exactly as it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import shutil
import sqlite3
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from scraper.archive.schema import SCHEMA_VERSION, Damaged, check, is_moment, migrate, one_line
from scraper.errors import LockedError, StoreError

__all__ = [
    "BUSY_TIMEOUT",
    "FULL_CHECK_EVERY",
    "RUNS_KEPT",
    "SCHEMA_VERSION",
    "SEAL_SUFFIX",
    "STATE_FILE",
    "Entry",
    "Opened",
    "RunRecord",
    "State",
    "open_read_only",
    "open_state",
    "state_error",
]

STATE_FILE = "state.db"
#: Seconds to wait for another connection's write to finish before calling the state locked.
BUSY_TIMEOUT = 2.0
#: Records of runs kept per job; older ones are dropped so the check at open stays quick.
RUNS_KEPT = 1000
#: Beside the state file: how it looked when scraper last closed it, and when it was last
#: checked in full. While it still looks so, the quick check at open is enough.
SEAL_SUFFIX = ".checked"
#: How long a seal spares the full check: bit rot on a disk changes no time stamp.
FULL_CHECK_EVERY = 7 * 24 * 3600.0


class Opened(NamedTuple):
    """A state database just opened and checked."""

    db: sqlite3.Connection
    #: A one-line note when it was damaged (set aside and rebuilt, or ignored read-only).
    problem: str | None
    #: When it was last checked in full, for the seal written on closing; None: no seal.
    checked_at: float | None


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


# -- opening ---------------------------------------------------------------------------------


def open_state(
    path: Path,
    busy_timeout: float = BUSY_TIMEOUT,
    in_use_by: Callable[[], str | None] = lambda: None,
) -> Opened:
    """Open (creating) the state file to write, with a note if it had to be rebuilt.

    A damaged file is set aside and rebuilt, and the note says so; but not while
    `in_use_by()` names another process holding the archive (LockedError): a sync still
    writing to a file renamed under it would lose its writes, and on closing delete the new
    file's WAL, which SQLite finds by name. Trouble that is not damage (a lock, a read-only
    file, a full disk) is a StoreError, the file left untouched.
    """
    try:
        db, checked_at = _open_file(path, busy_timeout)
        return Opened(db, None, checked_at)
    except Damaged as exc:
        if (holder := in_use_by()) is not None:
            raise LockedError(
                f"{path} is damaged ({exc}), and the archive is in use by process {holder};"
                " wait for it to finish, then run again to set the state aside and rebuild it"
            ) from exc
        problem = (
            f"{path} was damaged ({exc}); set aside as {path.name}.damaged and rebuilt from"
            " the files (which files this tool wrote, the HTTP validators and the record of"
            " runs start afresh)"
        )
    _set_aside(path)
    try:
        db, checked_at = _open_file(path, busy_timeout)
        return Opened(db, problem, checked_at)
    except Damaged as exc:  # a database just created cannot be damaged unless the disk is
        raise StoreError(f"{path} could not be rebuilt ({exc}); check the disk") from exc


def open_read_only(path: Path) -> Opened:
    """An in-memory copy of the state file, with a note if the file was damaged and ignored.

    The copy is empty when there is no file, or a damaged one. Nothing on disk is created
    or changed. Trouble that is not damage is a StoreError.
    """
    memory = _connect(":memory:", 0.0)
    version = 0
    problem = None
    if path.exists():
        thorough = _sealed_at(path, time.time()) is None
        try:
            if (fault := _header_fault(path)) is not None:
                raise Damaged(fault)
            _copy_into(path, memory)
            version = check(memory, path, thorough)
        except (sqlite3.Error, UnicodeDecodeError, Damaged) as exc:
            memory.close()
            if isinstance(exc, sqlite3.Error) and not _is_damage(exc):
                raise state_error(path, exc) from exc
            problem = (
                f"{path} is damaged ({one_line(exc)}); ignored by this read-only run, which"
                " starts from an empty state (the next sync sets it aside and rebuilds it)"
            )
            memory = _connect(":memory:", 0.0)
            version = 0
        except OSError as exc:
            memory.close()
            raise StoreError(
                f"{path} cannot be read ({exc.strerror or exc}); check its permissions"
            ) from exc
        except BaseException:
            memory.close()
            raise
    migrate(memory, version)
    return Opened(memory, problem, checked_at=None)


def state_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """A StoreError naming the state file, what went wrong and what to do about it."""
    code = getattr(exc, "sqlite_errorcode", None)
    name = str(getattr(exc, "sqlite_errorname", ""))
    primary = code & 0xFF if isinstance(code, int) else None
    detail = one_line(exc)
    if name == "SQLITE_READONLY_DBMOVED":
        advice = f"was moved or deleted while in use ({detail}); run again"
    elif primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        advice = (
            f"is locked by another program ({detail}); close it (another scraper, or an"
            " SQLite tool holding it open) and run again"
        )
    elif primary == sqlite3.SQLITE_READONLY:
        advice = f"is read-only for this user ({detail}); fix its permissions, or its folder's"
    elif primary in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
        advice = (
            f"cannot be opened ({detail}); check that this user may read and write it and"
            " its folder"
        )
    elif primary == sqlite3.SQLITE_FULL:
        advice = f"could not be written ({detail}); the disk may be full: free some space"
    elif primary == sqlite3.SQLITE_IOERR:
        advice = f"could not be read or written ({detail}); check the disk, then run again"
    elif _is_damage(exc):
        advice = (
            f"is damaged ({detail}); move it aside (the next run then rebuilds it from the"
            " files) and run again"
        )
    else:
        advice = f"cannot be used ({detail}); check it and the disk, then run again"
    return StoreError(f"{path} {advice}")


def _open_file(path: Path, busy_timeout: float) -> tuple[sqlite3.Connection, float]:
    """Open, check and migrate the state file; Damaged, or StoreError for other trouble.

    Returns the connection, and when the file was last checked in full (for its seal).
    """
    if (fault := _header_fault(path)) is not None:
        raise Damaged(fault)
    now = time.time()
    sealed_at = _sealed_at(path, now)  # before opening, which makes a WAL beside it
    try:
        db = _connect(str(path), busy_timeout)
    except sqlite3.Error as exc:
        raise state_error(path, exc) from exc
    try:
        # The write lock first: another program's lock shows before any check is run.
        db.execute("BEGIN IMMEDIATE")
        version = check(db, path, thorough=sealed_at is None)
        # The first write: a file this user may only read shows here, with nothing changed.
        db.execute(f"PRAGMA user_version = {version}")
        db.execute("COMMIT")
        db.execute("PRAGMA journal_mode=WAL")
        migrate(db, version)
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        db.close()
        if isinstance(exc, sqlite3.Error) and not _is_damage(exc):
            raise state_error(path, exc) from exc
        raise Damaged(one_line(exc)) from exc
    except BaseException:
        db.close()
        raise
    return db, now if sealed_at is None else sealed_at


def _connect(target: str, busy_timeout: float) -> sqlite3.Connection:
    """A connection in autocommit mode: every write says where its transaction begins."""
    return sqlite3.connect(
        target, timeout=busy_timeout, isolation_level=None, check_same_thread=False
    )


def _copy_into(path: Path, memory: sqlite3.Connection) -> None:
    """Copy the state file into an in-memory database without creating or changing a file.

    SQLite opening a WAL database even with mode=ro creates -wal and -shm files beside it.
    With no -wal there is nothing to replay, so the file is opened immutable; with one (a
    sync is running, or one was killed) both are copied to a temporary folder and read there.
    """
    wal = path.with_name(path.name + "-wal")
    if not wal.exists():
        uri = "file:" + urllib.parse.quote(str(path.absolute())) + "?mode=ro&immutable=1"
        source = sqlite3.connect(uri, uri=True)
        try:
            source.backup(memory)
        finally:
            source.close()
        return
    with tempfile.TemporaryDirectory(prefix="scraper-state-") as temp:
        copy = Path(temp) / path.name
        shutil.copyfile(path, copy)
        shutil.copyfile(wal, Path(temp) / wal.name)
        source = sqlite3.connect(copy)
        try:
            source.backup(memory)
        finally:
            source.close()


def _set_aside(path: Path) -> None:
    """Rename a damaged state file, with its -wal and -shm, to `<name>.damaged[-wal|-shm]`.

    The names keep the three together: SQLite opening state.db.damaged reads its own WAL.
    A previous set-aside's -wal or -shm is removed when this one has none, or it would pair.
    """
    try:
        for suffix in ("", "-wal", "-shm"):
            source = path.with_name(path.name + suffix)
            target = path.with_name(f"{path.name}.damaged{suffix}")
            if source.exists():
                source.replace(target)
            else:
                target.unlink(missing_ok=True)
    except OSError as exc:
        raise StoreError(
            f"{path} is damaged and could not be set aside ({exc.strerror or exc}); move it"
            " away by hand, then run again"
        ) from exc


def _header_fault(path: Path) -> str | None:
    """What is wrong in the state file's header that SQLite takes for trouble, not damage.

    A write version above 2 makes SQLite open the file read-only, and a schema format above
    4 makes it refuse the file as too new; a file scraper made never holds either. Other
    faults in the header SQLite itself calls damage.
    """
    try:
        with path.open("rb") as file:
            head = file.read(100)
    except OSError:
        return None  # no file yet, or SQLite will say what stops it opening this one
    if len(head) < 100 or not head.startswith(b"SQLite format 3\x00"):
        return None
    if head[18] not in (1, 2) or head[19] not in (1, 2):
        return f"its header's file format versions are {head[18]} and {head[19]}, not 1 or 2"
    if (schema_format := int.from_bytes(head[44:48], "big")) > 4:
        return f"its header's schema format is {schema_format}, not 1 to 4"
    return None


def _seal_of(path: Path) -> str | None:
    """How the state file looks on disk now; None when a WAL beside it may hold more.

    The change time and inode are in it because no copying tool can keep them: any change
    not made by scraper (another program, a copy, a restore from backup) breaks the seal.
    """
    try:
        if path.with_name(path.name + "-wal").exists():
            return None
        stat = path.stat()
    except OSError:
        return None
    return f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ctime_ns}:{stat.st_ino}"


def _sealed_at(path: Path, now: float) -> float | None:
    """When the state file was last checked in full, if still sealed; None: check it now.

    Sealed: it looks as scraper left it on closing, and the full check is recent enough.
    """
    looks = _seal_of(path)
    try:
        sealed, checked_at = path.with_name(path.name + SEAL_SUFFIX).read_text("utf-8").split()
        when = float(checked_at)
    except (OSError, ValueError):
        return None
    return when if looks == sealed and 0 <= now - when < FULL_CHECK_EVERY else None


def _write_seal(path: Path, checked_at: float) -> None:
    """Note how the state file looks now it is closed; nothing when another has it open."""
    looks = _seal_of(path)
    if looks is not None:
        with contextlib.suppress(OSError):  # only a saving of time: without it, a full check
            text = f"{looks} {checked_at!r}\n"
            path.with_name(path.name + SEAL_SUFFIX).write_text(text, encoding="utf-8")


def _is_damage(exc: BaseException) -> bool:
    """Whether an error says the database itself is damaged (not locked, read-only, full…)."""
    if isinstance(exc, Damaged | UnicodeDecodeError):
        return True
    if not isinstance(exc, sqlite3.Error):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        # The sqlite3 module's own error for text that is not UTF-8 carries no SQLite code.
        return isinstance(exc, sqlite3.OperationalError) and "decode to UTF-8" in str(exc)
    return code & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_FORMAT)


# -- the queries -------------------------------------------------------------------------------


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
            _write_seal(self._path, self._checked_at)

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
        """The latest date of any file of a content type."""
        with self._reading() as db:
            row = db.execute("SELECT max(date) FROM files WHERE kind = ?", (kind,)).fetchone()
        return dt.date.fromisoformat(row[0]) if row and row[0] else None

    def unreadable(self) -> list[tuple[str, str]]:
        """Archive files (and folders) the index could not read, with the reason each."""
        with self._reading() as db:
            rows = db.execute("SELECT relpath, reason FROM unreadable ORDER BY 1").fetchall()
        return [(str(p), str(r)) for p, r in rows]

    def count(self) -> int:
        """How many readable files the index holds."""
        with self._reading() as db:
            return int(db.execute("SELECT count(*) FROM files").fetchone()[0])

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
        """Forget a removed file, in the index and in what this tool wrote."""
        with self._writing() as db:
            db.execute("DELETE FROM files WHERE relpath = ?", (relpath,))
            db.execute("DELETE FROM written WHERE relpath = ?", (relpath,))

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
