"""Helpers shared by the test modules: running the CLI against the stand-in, reading files."""

from __future__ import annotations

import datetime as dt
import functools
import json
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from scraper.archive.paths import archive_relpath
from scraper.archive.store import Archive, open_archive
from scraper.cli import main
from scraper.net.fetch import Fetcher
from scraper.net.settings import FetchSettings
from scraper.sync import SyncOptions, run_sync
from scraper.sync.apply import Progress
from scraper.sync.report import SyncReport, Written
from tests.golden import Golden, comparable, goldens
from tests.standin import StandIn
from tests.standin.model import Item
from tests.standin.transport import MOCK_BASE_URL, mock_transport

#: The public site, which every url in the archive names.
PUBLIC = "https://www.beehive.govt.nz"


class Killed(BaseException):
    """A kill of the process, as far as the code under test can tell (nothing catches it)."""


#: Settings that make retries and spacing wait for nothing (the stand-in answers at once).
NO_WAIT = """
[fetch]
interval = 0.0
backoff_initial = 0.0
backoff_max = 0.0
max_attempts = 3
timeout = 5.0
user_agent = "scraper-tests/1.0 (+tests)"
"""


class Run:
    """The outcome of one CLI run."""

    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        """Keep the exit code and both streams."""
        self.code, self.stdout, self.stderr = code, stdout, stderr

    @property
    def report(self) -> dict[str, Any]:
        """The --json summary."""
        result: dict[str, Any] = json.loads(self.stdout)
        return result


def invoke(*argv: str) -> Run:
    """Run the CLI in this process and capture its outcome."""
    result = CliRunner().invoke(main, list(argv), catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


def sync_argv(site: StandIn, archive: Path, config: Path) -> list[str]:
    """The arguments of `scraper sync` against the stand-in."""
    return [
        "sync",
        "--init",
        "--archive",
        str(archive),
        "--base-url",
        site.base_url,
        "--config",
        str(config),
    ]


def sync(site: StandIn, archive: Path, config: Path, *args: str) -> Run:
    """Run `scraper sync --json` against the stand-in."""
    return invoke(*sync_argv(site, archive, config), "--json", *args)


def files(archive: Path) -> dict[str, str]:
    """Every archive file's text by relative path."""
    return {
        p.relative_to(archive).as_posix(): p.read_bytes().decode("utf-8", "replace")
        for p in archive.rglob("*.md")
    }


def paths(written: list[dict[str, str]]) -> list[str]:
    """The paths of the files a --json summary lists as added or updated."""
    return [entry["path"] for entry in written]


#: Fetch settings for the engine tier: the stand-in over a MockTransport, nothing waits.
MOCK_FETCH = FetchSettings(
    base_url=MOCK_BASE_URL,
    interval=0.0,
    backoff_initial=0.0,
    backoff_max=0.0,
    max_attempts=3,
    timeout=5.0,
    user_agent="scraper-tests/1.0 (+tests)",
)


def engine_sync(
    site: StandIn,
    root: Path,
    *,
    now: dt.datetime | None = None,
    fetch: FetchSettings = MOCK_FETCH,
    progress: Progress | None = None,
    locked: bool = False,
    **options: Any,
) -> SyncReport:
    """Run the sync engine in this process against the stand-in, with no socket and no wait;
    `locked`: under the archive's lock, as `scraper sync` runs it."""
    settings = SyncOptions(**options)
    with (
        open_archive(root) if locked else Archive(root) as archive,
        Fetcher(
            fetch,
            transport=mock_transport(site),
            validators=archive,
            robots_cache=archive,
            sleep=lambda _seconds: None,
        ) as source,
    ):
        when = now or dt.datetime.now(dt.UTC)
        return run_sync(archive, source, settings, now=when, progress=progress)


def written_paths(written: list[Written]) -> list[str]:
    """The paths of the files a report lists as added or updated."""
    return [entry.path for entry in written]


@functools.cache
def _goldens_by_url() -> dict[str, Golden]:
    """The golden pages by URL, read once."""
    return {g.url: g for g in goldens()}


def comparable_files(archive: Path) -> dict[str, str]:
    """Every archive file's text, no-break spaces read as spaces (the records lost them)."""
    return {path: comparable(text) for path, text in files(archive).items()}


def expected_file(item: Item) -> tuple[str, str]:
    """The relative path and text a recorded release must be written as."""
    golden = _goldens_by_url()[item.public_url]
    date = golden.expected.split("\ndate: ", 1)[1][:10]
    path = archive_relpath("release", dt.date.fromisoformat(date), item.public_url)
    return str(path), comparable(golden.expected)


def recorded_releases(site: StandIn) -> list[Item]:
    """The stand-in's releases made from recorded pages (not test-made)."""
    return [i for i in site.items if i.kind == "release" and not i.test_made]


def arrival(site: StandIn, pattern: str) -> threading.Event:
    """An event set when the stand-in is asked for a path matching `pattern` (a trailing
    `*` matches any rest)."""
    arrived = threading.Event()
    prefix = pattern.removesuffix("*")
    whole = prefix == pattern

    def seen(target: str) -> None:
        if target == pattern if whole else target.startswith(prefix):
            arrived.set()

    site.on_request = seen
    return arrived


def stopped_midway(
    site: StandIn, argv: list[str], pattern: str, signum: signal.Signals
) -> subprocess.CompletedProcess[str]:
    """Run `scraper ARGV` in a process; once it asks for a page matching `pattern`, which
    hangs, send it `signum`; what it did.

    Give the command a settings file with a long timeout (`PATIENT`): a second request for
    the page can then only be a retry sent after the signal, never one after a timeout.
    """
    site.fail(pattern, "slow", times=1, delay=600)
    arrived = arrival(site, pattern)
    command = [sys.executable, "-m", "scraper", *argv]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert arrived.wait(timeout=120)
        process.send_signal(signum)
        out, err = process.communicate(timeout=120)
    finally:
        process.kill()
    return subprocess.CompletedProcess(command, process.returncode, out, err)


#: Settings under which a hanging page is never given up on (see `stopped_midway`).
PATIENT = NO_WAIT.replace("timeout = 5.0", "timeout = 600.0")
