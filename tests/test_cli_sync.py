"""`scraper sync` and `scraper settings` through the real CLI: usage, settings and output."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from scraper.archive.store import Archive, hold_lock
from scraper.cli import EXIT_FAILED, EXIT_LOCKED, EXIT_OK, EXIT_USAGE
from scraper.config import Config, config_from_mapping, with_overrides
from scraper.net.settings import FetchSettings
from scraper.sync.engine import placeholder_agent
from tests.standin import StandIn
from tests.support import invoke, sync, sync_argv


def test_a_missing_archive_is_refused_without_init_and_nothing_is_created(
    site: StandIn, tmp_path: Path, config_file: Path
) -> None:
    typo = tmp_path / "archvie"
    argv = [a for a in sync_argv(site, typo, config_file) if a != "--init"]
    run = invoke(*argv)
    assert run.code == EXIT_USAGE
    assert "no archive at" in run.stderr and "--init" in run.stderr
    assert not typo.exists() and site.requests == []


def test_init_starts_a_new_archive_and_says_so(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    run = sync(site, archive, config_file)
    assert run.code == EXIT_OK
    assert run.report["notes"][0] == f"started a new archive at {archive.resolve()}"
    assert "started a new archive" not in json.dumps(sync(site, archive, config_file).report)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--types", ""], "--types"),
        (["--types", " , "], "--types"),
        (["--types", "blog"], "--types"),
        (["--interval", "-1"], "--interval"),
        (["--interval", "inf"], "--interval"),
        (["--interval", "nan"], "--interval"),
        (["--concurrency", "10000"], "--concurrency"),
        (["--concurrency", "0"], "--concurrency"),
        (["--base-url", "ftp://x"], "--base-url"),
    ],
)
def test_bad_values_exit_2_naming_the_option_before_any_request(
    site: StandIn, archive: Path, config_file: Path, args: list[str], named: str
) -> None:
    run = invoke(*sync_argv(site, archive, config_file), *args)
    assert run.code == EXIT_USAGE, run.stderr
    assert named in run.stderr
    assert site.requests == [] and not archive.exists()


def test_a_bad_selector_exits_2_before_any_request(
    site: StandIn, archive: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[selectors]\ntitle = "h1..article"\n', encoding="utf-8")
    run = invoke(*sync_argv(site, archive, bad))
    assert run.code == EXIT_USAGE
    assert "selectors.title" in run.stderr and site.requests == []


def test_json_output_on_an_error_is_json_too(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    archive.mkdir()
    (archive / "releases").mkdir()
    with hold_lock(archive):
        run = sync(site, archive, config_file)
    assert run.code == EXIT_LOCKED
    assert run.report["ok"] is False and run.report["exit"] == EXIT_LOCKED
    assert "in use" in run.report["error"]


def test_json_lists_each_written_file_by_url_and_path(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    run = sync(site, archive, config_file)
    added = run.report["added"]
    assert added and all(set(entry) == {"url", "path"} for entry in added)
    assert all((archive / entry["path"]).is_file() for entry in added)


def test_settings_prints_a_settings_file_with_the_options_applied(
    tmp_path: Path, config_file: Path
) -> None:
    run = invoke(
        "settings",
        "--config",
        str(config_file),
        "--archive",
        str(tmp_path / "a"),
        "--interval",
        "2.5",
        "--types",
        "release,speech",
    )
    assert run.code == EXIT_OK
    config = config_from_mapping(tomllib.loads(run.stdout))
    assert config.fetch.interval == 2.5 and config.sync.types == ("release", "speech")
    assert config.fetch.user_agent == "scraper-tests/1.0 (+tests)"  # from the file
    assert f"# archive folder: {(tmp_path / 'a').resolve()} (no archive yet" in run.stdout
    assert "state.db (not made yet)" in run.stdout


def test_sync_help_shows_the_defaults() -> None:
    text = " ".join(invoke("sync", "--help").stdout.split())  # as wrapped for any width
    assert "Seconds between requests. [default: 1.0, or the settings file's]" in text
    assert "Archive folder. [default: seeds, or the settings file's]" in text


def test_a_state_locked_by_another_program_is_a_clear_error_and_stays_as_it_was(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    assert sync(site, archive, config_file).code == EXIT_OK
    state = archive / ".scraper" / "state.db"
    before = state.read_bytes()
    other = sqlite3.connect(state, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        run = invoke(*sync_argv(site, archive, config_file), "--json")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert run.code == EXIT_LOCKED  # in use, as by another sync
    assert "locked by another program" in run.report["error"]
    assert state.read_bytes() == before
    assert not (archive / ".scraper" / "state.db.damaged").exists()
    with Archive.read_only(archive) as kept:
        assert len(kept.written_since(dt.date(1900, 1, 1))) == len(list(archive.rglob("*.md")))


def test_a_usage_error_with_json_is_json_too(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    for bad in (["--since", "2025-13-01"], ["--limit", "0"], ["--wait", "-1"]):
        run = invoke(*sync_argv(site, archive, config_file), "--json", *bad)
        assert run.code == EXIT_USAGE
        assert run.report["ok"] is False and run.report["exit"] == EXIT_USAGE
        assert bad[0] in run.report["error"]


def test_output_into_a_closed_pipe_or_a_full_disk_is_not_a_traceback(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    argv = [sys.executable, "-m", "scraper", *sync_argv(site, archive, config_file), "--dry-run"]
    piped = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert piped.stdout is not None
    piped.stdout.readline()
    piped.stdout.close()  # like `| head -1`
    _, err = piped.communicate(timeout=120)
    assert piped.returncode == EXIT_OK and b"Traceback" not in err
    assert b"would fetch" in err  # the summary is not lost
    with open("/dev/full", "w", encoding="utf-8") as full:
        done = subprocess.run(argv, stdout=full, stderr=subprocess.PIPE, text=True, check=False)
    assert done.returncode == EXIT_FAILED
    assert "cannot write the output: No space left on device" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_dry_run_while_a_sync_holds_the_archive_says_so(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    assert sync(site, archive, config_file, "--limit", "1").code == EXIT_OK
    with hold_lock(archive):
        run = sync(site, archive, config_file, "--dry-run")
    assert run.code == EXIT_OK
    assert any("is syncing this archive now" in note for note in run.report["notes"])


def test_the_placeholder_user_agent_is_noted_only_against_the_public_site() -> None:
    assert placeholder_agent(Config())
    assert not placeholder_agent(with_overrides(Config(), user_agent="me/1 (me@example.org)"))
    assert not placeholder_agent(with_overrides(Config(), base_url="http://127.0.0.1:8000"))


def test_a_site_root_with_or_without_its_slash_is_one_site() -> None:
    assert FetchSettings(base_url="http://mirror.test:8080/").base_url == "http://mirror.test:8080"
