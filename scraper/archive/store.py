"""The archive on disk: its files, their index, the sync state and the lock.

The files are the source of truth. The state database (`.scraper/state.db`, which git is told
to ignore) caches an index of them, keyed by path and checked against each file's size,
times and inode, so a sync need not re-read 55,000 files; it rebuilds itself when missing or
stale. It also remembers HTTP validators and what each sync wrote.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from scraper.archive.atomic import atomic_write
from scraper.archive.document import decode, loads
from scraper.archive.paths import untagged_stem
from scraper.dates import old_archive_dates
from scraper.errors import DocumentError, LockedError, StoreError
from scraper.models import CONTENT_FOLDERS
from scraper.site.urls import folded_id

STATE_DIR = ".scraper"
#: Bumped whenever the tables change; a state of another version is set aside and rebuilt.
SCHEMA_VERSION = 1
#: Temporary files of atomic writes (archive/atomic.py), and how old one must be to be litter.
_TEMP = re.compile(r"\..+\.md\.[0-9a-f]+\.tmp")
_STALE_SECONDS = 600.0
_FOLDER_TYPES = {folder: kind for kind, folder in CONTENT_FOLDERS.items()}
_SCHEMA = """
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
class IndexStats:
    """What a refresh of the index found."""

    files: int
    reread: int
    removed: int
    unreadable: tuple[tuple[str, str], ...]


