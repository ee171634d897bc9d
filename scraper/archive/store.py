"""The archive on disk: its folder, its files, the walk that indexes them, and the lock.

The files are the source of truth. The state database beside them (`.scraper/state.db`,
which git is told to ignore; see archive/state.py) caches their index and keeps what syncs
remember. `Archive` is the folder with its state open: the state's queries are its methods.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import functools
import hashlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG

from scraper.archive.atomic import TEMP_MD, atomic_write
from scraper.archive.confine import check_inside, check_state_folder
from scraper.archive.document import decode, error_reason, loads
from scraper.archive.opening import BUSY_TIMEOUT, open_read_only, open_state
from scraper.archive.paths import untagged_stem
from scraper.archive.schema import SCHEMA_VERSION
from scraper.archive.state import STATE_FILE, Entry, Intent, RunRecord, State
from scraper.dates import old_archive_dates
from scraper.errors import ConfigError, DocumentError, LockedError, StateError, StoreError
from scraper.models import CONTENT_FOLDERS, Release
from scraper.site.urls import folded_id

__all__ = [
    "SCHEMA_VERSION",
    "STATE_DIR",
    "Archive",
    "Entry",
    "IndexStats",
    "RunRecord",
    "read_archive_file",
]

STATE_DIR = ".scraper"
#: The archive's lock file in its state folder (syncs, verify --fix, daemon runs).
LOCK = "lock"
#: How often, and how far apart, a busy lock is tried before it counts as held.
_LOOK_TRIES = 10
_LOOK_GAP = 0.02
#: Temporary files of atomic writes (archive/atomic.py), and how old one must be to be litter.
_TEMP = TEMP_MD
STALE_SECONDS = 600.0
_FOLDER_TYPES = {folder: kind for kind, folder in CONTENT_FOLDERS.items()}
#: What the index stores as the stamp of a folder it could not list (a file's is never empty).
_FOLDER_STAMP = ""
#: Index rows written per transaction while a walk reads the files.
_BATCH = 2000
#: What the index keeps of a file: its row (8 values), or (relpath, reason, size, stamp).
_Indexed = tuple[str, str, str, str, str, str, int, str] | tuple[str, str, int, str]


@dataclass(frozen=True)
class IndexStats:
    """What a refresh of the index found."""

    files: int
    reread: int
    removed: int
    #: Files, and folders, that could not be read, with the reason each.
    unreadable: tuple[tuple[str, str], ...]


class Archive(State):
    """An archive folder, with its state database open.

    `Archive(root)` opens it to sync: it creates the folder and its state when needed.
    `Archive.read_only(root)` opens it to look: it creates and changes nothing on disk.
    """

    def __init__(
        self,
        root: Path,
        *,
        busy_timeout: float = BUSY_TIMEOUT,
        writable: bool = True,
        held: bool = False,
        lock: HeldLock | None = None,
    ) -> None:
        """Open the archive at `root`; `writable=False` is what `read_only` does.

        Opening takes no lock. `held`: the caller holds it already (see `open_archive`),
        so a busy state is nobody else's doing, and litter of killed writes is nobody's
        write in progress. `lock`: that lock, checked before every write.
        """
        self.root = root
        #: False for an archive opened read-only: its state lives in memory, files stay put.
        self.writable = writable
        self._held = held or lock is not None
        self._lock = lock
        state = root / STATE_DIR
        if writable:
            check_state_folder(root, state)
            try:
                state.mkdir(parents=True, exist_ok=True)
                ignore = state / ".gitignore"
                if not ignore.exists():
                    # Keeps the state out of the user's git checkout without touching theirs.
                    ignore.write_text("*\n", encoding="utf-8")
            except OSError as exc:
                raise StoreError(
                    f"cannot open the archive at {root}: {exc.strerror or exc}; check the path"
                    " and its permissions"
                ) from exc
            # Under our own lock nobody else can be using it; otherwise ask who is.
            holder = _nobody if self._held else functools.partial(_lock_holder, state / LOCK)
            opened = open_state(state / STATE_FILE, busy_timeout, holder)
        else:
            opened = open_read_only(state / STATE_FILE)
        super().__init__(opened, state / STATE_FILE)
        if writable and self._held:
            try:
                self._settle_intents()
            except BaseException:
                self.close()
                raise

    @classmethod
    def read_only(cls, root: Path) -> Archive:
        """Open an archive to look, not to change (verify --offline, status, sync --dry-run).

        Nothing is created or changed on disk: not the folder, `.scraper/`, the lock, nor
        the state. The state is copied into memory (empty when there is none, or when it is
        damaged: `state_problem` says so), so queries and even meta writes work, and are
        forgotten on close. `write`, `rewrite` and `remove` raise StoreError; no lock is taken.
        """
        return cls(root, writable=False)

    @property
    def lock(self) -> HeldLock | None:
        """The lock this archive was opened under, checked before each write (None: none)."""
        return self._lock

    def __enter__(self) -> Archive:
        """Use as a context manager."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close on leaving the block."""
        self.close()

    # -- the index -------------------------------------------------------------------------

    def refresh_index(self) -> IndexStats:
        """Bring the index up to date with the files on disk, re-reading only changed ones.

        A folder (or file) that cannot be looked at is listed as unreadable, and what the
        index knew under it is kept as it was: it is out of sight, not gone. Files are read
        outside any transaction and written in short ones, so that another reader of the
        state (a verify, a status) never waits for a whole walk.
        """
        hidden: list[tuple[str, str]] = []
        with self._reading() as db:
            known = self._indexed(db, "files")
            bad = self._indexed(db, "unreadable")
        seen: set[str] = set()
        batch: list[_Indexed] = []
        reread = 0
        for relpath, size, stamp in self._scan(hidden):
            seen.add(relpath)
            if known.get(relpath) == (size, stamp) or bad.get(relpath) == (size, stamp):
                continue
            reread += 1
            batch.append(self._read_entry(relpath, size, stamp))
            if len(batch) >= _BATCH:
                self._put_batch(batch)
                batch = []
        gone = {p for p in (set(known) | set(bad)) - seen if not _under(p, hidden)}
        with self._writing() as db:
            for row in batch:
                self._put_indexed(db, row)
            self._unindex(db, gone)
            for relpath, reason in hidden:
                self._put_unreadable(db, relpath, reason, 0, _FOLDER_STAMP)
            problems = tuple(db.execute("SELECT relpath, reason FROM unreadable ORDER BY 1"))
            count = db.execute("SELECT count(*) FROM files").fetchone()[0]
        removed = sum(1 for p in gone if bad.get(p, (0, "-"))[1] != _FOLDER_STAMP)
        return IndexStats(count, reread, removed, problems)

    def _put_batch(self, batch: list[_Indexed]) -> None:
        """Write index rows read from the files, in one short transaction."""
        with self._writing() as db:
            for row in batch:
                self._put_indexed(db, row)

    def _scan(self, hidden: list[tuple[str, str]]) -> Iterator[tuple[str, int, str]]:
        """Every archive file under the content folders: relative path, size, stamp."""
        # Under the lock no write is in progress, so any litter is a killed write's.
        tidy = (0.0 if self._held else STALE_SECONDS) if self.writable else None
        for folder in CONTENT_FOLDERS.values():
            yield from _walk(self.root / folder, folder, hidden, tidy)

    def _index_file(
        self, db: sqlite3.Connection, relpath: str, size: int, stamp: str, text: str
    ) -> None:
        """Index a file just written with `text`, in `db`'s write transaction."""
        self._put_indexed(db, self._read_entry(relpath, size, stamp, text))

    def _read_entry(self, relpath: str, size: int, stamp: str, text: str | None = None) -> _Indexed:
        """What the index keeps of a file: its row, or why it cannot be read.

        `text`: the file's text, when the caller has just written it (nothing is read).
        """
        kind = _FOLDER_TYPES[relpath.split("/", 1)[0]]
        try:
            if text is None:
                text = read_archive_file(self.root / relpath, relpath)
            release = loads(text, source=relpath)
        except DocumentError as exc:
            # Phrased as the folder reasons of _walk are: what cannot be done, then why.
            return (relpath, f"file cannot be read: {error_reason(exc, relpath)}", size, stamp)
        return (
            relpath,
            kind,
            release.url,
            folded_id(release.url),
            release.date.isoformat(),
            release.title,
            size,
            stamp,
        )

    def _put_indexed(self, db: sqlite3.Connection, row: _Indexed) -> None:
        """Write one index row: a readable file's, or an unreadable one's reason."""
        if len(row) == 4:
            relpath, reason, size, stamp = row
            self._put_unreadable(db, relpath, reason, size, stamp)
        else:
            self._put_entry(db, row)

    # -- files -----------------------------------------------------------------------------

    def read_text(self, relpath: str) -> str:
        """The text of an archive file; DocumentError when it cannot be read."""
        return read_archive_file(self.root / relpath)

    def write(
        self,
        relpath: str,
        text: str,
        url: str,
        published: dt.date,
        now: dt.datetime,
        *,
        incomplete: bool = False,
        source: str | None = None,
    ) -> None:
        """Write one file atomically, then record it in the index and the sync state.

        `incomplete`: it was made from the feed alone (sync --feed-only) and is marked so;
        any other write of the release, made from its page, clears the mark. `source`: the
        WARC-Record-ID of the kept page it was rendered from (None: from no kept page).
        """
        path = self.root / relpath
        self._must_be_writable(path, "written")
        data = text.encode("utf-8")
        sha256 = hashlib.sha256(data).hexdigest()
        intent = Intent(relpath, sha256, url, published, now, incomplete, source)
        self._begin(path, intent)
        try:
            atomic_write(path, data, inside=self.root)  # its folders made, no link followed
        except StoreError:
            self._abandon(relpath)
            raise
        self._record(path, intent, text, "written", "then sync again")

    def rewrite(self, relpath: str, text: str, was: str) -> None:
        """Rewrite a file in place, atomically (its canonical form): not as this tool's own.

        `was` is the text the file held when it was read: a file gone or changed since is
        refused (StoreError), never written back. An old exporter's file stays one (its url
        may be a folded one); a file this tool wrote keeps its record, with the new digest.
        """
        path = self.root / relpath
        self._must_be_writable(path, "rewritten")
        try:
            now_text = read_archive_file(path)
        except DocumentError as exc:
            raise StoreError(f"{path} was not rewritten: it is gone or unreadable now") from exc
        if now_text != was:
            raise StoreError(f"{path} was not rewritten: it changed since it was read")
        data = text.encode("utf-8")
        intent = Intent(relpath, hashlib.sha256(data).hexdigest())
        self._begin(path, intent)
        try:
            atomic_write(path, data, inside=self.root)
        except StoreError:
            self._abandon(relpath)
            raise
        self._record(path, intent, text, "rewritten", "run again")

    # -- the intent journal: a write's record survives a kill between rename and commit ----

    def _begin(self, path: Path, intent: Intent) -> None:
        """Commit a write's intent before its rename; StateError (nothing written) if not."""
        try:
            self._note_intent(intent)
        except StoreError as exc:
            raise StateError(
                f"{path} was not written: the state could not note the write first: {exc};"
                " then run again"
            ) from exc

    def _abandon(self, relpath: str) -> None:
        """Drop the intent of a write whose rename failed (else the next open drops it)."""
        with contextlib.suppress(StoreError):
            self._forget_intent(relpath)

    def _record(self, path: Path, intent: Intent, text: str, done: str, then: str) -> None:
        """Record a file just renamed into place, and drop its intent, in one transaction."""
        try:
            stat = path.stat()
            with self._writing() as db:
                self._index_file(db, intent.relpath, stat.st_size, _stamp(stat), text)
                self._record_intent(db, intent)
        except (OSError, StoreError) as exc:
            raise StateError(
                f"{path} was {done}, but the state could not record it: {exc}; {then}"
            ) from exc

    def _settle_intents(self) -> None:
        """Finish the writes a killed run left noted: record each whose file holds exactly
        its new bytes (renamed, never recorded); drop the others (killed before the rename).

        Run under the lock, when no write can be in progress: the moment killed writes'
        temporary files are cleared too.
        """
        for intent in self._intents():
            found = self._renamed(intent)
            with self._writing() as db:
                if found is None:
                    db.execute("DELETE FROM intents WHERE relpath = ?", (intent.relpath,))
                    continue
                text, stat = found
                self._index_file(db, intent.relpath, stat.st_size, _stamp(stat), text)
                self._record_intent(db, intent)

    def _renamed(self, intent: Intent) -> tuple[str, os.stat_result] | None:
        """The text and stat of an intent's file if it holds exactly the intent's bytes."""
        path = self.root / intent.relpath
        if intent.relpath.split("/", 1)[0] not in _FOLDER_TYPES:
            return None  # no archive file's path: nothing this tool would have written there
        try:
            check_inside(self.root, path)
            stat = path.lstat()
            if not S_ISREG(stat.st_mode):  # never opened: a FIFO planted there would block
                return None
            data = path.read_bytes()
        except (OSError, StoreError):
            return None
        if hashlib.sha256(data).hexdigest() != intent.sha256:
            return None
        return data.decode("utf-8"), stat

    def holds(self, relpath: str, url: str) -> bool:
        """Whether the file at a path, as it is on disk now, holds this URL."""
        try:
            return loads(self.read_text(relpath), relpath).url == url
        except DocumentError:
            return False

    def edited(self, relpath: str, text: str | None = None) -> bool:
        """Whether a file this tool wrote has changed on disk since (edited by hand).

        `text`: the file as the caller just read it (strict UTF-8: the same bytes).
        """
        sha256 = self._written_sha256(relpath)
        if sha256 is None:
            return False
        try:
            data = (self.root / relpath).read_bytes() if text is None else text.encode("utf-8")
        except OSError:
            return True
        return hashlib.sha256(data).hexdigest() != sha256

    def remove(self, relpath: str) -> None:
        """Delete a file this tool wrote (its release moved to another path)."""
        path = self.root / relpath
        self._must_be_writable(path, "removed")
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot remove {path}: {exc.strerror}") from exc
        self._forget_file(relpath)
        self._prune(path.parent)

    def _prune(self, folder: Path) -> None:
        """Remove folders a move left empty, up to the archive's root (git shows none)."""
        while folder != self.root and self.root in folder.parents:
            try:
                folder.rmdir()
            except OSError:
                return  # not empty (or not ours to remove): the usual case, and fine
            folder = folder.parent

    def _must_be_writable(self, path: Path, done: str) -> None:
        """StoreError unless the archive was opened to be changed, its lock is still ours,
        and the path leads nowhere outside it."""
        if not self.writable:
            raise StoreError(
                f"{path} was not {done}: the archive {self.root} is open read-only (a dry run"
                " or an offline check changes no file); run without --dry-run/--offline to"
                " change it"
            )
        if self._lock is not None:
            self._lock.check()
        check_inside(self.root, path)

    def unreadable_like(self, kind: str, folded: str, date: dt.date) -> list[str]:
        """Unreadable files whose names say they may hold a release of this id and date.

        The old archive's file may carry the day before (its UTC date) or 0001-01-01.
        """
        folder = CONTENT_FOLDERS[kind]
        # isoformat, not strftime: %Y writes the year 1 as "1", not "0001", on Linux.
        names = {f"{day.isoformat()}-{folded}" for day in old_archive_dates(date)}
        return [
            relpath
            for relpath, _ in self.unreadable()
            if relpath.startswith(folder + "/") and untagged_stem(relpath) in names
        ]


