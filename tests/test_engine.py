"""The sync engine's branches, run in-process against the stand-in over a MockTransport."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from scraper.archive import atomic
from scraper.archive.store import Archive
from scraper.errors import StateError, StoreError
from scraper.exitcodes import EXIT_BLOCKED, EXIT_FAILED, EXIT_OK
from scraper.models import Failure
from scraper.net.fetch import Fetcher
from scraper.site import parse as parse_module
from scraper.sync import SyncOptions, run_sync
from scraper.sync.report import report_lines
from tests.golden import LISTING_DATES
from tests.standin import StandIn
from tests.standin.model import Item
from tests.standin.transport import mock_transport
from tests.support import (
    MOCK_FETCH,
    PUBLIC,
    Killed,
    comparable_files,
    engine_sync,
    expected_file,
    files,
    recorded_releases,
    sync,
    written_paths,
)

TE_HUIA = "/release/te-huia-service-extension-welcomed"


@pytest.fixture
def model() -> StandIn:
    """A stand-in site that is not serving: the engine reaches it through a MockTransport."""
    return StandIn()


def test_a_backfill_names_releases_by_their_urls_never_node_links(
    model: StandIn, archive: Path
) -> None:
    seen: list[tuple[str, str]] = []
    report = engine_sync(
        model,
        archive,
        full=True,
        progress=lambda _d, total, url, outcome: seen.append((url, outcome)),
    )
    assert report.ok, report.failed
    added = [url for url, outcome in seen if outcome == "added"]
    assert len(added) == len(report.added) > 100
    assert not [url for url in added if "/node/" in url]
    assert [w.url for w in report.added] == added


def test_the_feed_is_shown_as_a_source_and_every_item_is_counted_once(
    model: StandIn, archive: Path
) -> None:
    shown: list[tuple[str, str]] = []
    report = engine_sync(
        model,
        archive,
        progress=lambda _d, total, url, outcome: (
            shown.append((url, outcome)) if total == 0 else None
        ),
    )
    assert report.ok, report.failed
    assert shown[0][0] == "/rss.xml" and shown[0][1].startswith("feed, ")
    announced = sum(int(outcome.split(", ")[1].split()[0]) for _, outcome in shown)
    assert announced == len(report.added)


def test_a_page_without_a_release_title_is_failed_kept_pending_and_written_once_fixed(
    model: StandIn, archive: Path
) -> None:
    original = model.item(TE_HUIA)
    assert original is not None
    model.change(TE_HUIA, "<div><h2>Scheduled maintenance</h2><p>Back soon.</p></div>")
    report = engine_sync(model, archive)
    [failure] = report.failed
    assert failure.url == PUBLIC + TE_HUIA and "no release title" in failure.reason
    assert not [p for p in files(archive) if "te-huia" in p]
    assert len(report.added) > 10
    with Archive(archive) as state:
        assert [row[0] for row in state.pending(("release",))] == [PUBLIC + TE_HUIA]
    model.change(TE_HUIA, original.main)
    again = engine_sync(model, archive)
    assert again.ok and [w.url for w in again.added] == [PUBLIC + TE_HUIA]


def test_a_page_not_found_template_served_as_200_is_never_written(
    model: StandIn, archive: Path
) -> None:
    model.change(
        TE_HUIA,
        '<div><h1 class="article__title">Page not found</h1>'
        "<p>The requested page could not be found.</p></div>",
    )
    report = engine_sync(model, archive)
    [failure] = report.failed
    assert "not a release page" in failure.reason
    assert not [text for text in files(archive).values() if "Page not found" in text]


def test_an_unexpected_error_on_one_page_loses_no_other(
    model: StandIn, archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = parse_module.parse_page

    def broken(html: str, **kwargs: object) -> object:
        if "te-huia" in str(kwargs.get("source")):
            raise IndexError("a converter bug")
        return real(html, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(parse_module, "parse_page", broken)
    report = engine_sync(model, archive)
    [failure] = report.failed
    assert "IndexError: a converter bug" in failure.reason and "please report" in failure.reason
    assert len(report.added) > 10


def test_a_site_down_on_its_pages_stops_the_run_after_a_few_urls(
    model: StandIn, archive: Path
) -> None:
    model.fail("/release/*", "503", times=None)
    report = engine_sync(model, archive, down_limit=3)
    assert report.stop_kind == "down" and "seems to be down" in str(report.stopped)
    assert len(report.failed) == 3
    assert model.count("/release/") == 3 * 3  # three URLs, each tried max_attempts times
    assert report.exit_code == 5


def test_a_recovered_url_resets_the_count_of_failures_in_a_row(
    model: StandIn, archive: Path
) -> None:
    for slug in ("te-huia-service-extension-welcomed", "government-app-launched-today"):
        model.fail(f"/release/{slug}", "503", times=None)
    report = engine_sync(model, archive, down_limit=3)
    assert report.stopped is None
    assert len(report.failed) == 2 and len(report.added) > 10


def test_robots_txt_behind_the_block_page_names_robots_txt_and_stops(
    model: StandIn, archive: Path
) -> None:
    model.fail("/robots.txt", "challenge", times=None)
    report = engine_sync(model, archive)
    assert report.blocked == ["http://standin.test/robots.txt"]
    assert report.stop_kind == "blocked" and report.exit_code == 3
    assert [r.target for r in model.requests] == ["/robots.txt"]


def test_the_summary_counts_in_words_and_says_how_big_the_archive_is(
    model: StandIn, archive: Path
) -> None:
    engine_sync(model, archive)
    report = engine_sync(model, archive)
    assert report.requests == 1 and report.added == []
    assert report.archive_files == len(files(archive))
    last = report_lines(report)[-1]
    assert "; 1 request in " in last and f"the archive holds {len(files(archive))} files" in last


def test_written_files_carry_their_url_and_path(model: StandIn, archive: Path) -> None:
    report = engine_sync(model, archive)
    for written in report.added:
        assert files(archive)[written.path].split("\nurl: ", 1)[1].startswith(written.url)
    assert sorted(written_paths(report.added)) == sorted(files(archive))


# -- the engine's branches, formerly end to end ------------------------------------------------

NZ = ZoneInfo("Pacific/Auckland")


def reasons(failures: list[Failure]) -> str:
    """Every failure's reason, in one text to search."""
    return "\n".join(f.reason for f in failures)


