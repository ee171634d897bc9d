"""`scraper sync` end to end: the real CLI against the stand-in site."""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import sys
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from scraper.archive.paths import archive_relpath
from scraper.archive.store import Archive
from scraper.cli import EXIT_BLOCKED, EXIT_FAILED, EXIT_LOCKED, EXIT_OK, main
from tests.golden import comparable, goldens
from tests.standin import StandIn
from tests.standin.model import Item
from tests.support import NO_WAIT, files, paths, sync, sync_argv

GOLDEN = {g.url: g for g in goldens()}
NZ = ZoneInfo("Pacific/Auckland")


def comparable_files(archive: Path) -> dict[str, str]:
    """Every archive file's text, no-break spaces read as spaces (the records lost them)."""
    return {path: comparable(text) for path, text in files(archive).items()}


def expected_file(item: Item) -> tuple[str, str]:
    """The relative path and text a recorded release must be written as."""
    golden = GOLDEN[item.public_url]
    date = golden.expected.split("\ndate: ", 1)[1][:10]
    path = archive_relpath("release", dt.date.fromisoformat(date), item.public_url)
    return str(path), comparable(golden.expected)


def recorded_releases(site: StandIn) -> list[Item]:
    """The stand-in's releases made from recorded pages (not test-made)."""
    return [i for i in site.items if i.kind == "release" and not i.test_made]


