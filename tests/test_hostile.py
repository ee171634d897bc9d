"""Hostile archives: links leading out, a lock deleted under a run, litter, odd names, a full disk.

Each test that plants something hostile counts the writes that reached a sentinel folder
outside the archive (measured, for the `make stress` table) and asserts there were none.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import os
import shutil
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from scraper.archive import store
from scraper.archive.atomic import atomic_write
from scraper.archive.confine import check_inside
from scraper.archive.document import dumps
from scraper.archive.paths import NAME_MAX, candidate_relpaths, portable_name
from scraper.archive.placing import free_relpath
from scraper.archive.reformat import format_paths
from scraper.archive.store import STATE_DIR, Archive, hold_lock, open_archive
from scraper.cli import EXIT_FAILED, EXIT_OK, main
from scraper.daemon.runfile import DaemonInfo, holding, write_info
from scraper.errors import LockedError, StoreError
from scraper.keep.pages import PageKeeper, warc_folder
from scraper.keep.settings import KeepSettings
from scraper.keep.warcfiles import file_name
from scraper.models import Release
from scraper.net.source import Fetched
from tests.standin import StandIn
from tests.state_support import NOW, SEED, SEED_FILE, snapshot
from tests.support import engine_sync
from tests.tally import tally

PUBLIC = "https://www.beehive.govt.nz"
DAY = dt.date(2026, 9, 1)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An archive holding the seed release."""
    archive = tmp_path / "archive"
    shutil.copytree(SEED / "releases", archive / "releases")
    return archive


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A sentinel folder outside the archive, with a file in it that nothing may change."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "bashrc").write_text("export PS1='keep me'\n")
    (folder / "empty").write_bytes(b"")
    (folder / "month").mkdir()
    return folder


class Sentinel:
    """The sentinel folder's snapshot, to count what changed in it since."""

    def __init__(self, folder: Path) -> None:
        """Snapshot the folder now."""
        self.folder = folder
        self.before = snapshot(folder)

    def writes(self) -> int:
        """How many paths in the folder were added, removed or changed since the snapshot."""
        after = snapshot(self.folder)
        keys = set(self.before) | set(after)
        return sum(1 for key in keys if self.before.get(key) != after.get(key))


@pytest.fixture
def sentinel(outside: Path) -> Iterator[Sentinel]:
    """The outside folder, watched; the count goes to the stress table."""
    watched = Sentinel(outside)
    yield watched
    tally("hostile", cases=1, outside_writes=watched.writes())


def release(slug: str, day: dt.date = DAY) -> Release:
    """A release of the site with a slug as given (already percent-encoded)."""
    return Release(title=f"About {slug}", date=day, url=f"{PUBLIC}/release/{slug}", body="Text.")


def write(archive: Archive, relpath: str, item: Release) -> None:
    """Write a release's file as sync does."""
    archive.write(relpath, dumps(item), item.url, item.date, NOW)


# -- links leading out ------------------------------------------------------------------


def test_a_lock_file_linked_outside_is_refused_before_it_is_written(
    root: Path, outside: Path, sentinel: Sentinel
) -> None:
    (root / STATE_DIR).mkdir()
    (root / STATE_DIR / "lock").symlink_to(outside / "bashrc")
    with pytest.raises(StoreError, match=r"lock.*symbolic link"), hold_lock(root):
        pass
    assert sentinel.writes() == 0


def test_a_state_database_linked_outside_is_refused(
    root: Path, outside: Path, sentinel: Sentinel
) -> None:
    (root / STATE_DIR).mkdir()
    (root / STATE_DIR / "state.db").symlink_to(outside / "empty")
    with pytest.raises(StoreError, match=r"state\.db.*symbolic link"):
        Archive(root).close()
    assert sentinel.writes() == 0