def test_plain_sync_writes_what_the_feed_and_listings_show(model: StandIn, archive: Path) -> None:
    run = engine_sync(model, archive)
    assert run.exit_code == EXIT_OK, run.failed
    newest = sorted(model.items, key=lambda i: i.node_id, reverse=True)[:30]
    shown = {i.public_url for i in newest} | {
        i.public_url for i in model.items if i.government == 6700
    }
    wanted = [i for i in recorded_releases(model) if i.public_url in shown]
    assert wanted
    assert comparable_files(archive) == dict(expected_file(i) for i in wanted)


def test_a_newly_published_release_adds_one_file_with_one_request(
    model: StandIn, archive: Path
) -> None:
    assert engine_sync(model, archive).exit_code == EXIT_OK
    before = files(archive)
    item = model.publish("brand-new-release", copy_of="/release/district-court-judge-appointed-28")
    model.clear_log()
    run = engine_sync(model, archive)
    assert run.exit_code == EXIT_OK
    added = set(files(archive)) - set(before)
    assert len(added) == 1 and written_paths(run.added) == list(added)
    assert model.count(item.path) == 1
    assert all(files(archive)[p] == text for p, text in before.items())


def test_a_page_that_keeps_failing_is_reported_and_the_rest_land(
    model: StandIn, archive: Path
) -> None:
    model.fail("/release/te-huia-service-extension-welcomed", "503", times=None)
    model.fail("/release/government-app-launched-today", "404", times=None)
    run = engine_sync(model, archive)
    assert run.exit_code == EXIT_FAILED
    failed = {f.url for f in run.failed}
    assert failed == {
        "https://www.beehive.govt.nz/release/te-huia-service-extension-welcomed",
        "https://www.beehive.govt.nz/release/government-app-launched-today",
    }
    assert len(files(archive)) > 10


