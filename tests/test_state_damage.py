"""A damaged state database is set aside and rebuilt, with a note; never a traceback."""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import sqlite3
from pathlib import Path

import pytest

from scraper.archive.store import Archive, RunRecord, hold_lock
from scraper.errors import LockedError, StoreError
from tests.state_support import (
    NOW,
    SEED_FILE,
    SEED_URL,
    WRITTEN_FILE,
    WRITTEN_URL,
    seed_text,
    state_file,
    synced_archive,
)


def damage(root: Path, *statements: str) -> None:
    """Change a state database behind the archive's back, as another program could."""
    db = sqlite3.connect(state_file(root))
    for sql in statements:
        db.execute(sql)
    db.commit()
    db.close()


def assert_rebuilt(root: Path, says: str) -> None:
    """The state was set aside with a note naming the fault, and the run goes on."""
    with Archive(root) as archive:
        assert archive.state_problem is not None
        assert says in archive.state_problem
        assert "set aside as state.db.damaged and rebuilt" in archive.state_problem
        assert "\n" not in archive.state_problem
        assert archive.refresh_index().files == 2  # the seed and the file a sync wrote
        assert archive.written_since(dt.date(2000, 1, 1)) == []  # that record started afresh
    assert state_file(root).with_name("state.db.damaged").is_file()


def test_text_that_is_not_utf8_is_damage(tmp_path: Path) -> None:
    synced_archive(tmp_path)
    damage(
        tmp_path, "UPDATE files SET relpath = CAST(X'72656c65617365732fff' AS TEXT) WHERE rowid = 2"
    )
    assert_rebuilt(tmp_path, "Could not decode to UTF-8 column 'relpath'")


@pytest.mark.parametrize(
    ("sql", "says"),
    [
        ("UPDATE files SET date = '2020-02-30'", "files.date in row 1 is not a date"),
        ("UPDATE files SET date = '2020-01-01T00:00'", "files.date in row 1 is not a date"),
        ("UPDATE files SET date = '0000-01-01'", "files.date in row 1 is not a date"),
        ("UPDATE files SET kind = 'blog'", "files.kind in row 1 is not one of"),
        ("UPDATE files SET kind = 'speech'", "its kind is not that of its folder"),
        ("UPDATE files SET size = 'big'", "files.size in row 1 is not an integer"),
        ("UPDATE files SET size = 1.5", "files.size in row 1 is not an integer"),
        ("UPDATE files SET title = X'4869'", "files.title in row 1 is not text"),
        ("UPDATE written SET sha256 = 'not a hash'", "written.sha256 in row 1 is not a SHA-256"),
        ("UPDATE written SET published = '2030-1-1'", "written.published in row 1 is not a date"),
        ("UPDATE validators SET etag = X'00'", "validators.etag in row 1 is not text or empty"),
        ("UPDATE robots SET fetched_at = NULL", "robots.fetched_at in row 1 is not a number"),
        ("UPDATE robots SET fetched_at = 'soon'", "robots.fetched_at in row 1 is not a number"),
        ("UPDATE pending SET published = 'yesterday'", "pending.published in row 1 is not a date"),
        ('UPDATE runs SET counts = \'{"added": "one"}\'', "runs.counts in row 1 is not an object"),
        ("UPDATE runs SET counts = 'not json'", "runs.counts in row 1 is not an object"),
        ("UPDATE runs SET started = '2026-11-28T00:00:00'", "runs.started in row 1 is not a date"),
        ("UPDATE runs SET seconds = -1", "runs.seconds in row 1 is not a number"),
        ("UPDATE runs SET seconds = 1e999", "runs.seconds in row 1 is not a number"),
        ("UPDATE runs SET seconds = 'one'", "runs.seconds in row 1 is not a number"),
        ("UPDATE pages SET record = 'metadata'", "pages.record in row 1 is not response or"),
        ("UPDATE pages SET listed = 'soon'", "pages.listed in row 1 is not a date"),
        ("UPDATE pages SET at = 'x'", "pages.at in row 1 is not an integer"),
        ("UPDATE intents SET sha256 = 'x'", "intents.sha256 in row 1 is not a SHA-256"),
        ("UPDATE intents SET incomplete = 2", "intents.incomplete in row 1 is not 0, 1 or"),
        ("UPDATE intents SET written_at = NULL", "neither a write's nor a rewrite's"),
        ("UPDATE intents SET written_at = 'soon'", "intents.written_at in row 1 is not a date"),
        ("DROP INDEX files_title", "its tables are not those of schema version 8 (files_title)"),
        ("CREATE TABLE extra (x)", "its tables are not those of schema version 8 (extra)"),
    ],
)
def test_values_of_the_wrong_type_or_shape_are_damage(tmp_path: Path, sql: str, says: str) -> None:
    synced_archive(tmp_path)
    damage(tmp_path, sql)
    assert_rebuilt(tmp_path, says)


