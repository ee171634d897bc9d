"""`scraper daemon` and `scraper status` end to end: the real command against the stand-in."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scraper.cli import EXIT_BLOCKED, EXIT_LOCKED, EXIT_OK
from tests.standin import StandIn
from tests.support import arrival, files, invoke, sync, sync_argv
from tests.test_feed_only import block_pages, every_file, marks, publish_three

PAGE = "/release/te-huia-service-extension-welcomed"


#: A daemon that syncs at once and verifies only hours later, so the tests see syncs alone.
QUICK = ("--set", "daemon.sync_jitter=0", "--verify-every", "3600")


def daemon_argv(site: StandIn, archive: Path, config: Path, *args: str) -> list[str]:
    """The command line of a daemon of `archive` against the stand-in."""
    flags = sync_argv(site, archive, config)[1:]  # --init, the archive, the site, the file
    return [sys.executable, "-m", "scraper", "daemon", *flags, *QUICK, *args]


def until(condition: Callable[[], bool], seconds: float = 60.0) -> bool:
    """Wait for a condition (an event in another process), looking often; whether it came."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def logged(path: Path, text: str) -> Callable[[], bool]:
    """Whether the log file holds a line with `text`."""
    return lambda: path.is_file() and text in path.read_text(encoding="utf-8")


@pytest.fixture
def started(
    site: StandIn, archive: Path, config_file: Path, tmp_path: Path
) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """A daemon syncing every second, and its log file; killed if a test leaves it running."""
    log = tmp_path / "daemon.log"
    argv = daemon_argv(site, archive, config_file, "--sync-every", "1", "--log-file", str(log))
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield process, log
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_the_daemon_syncs_picks_up_news_says_so_in_status_and_stops_on_sigterm(
    site: StandIn,
    archive: Path,
    config_file: Path,
    started: tuple[subprocess.Popen[bytes], Path],
) -> None:
    process, log = started
    assert until(logged(log, "sync finished")), log.read_text() if log.exists() else ""
    site.publish("news-while-it-runs", copy_of="/release/district-court-judge-appointed-28")
    assert until(lambda: any("news-while-it-runs" in p for p in files(archive)))
    status = json.loads(invoke("status", "--archive", str(archive), "--json").stdout)
    assert status["daemon"]["running"] and status["daemon"]["pid"] == process.pid
    assert "sync" in status["daemon"]["next_runs"]
    assert status["daemon"]["settings"]["daemon.sync_every"] == 1
    plain = invoke("status", "--archive", str(archive), "--set", "daemon.sync_every=60").stdout
    assert "the daemon's daemon.sync_every = 1.0 (here: 60.0)" in plain
    assert f"the daemon's fetch.base_url = '{site.base_url}'" in plain
    last = next(run for run in status["runs"] if run["job"] == "sync")
    assert last["exit"] == 0 and "requests" in last["counts"]
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    assert not list(archive.rglob("*.tmp")) and not (archive / ".scraper" / "daemon.json").exists()
    assert "daemon stopped" in log.read_text(encoding="utf-8")


def test_a_daemon_killed_midway_is_recovered_by_the_next_start(
    site: StandIn, archive: Path, config_file: Path, tmp_path: Path
) -> None:
    held = threading.Event()
    site.fail(PAGE, "hold", times=1, until=held, limit=60)
    arrived = arrival(site, PAGE)
    first = subprocess.Popen(daemon_argv(site, archive, config_file), stderr=subprocess.DEVNULL)
    try:
        assert arrived.wait(60)  # mid-run: some files written, one page in flight
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    finally:
        held.set()
        first.kill()
    again = subprocess.run(
        daemon_argv(site, archive, config_file, "--once"), capture_output=True, text=True
    )
    assert again.returncode == EXIT_OK, again.stderr
    assert not list(archive.rglob("*.tmp")) and any("te-huia" in p for p in files(archive))
    reference = tmp_path / "reference"
    assert sync(site, reference, config_file).code == EXIT_OK
    assert files(archive) == files(reference)