def test_blocks_in_a_row_stop_the_run_early_with_a_message(model: StandIn, archive: Path) -> None:
    model.fail("/release/*", "challenge", times=None)
    run = engine_sync(model, archive)
    assert run.exit_code == EXIT_BLOCKED
    assert len(run.blocked) == 3
    assert "--cookies" in str(run.stopped)
    assert files(archive) == {}
    assert model.count("/release/") == 3


def test_a_redirect_to_another_host_is_refused(model: StandIn, archive: Path) -> None:
    model.fail(
        "/release/te-huia-service-extension-welcomed",
        "redirect",
        times=None,
        location="https://evil.example/release/te-huia-service-extension-welcomed",
    )
    run = engine_sync(model, archive)
    assert run.exit_code == EXIT_FAILED
    [failure] = run.failed
    assert "evil.example" in failure.reason
    assert not any("te-huia" in p for p in files(archive))


def test_a_changed_recent_release_is_rewritten_on_recheck(model: StandIn, archive: Path) -> None:
    item = model.publish("fresh-news", copy_of="/release/district-court-judge-appointed-28")
    assert engine_sync(model, archive).exit_code == EXIT_OK
    [path] = [p for p in files(archive) if "fresh-news" in p]
    assert written_paths(engine_sync(model, archive).updated) == []
    model.change(item.path, "A corrected title")
    run = engine_sync(model, archive)
    assert written_paths(run.updated) == [path]
    assert 'title: "A corrected title"' in files(archive)[path]


def test_since_skips_older_releases(model: StandIn, archive: Path) -> None:
    run = engine_sync(model, archive, since=dt.date(2026, 1, 1))
    assert run.exit_code == EXIT_OK
    assert files(archive)
    assert all(p.split("/")[1] >= "2026" for p in files(archive))


def test_speeches_and_features_go_to_their_own_folders(model: StandIn, archive: Path) -> None:
    run = engine_sync(model, archive, types=("speech", "feature"), full=True)
    assert run.exit_code == EXIT_OK, run.failed
    folders = {p.split("/")[0] for p in files(archive)}
    assert folders == {"speeches", "features"}


def test_an_old_archive_is_adopted_and_not_rewritten(model: StandIn, archive: Path) -> None:
    # The old exporter's files, with their UTC dates and folded URLs, at their old paths.
    fixtures = Path(__file__).parent / "fixtures" / "pages"
    for twin in fixtures.glob("*.md"):
        year, month = twin.name[:4], twin.name[5:7]
        target = archive / "releases" / year / month / twin.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(twin.read_bytes())
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in archive.rglob("*.md")}
    run = engine_sync(model, archive, full=True)
    assert run.exit_code == EXIT_OK, run.failed
    assert [p.split("/")[-1] for p in written_paths(run.added)] == [
        "2026-09-04-district-court-judge-appointed-28.md"
    ]
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in before} == before
    # Known releases are recognised from the search rows alone, /node/ links included.
    pages = [r.target for r in model.requests if r.target.startswith(("/release/", "/node/"))]
    assert pages == ["/release/district-court-judge-appointed-28"]


def test_a_gone_page_is_reported(model: StandIn, archive: Path) -> None:
    model.fail("/release/te-huia-service-extension-welcomed", "410", times=None)
    run = engine_sync(model, archive)
    assert run.exit_code == EXIT_FAILED
    [failure] = run.failed
    assert "410" in failure.reason
    assert model.count("/release/te-huia-service-extension-welcomed") == 1


def test_a_limited_run_does_not_let_the_next_skip_the_feed(model: StandIn, archive: Path) -> None:
    assert len(engine_sync(model, archive, limit=2).added) == 2
    run = engine_sync(model, archive)
    assert run.exit_code == EXIT_OK
    assert len(files(archive)) > 2
    assert written_paths(run.added)


