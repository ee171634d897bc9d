"""The intent journal: a write killed between its rename and the state's record is finished.

Each write notes in the state, before its rename, what the state is to record once the
file is in place; the next open of the archive under its lock records every write whose
file holds exactly the noted bytes, and forgets the others (killed before the rename).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from scraper.archive.moves import finish, move_file, unfinished_moves
from scraper.archive.store import Archive, open_archive
from scraper.errors import StoreError
from scraper.exitcodes import EXIT_OK
from tests.standin import StandIn
from tests.state_support import NOW, SEED, SEED_FILE, SEED_URL, seed_text, state_file
from tests.support import Killed, files, sync

NEW_FILE = "releases/2030/01/2030-01-01-new.md"
NEW_URL = "https://www.beehive.govt.nz/release/new"


def intents(root: Path) -> list[tuple[object, ...]]:
    """The intent rows a state holds (read without changing it)."""
    db = sqlite3.connect(f"file:{state_file(root)}?mode=ro&immutable=1", uri=True)
    try:
        return db.execute("SELECT * FROM intents").fetchall()
    finally:
        db.close()


def sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def killed(*_args: object, **_kwargs: object) -> None:
    """A kill at this call: nothing after it runs."""
    raise Killed


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An archive holding the seed release, indexed."""
    shutil.copytree(SEED / "releases", tmp_path / "releases")
    with Archive(tmp_path) as archive:
        archive.refresh_index()
    return tmp_path


def new_text() -> str:
    """A release's file text for NEW_URL."""
    return seed_text().replace(SEED_URL, NEW_URL)


def test_a_write_killed_after_its_rename_is_recorded_as_its_own_at_the_next_locked_open(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = dt.date(2030, 1, 1)
    with open_archive(root) as archive:
        monkeypatch.setattr(Archive, "_put_source", killed)
        with pytest.raises(Killed):
            archive.write(NEW_FILE, new_text(), NEW_URL, published, NOW, incomplete=True)
        monkeypatch.undo()
    assert (root / NEW_FILE).read_text(encoding="utf-8") == new_text()
    with Archive.read_only(root) as archive:  # a look settles nothing
        assert archive.written_digests().get(NEW_FILE) is None
    with open_archive(root) as archive:
        assert archive.written_digests()[NEW_FILE] == sha256(root / NEW_FILE)
        assert archive.written_since(published) == [(NEW_URL, NEW_FILE)]
        assert archive.incomplete() == [(NEW_URL, NEW_FILE)]
        entry = archive.at(NEW_FILE)
        assert entry is not None and entry.ours and entry.url == NEW_URL
        assert archive.refresh_index().reread == 0  # indexed as it is on disk
    assert intents(root) == []


def test_a_write_killed_before_its_rename_is_forgotten_and_the_old_record_stays(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_archive(root) as archive:
        archive.write(NEW_FILE, new_text(), NEW_URL, dt.date(2030, 1, 1), NOW, source="<urn:a>")
        old = sha256(root / NEW_FILE)
        changed = new_text().replace("North Korea leads", "Changed")
        monkeypatch.setattr(os, "replace", killed)
        with pytest.raises(Killed):
            archive.write(NEW_FILE, changed, NEW_URL, dt.date(2030, 1, 1), NOW)
        monkeypatch.undo()
    assert len(intents(root)) == 1
    with open_archive(root) as archive:
        assert archive.written_digests()[NEW_FILE] == old
        assert archive.source_of(NEW_FILE) == "<urn:a>"
        assert not archive.edited(NEW_FILE)
    assert (root / NEW_FILE).read_text(encoding="utf-8") == new_text()
    assert intents(root) == []


def test_a_write_whose_rename_fails_leaves_no_intent(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    with open_archive(root) as archive:
        monkeypatch.setattr(os, "replace", refused)
        with pytest.raises(StoreError, match="No space left"):
            archive.write(NEW_FILE, new_text(), NEW_URL, dt.date(2030, 1, 1), NOW)
    assert intents(root) == []


def test_a_rewrite_killed_after_its_rename_keeps_the_file_its_own(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_archive(root) as archive:
        archive.write(NEW_FILE, new_text(), NEW_URL, dt.date(2030, 1, 1), NOW)
        monkeypatch.setattr(Archive, "_rehash_written", killed)
        with pytest.raises(Killed):
            archive.rewrite(NEW_FILE, new_text() + "\n", was=new_text())
        monkeypatch.undo()
    with open_archive(root) as archive:
        assert archive.written_digests()[NEW_FILE] == sha256(root / NEW_FILE)
        assert not archive.edited(NEW_FILE)
    assert intents(root) == []


def test_a_rewrite_of_an_old_exporters_file_killed_after_its_rename_stays_not_its_own(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (root / SEED_FILE).read_text(encoding="utf-8")
    with open_archive(root) as archive:
        monkeypatch.setattr(Archive, "_rehash_written", killed)
        with pytest.raises(Killed):
            archive.rewrite(SEED_FILE, text + "\n", was=text)
        monkeypatch.undo()
    with open_archive(root) as archive:
        assert SEED_FILE not in archive.written_digests()
        assert archive.refresh_index().reread == 0
    assert intents(root) == []


def test_a_sync_killed_after_a_rename_leaves_a_file_later_syncs_recheck_as_their_own(
    site: StandIn, archive: Path, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert sync(site, archive, config_file).code == EXIT_OK
    item = site.publish("fresh-news", copy_of="/release/district-court-judge-appointed-28")
    monkeypatch.setattr(Archive, "_put_written", killed)
    with pytest.raises(Killed):
        sync(site, archive, config_file)
    monkeypatch.undo()
    [path] = [p for p in files(archive) if "fresh-news" in p]
    assert sync(site, archive, config_file).code == EXIT_OK
    with Archive.read_only(archive) as state:
        assert state.written_digests()[path] == sha256(archive / path)
    site.change(item.path, "A corrected title")
    run = sync(site, archive, config_file)
    assert run.code == EXIT_OK
    assert [w["path"] for w in run.report["updated"]] == [path]
    assert 'title: "A corrected title"' in files(archive)[path]


def test_a_move_killed_after_its_new_files_rename_ends_with_the_new_file_its_own(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    moved = NEW_FILE.replace("-new.md", "-moved.md")
    published = dt.date(2030, 1, 1)
    with open_archive(root) as archive:
        archive.write(NEW_FILE, new_text(), NEW_URL, published, NOW)
        monkeypatch.setattr(Archive, "_put_source", killed)

        def write_new() -> None:
            archive.write(moved, new_text(), NEW_URL, published, NOW)

        with pytest.raises(Killed):
            move_file(archive, NEW_URL, NEW_FILE, moved, write_new)
        monkeypatch.undo()
    with open_archive(root) as archive:
        assert archive.written_since(published) == [(NEW_URL, moved)]
        [move] = unfinished_moves(archive)
        assert move.remove_old
        finish(archive, move)
        assert archive.written_digests() == {moved: sha256(root / moved)}
    assert not (root / NEW_FILE).exists()
    assert intents(root) == []
