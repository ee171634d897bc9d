"""Opening the state database: checked, migrated, set aside when damaged, or copied to memory.

Trouble that is not damage (a lock another program holds, a read-only file, a full disk) is a
StoreError that leaves the file exactly as it was; only damage is set aside, as
`state.db.damaged`, and rebuilt. A clean close leaves a seal beside the file, so that the next
open can spare the full check while the file is as scraper left it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from scraper.archive.schema import Damaged, check, migrate, one_line
from scraper.errors import LockedError, StateError, StateLockedError, StoreError

__all__ = [
    "BUSY_TIMEOUT",
    "FULL_CHECK_EVERY",
    "SEAL_SUFFIX",
    "Opened",
    "open_read_only",
    "open_state",
    "state_error",
    "write_seal",
]

#: Seconds to wait for another connection's write to finish before calling the state locked.
BUSY_TIMEOUT = 2.0

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
    _must_be_writable(path)
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


def _must_be_writable(path: Path) -> None:
    """StateError before SQLite is asked, when this user cannot write the state or its folder.

    SQLite would open a read-only file for reading, fail on the first write, and leave its
    -wal and -shm files behind, read-only too: the next run would fail the same way after
    the user fixed the file's permissions.
    """
    for target in (path, path.parent):
        if target.exists() and not os.access(target, os.W_OK):
            what = "its folder" if target == path.parent else "it"
            raise StateError(
                f"{path} is read-only for this user ({what} cannot be written); fix the"
                f" permissions of {target}"
            )


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


def state_error(path: Path, exc: sqlite3.Error) -> StateError:
    """A StateError naming the state file, what went wrong and what to do about it."""
    code = getattr(exc, "sqlite_errorcode", None)
    name = str(getattr(exc, "sqlite_errorname", ""))
    primary = code & 0xFF if isinstance(code, int) else None
    detail = one_line(exc)
    if name == "SQLITE_READONLY_DBMOVED":
        advice = f"was moved or deleted while in use ({detail}); run again"
    elif primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StateLockedError(
            f"{path} is locked by another program ({detail}); close it (another scraper, or"
            " an SQLite tool holding it open) and run again"
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
    return StateError(f"{path} {advice}")


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


def write_seal(path: Path, checked_at: float) -> None:
    """Note how the state file looks now it is closed; nothing when another has it open."""
    looks = _seal_of(path)
    if looks is not None:
        with contextlib.suppress(OSError):  # only a saving of time: without it, a full check
            text = f"{looks} {checked_at!r}\n"
            # Not through a link: the seal is the one file here written without SQLite.
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
            fd = os.open(path.with_name(path.name + SEAL_SUFFIX), flags, 0o666)
            with os.fdopen(fd, "w", encoding="utf-8") as seal:
                seal.write(text)


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
