"""The archive on disk: index, writes, validators and the lock."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from scraper.archive.store import Archive, IndexStats, RunRecord, hold_lock, lock_holder
from scraper.errors import LockedError, StoreError
from tests.state_support import (
    NOW,
    SEED,
    SEED_FILE,
    SEED_URL,
    WRITTEN_FILE,
    WRITTEN_URL,
    snapshot,
    state_file,
    synced_archive,
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An archive holding the seed release."""
    shutil.copytree(SEED / "releases", tmp_path / "releases")
    return tmp_path


def test_index_reads_each_file_once(root: Path) -> None:
    with Archive(root) as archive:
        first = archive.refresh_index()
        second = archive.refresh_index()
    assert (first.files, first.reread) == (1, 1)
    assert (second.files, second.reread) == (1, 0)


def test_index_survives_reopening(root: Path) -> None:
    with Archive(root) as archive:
        archive.refresh_index()
    with Archive(root) as archive:
        assert archive.refresh_index().reread == 0
        entry = archive.at(SEED_FILE)
    assert entry is not None
    assert entry.title == "North Korea leads Peters' talks in Washington"
    assert entry.folded == "north-korea-leads-peters-talks-washington"


def test_index_notices_changed_and_removed_files(root: Path) -> None:
    path = root / SEED_FILE
    with Archive(root) as archive:
        archive.refresh_index()
        path.write_text(path.read_text().replace("North Korea leads", "Changed"))
        os.utime(path, ns=(1, 1))
        stats = archive.refresh_index()
        assert stats.reread == 1
        assert archive.by_url(
            "https://www.beehive.govt.nz/release/north-korea-leads-peters-talks-washington"
        )[0].title.startswith("Changed")
        path.unlink()
        assert archive.refresh_index().files == 0


def test_unreadable_files_are_listed_not_fatal(root: Path) -> None:
    bad = root / "releases" / "2020" / "01" / "bad.md"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"no front matter \xff")
    with Archive(root) as archive:
        stats = archive.refresh_index()
    assert stats.files == 1
    assert [p for p, _ in stats.unreadable] == ["releases/2020/01/bad.md"]


def test_write_is_indexed_and_remembered(root: Path) -> None:
    text = (root / SEED_FILE).read_text()
    with Archive(root) as archive:
        archive.refresh_index()
        archive.write("releases/2030/01/x.md", text, "https://u/x", dt.date(2030, 1, 1), NOW)
        assert archive.refresh_index().reread == 0
        assert archive.written_since(dt.date(2029, 12, 30)) == [
            ("https://u/x", "releases/2030/01/x.md")
        ]
        assert archive.written_since(dt.date(2030, 1, 2)) == []
    assert (root / "releases/2030/01/x.md").read_text() == text


def test_state_is_ignored_by_git(root: Path) -> None:
    Archive(root).close()
    assert (root / ".scraper" / ".gitignore").read_text() == "*\n"


def test_validators_round_trip(root: Path) -> None:
    with Archive(root) as archive:
        assert archive.get_validators("u") is None
        archive.put_validators("u", '"e1"', None)
        assert archive.get_validators("u") == ('"e1"', None)


def test_second_holder_of_the_lock_is_refused_clearly(root: Path) -> None:
    message = rf"in use by process {os.getpid()}.*--wait"
    with hold_lock(root):  # noqa: SIM117
        # Nested on purpose: the refusal must come from the second lock, not the first.
        with pytest.raises(LockedError, match=message), hold_lock(root):
            pass


def test_waiting_for_the_lock_polls_then_gives_up(root: Path) -> None:
    waits: list[float] = []
    with hold_lock(root), pytest.raises(LockedError), hold_lock(root, 3, waits.append, 1):
        pass
    assert waits == [1, 1, 1]


def test_lock_is_released_after_use(root: Path) -> None:
    with hold_lock(root):
        pass
    with hold_lock(root):
        pass
    assert lock_holder(root) is None


def test_a_damaged_state_database_is_set_aside_and_rebuilt(root: Path) -> None:
    Archive(root).close()
    (root / ".scraper" / "state.db").write_bytes(b"not a database at all" * 100)
    with Archive(root) as archive:
        assert archive.state_problem is not None and "rebuilt" in archive.state_problem
        assert archive.refresh_index().files == 1
    assert (root / ".scraper" / "state.db.damaged").exists()


def test_edits_to_a_written_file_are_noticed(root: Path) -> None:
    text = (root / SEED_FILE).read_text()
    with Archive(root) as archive:
        archive.write("releases/2030/01/x.md", text, "https://u/x", dt.date(2030, 1, 1), NOW)
        assert not archive.edited("releases/2030/01/x.md")
        (root / "releases/2030/01/x.md").write_text(text + "\n\nA note.")
        assert archive.edited("releases/2030/01/x.md")
        assert not archive.edited(SEED_FILE)  # not ours: nothing to compare with