def test_asking_for_another_type_reads_its_listing_despite_an_unchanged_feed(
    model: StandIn, archive: Path
) -> None:
    assert engine_sync(model, archive).exit_code == EXIT_OK
    model.clear_log()
    run = engine_sync(model, archive, types=("release", "speech"))
    assert "/speeches?page=0" in [r.target for r in model.requests]
    assert any(p.startswith("speeches/") for p in written_paths(run.added))
    model.clear_log()
    assert engine_sync(model, archive, types=("speech",)).added == []
    assert [r.target for r in model.requests] == ["/rss.xml"]


def _publish_many(model: StandIn, count: int) -> list[Item]:
    """Publish `count` new releases today, a minute apart, newest last.

    Today, like the newest file of the archive: a gap must be found within one day too.
    """
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    return [
        model.publish(
            f"batch-{n}",
            copy_of="/release/district-court-judge-appointed-28",
            title=f"Batch release {n}",
            when=start + dt.timedelta(minutes=n),
        )
        for n in range(count)
    ]


def _synced_today(model: StandIn, archive: Path) -> None:
    """An archive in sync, whose newest file is from today."""
    model.publish(
        "first-today",
        copy_of="/release/district-court-judge-appointed-28",
        when=dt.datetime.now(dt.UTC) - dt.timedelta(hours=3),
    )
    assert engine_sync(model, archive).exit_code == EXIT_OK


@pytest.mark.parametrize("limit", ["20", "35"])
def test_a_run_cut_short_leaves_no_gap_for_the_next(
    model: StandIn, archive: Path, limit: str
) -> None:
    _synced_today(model, archive)
    _publish_many(model, 45)  # more than the feed's 30
    assert len(engine_sync(model, archive, limit=int(limit)).added) == int(limit)
    run = engine_sync(model, archive)
    assert run.exit_code == EXIT_OK
    assert len(written_paths(run.added)) == 45 - int(limit)
    assert sum("batch-" in p for p in files(archive)) == 45


def test_a_failed_listing_page_leaves_no_gap_for_the_next_run(
    model: StandIn, archive: Path
) -> None:
    _synced_today(model, archive)
    _publish_many(model, 45)
    model.fail("/releases?page=3", "503", times=3)
    assert engine_sync(model, archive).exit_code == EXIT_FAILED
    assert engine_sync(model, archive).exit_code == EXIT_OK
    assert sum("batch-" in p for p in files(archive)) == 45


@pytest.mark.parametrize("kind", ["503", "challenge"])
def test_a_page_deep_in_the_listings_that_failed_is_tried_again(
    model: StandIn, archive: Path, kind: str
) -> None:
    _synced_today(model, archive)
    _publish_many(model, 45)
    model.fail("/release/batch-3", kind, times=None)  # page 4 of the listing, not in the feed
    # A page that keeps failing is a failure; the challenge on it, a block.
    expected = EXIT_FAILED if kind == "503" else EXIT_BLOCKED
    assert engine_sync(model, archive).exit_code == expected
    model.clear_faults()
    run = engine_sync(model, archive)
    assert run.exit_code == EXIT_OK
    assert [p for p in written_paths(run.added) if "batch-3." in p or "batch-3-" in p]


def test_a_site_showing_nothing_is_a_failure_not_zero_releases(
    archive: Path, tmp_path: Path
) -> None:
    empty = StandIn(pages_dir=tmp_path, with_derived=False)
    run = engine_sync(empty, archive)
    assert run.exit_code == EXIT_FAILED
    assert "found no items at all" in reasons(run.failed)
    full = engine_sync(empty, archive, full=True)
    assert full.exit_code == EXIT_FAILED
    assert [f.url for f in full.failed] == ["the search pages for releases"]