@pytest.mark.parametrize(
    ("offset", "value", "says"),
    [
        (18, 5, "file format versions are 5 and 2"),  # SQLite would open it read-only
        (47, 200, "schema format is 200"),  # SQLite would call it too new to read
    ],
)
def test_a_header_sqlite_takes_for_trouble_is_damage(
    tmp_path: Path, offset: int, value: int, says: str
) -> None:
    synced_archive(tmp_path)
    data = bytearray(state_file(tmp_path).read_bytes())
    data[offset] = value
    state_file(tmp_path).write_bytes(bytes(data))
    with Archive.read_only(tmp_path) as archive:
        assert archive.state_problem is not None and says in archive.state_problem
    assert_rebuilt(tmp_path, says)


def test_tables_without_a_version_are_not_taken_for_a_state(tmp_path: Path) -> None:
    synced_archive(tmp_path)
    damage(tmp_path, "PRAGMA user_version = 0")
    assert_rebuilt(tmp_path, "no schema version")


def test_an_index_that_disagrees_with_its_table_is_damage(tmp_path: Path) -> None:
    synced_archive(tmp_path)
    # An index entry no longer matches its row: quick_check would let this through, and the
    # first change to the row would then fail mid-run.
    damage(
        tmp_path,
        "PRAGMA writable_schema = ON",
        "UPDATE sqlite_master SET sql = replace(sql, '(url)', '(title)') WHERE name = 'files_url'",
    )
    assert_rebuilt(tmp_path, "integrity_check")


def test_a_damaged_state_is_set_aside_with_its_wal_and_shm(tmp_path: Path) -> None:
    synced_archive(tmp_path)
    folder = state_file(tmp_path).parent
    (folder / "state.db.damaged-wal").write_bytes(b"an older set-aside's WAL")
    # Another program has the state open; its last change, a damaging one, is in the WAL.
    # (With nobody else holding it, closing checkpoints the WAL into the file: no -wal.)
    other = sqlite3.connect(state_file(tmp_path))
    try:
        other.execute("PRAGMA wal_autocheckpoint = 0")
        relpath = "CAST(X'72656c65617365732fff' AS TEXT)"
        other.execute(f"UPDATE files SET relpath = {relpath} WHERE rowid = 1")
        other.commit()
        assert_rebuilt(tmp_path, "decode to UTF-8")
        assert sorted(os.listdir(folder)) == [
            ".gitignore",
            "state.db",
            "state.db.checked",
            "state.db.damaged",
            "state.db.damaged-shm",
            "state.db.damaged-wal",
            "warc",
        ]
        # The three stay together: the set-aside state reads back whole, WAL and all.
        kept = sqlite3.connect(f"file:{folder / 'state.db.damaged'}?mode=ro", uri=True)
        kept.text_factory = bytes
        row = kept.execute("SELECT relpath FROM files WHERE rowid = 1").fetchone()
        kept.close()
        assert row == (b"releases/\xff",)
    finally:
        other.close()


def test_a_damaged_state_is_not_set_aside_while_a_sync_holds_the_archive(
    tmp_path: Path,
) -> None:
    synced_archive(tmp_path)
    path = state_file(tmp_path)
    with hold_lock(tmp_path):
        damage(tmp_path, "UPDATE files SET date = 'soon'")
        before = path.read_bytes()
        with pytest.raises(LockedError, match=rf"damaged .* in use by process {os.getpid()}"):
            Archive(tmp_path)
        assert path.read_bytes() == before
        assert not path.with_name("state.db.damaged").exists()
    assert_rebuilt(tmp_path, "files.date")


