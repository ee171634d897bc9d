"""`scraper export --sqlite`: the archive as one SQLite database, kept up to date in place.

The first export (or `--rebuild`) builds the database in a temporary file beside FILE and
renames it into place once complete, so FILE is never half made. Later exports compare each
file's stamp in the archive's index with the one `_export_state` kept, and in one transaction
rewrite only the rows of files that changed and remove those of files that are gone. The
archive is opened read-only: an export creates nothing in it, not even `.scraper/`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from scraper.archive.atomic import atomic_write
from scraper.archive.state import Stamped
from scraper.archive.store import SYNC_ONE, Archive, read_release, require_archive
from scraper.errors import DocumentError, StoreError
from scraper.exitcodes import EXIT_FAILED, EXIT_OK
from scraper.export.governments import Government, government_of
from scraper.export.metadata import metadata_json, metadata_path
from scraper.export.plan import ExportPlan, Kept, Skipped, plan_export
from scraper.export.schema import (
    EXPORT_SCHEMA,
    LOOKUPS,
    META_TABLE,
    RELEASES,
    STATE_TABLE,
    create_tables,
    enable_search,
    link_column,
    link_table,
)
from scraper.models import Release

__all__ = ["ExportReport", "export_sqlite"]

#: Called after each file read: files done, files to do, the file's path.
Progress = Callable[[int, int, str], None]
#: Files read and written per batch; each batch's rows go to the database together.
_BATCH = 500
#: How long to wait for another program (a Datasette, another export) to let go of FILE.
_BUSY_SECONDS = 10.0


@dataclass
class ExportReport:
    """What one export did."""

    database: Path
    metadata: Path
    #: Whether the database was built afresh (first export, another schema, or --rebuild).
    rebuilt: bool = False
    #: Rows the database holds now.
    rows: int = 0
    written: int = 0
    removed: int = 0
    unchanged: int = 0
    #: Files that hold a url another file's row has.
    duplicates: list[Skipped] = field(default_factory=list)
    #: Files that could not be read (their rows, if any, are kept as last exported).
    unreadable: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        """0 when every file was exported, 1 when some could not be read."""
        return EXIT_FAILED if self.unreadable else EXIT_OK


def export_sqlite(
    root: Path,
    target: Path,
    *,
    now: dt.datetime,
    rebuild: bool = False,
    progress: Progress | None = None,
) -> ExportReport:
    """Bring the export database `target` up to date with the archive at `root`."""
    started = time.monotonic()
    require_archive(root, init=False, how=SYNC_ONE)
    schema = _target_schema(target)
    report = ExportReport(target, metadata_path(target))
    with Archive.read_only(root) as archive:
        archive.refresh_index()
        files = archive.stamped()
        unreadable = archive.unreadable()
        if archive.state_problem:
            report.notes.append(archive.state_problem)
    report.unreadable = [
        Skipped(path, f"{reason}; its row, if it had one, is kept as last exported")
        for path, reason in unreadable
    ]
    bad = {path for path, _ in unreadable}
    if rebuild or schema != EXPORT_SCHEMA:
        report.rebuilt = True
        plan = plan_export(files, {}, bad)
        _build(root, target, plan, report, now, progress)
    else:
        with _connected(target) as db:
            # The write lock before the plan: another export cannot change FILE between the
            # stamps read from it and the writes made from them.
            db.execute("BEGIN IMMEDIATE")
            plan = plan_export(files, _kept(db), bad)
            _update(db, root, plan, report, now, progress)
            db.commit()
            report.rows = db.table(RELEASES).count
    report.duplicates = plan.duplicates
    report.removed = len(plan.remove)
    report.unchanged = plan.unchanged
    text = metadata_json(target, str(root.resolve()))
    atomic_write(report.metadata, text.encode("utf-8"))
    report.seconds = time.monotonic() - started
    return report


def _build(
    root: Path,
    target: Path,
    plan: ExportPlan,
    report: ExportReport,
    now: dt.datetime,
    progress: Progress | None,
) -> None:
    """Make the database afresh in a temporary file, then put it in place of `target`."""
    tmp = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
    try:
        with _connected(tmp) as db:
            # A temporary file is thrown away on any failure: no journal, no waiting for disk.
            db.execute("PRAGMA journal_mode = OFF")
            db.execute("PRAGMA synchronous = OFF")
            with db.atomic():
                create_tables(db)
                _write(db, root, plan.write, report, progress, fresh=True)
                enable_search(db)
                _note_export(db, root, now)
            db.execute("PRAGMA journal_mode = DELETE")
            report.rows = db.table(RELEASES).count
        _publish(tmp, target)
    except OSError as exc:
        raise StoreError(
            f"cannot write {target}: {exc.strerror or exc}; check the folder, its permissions"
            " and the free space"
        ) from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _update(
    db: Database,
    root: Path,
    plan: ExportPlan,
    report: ExportReport,
    now: dt.datetime,
    progress: Progress | None,
) -> None:
    """Rewrite the changed rows and remove the rows of files gone (in the caller's transaction)."""
    if not plan.write and not plan.remove:
        return
    _write(db, root, plan.write, report, progress, fresh=False)
    _unlink(db, plan.remove)
    db.table(RELEASES).delete_where(_in("url", plan.remove), plan.remove)
    db.table(STATE_TABLE).delete_where(_in("url", plan.remove), plan.remove)
    for lookup in LOOKUPS:
        # A minister or portfolio no row names any more goes too.
        db.table(lookup).delete_where(
            f"id NOT IN (SELECT {link_column(lookup)} FROM {link_table(lookup)})"
        )
    _note_export(db, root, now)


def _write(
    db: Database,
    root: Path,
    files: list[Stamped],
    report: ExportReport,
    progress: Progress | None,
    *,
    fresh: bool,
) -> None:
    """Read the files and write their rows, links and stamps, batch by batch."""
    ids = {lookup: _ids(db, lookup) for lookup in LOOKUPS}
    done = 0
    for start in range(0, len(files), _BATCH):
        rows: list[dict[str, Any]] = []
        kept: list[dict[str, Any]] = []
        for file in files[start : start + _BATCH]:
            done += 1
            release = _read(root, file, report)
            if progress is not None:
                progress(done, len(files), file.relpath)
            if release is None:
                continue
            rows.append(_row(file, release))
            kept.append(
                {"url": file.url, "path": file.relpath, "size": file.size, "stamp": file.stamp}
            )
        urls = [row["url"] for row in rows]
        if not fresh:
            _unlink(db, urls)
        db.table(RELEASES).insert_all(rows, pk="url", upsert=not fresh)
        for lookup in LOOKUPS:
            links = [
                {link_column(lookup): _id(db, lookup, ids[lookup], name), "releases_id": row["url"]}
                for row in rows
                for name in dict.fromkeys(row[lookup])
            ]
            db.table(link_table(lookup)).insert_all(links, pk=(link_column(lookup), "releases_id"))
        db.table(STATE_TABLE).insert_all(kept, pk="url", upsert=not fresh)
        report.written += len(rows)


def _read(root: Path, file: Stamped, report: ExportReport) -> Release | None:
    """The release in a file, or None (and the reason in the report) when it cannot be read."""
    try:
        release = read_release(root, file.relpath)
    except DocumentError as exc:
        report.unreadable.append(Skipped(file.relpath, str(exc)))
        return None
    if release.url != file.url:
        report.unreadable.append(
            Skipped(file.relpath, "changed while it was being exported; export again")
        )
        return None
    return release


def _row(file: Stamped, release: Release) -> dict[str, Any]:
    """A file's row of the releases table (lists become JSON arrays)."""
    return {
        "url": release.url,
        "type": file.kind,
        "title": release.title,
        "date": release.date.isoformat(),
        "government": _name(government_of(release.date)),
        "body": release.body,
        "path": file.relpath,
        "ministers": list(release.ministers),
        "portfolios": list(release.portfolios),
        "attachments": list(release.attachments),
    }


def _name(government: Government | None) -> str | None:
    """A government's name, or None (NULL) for a file that has no date."""
    return None if government is None else government.name


def _ids(db: Database, lookup: str) -> dict[str, int]:
    """The id of every name a lookup table holds."""
    return {str(row["name"]): int(row["id"]) for row in db.table(lookup).rows}


def _id(db: Database, lookup: str, ids: dict[str, int], name: str) -> int:
    """The id of a name in a lookup table, adding the name when it is new."""
    found = ids.get(name)
    if found is None:
        found = ids[name] = max(ids.values(), default=0) + 1
        db.table(lookup).insert({"id": found, "name": name}, pk="id")
    return found


def _unlink(db: Database, urls: list[str]) -> None:
    """Remove the links of these releases to ministers and portfolios."""
    for lookup in LOOKUPS:
        db.table(link_table(lookup)).delete_where(_in("releases_id", urls), urls)


def _in(column: str, values: list[str]) -> str:
    """A where clause: the column is one of `values` (given as parameters)."""
    return f"{column} IN ({', '.join('?' * len(values))})"


def _kept(db: Database) -> dict[str, Kept]:
    """What the database kept of each row's file: path, size and stamp, by url."""
    # A plain query: dicts of sqlite-utils' rows cost a tenth of a second on 55,000 rows.
    rows = db.execute(f"SELECT url, path, size, stamp FROM {STATE_TABLE}")
    return {str(url): (str(path), int(size), str(stamp)) for url, path, size, stamp in rows}


def _note_export(db: Database, root: Path, now: dt.datetime) -> None:
    """Keep the schema version, the archive and the time of this export in the database."""
    values = {
        "schema": str(EXPORT_SCHEMA),
        "archive": str(root.resolve()),
        "exported_at": now.astimezone(dt.UTC).isoformat(timespec="seconds"),
    }
    rows = [{"key": key, "value": value} for key, value in values.items()]
    db.table(META_TABLE).upsert_all(rows, pk="key")


def _target_schema(target: Path) -> int | None:
    """The export schema of `target` (None if there is no file yet), checked before any work.

    StoreError for a path that cannot be an export: a folder, a file in a folder that does not
    exist, a file this command did not make (refused with --rebuild too).
    """
    if target.is_dir():
        raise StoreError(f"{target} is a folder: give --sqlite the path of a database file")
    if not target.parent.is_dir():
        raise StoreError(
            f"cannot write {target}: the folder {target.parent} does not exist; make it first"
        )
    return _schema_of(target) if target.exists() else None


def _schema_of(target: Path) -> int | None:
    """The export schema version of an existing file; StoreError if it is not an export."""
    with _connected(target) as db:
        if not db.table(META_TABLE).exists():
            raise StoreError(
                f"{target} is not a database this command made (it has no {META_TABLE} table),"
                " so it is left alone: give --sqlite another path, or remove the file"
            )
        row = next(db.table(META_TABLE).rows_where("key = ?", ["schema"]), None)
    return int(row["value"]) if row is not None and str(row["value"]).isdigit() else None


@contextlib.contextmanager
def _connected(path: Path) -> Iterator[Database]:
    """A database file open with sqlite-utils; any failure of it is a StoreError naming it."""
    try:
        conn = sqlite3.connect(path, timeout=_BUSY_SECONDS)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open {path}: {exc}; check the path and its permissions") from exc
    db = Database(conn, execute_plugins=False)
    try:
        yield db
    except sqlite3.Error as exc:
        raise _database_error(path, exc) from exc
    finally:
        conn.close()


def _database_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """A StoreError naming the database file, what went wrong and what to do."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StoreError(
            f"{path} is in use by another program (another export?): {text}; try again when it"
            " has finished"
        )
    if "not a database" in text or "malformed" in text:
        return StoreError(
            f"{path} is not a readable SQLite database ({text}), so it is left alone: give"
            " --sqlite another path, or remove the file (an export makes it again)"
        )
    return StoreError(f"{path}: {text}; check the disk and the file's permissions")


def _publish(tmp: Path, target: Path) -> None:
    """Put a finished file in place of `target` durably: fsync it, rename it, fsync the folder."""
    fd = os.open(tmp, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, target)
    with contextlib.suppress(OSError):  # some file systems refuse to fsync a folder
        fd = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