class Archive:
    """An archive folder, with its state database open."""

    def __init__(self, root: Path) -> None:
        """Open (creating when needed) the archive at `root` and its state database."""
        self.root = root
        #: Set when the state database had to be rebuilt; a run reports it.
        self.state_problem: str | None = None
        try:
            self._db = self._open(root / STATE_DIR)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(
                f"cannot open the archive at {root}: {exc}; check the path and its permissions"
            ) from exc
        self._mutex = threading.Lock()

    def _open(self, state: Path) -> sqlite3.Connection:
        """Open the state database, setting a damaged one aside to be rebuilt."""
        state.mkdir(parents=True, exist_ok=True)
        ignore = state / ".gitignore"
        if not ignore.exists():
            # Keeps the state out of the user's git checkout without touching their files.
            ignore.write_text("*\n", encoding="utf-8")
        try:
            return _open_state(state / "state.db")
        except sqlite3.DatabaseError:
            # The state is a cache of the files: a damaged one is set aside and rebuilt.
            self.state_problem = (
                f"{state / 'state.db'} was damaged or from another version; set aside as"
                " state.db.damaged and rebuilt from the files (which files this tool wrote,"
                " and the HTTP validators, start afresh)"
            )
            for suffix in ("", "-wal", "-shm"):
                damaged = state / f"state.db{suffix}"
                if damaged.exists():
                    damaged.replace(state / f"state.db{suffix}.damaged")
            return _open_state(state / "state.db")

    def close(self) -> None:
        """Close the state database."""
        self._db.close()

    def __enter__(self) -> Archive:
        """Use as a context manager."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close on leaving the block."""
        self.close()

    # -- the index -------------------------------------------------------------------------

    def refresh_index(self) -> IndexStats:
        """Bring the index up to date with the files on disk, re-reading only changed ones."""
        with self._mutex:
            known = {
                row[0]: (row[1], row[2])
                for row in self._db.execute("SELECT relpath, size, stamp FROM files")
            }
            bad = {
                row[0]: (row[1], row[2])
                for row in self._db.execute("SELECT relpath, size, stamp FROM unreadable")
            }
            seen: set[str] = set()
            reread = 0
            for relpath, size, stamp in self._scan():
                seen.add(relpath)
                if known.get(relpath) == (size, stamp) or bad.get(relpath) == (size, stamp):
                    continue
                reread += 1
                self._index_file(relpath, size, stamp)
            gone = (set(known) | set(bad)) - seen
            self._db.executemany("DELETE FROM files WHERE relpath = ?", [(p,) for p in gone])
            self._db.executemany("DELETE FROM unreadable WHERE relpath = ?", [(p,) for p in gone])
            self._db.commit()
            problems = tuple(self._db.execute("SELECT relpath, reason FROM unreadable ORDER BY 1"))
            count = self._db.execute("SELECT count(*) FROM files").fetchone()[0]
        return IndexStats(count, reread, len(gone), problems)

    def _scan(self) -> Iterator[tuple[str, int, str]]:
        """Every archive file under the content folders: relative path, size, stamp."""
        for folder in CONTENT_FOLDERS.values():
            yield from _walk(self.root / folder, folder)

    def _index_file(self, relpath: str, size: int, stamp: str) -> None:
        """Read one file's front matter into the index, or record why it cannot be read."""
        kind = _FOLDER_TYPES[relpath.split("/", 1)[0]]
        try:
            release = loads(read_archive_file(self.root / relpath), source=relpath)
        except DocumentError as exc:
            self._db.execute("DELETE FROM files WHERE relpath = ?", (relpath,))
            self._db.execute(
                "INSERT OR REPLACE INTO unreadable VALUES (?, ?, ?, ?)",
                (relpath, str(exc), size, stamp),
            )
            return
        self._db.execute("DELETE FROM unreadable WHERE relpath = ?", (relpath,))
        self._db.execute(
            "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                relpath,
                kind,
                release.url,
                folded_id(release.url),
                release.date.isoformat(),
                release.title,
                size,
                stamp,
            ),
        )

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
        return self._one("f.relpath = ?", (relpath,))

    def newest(self, kind: str) -> dt.date | None:
        """The latest date of any file of a content type."""
        with self._mutex:
            row = self._db.execute("SELECT max(date) FROM files WHERE kind = ?", (kind,)).fetchone()
        return dt.date.fromisoformat(row[0]) if row and row[0] else None

    def unreadable(self) -> list[tuple[str, str]]:
        """Archive files the index could not read, with the reason each."""
        with self._mutex:
            rows = self._db.execute("SELECT relpath, reason FROM unreadable ORDER BY 1").fetchall()
        return [(str(p), str(r)) for p, r in rows]

    def count(self) -> int:
        """How many readable files the index holds."""
        with self._mutex:
            return int(self._db.execute("SELECT count(*) FROM files").fetchone()[0])

    def _one(self, where: str, args: tuple[str, ...]) -> Entry | None:
        """The first entry a query returns, or None."""
        rows = self._many(where, args)
        return rows[0] if rows else None

    def _many(self, where: str, args: tuple[str, ...]) -> list[Entry]:
        """The index entries matching a condition on `files f`, marked when this tool wrote them."""
        sql = (
            "SELECT f.relpath, f.kind, f.url, f.folded, f.date, f.title, w.url IS NOT NULL"
            " FROM files f LEFT JOIN written w ON w.relpath = f.relpath AND w.url = f.url"
            f" WHERE {where}"
        )
        with self._mutex:
            rows = self._db.execute(sql, args).fetchall()
        return [
            Entry(r[0], r[1], r[2], r[3], dt.date.fromisoformat(r[4]), r[5], bool(r[6]))
            for r in rows
        ]

    # -- files -----------------------------------------------------------------------------

    def read_text(self, relpath: str) -> str:
        """The text of an archive file; DocumentError when it cannot be read."""
        return read_archive_file(self.root / relpath)

    def write(
        self, relpath: str, text: str, url: str, published: dt.date, now: dt.datetime
    ) -> None:
        """Write one file atomically, then record it in the index and the sync state."""
        path = self.root / relpath
        data = text.encode("utf-8")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, data)
            stat = path.stat()
        except OSError as exc:
            raise StoreError(
                f"cannot write {path}: {exc.strerror}; check the folder and its permissions"
            ) from exc
        try:
            self._record_write(relpath, stat, data, url, published, now)
        except sqlite3.Error as exc:
            raise StoreError(
                f"{path} was written, but the state in {self.root / STATE_DIR} could not record"
                f" it ({exc}); check the disk, then sync again"
            ) from exc

    def _record_write(
        self,
        relpath: str,
        stat: os.stat_result,
        data: bytes,
        url: str,
        published: dt.date,
        now: dt.datetime,
    ) -> None:
        """Note a written file in the index and in what this tool wrote."""
        with self._mutex:
            self._index_file(relpath, stat.st_size, _stamp(stat))
            self._db.execute(
                "INSERT OR REPLACE INTO written VALUES (?, ?, ?, ?, ?)",
                (
                    url,
                    relpath,
                    hashlib.sha256(data).hexdigest(),
                    published.isoformat(),
                    now.isoformat(timespec="seconds"),
                ),
            )
            self._db.commit()

    def written_since(self, since: dt.date) -> list[tuple[str, str]]:
        """(url, relpath) of files a sync wrote for releases published on or after `since`."""
        with self._mutex:
            rows = self._db.execute(
                "SELECT url, relpath FROM written WHERE published >= ? ORDER BY published DESC",
                (since.isoformat(),),
            ).fetchall()
        return [(str(u), str(p)) for u, p in rows]

    def edited(self, relpath: str) -> bool:
        """Whether a file this tool wrote has changed on disk since (edited by hand)."""
        with self._mutex:
            row = self._db.execute(
                "SELECT sha256 FROM written WHERE relpath = ?", (relpath,)
            ).fetchone()
        if row is None:
            return False
        try:
            data = (self.root / relpath).read_bytes()
        except OSError:
            return True
        return bool(hashlib.sha256(data).hexdigest() != row[0])

    def remove(self, relpath: str) -> None:
        """Delete a file this tool wrote (its release moved to another path)."""
        try:
            (self.root / relpath).unlink(missing_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot remove {self.root / relpath}: {exc.strerror}") from exc
        with self._mutex:
            self._db.execute("DELETE FROM files WHERE relpath = ?", (relpath,))
            self._db.execute("DELETE FROM written WHERE relpath = ?", (relpath,))
            self._db.commit()

    # -- HTTP validators and node redirects ------------------------------------------------

    def get_validators(self, url: str) -> tuple[str | None, str | None] | None:
        """The ETag and Last-Modified last seen for a URL."""
        with self._mutex:
            row = self._db.execute(
                "SELECT etag, last_modified FROM validators WHERE url = ?", (url,)
            ).fetchone()
        return (row[0], row[1]) if row else None

    def put_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        """Remember a URL's ETag and Last-Modified for the next conditional request."""
        with self._mutex:
            self._db.execute(
                "INSERT OR REPLACE INTO validators VALUES (?, ?, ?)", (url, etag, last_modified)
            )
            self._db.commit()

    def node_target(self, node_url: str) -> str | None:
        """The content URL a /node/<id> link was last found to lead to."""
        with self._mutex:
            row = self._db.execute(
                "SELECT url FROM nodes WHERE node_url = ?", (node_url,)
            ).fetchone()
        return str(row[0]) if row else None

    def remember_node(self, node_url: str, url: str) -> None:
        """Remember where a /node/<id> link leads, so it need not be fetched again."""
        with self._mutex:
            self._db.execute("INSERT OR REPLACE INTO nodes VALUES (?, ?)", (node_url, url))
            self._db.commit()

    def get_meta(self, key: str) -> str | None:
        """A value the sync keeps between runs."""
        with self._mutex:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def put_meta(self, key: str, value: str) -> None:
        """Keep a value between runs."""
        with self._mutex:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
            self._db.commit()

    def keep_pending(self, items: list[tuple[str, str, str | None, str | None]]) -> None:
        """Remember found items (url, kind, published, title) until they are dealt with."""
        with self._mutex:
            self._db.executemany(
                "INSERT INTO pending (url, kind, published, title) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (url) DO UPDATE SET kind = excluded.kind,"
                " published = excluded.published, title = excluded.title",
                items,
            )
            self._db.commit()

    def pending(self, kinds: tuple[str, ...]) -> list[tuple[str, str, str | None, str | None]]:
        """Items found by earlier runs and not yet dealt with, of some content types."""
        marks = ",".join("?" * len(kinds))
        with self._mutex:
            rows = self._db.execute(
                f"SELECT url, kind, published, title FROM pending WHERE kind IN ({marks})"
                " ORDER BY published DESC",
                kinds,
            ).fetchall()
        return [(str(u), str(k), p, t) for u, k, p, t in rows]

    def missed_pending(self, url: str, limit: int) -> bool:
        """Count a found item's page as missing; forget it (True) after `limit` misses."""
        with self._mutex:
            self._db.execute("UPDATE pending SET misses = misses + 1 WHERE url = ?", (url,))
            row = self._db.execute("SELECT misses FROM pending WHERE url = ?", (url,)).fetchone()
            gone = row is not None and int(row[0]) >= limit
            if gone:
                self._db.execute("DELETE FROM pending WHERE url = ?", (url,))
            self._db.commit()
        return gone

    def done_pending(self, url: str) -> None:
        """Forget a found item: it is in the archive, or gone from the site."""
        with self._mutex:
            self._db.execute("DELETE FROM pending WHERE url = ?", (url,))
            self._db.commit()

    def meta_with_prefix(self, prefix: str) -> list[tuple[str, str]]:
        """Kept values whose keys start with a prefix."""
        with self._mutex:
            rows = self._db.execute(
                "SELECT key, value FROM meta WHERE substr(key, 1, ?) = ?", (len(prefix), prefix)
            ).fetchall()
        return [(str(k), str(v)) for k, v in rows]

    def unreadable_like(self, kind: str, folded: str, date: dt.date) -> list[str]:
        """Unreadable files whose names say they may hold a release of this id and date.

        The old archive's file may carry the day before (its UTC date) or 0001-01-01.
        """
        folder = CONTENT_FOLDERS[kind]
        names = {f"{day:%Y-%m-%d}-{folded}" for day in old_archive_dates(date)}
        return [
            relpath
            for relpath, _ in self.unreadable()
            if relpath.startswith(folder + "/") and untagged_stem(relpath) in names
        ]

    def delete_meta(self, key: str) -> None:
        """Forget a value kept between runs."""
        with self._mutex:
            self._db.execute("DELETE FROM meta WHERE key = ?", (key,))
            self._db.commit()

    def load_robots(self, site: str) -> tuple[str, float] | None:
        """The robots.txt kept for a site and its age in seconds (by the wall clock)."""
        with self._mutex:
            row = self._db.execute(
                "SELECT text, fetched_at FROM robots WHERE site = ?", (site,)
            ).fetchone()
        return None if row is None else (str(row[0]), max(0.0, time.time() - float(row[1])))

    def save_robots(self, site: str, text: str) -> None:
        """Keep a site's robots.txt, stamped with the wall clock, for later runs."""
        with self._mutex:
            self._db.execute(
                "INSERT OR REPLACE INTO robots VALUES (?, ?, ?)", (site, text, time.time())
            )
            self._db.commit()

    # -- the lock --------------------------------------------------------------------------

    @contextlib.contextmanager
    def locked(
        self,
        wait: float = 0.0,
        sleep: Callable[[float], None] | None = None,
        poll: float = 1.0,
    ) -> Iterator[None]:
        """Hold the archive's lock; wait up to `wait` seconds for another holder to finish."""
        path = self.root / STATE_DIR / "lock"
        handle = path.open("a+", encoding="utf-8")
        try:
            _acquire(handle, path, wait, sleep, poll)
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            yield
        finally:
            handle.close()  # closing releases the flock


def read_archive_file(path: Path) -> str:
    """The text of an archive file, or DocumentError with the reason (strict UTF-8)."""
    try:
        data = path.read_bytes()
    except IsADirectoryError as exc:
        raise DocumentError(f"{path}: a folder that could not be listed") from exc
    except OSError as exc:
        raise DocumentError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    return decode(data, str(path))


def _open_state(path: Path) -> sqlite3.Connection:
    """Open the state database, creating its tables; DatabaseError when it is damaged.

    A database of another schema version counts as damaged too: it is only a cache.
    """
    db = sqlite3.connect(path, check_same_thread=False)
    try:
        if (check := db.execute("PRAGMA quick_check").fetchone()[0]) != "ok":
            raise sqlite3.DatabaseError(f"integrity check: {check}")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if version != SCHEMA_VERSION and tables:
            raise sqlite3.DatabaseError(f"schema version {version}, not {SCHEMA_VERSION}")
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(_SCHEMA)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except sqlite3.DatabaseError:
        db.close()
        raise
    return db


def _acquire(
    handle: IO[str], path: Path, wait: float, sleep: Callable[[float], None] | None, poll: float
) -> None:
    """Take an exclusive flock, polling until `wait` seconds have been spent waiting."""
    pause = sleep or time.sleep
    waited = 0.0
    fd = handle.fileno()
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if waited >= wait:
                holder = path.read_text(encoding="utf-8").strip() or "another process"
                raise LockedError(
                    f"the archive {path.parent.parent} is in use by process {holder}"
                    " (another sync); wait for it to finish, or pass --wait SECONDS"
                ) from None
            pause(poll)
            waited += poll


def _remove_stale(path: Path) -> None:
    """Delete a temporary file left by a write that was killed (not one being written now)."""
    with contextlib.suppress(OSError):
        if time.time() - path.stat().st_mtime > _STALE_SECONDS:
            path.unlink()


def _stamp(stat: os.stat_result) -> str:
    """What tells a changed file from an unchanged one without reading it.

    The change time and inode are in it because copying tools (cp -p, rsync -t, tar) can
    replace a file with one of the same size and modification time, but not keep those.
    """
    return f"{stat.st_mtime_ns}:{stat.st_ctime_ns}:{stat.st_ino}"


def _walk(folder: Path, rel: str) -> Iterator[tuple[str, int, str]]:
    """Recursively list *.md files under a folder as (relative path, size, stamp)."""
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return
    for entry in entries:
        name = f"{rel}/{entry.name}"
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path), name)
        elif entry.name.endswith(".md") and entry.is_file():
            stat = entry.stat()
            yield name, stat.st_size, _stamp(stat)
        elif _TEMP.fullmatch(entry.name):
            _remove_stale(Path(entry.path))