@contextlib.contextmanager
def open_archive(
    root: Path,
    *,
    wait: float = 0.0,
    sleep: Callable[[float], None] | None = None,
    poll: float = 1.0,
) -> Iterator[Archive]:
    """Take the archive's lock, then open it to change it (what sync and verify --fix do).

    The lock comes first, so a second run waits for (or is refused by) the first before it
    touches the state at all.
    """
    with hold_lock(root, wait, sleep, poll) as lock, Archive(root, lock=lock) as archive:
        yield archive


class HeldLock:
    """An archive's lock file, flocked by this process, and a check that it is still so."""

    def __init__(self, path: Path, fd: int) -> None:
        """Keep the lock file's path and the open descriptor holding its flock."""
        self.path = path
        self.fd = fd

    def names_us(self) -> bool:
        """Whether the lock file's path still names the file this process has flocked."""
        try:
            ours, there = os.fstat(self.fd), os.lstat(self.path)
        except OSError:
            return False
        return (ours.st_dev, ours.st_ino) == (there.st_dev, there.st_ino)

    def check(self) -> None:
        """LockedError when the lock file was deleted or replaced since it was taken.

        A flock lives on the file, not its name: once the name leads elsewhere, a second
        run takes a lock of its own, and this one must write no more.
        """
        if not self.names_us():
            raise LockedError(
                f"the archive's lock file {self.path} was deleted or replaced during this run,"
                " so another run may be writing to the archive too; nothing more was written:"
                " run again (and leave .scraper/lock alone while a run holds it)"
            )