def test_a_dangling_link_in_the_state_folder_creates_nothing_outside(
    root: Path, outside: Path, sentinel: Sentinel
) -> None:
    (root / STATE_DIR).mkdir()
    (root / STATE_DIR / ".gitignore").symlink_to(outside / "new-file")
    with pytest.raises(StoreError, match=r"\.gitignore.*symbolic link"):
        Archive(root).close()
    assert not (outside / "new-file").exists()
    assert sentinel.writes() == 0


def test_a_state_folder_linked_outside_is_refused(
    root: Path, outside: Path, sentinel: Sentinel
) -> None:
    (root / STATE_DIR).symlink_to(outside / "month", target_is_directory=True)
    with pytest.raises(StoreError, match=r"\.scraper.*symbolic link"), open_archive(root):
        pass
    assert sentinel.writes() == 0


def test_a_seal_linked_outside_is_not_written_through(
    root: Path, outside: Path, sentinel: Sentinel
) -> None:
    Archive(root).close()
    seal = root / STATE_DIR / "state.db.checked"
    seal.unlink()
    seal.symlink_to(outside / "bashrc")
    with pytest.raises(StoreError, match=r"checked.*symbolic link"):
        Archive(root).close()
    assert sentinel.writes() == 0


def test_a_month_folder_linked_outside_gets_no_file(
    root: Path, outside: Path, sentinel: Sentinel
) -> None:
    (root / "releases/2026").mkdir()
    (root / "releases/2026/09").symlink_to(outside / "month", target_is_directory=True)
    item = release("linked-month")
    with open_archive(root) as archive:
        archive.refresh_index()
        relpath = free_relpath(archive, "release", item)
        with pytest.raises(StoreError, match=r"releases/2026/09.*symbolic link"):
            write(archive, relpath, item)
        assert archive.at(relpath) is None
    assert sentinel.writes() == 0


@pytest.mark.parametrize("planted", ["releases/2026/09", "releases/2026", "releases"])
def test_a_folder_swapped_for_a_link_after_the_check_gets_no_file(
    root: Path, outside: Path, sentinel: Sentinel, monkeypatch: pytest.MonkeyPatch, planted: str
) -> None:
    """The race: a folder on the way is replaced by a link between the check and the write;
    the write itself refuses to go through it, and names the link."""
    (root / "releases/2026/09").mkdir(parents=True, exist_ok=True)
    checked = check_inside

    def check_then_plant(archive_root: Path, path: Path) -> None:
        checked(archive_root, path)
        folder = root / planted
        shutil.move(folder, root.parent / "aside")  # out of the way, as an attacker would
        folder.symlink_to(outside / "month", target_is_directory=True)

    item = release("raced-month")
    with open_archive(root) as archive:
        archive.refresh_index()
        relpath = free_relpath(archive, "release", item)
        monkeypatch.setattr(store, "check_inside", check_then_plant)
        with pytest.raises(StoreError, match=f"{planted}.*symbolic link"):
            write(archive, relpath, item)
        assert archive.at(relpath) is None
    assert not any((outside / "month").iterdir()) and sentinel.writes() == 0