def synced_then_redated(model: StandIn, archive: Path, days: int = 2) -> tuple[str, dt.datetime]:
    """A release synced, then redated `days` earlier at the source; its file's path, and now."""
    now = dt.datetime.now(dt.UTC)
    item = model.publish("moving", copy_of="/release/district-court-judge-appointed-28", when=now)
    assert engine_sync(model, archive).exit_code == EXIT_OK
    [old] = [p for p in files(archive) if "moving" in p]
    model.change(item.path, when=now - dt.timedelta(days=days))
    return old, now


def test_a_redated_release_moves_to_its_new_path(model: StandIn, archive: Path) -> None:
    old, now = synced_then_redated(model, archive)
    run = engine_sync(model, archive)
    assert run.exit_code == EXIT_OK
    [new] = [p for p in files(archive) if "moving" in p]
    assert new != old and written_paths(run.updated) == [new] and run.removed == [old]
    assert new.split("/")[-1][:10] == (now - dt.timedelta(days=2)).astimezone(NZ).strftime(
        "%Y-%m-%d"
    )


def test_a_move_out_of_a_month_leaves_no_empty_folder(model: StandIn, archive: Path) -> None:
    old, _ = synced_then_redated(model, archive, days=40)  # always another month
    assert len([p for p in files(archive) if p.startswith(old.rsplit("/", 1)[0])]) == 1
    run = engine_sync(model, archive)
    assert run.removed == [old] and not (archive / old).parent.exists()
    assert (archive / "releases").is_dir()


def test_a_hand_edited_file_is_kept_when_its_page_changes(model: StandIn, archive: Path) -> None:
    item = model.publish("edited", copy_of="/release/district-court-judge-appointed-28")
    assert engine_sync(model, archive).exit_code == EXIT_OK
    [path] = [p for p in files(archive) if "edited" in p]
    edited = files(archive)[path] + "\n\nA note of ours."
    (archive / path).write_text(edited, encoding="utf-8")
    model.change(item.path, "A new title")
    run = engine_sync(model, archive)
    assert run.exit_code == EXIT_OK
    assert [k.url for k in run.kept] == [path]
    assert files(archive)[path] == edited


def test_an_ambiguous_release_is_reported_on_every_run(model: StandIn, archive: Path) -> None:
    twin = (
        Path(__file__).parent
        / "fixtures"
        / "pages"
        / "2026-02-19-te-huia-service-extension-welcomed.md"
    )
    for name in ("2026-02-19-te-huia-service-extension-welcomed.md", "2026-02-19-copy.md"):
        target = archive / "releases" / "2026" / "02" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(twin.read_bytes())
    for _ in range(2):
        run = engine_sync(model, archive)
        assert run.exit_code == EXIT_FAILED
        [ambiguous] = run.ambiguous
        assert ambiguous.url.endswith("/release/te-huia-service-extension-welcomed")


def test_a_file_that_cannot_be_read_is_reported_and_not_duplicated(
    model: StandIn, archive: Path
) -> None:
    broken = (
        archive / "releases" / "2026" / "02" / "2026-02-19-te-huia-service-extension-welcomed.md"
    )
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"\xff not an archive file")
    run = engine_sync(model, archive)
    assert run.exit_code == EXIT_FAILED
    why = reasons(run.failed)
    assert "archive file cannot be read" in why and "fix or remove that file" in why
    relpath = broken.relative_to(archive).as_posix()
    [unreadable] = [f.reason for f in run.failed if f.url == relpath]
    # The path once (the failure's own), then what cannot be done, then why.
    assert unreadable == "archive file cannot be read: not UTF-8 (byte 0xff at offset 0)"
    assert not any("te-huia" in p and "--" in p for p in files(archive))
    assert broken.read_bytes() == b"\xff not an archive file"


def test_a_failed_page_does_not_keep_later_runs_walking_deep(model: StandIn, archive: Path) -> None:
    model.fail("/release/te-huia-service-extension-welcomed", "404", times=None)
    assert engine_sync(model, archive).exit_code == EXIT_FAILED
    with Archive(archive) as state:
        # The walk itself was whole: the failed item stays unknown, so the next walk meets
        # it again, and no floor is needed to find it.
        assert state.get_meta("listing_floor:release") is None
    model.clear_faults()
    assert engine_sync(model, archive).exit_code == EXIT_OK
    assert any("te-huia" in p for p in files(archive))