@contextlib.contextmanager
def hold_lock(
    root: Path,
    wait: float = 0.0,
    sleep: Callable[[float], None] | None = None,
    poll: float = 1.0,
    name: str = LOCK,
) -> Iterator[HeldLock]:
    """Hold an archive's lock; wait up to `wait` seconds for another holder to finish.

    `name`: another lock of the archive's (the daemon's, which one daemon holds throughout).
    The lock file is opened without following a link, and once flocked it must still be
    the file its path names (else it was deleted or replaced meanwhile: taken again).
    """
    state = root / STATE_DIR
    check_state_folder(root, state)
    path = state / name
    held = _take_lock(root, path, wait, sleep or time.sleep, poll)
    try:
        os.ftruncate(held.fd, 0)
        os.pwrite(held.fd, f"{os.getpid()}\n".encode(), 0)
        yield held
    finally:
        os.close(held.fd)  # closing releases the flock


#: How often a lock file found deleted or replaced once flocked is opened again.
_REOPENS = 5


def _take_lock(
    root: Path, path: Path, wait: float, sleep: Callable[[float], None], poll: float
) -> HeldLock:
    """Open and flock the lock file, again while its path turns out to name another file."""
    waited = 0.0
    for _ in range(_REOPENS):
        fd = _open_lock(root, path)
        try:
            waited = _acquire(fd, path, wait, waited, sleep, poll)
        except BaseException:
            os.close(fd)
            raise
        held = HeldLock(path, fd)
        if held.names_us():
            return held
        os.close(fd)
    raise LockedError(
        f"the archive's lock file {path} was deleted or replaced each time it was taken;"
        " stop whatever keeps removing it, then run again"
    )