def test_full_sync_writes_exactly_the_golden_files(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    run = sync(site, archive, config_file, "--full")
    assert run.code == EXIT_OK, run.stdout
    assert comparable_files(archive) == dict(expected_file(i) for i in recorded_releases(site))


def test_plain_sync_writes_what_the_feed_and_listings_show(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    run = sync(site, archive, config_file)
    assert run.code == EXIT_OK, run.stdout
    newest = sorted(site.items, key=lambda i: i.node_id, reverse=True)[:30]
    shown = {i.public_url for i in newest} | {
        i.public_url for i in site.items if i.government == 6700
    }
    wanted = [i for i in recorded_releases(site) if i.public_url in shown]
    assert wanted
    assert comparable_files(archive) == dict(expected_file(i) for i in wanted)


def test_second_sync_with_nothing_new_makes_one_request_and_touches_nothing(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    assert sync(site, archive, config_file).code == EXIT_OK
    before = {p: p.stat().st_mtime_ns for p in archive.rglob("*.md")}
    site.clear_log()
    run = sync(site, archive, config_file)
    assert run.code == EXIT_OK
    assert [r.target for r in site.requests] == ["/rss.xml"]
    assert paths(run.report["added"]) == [] and paths(run.report["updated"]) == []
    assert {p: p.stat().st_mtime_ns for p in archive.rglob("*.md")} == before


def test_a_newly_published_release_adds_one_file_with_one_request(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    assert sync(site, archive, config_file).code == EXIT_OK
    before = files(archive)
    item = site.publish("brand-new-release", copy_of="/release/district-court-judge-appointed-28")
    site.clear_log()
    run = sync(site, archive, config_file)
    assert run.code == EXIT_OK
    added = set(files(archive)) - set(before)
    assert len(added) == 1 and paths(run.report["added"]) == list(added)
    assert site.count(item.path) == 1
    assert all(files(archive)[p] == text for p, text in before.items())


def test_retried_faults_still_land(site: StandIn, archive: Path, config_file: Path) -> None:
    site.fail("/release/te-huia-service-extension-welcomed", "429", times=1, retry_after=0)
    site.fail("/release/government-app-launched-today", "503", times=2)
    site.fail("/release/district-court-judge-appointed-28", "reset", times=1)
    run = sync(site, archive, config_file)
    assert run.code == EXIT_OK, run.stdout
    names = "\n".join(files(archive))
    for slug in ("te-huia-service", "government-app-launched", "district-court-judge"):
        assert slug in names


def test_a_page_that_keeps_failing_is_reported_and_the_rest_land(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    site.fail("/release/te-huia-service-extension-welcomed", "503", times=None)
    site.fail("/release/government-app-launched-today", "404", times=None)
    run = sync(site, archive, config_file)
    assert run.code == EXIT_FAILED
    failed = {f["url"] for f in run.report["failed"]}
    assert failed == {
        "https://www.beehive.govt.nz/release/te-huia-service-extension-welcomed",
        "https://www.beehive.govt.nz/release/government-app-launched-today",
    }
    assert len(files(archive)) > 10


def test_a_truncated_body_is_never_written(site: StandIn, archive: Path, config_file: Path) -> None:
    site.fail("/release/te-huia-service-extension-welcomed", "truncate", times=None)
    run = sync(site, archive, config_file)
    assert run.code == EXIT_FAILED
    assert not any("te-huia" in p for p in files(archive))
    assert not list(archive.rglob("*.tmp*"))


def test_the_challenge_page_is_never_written_and_has_its_own_exit_code(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    site.fail("/release/te-huia-service-extension-welcomed", "challenge", times=None)
    run = sync(site, archive, config_file)
    assert run.code == EXIT_BLOCKED
    assert run.report["blocked"] == [
        "https://www.beehive.govt.nz/release/te-huia-service-extension-welcomed"
    ]
    assert not any("te-huia" in p for p in files(archive))
    assert all("Incapsula" not in text for text in files(archive).values())


def test_blocks_in_a_row_stop_the_run_early_with_a_message(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    site.fail("/release/*", "challenge", times=None)
    run = sync(site, archive, config_file)
    assert run.code == EXIT_BLOCKED
    assert len(run.report["blocked"]) == 3
    assert "--cookies" in str(run.report["stopped"])
    assert files(archive) == {}
    assert site.count("/release/") == 3


def test_a_blocked_feed_stops_with_the_block_exit_code(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    site.fail("*", "challenge", times=None, variant="pardon")
    result = CliRunner().invoke(main, sync_argv(site, archive, config_file))
    assert result.exit_code == EXIT_BLOCKED
    assert "bot-protection" in result.stderr


def test_a_redirect_to_another_host_is_refused(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    site.fail(
        "/release/te-huia-service-extension-welcomed",
        "redirect",
        times=None,
        location="https://evil.example/release/te-huia-service-extension-welcomed",
    )
    run = sync(site, archive, config_file)
    assert run.code == EXIT_FAILED
    [failure] = run.report["failed"]
    assert "evil.example" in failure["reason"]
    assert not any("te-huia" in p for p in files(archive))


def test_a_changed_recent_release_is_rewritten_on_recheck(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    item = site.publish("fresh-news", copy_of="/release/district-court-judge-appointed-28")
    assert sync(site, archive, config_file).code == EXIT_OK
    [path] = [p for p in files(archive) if "fresh-news" in p]
    assert paths(sync(site, archive, config_file).report["updated"]) == []
    site.change(item.path, "A corrected title")
    run = sync(site, archive, config_file)
    assert paths(run.report["updated"]) == [path]
    assert 'title: "A corrected title"' in files(archive)[path]


def test_dry_run_lists_and_writes_nothing(site: StandIn, archive: Path, config_file: Path) -> None:
    run = sync(site, archive, config_file, "--dry-run", "--limit", "3")
    assert run.code == EXIT_OK
    assert len(run.report["planned"]) == 3
    assert files(archive) == {}


def test_since_skips_older_releases(site: StandIn, archive: Path, config_file: Path) -> None:
    run = sync(site, archive, config_file, "--since", "2026-01-01")
    assert run.code == EXIT_OK
    assert files(archive)
    assert all(p.split("/")[1] >= "2026" for p in files(archive))


def test_speeches_and_features_go_to_their_own_folders(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    run = sync(site, archive, config_file, "--types", "speech,feature", "--full")
    assert run.code == EXIT_OK, run.stdout
    folders = {p.split("/")[0] for p in files(archive)}
    assert folders == {"speeches", "features"}


def test_an_old_archive_is_adopted_and_not_rewritten(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    # The old exporter's files, with their UTC dates and folded URLs, at their old paths.
    fixtures = Path(__file__).parent / "fixtures" / "pages"
    for twin in fixtures.glob("*.md"):
        year, month = twin.name[:4], twin.name[5:7]
        target = archive / "releases" / year / month / twin.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(twin.read_bytes())
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in archive.rglob("*.md")}
    run = sync(site, archive, config_file, "--full")
    assert run.code == EXIT_OK, run.stdout
    assert [p.split("/")[-1] for p in paths(run.report["added"])] == [
        "2026-09-04-district-court-judge-appointed-28.md"
    ]
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in before} == before
    # Known releases are recognised from the search rows alone, /node/ links included.
    pages = [r.target for r in site.requests if r.target.startswith(("/release/", "/node/"))]
    assert pages == ["/release/district-court-judge-appointed-28"]


def test_a_second_sync_waits_or_says_the_archive_is_in_use(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    archive.mkdir()
    with Archive(archive) as held, held.locked():
        run = sync(site, archive, config_file)
    assert run.code == EXIT_LOCKED
    assert "in use" in run.stderr


def test_bad_settings_are_a_usage_error(site: StandIn, archive: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[fetch]\nintervall = 0\n", encoding="utf-8")
    run = sync(site, archive, bad)
    assert run.code == 2
    assert "fetch.intervall" in run.stderr


def test_a_slow_page_times_out_is_retried_and_lands(
    site: StandIn, archive: Path, tmp_path: Path
) -> None:
    quick = tmp_path / "quick.toml"
    quick.write_text(NO_WAIT.replace("timeout = 5.0", "timeout = 0.3"), encoding="utf-8")
    site.fail("/release/te-huia-service-extension-welcomed", "slow", times=1, delay=30)
    run = sync(site, archive, quick)
    assert run.code == EXIT_OK, run.stdout
    assert site.count("/release/te-huia-service-extension-welcomed") == 2
    assert any("te-huia" in p for p in files(archive))


def test_a_gone_page_is_reported(site: StandIn, archive: Path, config_file: Path) -> None:
    site.fail("/release/te-huia-service-extension-welcomed", "410", times=None)
    run = sync(site, archive, config_file)
    assert run.code == EXIT_FAILED
    [failure] = run.report["failed"]
    assert "410" in failure["reason"]
    assert site.count("/release/te-huia-service-extension-welcomed") == 1


def test_concurrent_fetching_overlaps_requests_and_writes_the_same_files(
    site: StandIn, tmp_path: Path, config_file: Path
) -> None:
    one, four = tmp_path / "one", tmp_path / "four"
    assert sync(site, one, config_file).code == EXIT_OK
    # The first page is held until another page is asked for. Fetching one at a time, the
    # client would give up on it (timeout) and ask again; fetching four at a time, the
    # other requests release it while the first is still waiting.
    overlapped = threading.Event()
    held = "/release/district-court-judge-appointed-28"
    site.fail(held, "hold", times=1, until=overlapped, limit=30)
    site.on_request = lambda t: (
        overlapped.set() if t.startswith("/release/") and t != held else None
    )
    site.clear_log()
    assert sync(site, four, config_file, "--concurrency", "4").code == EXIT_OK
    assert site.count(held) == 1
    assert files(one) == files(four)


def test_without_a_terminal_progress_is_plain_log_lines(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    result = CliRunner().invoke(main, sync_argv(site, archive, config_file))
    assert result.exit_code == EXIT_OK
    lines = result.stderr.splitlines()
    found = [line.split(": ", 1) for line in lines if line.startswith(("feed, ", "listing, "))]
    assert found[:2] == [["feed, 27 new", "/rss.xml"], ["listing, 0 new", "/releases?page=0"]]
    assert sum(int(what.split(", ")[1].split()[0]) for what, _ in found) == len(files(archive))
    assert "added: https://www.beehive.govt.nz/release/te-huia-service-extension-welcomed" in lines
    summary = f"added {len(files(archive))}, updated 0, unchanged 0, failed 0, blocked 0"
    assert lines[-1].startswith(summary)


def test_a_limited_run_does_not_let_the_next_skip_the_feed(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    assert len(sync(site, archive, config_file, "--limit", "2").report["added"]) == 2
    run = sync(site, archive, config_file)
    assert run.code == EXIT_OK
    assert len(files(archive)) > 2
    assert paths(run.report["added"])


def test_asking_for_another_type_reads_its_listing_despite_an_unchanged_feed(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    assert sync(site, archive, config_file).code == EXIT_OK
    site.clear_log()
    run = sync(site, archive, config_file, "--types", "release,speech")
    assert "/speeches?page=0" in [r.target for r in site.requests]
    assert any(p.startswith("speeches/") for p in paths(run.report["added"]))
    site.clear_log()
    assert sync(site, archive, config_file, "--types", "speech").report["added"] == []
    assert [r.target for r in site.requests] == ["/rss.xml"]


def _publish_many(site: StandIn, count: int) -> list[Item]:
    """Publish `count` new releases today, a minute apart, newest last.

    Today, like the newest file of the archive: a gap must be found within one day too.
    """
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    return [
        site.publish(
            f"batch-{n}",
            copy_of="/release/district-court-judge-appointed-28",
            title=f"Batch release {n}",
            when=start + dt.timedelta(minutes=n),
        )
        for n in range(count)
    ]


def _synced_today(site: StandIn, archive: Path, config_file: Path) -> None:
    """An archive in sync, whose newest file is from today."""
    site.publish(
        "first-today",
        copy_of="/release/district-court-judge-appointed-28",
        when=dt.datetime.now(dt.UTC) - dt.timedelta(hours=3),
    )
    assert sync(site, archive, config_file).code == EXIT_OK


@pytest.mark.parametrize("limit", ["20", "35"])
def test_a_run_cut_short_leaves_no_gap_for_the_next(
    site: StandIn, archive: Path, config_file: Path, limit: str
) -> None:
    _synced_today(site, archive, config_file)
    _publish_many(site, 45)  # more than the feed's 30
    assert len(sync(site, archive, config_file, "--limit", limit).report["added"]) == int(limit)
    run = sync(site, archive, config_file)
    assert run.code == EXIT_OK
    assert len(paths(run.report["added"])) == 45 - int(limit)
    assert sum("batch-" in p for p in files(archive)) == 45


def test_a_failed_listing_page_leaves_no_gap_for_the_next_run(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    _synced_today(site, archive, config_file)
    _publish_many(site, 45)
    site.fail("/releases?page=3", "503", times=3)
    assert sync(site, archive, config_file).code == EXIT_FAILED
    assert sync(site, archive, config_file).code == EXIT_OK
    assert sum("batch-" in p for p in files(archive)) == 45


@pytest.mark.parametrize("kind", ["503", "challenge"])
def test_a_page_deep_in_the_listings_that_failed_is_tried_again(
    site: StandIn, archive: Path, config_file: Path, kind: str
) -> None:
    _synced_today(site, archive, config_file)
    _publish_many(site, 45)
    site.fail("/release/batch-3", kind, times=None)  # page 4 of the listing, not in the feed
    assert sync(site, archive, config_file).code != EXIT_OK
    site.clear_faults()
    run = sync(site, archive, config_file)
    assert run.code == EXIT_OK
    assert [p for p in paths(run.report["added"]) if "batch-3." in p or "batch-3-" in p]


def test_a_site_showing_nothing_is_a_failure_not_zero_releases(
    archive: Path, config_file: Path, tmp_path: Path
) -> None:
    empty = StandIn(pages_dir=tmp_path, with_derived=False)
    with empty.running():
        run = sync(empty, archive, config_file)
        assert run.code == EXIT_FAILED
        assert "found no items at all" in json.dumps(run.report["failed"])
        full = sync(empty, archive, config_file, "--full")
    assert full.code == EXIT_FAILED
    assert "search pages for releases" in json.dumps(full.report["failed"])


def test_a_redated_release_moves_to_its_new_path(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    now = dt.datetime.now(dt.UTC)
    item = site.publish("moving", copy_of="/release/district-court-judge-appointed-28", when=now)
    assert sync(site, archive, config_file).code == EXIT_OK
    [old] = [p for p in files(archive) if "moving" in p]
    site.change(item.path, when=now - dt.timedelta(days=2))
    run = sync(site, archive, config_file)
    assert run.code == EXIT_OK
    [new] = [p for p in files(archive) if "moving" in p]
    assert new != old and paths(run.report["updated"]) == [new]
    assert new.split("/")[-1][:10] == (now - dt.timedelta(days=2)).astimezone(NZ).strftime(
        "%Y-%m-%d"
    )


def test_a_hand_edited_file_is_kept_when_its_page_changes(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    item = site.publish("edited", copy_of="/release/district-court-judge-appointed-28")
    assert sync(site, archive, config_file).code == EXIT_OK
    [path] = [p for p in files(archive) if "edited" in p]
    edited = files(archive)[path] + "\n\nA note of ours."
    (archive / path).write_text(edited, encoding="utf-8")
    site.change(item.path, "A new title")
    run = sync(site, archive, config_file)
    assert run.code == EXIT_OK
    assert [k["path"] for k in run.report["kept"]] == [path]
    assert files(archive)[path] == edited


def test_an_ambiguous_release_is_reported_on_every_run(
    site: StandIn, archive: Path, config_file: Path
) -> None:
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
        run = sync(site, archive, config_file)
        assert run.code == EXIT_FAILED
        [ambiguous] = run.report["ambiguous"]
        assert ambiguous["url"].endswith("/release/te-huia-service-extension-welcomed")


def test_a_file_that_cannot_be_read_is_reported_and_not_duplicated(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    broken = (
        archive / "releases" / "2026" / "02" / "2026-02-19-te-huia-service-extension-welcomed.md"
    )
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"\xff not an archive file")
    run = sync(site, archive, config_file)
    assert run.code == EXIT_FAILED
    reasons = json.dumps(run.report["failed"])
    assert "archive file cannot be read" in reasons and "fix or remove that file" in reasons
    assert not any("te-huia" in p and "--" in p for p in files(archive))
    assert broken.read_bytes() == b"\xff not an archive file"


def test_ctrl_c_stops_at_once_and_the_next_sync_carries_on(
    site: StandIn, archive: Path, config_file: Path, tmp_path: Path
) -> None:
    # A long client timeout: any second request for the slow page can then only be a
    # retry sent after the interrupt, never one after a timeout.
    patient = tmp_path / "patient.toml"
    patient.write_text(NO_WAIT.replace("timeout = 5.0", "timeout = 600.0"), encoding="utf-8")
    arrived = threading.Event()
    slow = "/release/te-huia-service-extension-welcomed"
    site.fail(slow, "slow", times=1, delay=600)
    site.on_request = lambda target: arrived.set() if target == slow else None
    argv = [sys.executable, "-m", "scraper", *sync_argv(site, archive, patient)]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert arrived.wait(timeout=120)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 130
    assert "run sync again to carry on" in err
    assert site.count(slow) == 1  # no retry went out after the interrupt
    run = sync(site, archive, config_file)
    assert run.code == EXIT_OK, run.stdout
    assert any("te-huia" in p for p in files(archive))


def test_wait_lets_a_second_sync_run_once_the_first_is_done(
    site: StandIn, archive: Path, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive.mkdir()
    holder = Archive(archive)
    lock = holder.locked()
    lock.__enter__()
    waits: list[float] = []

    def first_sync_finishes(seconds: float) -> None:
        """A fake clock: while the second sync waits, the first one ends."""
        waits.append(seconds)
        lock.__exit__(None, None, None)

    monkeypatch.setattr("scraper.archive.store.time.sleep", first_sync_finishes)
    run = sync(site, archive, config_file, "--wait", "30")
    holder.close()
    assert run.code == EXIT_OK
    assert waits == [1.0]
    assert files(archive)


def test_a_failed_page_does_not_keep_later_runs_walking_deep(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    site.fail("/release/te-huia-service-extension-welcomed", "404", times=None)
    assert sync(site, archive, config_file).code == EXIT_FAILED
    with Archive(archive) as state:
        # The walk itself was whole: the failed item stays unknown, so the next walk meets
        # it again, and no floor is needed to find it.
        assert state.get_meta("listing_floor:release") is None
    site.clear_faults()
    assert sync(site, archive, config_file).code == EXIT_OK
    assert any("te-huia" in p for p in files(archive))


def test_a_walk_cut_short_keeps_its_floor(site: StandIn, archive: Path, config_file: Path) -> None:
    site.fail("/releases?page=1", "503", times=None)
    assert sync(site, archive, config_file).code == EXIT_FAILED
    with Archive(archive) as state:
        assert state.get_meta("listing_floor:release") is not None


def test_a_file_with_a_hashed_name_is_updated_in_place(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    now = dt.datetime.now(dt.UTC)
    source = "/release/district-court-judge-appointed-28"
    site.publish("tamaki-hui", copy_of=source, title="Tamaki hui", when=now)
    site.publish("tāmaki-hui", copy_of=source, title="Tāmaki hui", when=now)
    assert sync(site, archive, config_file).code == EXIT_OK
    [tagged] = [p for p in files(archive) if "tamaki-hui--" in p]
    url = files(archive)[tagged].split("\nurl: ", 1)[1].split("\n", 1)[0]
    site.change(url.removeprefix("https://www.beehive.govt.nz"), "Tamaki hui, corrected")
    run = sync(site, archive, config_file)
    assert paths(run.report["updated"]) == [tagged]
    assert 'title: "Tamaki hui, corrected"' in files(archive)[tagged]
    assert sum("tamaki-hui" in p for p in files(archive)) == 2


def test_a_release_that_moved_to_a_new_address_keeps_one_file(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    now = dt.datetime.now(dt.UTC)
    source = "/release/district-court-judge-appointed-28"
    site.publish("old-title", copy_of=source, title="Old title", when=now)
    assert sync(site, archive, config_file).code == EXIT_OK
    # Retitled: a new address, to which the old one now redirects.
    site.publish("new-title", copy_of=source, title="New title", when=now)
    site.fail("/release/old-title", "redirect", times=None, location="/release/new-title")
    run = sync(site, archive, config_file)
    assert run.code == EXIT_OK
    ours = [p for p in files(archive) if "-title" in p]
    assert len(ours) == 1 and "new-title" in ours[0]


def test_an_unreadable_old_file_of_the_day_before_is_not_duplicated(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    # The old exporter's file carries the UTC date, the day before the NZ date 2026-02-20.
    old = archive / "releases/2026/02/2026-02-19-te-huia-service-extension-welcomed.md"
    old.parent.mkdir(parents=True)
    old.write_text("---\ntitle: [broken\n---\n", encoding="utf-8")
    run = sync(site, archive, config_file)
    assert run.code == EXIT_FAILED
    assert "may hold it" in json.dumps(run.report["failed"])
    assert [p for p in files(archive) if "te-huia" in p] == [
        "releases/2026/02/2026-02-19-te-huia-service-extension-welcomed.md"
    ]


def test_node_links_to_twins_of_one_title_and_date_are_both_synced(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    when = dt.datetime(2005, 5, 10, 1, tzinfo=dt.UTC)  # a government whose search links /node/
    source = "/release/district-court-judge-appointed-28"
    site.publish("budget-update", copy_of=source, title="Budget update", when=when)
    site.publish("budget-update-0", copy_of=source, title="Budget update", when=when)
    assert sync(site, archive, config_file, "--full").code == EXIT_OK
    [one, _] = sorted(p for p in files(archive) if "budget-update" in p)
    (archive / one).unlink()
    run = sync(site, archive, config_file, "--full")
    assert run.code == EXIT_OK
    assert paths(run.report["added"]) == [one]


def test_a_move_cut_short_is_finished_by_the_next_run(
    site: StandIn, archive: Path, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = dt.datetime.now(dt.UTC)
    item = site.publish("moving", copy_of="/release/district-court-judge-appointed-28", when=now)
    assert sync(site, archive, config_file).code == EXIT_OK
    site.change(item.path, when=now - dt.timedelta(days=2))

    def killed(self: Archive, relpath: str) -> None:
        raise RuntimeError("killed")  # the run dies after writing the new file, not removing

    monkeypatch.setattr(Archive, "remove", killed)
    with pytest.raises(RuntimeError, match="killed"):
        sync(site, archive, config_file)
    assert sum("moving" in p for p in files(archive)) == 2
    monkeypatch.undo()
    assert sync(site, archive, config_file).code == EXIT_OK
    assert sum("moving" in p for p in files(archive)) == 1