def test_a_walk_cut_short_keeps_its_floor(model: StandIn, archive: Path) -> None:
    model.fail("/releases?page=1", "503", times=None)
    assert engine_sync(model, archive).exit_code == EXIT_FAILED
    with Archive(archive) as state:
        assert state.get_meta("listing_floor:release") is not None


def test_a_file_with_a_hashed_name_is_updated_in_place(model: StandIn, archive: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    source = "/release/district-court-judge-appointed-28"
    model.publish("tamaki-hui", copy_of=source, title="Tamaki hui", when=now)
    model.publish("tāmaki-hui", copy_of=source, title="Tāmaki hui", when=now)
    assert engine_sync(model, archive).exit_code == EXIT_OK
    [tagged] = [p for p in files(archive) if "tamaki-hui--" in p]
    url = files(archive)[tagged].split("\nurl: ", 1)[1].split("\n", 1)[0]
    model.change(url.removeprefix("https://www.beehive.govt.nz"), "Tamaki hui, corrected")
    run = engine_sync(model, archive)
    assert written_paths(run.updated) == [tagged]
    assert 'title: "Tamaki hui, corrected"' in files(archive)[tagged]
    assert sum("tamaki-hui" in p for p in files(archive)) == 2


def test_a_release_that_moved_to_a_new_address_keeps_one_file(
    model: StandIn, archive: Path
) -> None:
    now = dt.datetime.now(dt.UTC)
    source = "/release/district-court-judge-appointed-28"
    model.publish("old-title", copy_of=source, title="Old title", when=now)
    assert engine_sync(model, archive).exit_code == EXIT_OK
    # Retitled: a new address, to which the old one now redirects.
    model.publish("new-title", copy_of=source, title="New title", when=now)
    model.fail("/release/old-title", "redirect", times=None, location="/release/new-title")
    run = engine_sync(model, archive)
    assert run.exit_code == EXIT_OK
    ours = [p for p in files(archive) if "-title" in p]
    assert len(ours) == 1 and "new-title" in ours[0]


def test_an_unreadable_old_file_of_the_day_before_is_not_duplicated(
    model: StandIn, archive: Path
) -> None:
    # The old exporter's file carries the UTC date, the day before the NZ date 2026-02-20.
    old = archive / "releases/2026/02/2026-02-19-te-huia-service-extension-welcomed.md"
    old.parent.mkdir(parents=True)
    old.write_text("---\ntitle: [broken\n---\n", encoding="utf-8")
    run = engine_sync(model, archive)
    assert run.exit_code == EXIT_FAILED
    assert "may hold it" in reasons(run.failed)
    assert [p for p in files(archive) if "te-huia" in p] == [
        "releases/2026/02/2026-02-19-te-huia-service-extension-welcomed.md"
    ]


def test_node_links_to_twins_of_one_title_and_date_are_both_synced(
    model: StandIn, archive: Path
) -> None:
    when = dt.datetime(2005, 5, 10, 1, tzinfo=dt.UTC)  # a government whose search links /node/
    source = "/release/district-court-judge-appointed-28"
    model.publish("budget-update", copy_of=source, title="Budget update", when=when)
    model.publish("budget-update-0", copy_of=source, title="Budget update", when=when)
    assert engine_sync(model, archive, full=True).exit_code == EXIT_OK
    [one, _] = sorted(p for p in files(archive) if "budget-update" in p)
    (archive / one).unlink()
    run = engine_sync(model, archive, full=True)
    assert run.exit_code == EXIT_OK
    assert written_paths(run.added) == [one]


def test_a_move_cut_short_is_finished_by_the_next_run(
    model: StandIn, archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced_then_redated(model, archive)

    def killed(self: Archive, relpath: str) -> None:
        raise Killed  # the run dies after writing the new file, before removing the old

    monkeypatch.setattr(Archive, "remove", killed)
    with pytest.raises(Killed):
        engine_sync(model, archive)
    assert sum("moving" in p for p in files(archive)) == 2
    monkeypatch.undo()
    assert engine_sync(model, archive).exit_code == EXIT_OK
    assert sum("moving" in p for p in files(archive)) == 1


def test_a_move_that_cannot_be_finished_is_reported_and_tried_again(
    model: StandIn, archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced_then_redated(model, archive)

    def killed(self: Archive, relpath: str) -> None:
        raise Killed

    def refused(self: Archive, relpath: str) -> None:
        raise StoreError(f"cannot remove {relpath}: Permission denied")

    monkeypatch.setattr(Archive, "remove", killed)
    with pytest.raises(Killed):
        engine_sync(model, archive)
    monkeypatch.setattr(Archive, "remove", refused)
    report = engine_sync(model, archive)
    [failure] = report.failed
    assert "a move left unfinished" in failure.reason and "Permission denied" in failure.reason
    assert report.exit_code == EXIT_FAILED and report_lines(report)[-1].startswith("added 0")
    monkeypatch.undo()
    assert engine_sync(model, archive).exit_code == EXIT_OK
    assert sum("moving" in p for p in files(archive)) == 1


# -- the state database: full disk, damage, trouble ------------------------------------------


def test_a_full_disk_ends_with_the_summary_and_a_clear_error(model: StandIn, archive: Path) -> None:
    engine_sync(model, archive, limit=2)
    model.fail("/release/*", "404", times=3)  # failures before the disk fills keep their reason
    with Archive(archive) as state:
        # What SQLite says when the disk is full: no page can be added to the database.
        pages = state._db.execute("PRAGMA page_count").fetchone()[0]
        state._db.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(StateError):  # use up the pages the database has free
            for n in range(10_000):
                state.put_meta(f"filler {n}", "x" * 500)
        source = Fetcher(MOCK_FETCH, transport=mock_transport(model), validators=state)
        with source:
            report = run_sync(state, source, SyncOptions(), now=dt.datetime.now(dt.UTC))
    assert report.stop_kind == "state" and "disk may be full" in str(report.stopped)
    assert report.exit_code == EXIT_FAILED
    assert len(report.failed) == 3
    assert all("HTTP 404" in failure.reason for failure in report.failed)
    lines = report_lines(report)
    assert lines[-2].startswith("stopped early: ") and lines[-1].startswith("added ")


def test_a_state_with_a_row_that_is_not_utf8_is_set_aside_and_the_run_goes_on(
    model: StandIn, archive: Path
) -> None:
    engine_sync(model, archive)
    written = len(files(archive))
    db = sqlite3.connect(archive / ".scraper" / "state.db")
    with db:
        db.execute(
            "UPDATE files SET relpath = CAST(X'72656c65617365732fff' AS TEXT) WHERE rowid = 2"
        )
    db.close()
    report = engine_sync(model, archive)
    assert report.ok and report.added == []
    assert any("set aside" in note for note in report.notes)
    assert (archive / ".scraper" / "state.db.damaged").is_file()
    assert len(files(archive)) == written


def test_each_run_is_recorded(site: StandIn, archive: Path, config_file: Path) -> None:
    assert sync(site, archive, config_file).code == EXIT_OK
    assert sync(site, archive, config_file).code == EXIT_OK
    with Archive.read_only(archive) as state:
        second, first = state.runs("sync")
    assert first.counts["added"] == len(files(archive)) and second.counts["added"] == 0
    assert second.counts["requests"] == 1 and second.exit_code == EXIT_OK
    assert first.started <= second.started


def test_a_folder_of_the_archive_that_cannot_be_listed_is_reported_and_the_run_goes_on(
    model: StandIn, archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine_sync(model, archive, limit=3)
    hidden = next(p.parent for p in archive.rglob("*.md"))
    real_scandir = os.scandir

    def scandir(path: str | os.PathLike[str]) -> Iterator[os.DirEntry[str]]:
        """Refuse to list one folder, as a folder without read permission does."""
        if Path(path) == hidden:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    report = engine_sync(model, archive)
    [failure] = report.failed
    assert failure.url == hidden.relative_to(archive).as_posix()
    assert failure.reason.startswith("archive folder cannot be listed: Permission denied")
    assert len(report.added) > 10


def test_adopting_old_files_learns_real_addresses_and_listing_dates(
    model: StandIn, archive: Path
) -> None:
    fixtures = Path(__file__).parent / "fixtures" / "pages"
    for twin in fixtures.glob("*.md"):
        target = archive / "releases" / twin.name[:4] / twin.name[5:7] / twin.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(twin.read_bytes())
    assert engine_sync(model, archive, full=True).exit_code == EXIT_OK
    with Archive.read_only(archive) as state:
        learnt = state.learnt()
    moved = {p: w.url for p, w in learnt.items() if w.listed is None}
    assert moved  # some recorded pages have non-ASCII addresses
    for relpath, url in moved.items():
        old = files(archive)[relpath].split("\nurl: ", 1)[1].split("\n", 1)[0]
        assert old != url and "%" in url
        assert old.rsplit("/", 1)[1] == relpath.rsplit("/", 1)[1][11:-3]
    [(undated, what)] = [(p, w) for p, w in learnt.items() if w.listed is not None]
    assert undated.startswith("releases/0001/01/0001-01-01-")
    assert what.listed == LISTING_DATES[what.url.rsplit("/", 1)[1]]


def test_since_narrows_the_pending_items_too(model: StandIn, archive: Path) -> None:
    engine_sync(model, archive, limit=2)  # the rest found, left pending
    report = engine_sync(model, archive, since=dt.date(2026, 1, 1))
    assert report.added and all(w.path.split("/")[1] >= "2026" for w in report.added)
    with Archive.read_only(archive) as state:
        assert state.pending(("release",))  # older ones wait for a run without --since
    assert engine_sync(model, archive).ok


def test_a_backfill_cut_short_is_noted_by_every_run_until_one_finishes_it(
    model: StandIn, archive: Path
) -> None:
    model.fail("/search*", "challenge", times=3)  # the backfill stops, blocked
    assert engine_sync(model, archive, full=True).stop_kind == "blocked"
    everyday = engine_sync(model, archive)
    assert any("sync --full" in note and "cut short" in note for note in everyday.notes)
    assert engine_sync(model, archive, full=True).ok
    assert not [n for n in engine_sync(model, archive).notes if "cut short" in n]


def test_the_summary_says_how_many_found_releases_are_still_pending(
    model: StandIn, archive: Path
) -> None:
    report = engine_sync(model, archive, limit=2)
    assert len(report.added) == 2 and report.pending > 10
    assert report_lines(report)[-1].endswith(f", {report.pending} more found and pending")
    assert engine_sync(model, archive).pending == 0


def test_a_move_killed_after_the_new_file_and_before_its_record_is_finished_next_run(
    model: StandIn, archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, now = synced_then_redated(model, archive)
    real_write = atomic.atomic_write

    def killed_after_the_rename(path: Path, data: bytes, *, inside: Path | None = None) -> None:
        real_write(path, data, inside=inside)
        raise Killed  # the new file is in place; the state never heard of it

    monkeypatch.setattr("scraper.archive.store.atomic_write", killed_after_the_rename)
    with pytest.raises(Killed):
        engine_sync(model, archive)
    monkeypatch.undo()
    assert sum("moving" in p for p in files(archive)) == 2
    assert engine_sync(model, archive).exit_code == EXIT_OK
    [left] = [p for p in files(archive) if "moving" in p]
    assert left.split("/")[-1][:10] == (now - dt.timedelta(days=2)).astimezone(NZ).strftime(
        "%Y-%m-%d"
    )
