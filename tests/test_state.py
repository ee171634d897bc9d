"""The state database: migrations, trouble that is not damage, failed writes, runs."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scraper.archive import opening, schema, state
from scraper.archive.store import Archive, RunRecord
from scraper.errors import StoreError
from tests.state_support import (
    NOW,
    WRITTEN_FILE,
    WRITTEN_URL,
    row_counts,
    seed_text,
    state_file,
    synced_archive,
)

# The schema the first releases made (version 1), copied here so that this test does not
# depend on the code it checks.
V1_SCHEMA = """
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
V1_WRITTEN = [
    ("https://u/a", "releases/2024/01/a.md", "a" * 64, "2024-01-02", "2024-01-02T10:00:00+00:00"),
    ("https://u/b", "releases/2024/02/b.md", "b" * 64, "2024-02-03", "2024-02-03T10:00:00+00:00"),
]


def version_1_state(root: Path) -> Path:
    """A state database as the first releases left it: version 1, with written rows."""
    path = state_file(root)
    path.parent.mkdir(parents=True)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(V1_SCHEMA)
    db.executemany("INSERT INTO written VALUES (?, ?, ?, ?, ?)", V1_WRITTEN)
    db.execute("INSERT INTO meta VALUES ('listing_floor:release', '2024-01-01')")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    return path