def test_a_one_off_sync_while_the_daemon_syncs_waits_or_says_in_use(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    held = threading.Event()
    site.fail(PAGE, "hold", times=1, until=held, limit=60)
    arrived = arrival(site, PAGE)
    daemon = subprocess.Popen(daemon_argv(site, archive, config_file), stderr=subprocess.DEVNULL)
    try:
        assert arrived.wait(60)
        run = sync(site, archive, config_file)
        assert run.code == EXIT_LOCKED
        assert f"in use by process {daemon.pid}" in run.report["error"]
    finally:
        held.set()
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=60) == 0


def test_git_commit_commits_exactly_each_changing_runs_files(
    site: StandIn, tmp_path: Path, config_file: Path
) -> None:
    repo = tmp_path / "repo"
    archive = repo / "archive"
    git = ["git", "-C", str(repo)]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "notes.txt").write_text("someone else's work in progress\n", encoding="utf-8")
    once = daemon_argv(site, archive, config_file, "--once", "--git-commit")
    assert subprocess.run(once, capture_output=True).returncode == EXIT_OK
    log = subprocess.run([*git, "log", "--format=%s"], capture_output=True, text=True).stdout
    assert log.splitlines() == [f"{len(files(archive))} added, 0 updated (scraper sync)"]
    committed = subprocess.run(
        [*git, "show", "--name-only", "--format=", "HEAD"], capture_output=True, text=True
    ).stdout.split()
    assert sorted(committed) == sorted(f"archive/{p}" for p in files(archive))
    assert subprocess.run(once, capture_output=True).returncode == EXIT_OK  # nothing new
    count = subprocess.run([*git, "rev-list", "--count", "HEAD"], capture_output=True, text=True)
    assert count.stdout.strip() == "1"
    status = subprocess.run([*git, "status", "--porcelain"], capture_output=True, text=True)
    assert "?? notes.txt" in status.stdout  # never committed anything else


def test_status_creates_nothing_and_says_where_settings_came_from(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    assert sync(site, archive, config_file).code == EXIT_OK
    before = {p: p.stat().st_mtime_ns for p in archive.rglob("*")}
    run = invoke(
        "status",
        "--archive",
        str(archive),
        "--config",
        str(config_file),
        "--interval",
        "2",
        "--json",
    )
    assert run.code == EXIT_OK
    status = json.loads(run.stdout)
    assert {p: p.stat().st_mtime_ns for p in archive.rglob("*")} == before
    sources = {row["key"]: row["source"] for row in status["settings"]}
    assert sources["fetch.interval"] == "command line"
    assert sources["fetch.user_agent"] == "file"
    assert sources["fetch.timeout"] == "file" and sources["fetch.max_body_bytes"] == "default"
    assert status["archive"]["files"]["release"] == len(files(archive))
    assert status["daemon"] == {"running": False}
    plain = invoke("status", "--archive", str(archive))
    assert "last runs" in plain.stdout and "daemon     not running" in plain.stdout
    assert "robots.txt of https://www.beehive.govt.nz not fetched yet" in plain.stdout
    mirror = invoke("status", "--archive", str(archive), "--base-url", site.base_url)
    assert f"robots.txt of {site.base_url} kept " in mirror.stdout


def test_sighup_reloads_the_settings_file_and_refuses_a_bad_one(
    site: StandIn, archive: Path, config_file: Path, tmp_path: Path
) -> None:
    settings = tmp_path / "daemon.toml"
    settings.write_text(config_file.read_text(encoding="utf-8"), encoding="utf-8")
    log = tmp_path / "daemon.log"
    argv = daemon_argv(site, archive, settings, "--log-file", str(log))
    daemon = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert until(logged(log, "sync finished")), log.read_text(encoding="utf-8")
        with settings.open("a", encoding="utf-8") as more:
            more.write("\n[daemon]\nverify_sample = 7\n")
        daemon.send_signal(signal.SIGHUP)
        assert until(logged(log, "reloaded")), log.read_text(encoding="utf-8")

        def says_seven() -> bool:
            status = json.loads(invoke("status", "--archive", str(archive), "--json").stdout)
            return bool(status["daemon"].get("settings", {}).get("daemon.verify_sample") == 7)

        assert until(says_seven)
        settings.write_text("[daemon]\nverify_sample = 'many'\n", encoding="utf-8")
        daemon.send_signal(signal.SIGHUP)
        assert until(logged(log, "reload refused")), log.read_text(encoding="utf-8")
        assert daemon.poll() is None and says_seven()  # still running, on the old settings
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=60) == 0