def test_a_rewrite_whose_folder_is_swapped_for_a_link_is_refused(
    root: Path, outside: Path, sentinel: Sentinel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same race for a rewrite in place: the link is not written through."""
    text = dumps(release("raced-rewrite"))
    relpath = "releases/2026/09/2026-09-01-raced-rewrite.md"
    (root / relpath).parent.mkdir(parents=True)
    (root / relpath).write_text(text)
    (outside / "month" / (root / relpath).name).write_text(text)
    sentinel.before = snapshot(outside)
    checked = check_inside

    def check_then_plant(archive_root: Path, path: Path) -> None:
        checked(archive_root, path)
        shutil.rmtree(root / "releases/2026/09")
        (root / "releases/2026/09").symlink_to(outside / "month", target_is_directory=True)

    with open_archive(root) as archive:
        archive.refresh_index()
        monkeypatch.setattr(store, "check_inside", check_then_plant)
        with pytest.raises(StoreError, match="symbolic link"):
            archive.rewrite(relpath, text.replace("Text.", "Changed."), text)
    assert sentinel.writes() == 0


def test_a_file_linked_outside_is_not_rewritten_nor_unlinked(
    root: Path, outside: Path, sentinel: Sentinel
) -> None:
    text = dumps(release("linked-file"))
    (outside / "x.md").write_text(text)
    sentinel.before = snapshot(outside)
    link = root / "releases/2026/09/2026-09-01-linked-file.md"
    link.parent.mkdir(parents=True)
    link.symlink_to(outside / "x.md")
    with open_archive(root) as archive:
        archive.refresh_index()
        relpath = "releases/2026/09/2026-09-01-linked-file.md"
        with pytest.raises(StoreError, match="symbolic link"):
            archive.rewrite(relpath, text.replace("Text.", "Changed."), text)
    assert link.is_symlink()
    assert sentinel.writes() == 0


def test_format_leaves_a_linked_file_alone_and_says_why(
    root: Path, outside: Path, sentinel: Sentinel
) -> None:
    noncanonical = dumps(release("linked")).replace("\n", "\r\n")
    (outside / "x.md").write_text(noncanonical, newline="")
    sentinel.before = snapshot(outside)
    link = root / "releases/2026/09/x.md"
    link.parent.mkdir(parents=True)
    link.symlink_to(outside / "x.md")
    report = format_paths([root], check=False)
    assert [p.path for p in report.unreadable] == [link]
    assert "symbolic link" in report.unreadable[0].reason
    assert link.is_symlink() and report.rewritten == ()
    assert sentinel.writes() == 0


def test_daemon_info_is_not_written_through_a_linked_state_folder(
    root: Path, outside: Path, sentinel: Sentinel
) -> None:
    (root / STATE_DIR).symlink_to(outside / "month", target_is_directory=True)
    with pytest.raises(StoreError, match="symbolic link"):
        write_info(root, DaemonInfo(pid=1, started="now"))
    assert sentinel.writes() == 0


def test_an_archive_reached_through_a_link_is_used_as_usual(
    tmp_path: Path, sentinel: Sentinel
) -> None:
    real = tmp_path / "data" / "archive"
    shutil.copytree(SEED / "releases", real / "releases")
    (tmp_path / "archive").symlink_to(real, target_is_directory=True)
    item = release("through-a-link")
    with open_archive(tmp_path / "archive") as archive:
        archive.refresh_index()
        relpath = free_relpath(archive, "release", item)
        write(archive, relpath, item)
    assert (real / relpath).read_text() == dumps(item)
    assert sentinel.writes() == 0


# -- the lock --------------------------------------------------------------------------


def test_a_run_whose_lock_file_was_deleted_writes_no_more(root: Path, sentinel: Sentinel) -> None:
    item = release("after-the-lock-went")
    with open_archive(root) as archive:
        archive.refresh_index()
        (root / STATE_DIR / "lock").unlink()
        # A second run takes a new lock file: both think they hold the archive.
        refused = pytest.raises(LockedError, match=r"lock.*(deleted|replaced)")
        with hold_lock(root), refused:
            write(archive, free_relpath(archive, "release", item), item)
    assert not list(root.glob("releases/2026/09/*"))
    assert sentinel.writes() == 0


def test_a_lock_file_replaced_while_waiting_is_not_taken(root: Path, sentinel: Sentinel) -> None:
    lock = root / STATE_DIR / "lock"
    first = hold_lock(root)
    first.__enter__()
    third: list[int] = []

    def meanwhile(_seconds: float) -> None:
        # The holder finishes, someone deletes its lock file, and a third run takes a new one.
        if not third:
            first.__exit__(None, None, None)
            lock.unlink()
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
            fcntl.flock(fd, fcntl.LOCK_EX)
            third.append(fd)

    try:
        with pytest.raises(LockedError), hold_lock(root, wait=3, sleep=meanwhile, poll=1):
            pass
    finally:
        os.close(third[0])
    assert sentinel.writes() == 0


def test_a_lock_that_is_not_a_plain_file_is_refused(root: Path, sentinel: Sentinel) -> None:
    (root / STATE_DIR).mkdir()
    os.mkfifo(root / STATE_DIR / "lock")  # opening it to read and write would once block
    with pytest.raises(StoreError, match="not a plain file"), hold_lock(root):
        pass
    assert sentinel.writes() == 0


# -- litter of killed writes -------------------------------------------------------------


def _litter(root: Path) -> Path:
    """A fresh temporary file, as a write killed a moment ago leaves."""
    temp = (root / SEED_FILE).parent / ".x.md.0123abcd.tmp"
    temp.write_text("half a file")
    return temp


def test_the_lock_holder_clears_even_fresh_litter(root: Path, sentinel: Sentinel) -> None:
    temp = _litter(root)
    with open_archive(root) as archive:
        archive.refresh_index()
    assert not temp.exists()
    assert sentinel.writes() == 0


def test_format_clears_litter_and_check_reports_it(root: Path, sentinel: Sentinel) -> None:
    Archive(root).close()  # an archive: format takes its lock, so no write can be alive
    temp = _litter(root)
    report = format_paths([root], check=True)
    assert report.litter == (temp,) and temp.exists()
    report = format_paths([root], check=False)
    assert report.litter == (temp,) and not temp.exists()
    assert sentinel.writes() == 0


def test_format_outside_an_archive_keeps_fresh_litter(root: Path, sentinel: Sentinel) -> None:
    temp = _litter(root)
    old = temp.with_name(".y.md.4567cdef.tmp")
    old.write_text("half")
    os.utime(old, (1, 1))
    assert format_paths([root], check=False).litter == (old,)
    assert temp.exists() and not old.exists()
    assert sentinel.writes() == 0


def test_format_check_fails_on_litter(root: Path, sentinel: Sentinel) -> None:
    _litter(root)
    run = CliRunner().invoke(main, ["format", "--check", str(root)])
    assert run.exit_code == EXIT_FAILED
    assert "temporary file left by a killed write" in run.stderr
    assert sentinel.writes() == 0


def test_the_daemon_clears_the_litter_of_its_info_file(root: Path, sentinel: Sentinel) -> None:
    Archive(root).close()
    temp = root / STATE_DIR / ".daemon.json.0123abcd.tmp"
    temp.write_text("{")
    with holding(root):
        assert not temp.exists()
    assert sentinel.writes() == 0


# -- hostile files and folders -------------------------------------------------------------


def test_a_nul_filled_file_is_unreadable_and_never_written_over(
    root: Path, sentinel: Sentinel
) -> None:
    item = release("nul-filled")
    natural = candidate_relpaths("release", item.date, item.url)[0]
    (root / natural).parent.mkdir(parents=True)
    (root / natural).write_bytes(b"\0" * 4096)
    with open_archive(root) as archive:
        stats = archive.refresh_index()
        assert natural in dict(stats.unreadable)
        with pytest.raises(StoreError, match="cannot be read"):
            free_relpath(archive, "release", item)
    assert (root / natural).read_bytes() == b"\0" * 4096
    assert sentinel.writes() == 0


def test_a_folder_named_like_a_file_is_left_alone(root: Path, sentinel: Sentinel) -> None:
    item = release("folder-named-so")
    natural = candidate_relpaths("release", item.date, item.url)[0]
    (root / natural).mkdir(parents=True)
    (root / natural / "inside.txt").write_text("mine")
    with open_archive(root) as archive:
        archive.refresh_index()
        with pytest.raises(StoreError, match=natural.rsplit("/", 1)[1]):
            free_relpath(archive, "release", item)
    assert format_paths([root], check=False).rewritten == ()
    assert (root / natural / "inside.txt").read_text() == "mine"
    assert sentinel.writes() == 0


def test_a_folder_that_cannot_be_listed_is_reported_and_kept(
    root: Path, sentinel: Sentinel, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_archive(root) as archive:
        assert archive.refresh_index().files == 1
    real_scandir = os.scandir

    def scandir(path: str) -> object:
        if str(path).endswith("2007/11"):
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)  # the walk's, for this one folder
    with open_archive(root) as archive:
        stats = archive.refresh_index()
        assert stats.unreadable == (("releases/2007/11", stats.unreadable[0][1]),)
        assert "permissions" in stats.unreadable[0][1]
        assert archive.count() == 1  # out of sight, not gone
    assert sentinel.writes() == 0


def test_no_file_goes_into_a_folder_that_cannot_be_listed(
    root: Path, sentinel: Sentinel, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = release("unlisted-month")
    (root / "releases/2026/09").mkdir(parents=True)
    real_listdir = os.listdir

    def listdir(path: str) -> list[str]:
        if str(path).endswith("2026/09"):
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_listdir(path)

    with open_archive(root) as archive:
        archive.refresh_index()
        monkeypatch.setattr(os, "listdir", listdir)  # the check for names alike, this folder
        with pytest.raises(StoreError, match=r"cannot list .*2026/09"):
            free_relpath(archive, "release", item)
    assert sentinel.writes() == 0


def test_a_full_disk_fails_the_write_cleanly(
    root: Path, sentinel: Sentinel, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = release("full-disk")
    with open_archive(root) as archive:
        archive.refresh_index()
        relpath = free_relpath(archive, "release", item)
        write(archive, relpath, item)
        before = (root / relpath).read_bytes()
        entry = archive.at(relpath)
        digests = archive.written_digests()

        def full(_fd: int, _data: object) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(os, "write", full)  # atomic_write's, until undone
        changed = Release(item.title, item.date, item.url, body="Changed.")
        with pytest.raises(StoreError, match=r"full-disk.*(space|room)"):
            write(archive, relpath, changed)
        monkeypatch.undo()
        assert (root / relpath).read_bytes() == before
        assert not list((root / relpath).parent.glob(".*.tmp"))
        assert archive.at(relpath) == entry and archive.written_digests() == digests
        assert archive.refresh_index().reread == 0
    assert sentinel.writes() == 0


# -- names -------------------------------------------------------------------------------


def test_a_name_differing_only_by_case_gets_its_own_file(root: Path, sentinel: Sentinel) -> None:
    upper, lower = release("Budget-Day"), release("budget-day")
    with open_archive(root) as archive:
        archive.refresh_index()
        first = free_relpath(archive, "release", upper)
        write(archive, first, upper)
        second = free_relpath(archive, "release", lower)
        assert second.casefold() != first.casefold()
        write(archive, second, lower)
    assert (root / first).read_text() == dumps(upper)
    assert (root / second).read_text() == dumps(lower)
    assert sentinel.writes() == 0


def test_a_name_differing_only_by_normalisation_gets_its_own_file(
    root: Path, sentinel: Sentinel
) -> None:
    folder = root / "releases/2026/09"
    folder.mkdir(parents=True)
    taken = unicodedata.normalize("NFD", "2026-09-01-t\u0101maki.md")
    (folder / taken).write_text(dumps(release("someone-elses")))
    item = release("t%C4%81maki")
    with open_archive(root) as archive:
        archive.refresh_index()
        relpath = free_relpath(archive, "release", item)
        name = relpath.rsplit("/", 1)[1]
        assert unicodedata.normalize("NFC", name).casefold() != (
            unicodedata.normalize("NFC", taken).casefold()
        )
        write(archive, relpath, item)
    assert (folder / taken).read_text() == dumps(release("someone-elses"))
    assert sentinel.writes() == 0


@pytest.mark.parametrize(
    "slug",
    [
        "what%3F-now%3A-%22quoted%22",
        "a%2Ab%3Cc%3Ed%7Ce",
        "ends-with-a-dot.",
        "ends-with-a-space%20",
        "CON",
        "nul",
        "t%C4%81maki-" * 40,
        "%E2%80%9C" * 100,
        "x" * 300,
    ],
)
def test_every_name_we_write_is_valid_on_linux_macos_and_windows(slug: str) -> None:
    url = f"{PUBLIC}/release/{slug}"
    for relpath in candidate_relpaths("release", DAY, url):
        for part in relpath.split("/"):
            assert portable_name(part), relpath
            assert len(part.encode("utf-8")) <= NAME_MAX


def test_portable_names_are_told_from_the_others() -> None:
    for bad in ("a?.md", "a:b.md", 'a"b', "a|b", "a*b", "a<b>", "CON", "con.md", "LPT1.txt"):
        assert not portable_name(bad), bad
    for bad in ("a.", "a ", "", ".", "..", "a\x01b", "x" * 256):
        assert not portable_name(bad), bad
    for good in ("2026-09-01-budget-day.md", "CONSOLE.md", "con-job.md", "t\u0101maki.md"):
        assert portable_name(good), good


def test_two_releases_with_unportable_names_never_share_a_file(
    root: Path, sentinel: Sentinel
) -> None:
    one, two = release("what%3F"), release("what%2A")
    with open_archive(root) as archive:
        archive.refresh_index()
        first = free_relpath(archive, "release", one)
        write(archive, first, one)
        second = free_relpath(archive, "release", two)
        write(archive, second, two)
    assert first != second
    assert (root / first).read_text() == dumps(one)
    assert (root / second).read_text() == dumps(two)
    assert sentinel.writes() == 0


# -- whole syncs ---------------------------------------------------------------------------

COPY_OF = "/release/district-court-judge-appointed-28"


def test_a_full_disk_fails_one_page_and_the_next_sync_writes_it(
    root: Path, sentinel: Sentinel, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = StandIn()
    item = model.publish("disk-full-today", copy_of=COPY_OF)
    real = atomic_write

    def full_for_one(path: Path, data: bytes, *, inside: Path | None = None) -> None:
        if "disk-full-today" not in path.name:
            real(path, data, inside=inside)
            return

        def enospc(_fd: int, _data: object) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        with monkeypatch.context() as patched:
            patched.setattr(os, "write", enospc)  # atomic_write's, for this one file
            real(path, data, inside=inside)

    monkeypatch.setattr(store, "atomic_write", full_for_one)
    run = engine_sync(model, root, locked=True)
    assert run.exit_code == EXIT_FAILED
    assert [f.url for f in run.failed] == [item.public_url]
    assert "room" in run.failed[0].reason
    assert run.added and not list(root.rglob("*.tmp"))
    assert not list(root.rglob("*disk-full-today*"))
    monkeypatch.undo()
    again = engine_sync(model, root, locked=True)
    assert again.exit_code == EXIT_OK, again.failed
    assert [w.url for w in again.added] == [item.public_url]
    assert sentinel.writes() == 0


def test_a_sync_whose_lock_file_is_deleted_stops_writing(root: Path, sentinel: Sentinel) -> None:
    model = StandIn()
    lock = root / STATE_DIR / "lock"

    def delete_the_lock(target: str) -> None:
        if target.startswith("/release/"):
            lock.unlink(missing_ok=True)

    model.on_request = delete_the_lock
    with pytest.raises(LockedError, match="deleted or replaced"):
        engine_sync(model, root, locked=True)
    assert len(list(root.rglob("*.md"))) == 1  # the seed alone
    assert sentinel.writes() == 0


def test_a_kept_pages_file_linked_outside_is_not_written_through(
    root: Path, outside: Path, sentinel: Sentinel
) -> None:
    folder = warc_folder(root / STATE_DIR)
    folder.mkdir(parents=True)
    (folder / file_name(1)).symlink_to(outside / "bashrc")
    page = Fetched(f"{PUBLIC}/release/x", 200, b"<p>one</p>", None, None)
    with Archive(root) as archive, pytest.raises(StoreError, match="symbolic link"):
        PageKeeper(archive, folder, KeepSettings()).keep(page)
    assert sentinel.writes() == 0
