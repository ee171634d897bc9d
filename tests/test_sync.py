"""`scraper sync` end to end: the real CLI against the stand-in site."""

from __future__ import annotations

import datetime as dt
import json
import signal
import sqlite3
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from click.testing import CliRunner

from scraper.archive.store import Archive, hold_lock
from scraper.cli import EXIT_BLOCKED, EXIT_FAILED, EXIT_LOCKED, EXIT_OK, EXIT_UNREACHABLE, main
from tests.standin import StandIn
from tests.support import (
    NO_WAIT,
    PATIENT,
    PUBLIC,
    Killed,
    comparable_files,
    expected_file,
    files,
    invoke,
    paths,
    recorded_releases,
    stopped_midway,
    sync,
    sync_argv,
)

NZ = ZoneInfo("Pacific/Auckland")


def test_full_sync_writes_exactly_the_golden_files(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    run = sync(site, archive, config_file, "--full")
    assert run.code == EXIT_OK, run.stdout
    assert comparable_files(archive) == dict(expected_file(i) for i in recorded_releases(site))


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


def test_retried_faults_still_land(site: StandIn, archive: Path, config_file: Path) -> None:
    site.fail("/release/te-huia-service-extension-welcomed", "429", times=1, retry_after=0)
    site.fail("/release/government-app-launched-today", "503", times=2)
    site.fail("/release/district-court-judge-appointed-28", "reset", times=1)
    run = sync(site, archive, config_file)
    assert run.code == EXIT_OK, run.stdout
    names = "\n".join(files(archive))
    for slug in ("te-huia-service", "government-app-launched", "district-court-judge"):
        assert slug in names


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


def test_a_blocked_feed_stops_with_the_block_exit_code(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    site.fail("*", "challenge", times=None, variant="pardon")
    result = CliRunner().invoke(main, sync_argv(site, archive, config_file))
    assert result.exit_code == EXIT_BLOCKED
    assert "bot-protection" in result.stderr


def snapshot_of(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every path under a folder (files and folders), with its bytes and mtime."""
    return {
        str(p): (p.read_bytes() if p.is_file() else b"", p.stat().st_mtime_ns)
        for p in [root, *root.rglob("*")]
        if p.exists()
    }


def test_a_dry_run_of_a_new_archive_creates_nothing_and_prints_urls(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    run = invoke(*sync_argv(site, archive, config_file), "--dry-run", "--limit", "3")
    assert run.code == EXIT_OK, run.stderr
    urls = run.stdout.splitlines()
    assert len(urls) == 3 and all(u.startswith(PUBLIC + "/release/") for u in urls)
    assert "would fetch 3 new pages" in run.stderr
    assert not archive.exists()
    plan = sync(site, archive, config_file, "--dry-run")
    assert plan.report["fetch"][:3] == urls and len(plan.report["pending_after"]) == 0
    assert not archive.exists()


def test_a_dry_run_changes_nothing_in_an_archive_not_even_a_move_left_unfinished(
    site: StandIn, archive: Path, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = dt.datetime.now(dt.UTC)
    item = site.publish("moving", copy_of="/release/district-court-judge-appointed-28", when=now)
    site.fail("/release/te-huia-service-extension-welcomed", "503", times=None)
    assert sync(site, archive, config_file).code == EXIT_FAILED  # leaves one pending
    site.change(item.path, when=now - dt.timedelta(days=2))

    def killed(self: Archive, relpath: str) -> None:
        raise Killed  # after the moved file is written, before the old one is removed

    monkeypatch.setattr(Archive, "remove", killed)
    with pytest.raises(Killed):
        sync(site, archive, config_file)
    monkeypatch.undo()
    assert sum("moving" in p for p in files(archive)) == 2
    before = snapshot_of(archive)
    site.clear_faults()
    run = sync(site, archive, config_file, "--dry-run")
    assert run.code == EXIT_OK
    assert PUBLIC + "/release/te-huia-service-extension-welcomed" in run.report["fetch"]
    assert len(run.report["finish_moves"]) == 1
    assert snapshot_of(archive) == before


def test_a_second_sync_waits_or_says_the_archive_is_in_use(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    archive.mkdir()
    with hold_lock(archive):
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


@pytest.mark.parametrize(
    ("signum", "code", "said"),
    [(signal.SIGINT, 130, "interrupted: "), (signal.SIGTERM, 143, "terminated: ")],
)
def test_ctrl_c_or_sigterm_stops_at_once_and_the_next_sync_carries_on(
    site: StandIn,
    archive: Path,
    config_file: Path,
    tmp_path: Path,
    signum: signal.Signals,
    code: int,
    said: str,
) -> None:
    patient = tmp_path / "patient.toml"
    patient.write_text(PATIENT, encoding="utf-8")
    slow = "/release/te-huia-service-extension-welcomed"
    done = stopped_midway(site, sync_argv(site, archive, patient), slow, signum)
    assert done.returncode == code
    assert done.stderr.endswith(
        f"{said}every file written so far is complete; run sync again to carry on\n"
    )
    assert site.count(slow) == 1  # no retry went out after the interrupt
    with Archive.read_only(archive) as state:
        [cut] = state.runs("sync")
    assert cut.exit_code == code and cut.note is not None and "cut short by" in cut.note
    run = sync(site, archive, config_file)
    assert run.code == EXIT_OK, run.stdout
    assert any("te-huia" in p for p in files(archive))


def test_wait_lets_a_second_sync_run_once_the_first_is_done(
    site: StandIn, archive: Path, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive.mkdir()
    lock = hold_lock(archive)
    lock.__enter__()
    waits: list[float] = []

    def first_sync_finishes(seconds: float) -> None:
        """A fake clock: while the second sync waits, the first one ends."""
        waits.append(seconds)
        lock.__exit__(None, None, None)

    monkeypatch.setattr("scraper.archive.store.time.sleep", first_sync_finishes)
    run = sync(site, archive, config_file, "--wait", "30")
    assert run.code == EXIT_OK
    assert waits == [1.0]
    assert files(archive)


def test_a_sync_mid_write_holds_off_a_second_which_waits_or_says_in_use(
    site: StandIn, archive: Path, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert sync(site, archive, config_file).code == EXIT_OK
    # The first sync: the archive's lock, and a write transaction on its state.
    lock = hold_lock(archive)
    lock.__enter__()
    state = sqlite3.connect(archive / ".scraper" / "state.db", isolation_level=None)
    state.execute("BEGIN IMMEDIATE")

    def first_sync_finishes(seconds: float) -> None:
        """A fake clock: while the second sync waits, the first one ends."""
        state.execute("COMMIT")
        lock.__exit__(None, None, None)

    try:
        refused = sync(site, archive, config_file)
        assert refused.code == EXIT_LOCKED and "in use by process" in refused.report["error"]
        monkeypatch.setattr("scraper.archive.store.time.sleep", first_sync_finishes)
        waited = sync(site, archive, config_file, "--wait", "30")
    finally:
        state.close()
    assert waited.code == EXIT_OK, waited.stdout


# -- pages that answer 200 but are not releases (issue: soft 404s and maintenance pages) ----


@pytest.mark.parametrize(
    ("kind", "variant", "reason"),
    [
        ("not-found", None, "not a release page"),
        ("not-a-release", "maintenance", "no release title"),
        ("not-a-release", "error", "no release title"),
    ],
)
def test_a_200_page_that_is_not_a_release_is_failed_kept_pending_and_written_once_fixed(
    site: StandIn,
    archive: Path,
    config_file: Path,
    kind: str,
    variant: str | None,
    reason: str,
) -> None:
    slug = "/release/te-huia-service-extension-welcomed"
    options = {} if variant is None else {"variant": variant}
    site.fail(slug, kind, times=None, **options)
    run = sync(site, archive, config_file)
    assert run.code == EXIT_FAILED
    [failure] = run.report["failed"]
    assert failure["url"] == PUBLIC + slug and reason in failure["reason"]
    assert not any("te-huia" in p for p in files(archive))
    assert len(files(archive)) > 10
    with Archive(archive) as state:
        assert [row[0] for row in state.pending(("release",))] == [PUBLIC + slug]
    site.clear_faults()
    again = sync(site, archive, config_file)
    assert again.code == EXIT_OK
    assert [entry["url"] for entry in again.report["added"]] == [PUBLIC + slug]


# -- a mirror, and items the old exporter could not date -------------------------------------


def test_a_mirror_whose_links_name_its_own_host_syncs_like_the_site(
    site: StandIn, tmp_path: Path, config_file: Path
) -> None:
    assert sync(site, tmp_path / "public", config_file).code == EXIT_OK
    mirror = StandIn(links="own")
    with mirror.running():
        run = sync(mirror, tmp_path / "mirror", config_file)
        base = mirror.base_url
        feed = httpx.get(base + "/rss.xml").text
    assert f"<link>{base}/release/" in feed  # the links the sync had to follow
    assert run.code == EXIT_OK, run.stdout
    assert files(tmp_path / "mirror") == files(tmp_path / "public")


@pytest.mark.parametrize(
    "when",
    [dt.datetime(1, 1, 1, tzinfo=dt.UTC), dt.datetime(9999, 12, 31, 23, tzinfo=dt.UTC)],
)
def test_a_backfill_meeting_a_placeholder_date_writes_every_other_page(
    site: StandIn, archive: Path, config_file: Path, when: dt.datetime
) -> None:
    site.publish(
        "dated-by-a-placeholder", copy_of="/release/te-huia-service-extension-welcomed", when=when
    )
    for _ in range(2):  # and the next run does not crash on it either
        run = sync(site, archive, config_file, "--full")
        assert run.code == EXIT_FAILED, run.stdout
        # Once, though the feed has it by its address and the old search pages as /node/<id>.
        [failure] = run.report["failed"]
        assert failure["url"] == f"{PUBLIC}/release/dated-by-a-placeholder"
        assert failure["reason"] == (
            f"no publication date in {PUBLIC}/release/dated-by-a-placeholder: neither"
            " time[datetime] nor a listing date; it cannot be dated (`scraper parse` takes"
            " --date YYYY-MM-DD); report the page"
        )
    assert len(files(archive)) == len(recorded_releases(site))
    assert not any(p.startswith(("releases/0001/", "releases/9999/")) for p in files(archive))


def test_an_over_long_slug_is_written_under_a_shortened_name_once(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    slug = "a-very-long-title-" * 16
    site.publish(slug, copy_of="/release/district-court-judge-appointed-28")
    run = sync(site, archive, config_file)
    assert run.code == EXIT_OK, run.stdout
    [path] = [p for p in files(archive) if "a-very-long-title" in p]
    assert len(path.rsplit("/", 1)[1].encode()) <= 255 and path.endswith(".md")
    again = sync(site, archive, config_file)
    assert again.code == EXIT_OK and again.report["added"] == []
    assert [p for p in files(archive) if "a-very-long-title" in p] == [path]


# -- a site that is down, and robots.txt that cannot be read -----------------------------------


def test_a_site_that_refuses_connections_is_unreachable_at_once(
    archive: Path, config_file: Path
) -> None:
    site = StandIn()
    base_url = site.start()
    site.stop()  # its port now refuses connections
    argv = ["sync", "--init", "--archive", str(archive), "--config", str(config_file)]
    run = invoke(*argv, "--base-url", base_url, "--json")
    assert run.code == EXIT_UNREACHABLE
    assert "nothing can be fetched now: cannot reach" in run.report["stopped"]
    assert "connection refused" in run.report["stopped"]
    assert run.report["requests"] == 3  # robots.txt, connect_attempts times; nothing after it


def test_a_site_that_never_answers_costs_one_url(
    site: StandIn, archive: Path, tmp_path: Path
) -> None:
    quick = tmp_path / "quick.toml"
    quick.write_text(NO_WAIT.replace("timeout = 5.0", "timeout = 0.2"), encoding="utf-8")
    site.fail("*", "silent", times=None)
    run = sync(site, archive, quick)
    assert run.code == EXIT_UNREACHABLE
    assert [r.target for r in site.requests] == ["/robots.txt"] * 3
    assert "robots.txt" in run.report["stopped"] and "RFC 9309" in run.report["stopped"]


def test_robots_txt_answering_5xx_forbids_every_page_and_says_why(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    site.fail("/robots.txt", "503", times=None)
    run = sync(site, archive, config_file)
    assert run.code == EXIT_UNREACHABLE
    assert {r.target for r in site.requests} == {"/robots.txt"}
    assert "HTTP 503" in run.report["stopped"] and files(archive) == {}


def test_robots_txt_answering_4xx_allows_every_page_with_a_note(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    site.fail("/robots.txt", "404", times=None)
    run = sync(site, archive, config_file)
    assert run.code == EXIT_OK
    assert any("robots.txt" in note and "404" in note for note in run.report["notes"])


def test_an_interrupted_json_run_still_prints_one_json_object(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    argv = [*sync_argv(site, archive, config_file), "--json"]
    done = stopped_midway(site, argv, "/release/te-huia-service-extension-welcomed", signal.SIGINT)
    assert done.returncode == 130
    said = json.loads(done.stdout)
    assert said["ok"] is False and said["exit"] == 130
    assert said["error"].startswith("interrupted: every file written so far is complete")