def _open_lock(root: Path, path: Path) -> int:
    """Open (creating) a lock file, never through a symbolic link."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
        fd = os.open(path, flags, 0o666)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            check_state_folder(root, path.parent)  # names the link, says what to do
        raise StoreError(
            f"cannot lock the archive at {root}: {exc.strerror or exc}; check the path and"
            " its permissions"
        ) from exc
    if not S_ISREG(os.fstat(fd).st_mode):  # a FIFO or device planted there
        os.close(fd)
        raise StoreError(f"{path} is not a plain file; remove it, then run again")
    return fd


def is_archive(root: Path) -> bool:
    """Whether a folder holds an archive: its state, or a folder of some content type."""
    names = (STATE_DIR, *CONTENT_FOLDERS.values())
    return root.is_dir() and any((root / name).is_dir() for name in names)


#: What to do about a missing archive, for the commands that can start one (--init).
START_ONE = "check the path, or pass --init to start a new one there"
#: The same, for the commands that only read an archive.
SYNC_ONE = "check the path, or sync one first"


def require_archive(root: Path, init: bool, how: str) -> bool:
    """Whether a new archive is being started; ConfigError when one is not there unasked.

    `how` says what to do, in the words of the command that asks.
    """
    if is_archive(root):
        return False
    if not init:
        folders = ", ".join(f"{name}/" for name in (*CONTENT_FOLDERS.values(), STATE_DIR))
        raise ConfigError(f"there is no archive at {root} (none of {folders} in it): {how}")
    return True


def read_release(root: Path, relpath: str) -> Release:
    """The release in an archive file; DocumentError, naming `relpath`, when it cannot be."""
    return loads(read_archive_file(root / relpath, relpath), source=relpath)


def read_archive_file(path: Path, source: str | None = None) -> str:
    """The text of an archive file, or DocumentError with the reason (strict UTF-8).

    `source` names the file in the error (the path relative to the archive), else `path`.
    """
    name = source or str(path)
    try:
        data = path.read_bytes()
    except IsADirectoryError as exc:
        raise DocumentError(f"{name}: a folder that could not be listed") from exc
    except OSError as exc:
        raise DocumentError(f"{name}: cannot be read ({exc.strerror or exc})") from exc
    return decode(data, name)


def _acquire(
    fd: int, path: Path, wait: float, waited: float, pause: Callable[[float], None], poll: float
) -> float:
    """Take an exclusive flock, polling until `wait` seconds have been spent waiting.

    `waited`: seconds already spent waiting for an earlier lock file; returns the new total.
    """
    while not _take(fd):
        if waited >= wait:
            if _take_after_a_look(fd):
                return waited
            holder = path.read_text(encoding="utf-8").strip() or "another process"
            advice = (
                f"waited {waited:g} s; wait longer with --wait SECONDS, or try later"
                if waited
                else "wait for it to finish (sync and verify --fix take --wait SECONDS)"
            )
            raise LockedError(
                f"the archive {path.parent.parent} is in use by process {holder}"
                f" (a sync or a daemon's run); {advice}"
            )
        pause(poll)
        waited += poll
    return waited


def _take(fd: int) -> bool:
    """Take an exclusive flock now, or say it is held."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _take_after_a_look(fd: int, nap: Callable[[float], None] = time.sleep) -> bool:
    """Before a refusal: a few quick tries, a moment apart, for the lock that seemed held.

    A look at the lock (status, a dry run: `lock_holder`) holds it for an instant; these
    tell such a look from a holder. `nap` is bound here, apart from the wait for a holder
    (`hold_lock`'s `sleep`), which tests run on a fake clock.
    """
    for _ in range(_LOOK_TRIES):
        nap(_LOOK_GAP)
        if _take(fd):
            return True
    return False