def test_sigterm_while_a_request_hangs_stops_the_daemon_and_records_the_cut_off_sync(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    held = threading.Event()
    site.fail(PAGE, "hold", times=None, until=held, limit=60)
    arrived = arrival(site, PAGE)
    daemon = subprocess.Popen(daemon_argv(site, archive, config_file), stderr=subprocess.DEVNULL)
    try:
        assert arrived.wait(60)  # the page hangs, and will until the test ends
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=30) == 0
    finally:
        held.set()
        daemon.kill()
    assert not list(archive.rglob("*.tmp"))
    status = json.loads(invoke("status", "--archive", str(archive), "--json").stdout)
    sync_run = next(run for run in status["runs"] if run["job"] == "sync")
    assert sync_run["exit"] == 130 and "stopped by" in sync_run["note"]
    assert status["daemon"] == {"running": False}


def test_a_browser_setting_that_cannot_work_stops_the_daemon_at_start(tmp_path: Path) -> None:
    """Exit 2 (a service is not restarted), before any job or archive, naming the setting."""
    from tests.support import invoke

    archive = tmp_path / "archive"
    run = invoke(
        "daemon",
        "--once",
        "--init",
        "--archive",
        str(archive),
        "--set",
        "fetch.browser=/nonexistent",
    )
    assert run.code == 2, run.stderr
    assert "'/nonexistent' is not an executable file" in run.stderr
    assert "sync failed" not in run.stderr and not archive.exists()


def test_feed_only_when_blocked_keeps_a_blocked_daemon_current_until_pages_come_back(
    site: StandIn, archive: Path, config_file: Path, tmp_path: Path
) -> None:
    """Pages blocked, feed open: with the setting, the daemon's sync writes the new releases
    from the feed (marked incomplete) and still backs off; without it, nothing is written;
    once the pages come back, its next sync completes them."""
    log = tmp_path / "daemon.log"
    assert sync(site, archive, config_file).code == EXIT_OK
    publish_three(site)
    block_pages(site)
    before = every_file(archive)
    plain = subprocess.run(daemon_argv(site, archive, config_file, "--once"), capture_output=True)
    assert plain.returncode == EXIT_BLOCKED and every_file(archive) == before
    fallback = daemon_argv(
        site, archive, config_file, "--once", "--feed-only-when-blocked", "--log-file", str(log)
    )
    run = subprocess.run(fallback, capture_output=True, text=True)
    assert run.returncode == EXIT_BLOCKED, run.stderr  # pages still blocked: it backs off
    written = sorted(p for _, p in marks(archive))
    assert len(written) == 3 and set(every_file(archive)) - set(before) == set(written)
    text = log.read_text(encoding="utf-8")
    assert "feed-only sync started" in text and "feed-only sync finished exit=0 added=3" in text
    site.clear_faults()
    assert subprocess.run(daemon_argv(site, archive, config_file, "--once")).returncode == 0
    assert not marks(archive) and set(every_file(archive)) - set(before) == set(written)


def test_feed_only_when_blocked_does_nothing_when_the_feed_is_blocked_too(
    site: StandIn, archive: Path, config_file: Path, tmp_path: Path
) -> None:
    """The feed blocked as well: no feed-only run is tried."""
    log = tmp_path / "daemon.log"
    assert sync(site, archive, config_file).code == EXIT_OK
    publish_three(site)
    block_pages(site)
    site.fail("/rss.xml", "challenge", times=None)
    fallback = daemon_argv(
        site, archive, config_file, "--once", "--feed-only-when-blocked", "--log-file", str(log)
    )
    assert subprocess.run(fallback, capture_output=True).returncode == EXIT_BLOCKED
    assert not marks(archive) and "feed-only" not in log.read_text(encoding="utf-8")
