"""Which kept page each file was written from: rebuild and stale-render use that page only,
never a newer one; a file written from no kept page is left alone; no page is kept once the
archive's lock is lost."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from scraper.archive.store import Archive
from scraper.cli import EXIT_OK
from scraper.errors import StoreError
from scraper.exitcodes import EXIT_LOCKED
from scraper.keep.pages import PageKeeper
from tests.standin import StandIn
from tests.support import files, invoke, paths, sync
from tests.test_feed_only import block_pages, marks, publish_three
from tests.test_keep import records, synced


def offline_kinds(archive: Path, relpath: str) -> list[str]:
    """The kinds `verify --offline` finds in one file."""
    found = invoke("verify", "--archive", str(archive), "--offline", "--json")
    assert found.report is not None, found.stderr
    return [k for f in found.report["findings"] if f["path"] == relpath for k in f["kinds"]]


def rebuilt(archive: Path, *args: str) -> dict[str, Any]:
    """Run `scraper rebuild --json`: its report."""
    done = invoke("rebuild", "--archive", str(archive), "--json", *args)
    assert done.code == EXIT_OK, done.stderr
    assert done.report is not None
    return done.report


def corrected(site: StandIn, archive: Path, config: Path, *args: str) -> str:
    """Sync a release, correct its title on the site, sync again with `args`: its path."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    item = site.publish("keep-source-recent", title="Original title", when=now)
    assert sync(site, archive, config).code == EXIT_OK
    site.change(item.path, "Corrected title")
    run = sync(site, archive, config, *args)
    assert run.code == EXIT_OK, run.stdout
    (relpath,) = paths(run.report["updated"])
    assert "Corrected title" in files(archive)[relpath]
    return relpath


def test_a_file_written_from_a_page_not_kept_is_left_alone_and_not_stale(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    relpath = corrected(site, archive, config_file, "--set", "keep.pages=false")
    assert "stale-render" not in offline_kinds(archive, relpath)
    report = rebuilt(archive)
    assert relpath in report["not_kept"]
    assert relpath not in [w["path"] for w in report["rewritten"]]
    assert "Corrected title" in files(archive)[relpath]


def test_a_file_written_after_keeping_failed_is_left_alone(
    site: StandIn, archive: Path, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: object, **__: object) -> str:
        raise StoreError("the disk is full")

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    item = site.publish("keep-source-failed", title="Original title", when=now)
    assert sync(site, archive, config_file).code == EXIT_OK
    site.change(item.path, "Corrected title")
    monkeypatch.setattr(PageKeeper, "keep_record", refuse)
    run = sync(site, archive, config_file)
    monkeypatch.undo()
    assert any("no longer kept" in note for note in run.report["notes"]), run.report
    (relpath,) = paths(run.report["updated"])
    report = rebuilt(archive)
    assert relpath in report["not_kept"]
    assert "Corrected title" in files(archive)[relpath]


def test_a_file_written_from_a_kept_page_is_rebuilt_from_that_page(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    relpath = corrected(site, archive, config_file)
    written = (archive / relpath).read_bytes()
    assert b"Corrected title" in written
    (archive / relpath).unlink()
    report = rebuilt(archive)
    assert [w["path"] for w in report["rewritten"]] == [relpath]
    assert (archive / relpath).read_bytes() == written


def test_a_page_verify_keeps_is_not_what_rebuild_or_stale_render_use(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    item = site.publish("keep-source-old", title="Old title", when=now - dt.timedelta(days=60))
    before = synced(site, archive, config_file)
    (relpath,) = [p for p in before if "keep-source-old" in p]
    site.change(item.path, "Corrected old title")
    argv = ["verify", "--archive", str(archive), "--base-url", site.base_url]
    checked = invoke(*argv, "--config", str(config_file), "--json")
    assert checked.report is not None, checked.stderr
    assert any(uri.endswith("keep-source-old") for _, uri, _ in records(archive)[-1:])
    assert "stale-render" not in offline_kinds(archive, relpath)
    report = rebuilt(archive)
    assert report["rewritten"] == []
    assert files(archive) == before


def test_rebuild_leaves_hand_edited_files_alone_unless_forced(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    before = synced(site, archive, config_file)
    edited = sorted(before)[0]
    (archive / edited).write_text(before[edited] + "\nA note added by hand.\n", encoding="utf-8")
    report = rebuilt(archive)
    assert report["edited"] == [edited] and report["rewritten"] == []
    assert files(archive)[edited].endswith("A note added by hand.\n")
    forced = rebuilt(archive, "--force")
    assert [w["path"] for w in forced["rewritten"]] == [edited]
    assert files(archive) == before


def test_completing_a_feed_only_file_keeps_its_page(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    assert sync(site, archive, config_file).code == EXIT_OK
    publish_three(site)
    block_pages(site)
    run = sync(site, archive, config_file, "--feed-only")
    added = sorted(paths(run.report["added"]))
    assert added
    site.clear_faults()
    assert sync(site, archive, config_file).code == EXIT_OK
    assert marks(archive) == []
    report = rebuilt(archive)
    assert not set(added) & set(report["not_kept"])
    completed = files(archive)
    for relpath in added:
        (archive / relpath).unlink()
    rebuilt(archive)
    assert files(archive) == completed


def test_no_page_is_kept_once_the_lock_is_lost(
    site: StandIn, archive: Path, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Archive.write
    written: list[str] = []

    def write(self: Archive, relpath: str, *args: Any, **kwargs: Any) -> None:
        real(self, relpath, *args, **kwargs)
        written.append(relpath)
        if len(written) == 1:  # another hand replaces the lock file
            lock = self.root / ".scraper" / "lock"
            lock.unlink()
            lock.write_text("other\n", encoding="utf-8")

    monkeypatch.setattr(Archive, "write", write)
    run = sync(site, archive, config_file)
    monkeypatch.undo()
    assert run.code == EXIT_LOCKED, run.stdout
    responses = [r for r in records(archive) if r[0] in ("response", "revisit")]
    assert len(written) == 1 and len(responses) == 1


def test_a_file_verify_fix_writes_is_noted_as_from_the_page_it_kept(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    item = site.publish("keep-source-fixed", title="Original title", when=now)
    before = synced(site, archive, config_file)
    (relpath,) = [p for p in before if "keep-source-fixed" in p]
    site.change(item.path, "Corrected title")
    argv = ["verify", "--archive", str(archive), "--base-url", site.base_url, "--fix"]
    fixed = invoke(*argv, "--config", str(config_file), "--json", str(archive / relpath))
    assert fixed.report is not None, fixed.stderr
    assert "Corrected title" in files(archive)[relpath]
    (archive / relpath).unlink()
    report = rebuilt(archive)
    assert [w["path"] for w in report["rewritten"]] == [relpath]
    assert "Corrected title" in files(archive)[relpath]