def read(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Rows of a query on a database file, read without changing it."""
    db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


# -- migrations ------------------------------------------------------------------------------


def test_a_version_1_state_is_migrated_keeping_what_was_written(tmp_path: Path) -> None:
    path = version_1_state(tmp_path)
    with Archive(tmp_path) as archive:
        assert archive.state_problem is None
        assert archive.written_since(dt.date(2024, 1, 1)) == [
            ("https://u/b", "releases/2024/02/b.md"),
            ("https://u/a", "releases/2024/01/a.md"),
        ]
        assert archive.get_meta("listing_floor:release") == "2024-01-01"
        assert archive.runs() == []
    assert read(path, "PRAGMA user_version") == [(8,)]
    assert read(path, "SELECT * FROM written ORDER BY url") == V1_WRITTEN
    assert read(path, "SELECT name FROM sqlite_master WHERE name LIKE 'runs%' ORDER BY 1") == [
        ("runs",),
        ("runs_job",),
    ]
    assert read(path, "SELECT count(*) FROM learnt") == [(0,)]
    assert read(path, "SELECT count(*) FROM verified") == [(0,)]
    assert read(path, "SELECT count(*) FROM pages") == [(0,)]
    assert read(path, "SELECT count(*) FROM incomplete") == [(0,)]
    assert read(path, "SELECT count(*) FROM sources") == [(0,)]
    assert read(path, "SELECT count(*) FROM intents") == [(0,)]


def test_a_migration_that_fails_leaves_the_state_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = version_1_state(tmp_path)
    broken = schema.MIGRATIONS[1] + "CREATE TABLE broken (;\n"
    monkeypatch.setattr(schema, "MIGRATIONS", (schema.MIGRATIONS[0], broken))
    with pytest.raises(StoreError, match=r"state\.db cannot be used \(.*syntax error"):
        Archive(tmp_path)
    # The step's first statement ran, and was rolled back with the rest.
    assert read(path, "PRAGMA user_version") == [(1,)]
    assert read(path, "SELECT count(*) FROM sqlite_master WHERE name = 'runs'") == [(0,)]
    assert read(path, "SELECT * FROM written ORDER BY url") == V1_WRITTEN
    assert not path.with_name("state.db.damaged").exists()


def test_a_read_only_state_is_refused_before_sqlite_leaves_read_only_litter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced_archive(tmp_path)
    path = state_file(tmp_path)
    real_access = os.access

    def access(target: Any, mode: int) -> bool:
        """This user may not write the state file (root may write anything, so pretend)."""
        return not (Path(target) == path and mode == os.W_OK) and real_access(target, mode)

    monkeypatch.setattr(os, "access", access)
    with pytest.raises(StoreError, match=r"state\.db is read-only for this user.*fix the"):
        Archive(tmp_path)
    assert sorted(p.name for p in path.parent.iterdir() if p.name.startswith("state.db")) == [
        "state.db",
        "state.db.checked",
    ]


def test_a_state_of_a_newer_version_is_refused_and_left_alone(tmp_path: Path) -> None:
    synced_archive(tmp_path)
    path = state_file(tmp_path)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    db.close()
    before = path.read_bytes()
    message = r"newer version of scraper.*upgrade scraper, or move it aside"
    with pytest.raises(StoreError, match=message):
        Archive(tmp_path)
    with pytest.raises(StoreError, match=message):
        Archive.read_only(tmp_path)
    assert path.read_bytes() == before
    assert not path.with_name("state.db.damaged").exists()


def test_every_table_is_checked_at_open() -> None:
    tables = {row[1] for row in schema._expected_schema(schema.SCHEMA_VERSION) if row[0] == "table"}
    assert tables == set(schema._SHAPES)
    for table in tables:
        columns = {r[1] for r in read_memory_columns(table)}
        assert columns == set(schema._SHAPES[table]), table


def read_memory_columns(table: str) -> list[tuple[object, ...]]:
    """The columns of a table of the newest schema, as PRAGMA table_info lists them."""
    db = sqlite3.connect(":memory:")
    try:
        for step in schema.MIGRATIONS:
            db.executescript(step)
        return db.execute(f"PRAGMA table_info({table})").fetchall()
    finally:
        db.close()


def test_what_the_archive_writes_passes_the_check_at_open(tmp_path: Path) -> None:
    synced_archive(tmp_path)
    assert all(row_counts(state_file(tmp_path)).values())  # a row in every table
    with Archive(tmp_path) as archive:
        assert archive.state_problem is None


# -- trouble that is not damage --------------------------------------------------------------


def test_a_state_locked_by_another_program_is_an_error_and_kept(tmp_path: Path) -> None:
    synced_archive(tmp_path)
    path = state_file(tmp_path)
    before, rows = path.read_bytes(), row_counts(path)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match=r"state\.db is locked by another program.*close"):
            Archive(tmp_path, busy_timeout=0)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert path.read_bytes() == before
    assert row_counts(path) == rows
    assert not path.with_name("state.db.damaged").exists()


def test_a_state_read_only_for_this_user_is_an_error_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced_archive(tmp_path)
    path = state_file(tmp_path)
    before, rows = path.read_bytes(), row_counts(path)
    path.chmod(0o444)
    # Root ignores the file's mode; SQLite then opens it as it opens any file it may only
    # read (read-only), which is what mode=ro does.
    real_connect = sqlite3.connect

    def connect(target: str, **options: Any) -> sqlite3.Connection:
        """Open the state file as SQLite opens a file this user may only read."""
        if target == str(path):
            target, options["uri"] = f"file:{path}?mode=ro", True
        db: sqlite3.Connection = real_connect(target, **options)
        return db

    monkeypatch.setattr(sqlite3, "connect", connect)
    with pytest.raises(StoreError, match=r"state\.db is read-only for this user.*permissions"):
        Archive(tmp_path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert row_counts(path) == rows
    assert not path.with_name("state.db.damaged").exists()


def test_a_state_that_cannot_be_opened_is_an_error_and_kept(tmp_path: Path) -> None:
    path = state_file(tmp_path)
    path.mkdir(parents=True)  # a folder where the file should be
    (path / "keep").write_text("x")
    with pytest.raises(StoreError, match=r"state\.db cannot be opened.*read and write"):
        Archive(tmp_path)
    with pytest.raises(StoreError, match=r"state\.db (cannot be opened|could not be read)"):
        Archive.read_only(tmp_path)
    assert (path / "keep").read_text() == "x"
    assert not path.with_name("state.db.damaged").exists()


# -- writes that fail mid-run ----------------------------------------------------------------

BIG = "x" * 300_000  # more pages than a full database has room for


def _write_big_file(archive: Archive) -> None:
    """Write a file whose index row needs new pages."""
    text = seed_text().replace("North Korea leads", BIG)
    archive.write("releases/2031/01/big.md", text, "https://u/big", dt.date(2031, 1, 1), NOW)


def _index_big_file(archive: Archive) -> None:
    """Put a file on disk whose index row needs new pages, then index it."""
    path = archive.root / "releases" / "2031" / "02" / "big.md"
    path.parent.mkdir(parents=True)
    path.write_text(seed_text().replace("North Korea leads", BIG), encoding="utf-8")
    archive.refresh_index()


GROWING_WRITES: dict[str, Callable[[Archive], object]] = {
    "put_meta": lambda a: a.put_meta("big", BIG),
    "keep_pending": lambda a: a.keep_pending([("https://u/big", "release", None, BIG)]),
    "put_validators": lambda a: a.put_validators("https://u/big", BIG, None),
    "remember_node": lambda a: a.remember_node("https://u/node/9", BIG),
    "save_robots": lambda a: a.save_robots("https://big/", BIG),
    "record_run": lambda a: a.record_run(RunRecord("sync", NOW, 1.0, 1, {}, BIG)),
    "write": _write_big_file,
    "refresh_index": _index_big_file,
}
ALL_WRITES: dict[str, Callable[[Archive], object]] = {
    **GROWING_WRITES,
    "delete_meta": lambda a: a.delete_meta("listing_floor:release"),
    "done_pending": lambda a: a.done_pending("https://www.beehive.govt.nz/release/p"),
    "missed_pending": lambda a: a.missed_pending("https://www.beehive.govt.nz/release/p", 5),
    "remove": lambda a: a.remove(WRITTEN_FILE),
}


@pytest.mark.parametrize("name", sorted(GROWING_WRITES))
def test_a_write_to_a_full_disk_is_a_clear_error_and_changes_nothing(
    tmp_path: Path, name: str
) -> None:
    synced_archive(tmp_path)
    with Archive(tmp_path) as archive:
        # What SQLite says when the disk is full: no page can be added to the database.
        pages = archive._db.execute("PRAGMA page_count").fetchone()[0]
        archive._db.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(StoreError, match=r"state\.db could not be written.*disk may be full"):
            GROWING_WRITES[name](archive)
        archive._db.execute("PRAGMA max_page_count = 1000000")  # space is freed
        archive.put_meta("after", "written")  # the state works on
    with Archive(tmp_path) as archive:
        # The failed write was rolled back whole, and the next one kept.
        assert archive.get_meta("after") == "written"
        assert archive.get_meta("big") is None
        assert archive.get_meta("listing_floor:release") == "2030-01-01"
        assert archive.written_since(dt.date(2030, 1, 1)) == [(WRITTEN_URL, WRITTEN_FILE)]
        assert archive.count() == 2


@pytest.mark.parametrize("name", sorted(ALL_WRITES))
def test_a_write_while_another_program_holds_the_state_is_a_clear_error(
    tmp_path: Path, name: str
) -> None:
    synced_archive(tmp_path)
    with Archive(tmp_path, busy_timeout=0) as archive:
        other = sqlite3.connect(state_file(tmp_path), isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        try:
            with pytest.raises(StoreError, match=r"state\.db is locked by another program"):
                ALL_WRITES[name](archive)
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert archive.get_meta("listing_floor:release") == "2030-01-01"


# -- the record of runs ----------------------------------------------------------------------


def test_runs_are_kept_newest_first(tmp_path: Path) -> None:
    nz = dt.timezone(dt.timedelta(hours=13))
    first = RunRecord("sync", NOW, 12.5, 0, {"added": 3, "updated": 1})
    second = RunRecord("verify", NOW + dt.timedelta(hours=1), 2.0, 1, {}, "2 files differ")
    third = RunRecord("sync", (NOW + dt.timedelta(hours=2)).astimezone(nz), 0.25, 75, {}, "stop")
    with Archive(tmp_path) as archive:
        for record in (first, second, third):
            archive.record_run(record)
    with Archive(tmp_path) as archive:
        assert archive.runs() == [third, second, first]
        assert archive.runs("sync") == [third, first]
        assert archive.runs("sync", limit=1) == [third]
        assert archive.runs("daemon") == []
        assert archive.runs()[0].started.tzinfo == dt.UTC  # read back in UTC


def test_only_the_newest_runs_of_each_job_are_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(state, "RUNS_KEPT", 3)
    with Archive(tmp_path) as archive:
        archive.record_run(RunRecord("verify", NOW, 1.0, 0))
        for hour in range(5):
            archive.record_run(RunRecord("sync", NOW + dt.timedelta(hours=hour), 1.0, hour))
        assert [r.exit_code for r in archive.runs("sync")] == [4, 3, 2]
        assert len(archive.runs("verify")) == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"started": dt.datetime(2026, 1, 1)},  # no zone
        {"seconds": -1.0},
        {"seconds": float("nan")},
        {"counts": {"added": True}},
        {"counts": {"added": 1.5}},
    ],
)
def test_a_run_record_the_state_could_not_keep_is_refused(fields: dict[str, object]) -> None:
    good: dict[str, object] = {"job": "sync", "started": NOW, "seconds": 1.0, "exit_code": 0}
    with pytest.raises(ValueError, match="RunRecord"):
        RunRecord(**(good | fields))  # type: ignore[arg-type]


def test_a_pending_item_the_state_could_not_keep_is_refused(tmp_path: Path) -> None:
    with Archive(tmp_path) as archive, pytest.raises(ValueError, match="not ISO 8601"):
        archive.keep_pending([("https://u/x", "release", "yesterday", None)])


def test_an_error_in_the_middle_of_a_write_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced_archive(tmp_path)
    new = tmp_path / "releases" / "2031" / "01" / "new.md"
    new.parent.mkdir(parents=True)
    new.write_text(seed_text(), encoding="utf-8")
    (tmp_path / WRITTEN_FILE).unlink()
    with Archive(tmp_path) as archive:

        def interrupted(text: str, source: str) -> object:
            """Stand in for a reader that fails in a way nobody foresaw."""
            raise KeyboardInterrupt

        monkeypatch.setattr("scraper.archive.store.loads", interrupted)
        with pytest.raises(KeyboardInterrupt):
            archive.refresh_index()
        monkeypatch.undo()
        assert archive.count() == 2  # the removed file is still indexed: nothing was kept
        archive.put_meta("after", "written")  # and the next write is a transaction of its own
    with Archive(tmp_path) as archive:
        assert archive.get_meta("after") == "written"
        assert archive.refresh_index().files == 2  # the seed and the new file


# -- the seal: the full check when the file may have changed behind scraper's back ----------


def thorough_checks(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record, for each check at open from now on, whether it was the full one."""
    calls: list[bool] = []

    def spy(db: sqlite3.Connection, path: Path, thorough: bool = True) -> int:
        """Note how thorough the check is, then run it."""
        calls.append(thorough)
        return schema.check(db, path, thorough)

    monkeypatch.setattr(opening, "check", spy)
    return calls


def test_a_state_as_scraper_left_it_is_spared_the_full_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced_archive(tmp_path)
    calls = thorough_checks(monkeypatch)
    Archive(tmp_path).close()
    Archive.read_only(tmp_path).close()
    assert calls == [False, False]


@pytest.mark.parametrize(
    "change",
    [
        "another program wrote to it",
        "it was copied with its times",
        "its seal is a week old",
        "its seal is unreadable",
        "another connection has it open",
    ],
)
def test_a_state_that_may_have_changed_gets_the_full_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    synced_archive(tmp_path)
    path = state_file(tmp_path)
    seal = path.with_name("state.db.checked")
    other = None
    if change == "another program wrote to it":
        db = sqlite3.connect(path)
        db.execute("UPDATE meta SET value = '2031-01-01'")
        db.commit()
        db.close()
    elif change == "it was copied with its times":
        copy = path.with_name("copy")
        shutil.copy2(path, copy)  # same bytes, same mtime; a new inode and ctime
        copy.replace(path)
    elif change == "its seal is a week old":
        looks, when = seal.read_text().split()
        seal.write_text(f"{looks} {float(when) - opening.FULL_CHECK_EVERY}\n")
    elif change == "its seal is unreadable":
        seal.write_text("half a")
    else:
        other = sqlite3.connect(path)
        other.execute("SELECT count(*) FROM files").fetchone()  # its WAL stays till it closes
    calls = thorough_checks(monkeypatch)
    try:
        Archive.read_only(tmp_path).close()
        Archive(tmp_path).close()
    finally:
        if other is not None:
            other.close()
    assert calls == [True, True]
    Archive(tmp_path).close()  # the last to close it is scraper: sealed again
    Archive(tmp_path).close()
    assert calls[-1] is False