def lock_holder(root: Path, name: str = LOCK) -> str | None:
    """Who holds an archive's lock now (the pid it wrote), or None; creates nothing."""
    path = root / STATE_DIR / name
    return _lock_holder(path) if path.is_file() else None


def _nobody() -> str | None:
    """Nobody else holds the archive: this process does."""
    return None


def _lock_holder(path: Path) -> str | None:
    """Who holds the archive's lock now (the pid it wrote), or None when nobody does."""
    try:
        handle = path.open("r", encoding="utf-8")
    except OSError:  # no lock file, or one this user cannot read: nobody to wait for
        return None
    with handle:  # closing releases a lock taken here
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return handle.read().strip() or "another process"
    return None


def _remove_stale(path: Path, age: float) -> None:
    """Delete a temporary file left by a write that was killed, if older than `age` seconds.

    Under the archive's lock `age` is 0: no write of the archive's can be in progress.
    """
    with contextlib.suppress(OSError):
        if age <= 0 or time.time() - path.lstat().st_mtime > age:
            path.unlink()


def _stamp(stat: os.stat_result) -> str:
    """What tells a changed file from an unchanged one without reading it.

    The change time and inode are in it because copying tools (cp -p, rsync -t, tar) can
    replace a file with one of the same size and modification time, but not keep those.
    """
    return f"{stat.st_mtime_ns}:{stat.st_ctime_ns}:{stat.st_ino}"