def test_an_older_set_aside_wal_does_not_pair_with_a_new_one(tmp_path: Path) -> None:
    synced_archive(tmp_path)
    folder = state_file(tmp_path).parent
    (folder / "state.db.damaged-wal").write_bytes(b"an older set-aside's WAL")
    (folder / "state.db.damaged-shm").write_bytes(b"an older set-aside's SHM")
    state_file(tmp_path).write_bytes(b"garbage" * 1000)
    with Archive(tmp_path) as archive:
        assert archive.state_problem is not None
    assert sorted(os.listdir(folder)) == [
        ".gitignore",
        "state.db",
        "state.db.checked",
        "state.db.damaged",
        "warc",
    ]


def test_random_bytes_as_the_state_are_set_aside(tmp_path: Path) -> None:
    synced_archive(tmp_path)
    state_file(tmp_path).write_bytes(random.Random(7).randbytes(50_000))
    assert_rebuilt(tmp_path, "not a database")


# -- a property: damage never escapes as anything but a note (or a StoreError) --------------

TRIALS = 40


def use_as_a_sync_would(archive: Archive) -> None:
    """Every kind of call a sync makes, reads and writes."""
    archive.refresh_index()
    archive.by_url(SEED_URL)
    archive.by_folded("release", "north-korea-leads-peters-talks-washington")
    archive.by_title("release", "North Korea leads Peters' talks in Washington")
    archive.at(SEED_FILE)
    archive.newest("release")
    archive.written_since(dt.date(2000, 1, 1))
    archive.edited(WRITTEN_FILE)
    archive.pending(("release", "speech", "feature"))
    archive.get_meta("listing_floor:release")
    archive.meta_with_prefix("listing_floor:")
    archive.get_validators(WRITTEN_URL)
    archive.node_target("https://www.beehive.govt.nz/node/1")
    archive.load_robots("https://www.beehive.govt.nz/")
    archive.unreadable_like("release", "bad", dt.date(2020, 1, 1))
    archive.runs()
    archive.write("releases/2031/01/new.md", seed_text(), "https://u/new", dt.date(2031, 1, 1), NOW)
    archive.put_meta("listing_floor:release", "2031-01-01")
    archive.put_validators("https://u/new", '"e"', None)
    archive.remember_node("https://www.beehive.govt.nz/node/2", "https://u/new")
    archive.keep_pending([("https://u/p2", "speech", None, None)])
    archive.missed_pending("https://www.beehive.govt.nz/release/p", 5)
    archive.done_pending("https://u/p2")
    archive.save_robots("https://www.beehive.govt.nz/", "User-agent: *\n")
    archive.record_run(RunRecord("sync", NOW, 1.0, 0, {"added": 1}))
    archive.remove(WRITTEN_FILE)
    archive.delete_meta("listing_floor:release")


def flip_bytes(data: bytes, rng: random.Random) -> bytes:
    """A few bytes changed, mostly where the database holds something."""
    changed = bytearray(data)
    used = [i for i, b in enumerate(data) if b]
    for _ in range(rng.randint(1, 8)):
        i = rng.choice(used) if rng.random() < 0.8 else rng.randrange(len(changed))
        changed[i] ^= rng.randrange(1, 256)
    return bytes(changed)


@pytest.fixture(scope="module")
def synced_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synced archive, made once, to be copied for each trial."""
    return synced_archive(tmp_path_factory.mktemp("synced") / "archive")


@pytest.mark.parametrize("seed", range(TRIALS))
def test_a_state_with_flipped_bytes_is_used_or_set_aside(
    synced_template: Path, tmp_path: Path, seed: int
) -> None:
    root = tmp_path / "archive"
    shutil.copytree(synced_template, root)
    path = state_file(root)
    assert not path.with_name("state.db-wal").exists()  # closed: all of it is in state.db
    path.write_bytes(flip_bytes(path.read_bytes(), random.Random(seed)))
    try:
        archive = Archive(root, busy_timeout=0)
    except StoreError:
        return  # e.g. a flip in the header's version made it "newer": refused, kept
    with archive:
        use_as_a_sync_would(archive)  # whenever the open succeeds, every call works