def test_entries_say_which_files_this_tool_wrote(root: Path) -> None:
    text = (root / SEED_FILE).read_text()
    with Archive(root) as archive:
        archive.refresh_index()
        url = "https://www.beehive.govt.nz/release/north-korea-leads-peters-talks-washington"
        archive.write("releases/2030/01/x.md", text, url, dt.date(2030, 1, 1), NOW)
        ours = {e.relpath: e.ours for e in archive.by_url(url)}
    assert ours == {SEED_FILE: False, "releases/2030/01/x.md": True}


def test_a_copy_with_the_same_size_and_time_is_still_reread(root: Path) -> None:
    path = root / SEED_FILE
    with Archive(root) as archive:
        archive.refresh_index()
        stat = path.stat()
        text = path.read_text().replace("North Korea", "South Korea")
        replacement = path.with_name("incoming.tmp")
        replacement.write_text(text)
        os.utime(replacement, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        replacement.replace(path)  # what cp -p or tar x does: same size, same mtime
        assert archive.refresh_index().reread == 1
        assert archive.at(SEED_FILE) is not None
        assert archive.at(SEED_FILE).title.startswith("South Korea")  # type: ignore[union-attr]


def test_a_path_that_cannot_be_written_is_a_clear_error(root: Path) -> None:
    (root / "releases" / "2031").write_text("a file where a folder must go")
    with Archive(root) as archive, pytest.raises(StoreError, match=r"cannot write .*2031"):
        archive.write("releases/2031/01/x.md", "---\n", "https://u/x", dt.date(2031, 1, 1), NOW)


def test_litter_of_a_killed_write_is_cleared_but_not_a_fresh_one(root: Path) -> None:
    folder = (root / SEED_FILE).parent
    old, fresh = folder / ".x.md.0123abcd.tmp", folder / ".y.md.4567cdef.tmp"
    old.write_text("half")
    fresh.write_text("half")
    os.utime(old, (1, 1))
    with Archive(root) as archive:
        archive.refresh_index()
    assert not old.exists() and fresh.exists()


def test_a_state_damaged_past_its_first_page_is_rebuilt(root: Path) -> None:
    with Archive(root) as archive:
        archive.refresh_index()
        for n in range(300):  # enough rows for several pages
            archive.put_validators(f"https://u/{n}", f'"etag-{n}"', None)
    state = root / ".scraper" / "state.db"
    data = bytearray(state.read_bytes())
    data[8192:] = b"\xee" * (len(data) - 8192)  # a torn write past the schema page
    state.write_bytes(bytes(data))
    with Archive(root) as archive:
        assert archive.state_problem is not None
        assert archive.refresh_index().files == 1


# -- a read-only open ------------------------------------------------------------------------


def test_a_read_only_open_of_a_missing_folder_creates_nothing(tmp_path: Path) -> None:
    root = tmp_path / "nowhere"
    with Archive.read_only(root) as archive:
        assert archive.refresh_index() == IndexStats(0, 0, 0, ())
        archive.put_meta("k", "v")  # kept in memory
        assert archive.get_meta("k") == "v"
        assert archive.state_problem is None
    assert not root.exists()


def test_a_read_only_open_of_an_archive_without_state_creates_nothing(root: Path) -> None:
    before = snapshot(root)
    with Archive.read_only(root) as archive:
        assert archive.refresh_index().files == 1
        assert archive.by_url(SEED_URL)[0].relpath == SEED_FILE
    assert snapshot(root) == before
    assert not (root / ".scraper").exists()


def test_a_read_only_open_of_a_synced_archive_changes_nothing(tmp_path: Path) -> None:
    synced_archive(tmp_path)
    litter = (tmp_path / SEED_FILE).with_name(".x.md.0123abcd.tmp")  # a killed write's
    litter.write_text("half")
    os.utime(litter, (1, 1))
    before = snapshot(tmp_path)
    with Archive.read_only(tmp_path) as archive:
        assert archive.state_problem is None
        assert archive.refresh_index().reread == 0  # the index came from the state
        assert archive.by_url(SEED_URL)[0].relpath == SEED_FILE
        assert archive.written_since(dt.date(2030, 1, 1)) == [(WRITTEN_URL, WRITTEN_FILE)]
        assert archive.at(WRITTEN_FILE) is not None
        assert archive.at(WRITTEN_FILE).ours  # type: ignore[union-attr]
        assert archive.get_meta("listing_floor:release") == "2030-01-01"
        archive.put_meta("listing_floor:release", "2031-01-01")  # in memory only
        archive.record_run(RunRecord("verify", NOW, 1.0, 0))
        with pytest.raises(StoreError, match=r"x\.md was not written: .* open read-only"):
            archive.write("releases/2031/01/x.md", "---\n", "https://u/x", dt.date(2031, 1, 1), NOW)
        with pytest.raises(StoreError, match=r"was not removed: .* open read-only"):
            archive.remove(WRITTEN_FILE)
    assert snapshot(tmp_path) == before
    with Archive(tmp_path) as archive:
        assert archive.get_meta("listing_floor:release") == "2030-01-01"
        assert [r.job for r in archive.runs()] == ["sync"]


def test_a_read_only_open_reads_a_state_a_sync_is_writing(tmp_path: Path) -> None:
    synced_archive(tmp_path)
    with Archive(tmp_path) as running:
        running.put_meta("seen", "yes")  # in the WAL, not yet in state.db
        assert state_file(tmp_path).with_name("state.db-wal").exists()
        before = snapshot(tmp_path)
        with Archive.read_only(tmp_path) as archive:
            assert archive.get_meta("seen") == "yes"
        assert snapshot(tmp_path) == before


def test_a_read_only_open_ignores_a_damaged_state(tmp_path: Path) -> None:
    synced_archive(tmp_path)
    state_file(tmp_path).write_bytes(b"not a database at all" * 100)
    before = snapshot(tmp_path)
    with Archive.read_only(tmp_path) as archive:
        assert archive.state_problem is not None
        assert "ignored by this read-only run" in archive.state_problem
        assert archive.refresh_index().files == 2
        assert archive.written_since(dt.date(2000, 1, 1)) == []
    assert snapshot(tmp_path) == before


# -- folders that cannot be listed -----------------------------------------------------------


def test_a_folder_that_cannot_be_listed_is_reported_and_its_files_kept(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hidden = root / "releases" / "2007" / "11"
    real_scandir = os.scandir

    def scandir(path: str | os.PathLike[str]) -> Iterator[os.DirEntry[str]]:
        """Refuse to list one folder, as a folder without read permission does."""
        if Path(path) == hidden:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    with Archive(root) as archive:
        assert archive.refresh_index().files == 1
        monkeypatch.setattr(os, "scandir", scandir)
        stats = archive.refresh_index()
        assert stats.unreadable == (
            ("releases/2007/11", "folder cannot be listed: Permission denied; fix its permissions"),
        )
        # Out of sight is not gone: its files stay indexed, and nothing counts as removed.
        assert (stats.files, stats.removed) == (1, 0)
        assert archive.at(SEED_FILE) is not None
        monkeypatch.undo()
        stats = archive.refresh_index()
        assert (stats.files, stats.removed, stats.unreadable) == (1, 0, ())


def test_a_folder_that_cannot_be_listed_from_the_start_is_reported(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_scandir = os.scandir

    def scandir(path: str | os.PathLike[str]) -> Iterator[os.DirEntry[str]]:
        """Refuse to list the releases folder itself."""
        if Path(path) == root / "releases":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with Archive(root) as archive:
        stats = archive.refresh_index()
    assert (stats.files, [p for p, _ in stats.unreadable]) == (0, ["releases"])


@pytest.mark.parametrize("placeholder", ["0001-01-01", "9999-12-31"])
def test_a_placeholder_date_is_neither_the_oldest_nor_the_newest(
    root: Path, placeholder: str
) -> None:
    seed = (root / SEED_FILE).read_text(encoding="utf-8")
    real = seed.split("date: ", 1)[1][:10]
    undated = root / "releases" / placeholder[:4] / "01" / f"{placeholder}-undated.md"
    undated.parent.mkdir(parents=True)
    undated.write_text(
        seed.replace(f"date: {real}", f"date: {placeholder}").replace(SEED_URL, SEED_URL + "-x"),
        encoding="utf-8",
    )
    with Archive(root) as archive:
        archive.refresh_index()
        real_date = dt.date.fromisoformat(real)
        assert archive.by_kind() == {"release": (2, real_date, real_date)}
        # A placeholder must not become the floor below which sync looks for nothing new.
        assert archive.newest("release") == real_date


def test_a_look_at_the_lock_for_an_instant_does_not_refuse_a_run(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = fcntl.flock
    looking = iter([True, True, True])  # status holds it during the run's first three tries

    def flock(fd: int, operation: int) -> None:
        if operation & fcntl.LOCK_EX and next(looking, False):
            raise BlockingIOError
        real(fd, operation)

    monkeypatch.setattr("scraper.archive.store.fcntl.flock", flock)
    with hold_lock(root):
        assert (root / ".scraper" / "lock").read_text() == f"{os.getpid()}\n"
    assert next(looking, "spent") == "spent"


def test_an_unreadable_undated_file_is_one_a_release_may_be_held_in(tmp_path: Path) -> None:
    for name in ("0001/01/0001-01-01-foo.md", "2020/01/2020-01-05-foo.md"):
        path = tmp_path / "releases" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\xff not UTF-8")
    with Archive(tmp_path) as archive:
        archive.refresh_index()
        assert archive.unreadable_like("release", "foo", dt.date(2020, 1, 5)) == [
            "releases/0001/01/0001-01-01-foo.md",
            "releases/2020/01/2020-01-05-foo.md",
        ]