def _under(relpath: str, hidden: list[tuple[str, str]]) -> bool:
    """Whether a path is one of, or lies under, the paths that could not be looked at."""
    return any(relpath == h or relpath.startswith(h + "/") for h, _ in hidden)


def _walk(
    folder: Path, rel: str, hidden: list[tuple[str, str]], tidy: float | None
) -> Iterator[tuple[str, int, str]]:
    """Recursively list *.md files under a folder as (relative path, size, stamp).

    A folder or file that cannot be looked at goes to `hidden` with the reason; `tidy`
    (unless None) deletes on the way the litter of killed writes older than that many seconds.
    """
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return
    except OSError as exc:
        hidden.append((rel, f"folder cannot be listed: {_reason(exc)}"))
        return
    for entry in entries:
        name = f"{rel}/{entry.name}"
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path), name, hidden, tidy)
        elif entry.name.endswith(".md") and entry.is_file():
            try:
                stat = entry.stat()
            except FileNotFoundError:
                continue  # deleted since the folder was listed
            except OSError as exc:
                hidden.append((name, f"file cannot be looked at: {_reason(exc)}"))
                continue
            yield name, stat.st_size, _stamp(stat)
        elif tidy is not None and _TEMP.fullmatch(entry.name):
            _remove_stale(Path(entry.path), tidy)


def _reason(exc: OSError) -> str:
    """Why a path could not be looked at, and what to do about it."""
    if isinstance(exc, PermissionError):
        return f"{exc.strerror or exc}; fix its permissions"
    return f"{exc.strerror or exc}; check the disk"
