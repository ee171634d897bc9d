"""One sync from end to end: open the archive, make the plan, apply it, record the run.

`run_sync` and `plan_sync` take an open archive and a page source, so that the daemon, a
browser fallback and tests on `httpx.MockTransport` plug in; `sync_archive` builds both
from the settings, as the command line does.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from scraper.archive.runs import recorded_if_stopped
from scraper.archive.state import RunRecord
from scraper.archive.store import START_ONE, Archive, lock_holder, open_archive, require_archive
from scraper.config import Config
from scraper.dates import local_date
from scraper.errors import StateError, StoreError
from scraper.keep.pages import keeping
from scraper.models import Failure
from scraper.net.browser import BrowserSource, browser_for
from scraper.net.fetch import Fetcher
from scraper.net.session import Session, StopCheck, Stopped
from scraper.net.settings import FetchSettings
from scraper.net.source import PageSource, timed
from scraper.site.urls import SITE_HOSTS
from scraper.sync.apply import Applier, Progress
from scraper.sync.finder import BACKFILL, FEED_PATH
from scraper.sync.options import SyncOptions
from scraper.sync.plan import Plan, make_plan
from scraper.sync.report import SyncReport

#: The note of a run that the feed's 304 ended early.
FEED_UNCHANGED = "the feed is unchanged since the last sync: nothing new was published"


@dataclass
class DryRun:
    """What a dry run found: the plan (None when the run stopped first) and its report."""

    plan: Plan | None
    report: SyncReport


def run_sync(
    archive: Archive,
    source: PageSource,
    options: SyncOptions,
    *,
    now: dt.datetime,
    progress: Progress | None = None,
    stop: StopCheck | None = None,
) -> SyncReport:
    """Sync an open, locked archive from `source`; failures are in the report, not raised.

    `stop` is asked at each page boundary whether to end the run there (see Session).
    """
    return _run(archive, source, options, now, progress, write=True, stop=stop).report


def plan_sync(
    archive: Archive,
    source: PageSource,
    options: SyncOptions,
    *,
    now: dt.datetime,
    progress: Progress | None = None,
) -> DryRun:
    """What a sync would do, from a (read-only) archive: nothing is written."""
    return _run(archive, source, options, now, progress, write=False)


def _run(
    archive: Archive,
    source: PageSource,
    options: SyncOptions,
    now: dt.datetime,
    progress: Progress | None,
    *,
    write: bool,
    stop: StopCheck | None = None,
) -> DryRun:
    """Make the plan and, when `write`, apply it; the report says how far it got."""
    report = SyncReport()
    plan = None
    with _timed(report, archive, source):
        session = _session(source, report, options, archive if write else None, stop)
        try:
            _note_archive_state(archive, report)
            _note_backfill(archive, report, options, write, now)
            today = _today(now, options)
            keep = keeping(archive, options.keep, report.notes) if write else None
            seen = keep.discovered if keep is not None else None
            plan = make_plan(archive, session, report, options, today, _listing(progress), seen)
            if plan.discovery.feed_unchanged:
                report.notes.append(FEED_UNCHANGED)
            if write:
                Applier(archive, session, report, options, now, progress, keep).apply(plan)
        except Stopped as stop:
            report.stopped, report.stop_kind = str(stop), stop.kind
        except StateError as exc:
            # Every file written so far is whole and in place; what is lost is the record.
            report.stopped, report.stop_kind = str(exc), "state"
        _suggest_feed_only(report, options)
        with contextlib.suppress(StoreError):
            report.pending = len(archive.pending(options.types))
    return DryRun(plan, report)


def _note_backfill(
    archive: Archive, report: SyncReport, options: SyncOptions, write: bool, now: dt.datetime
) -> None:
    """Note a backfill beginning (it ends when its walk is whole), or one left unfinished.

    A backfill cut short (Ctrl-C, a kill, a block) leaves most releases unfound, and an
    everyday sync reads only the newest listings: it must say so, not pass for complete.
    """
    begun = archive.get_meta(BACKFILL)
    if options.full:
        if write and begun is None:
            archive.put_meta(BACKFILL, now.isoformat(timespec="seconds"))
    elif begun is not None:
        report.notes.append(
            f"a backfill (sync --full) begun {begun[:10]} was cut short: run"
            " `scraper sync --full` to finish it"
        )


def feed_only_may_help(report: SyncReport, options: SyncOptions) -> bool:
    """Whether a run was blocked on pages while the feed got through (a feed-only run may
    then write what is new)."""
    if options.feed_only or not report.blocked or FEED_PATH in report.blocked:
        return False
    # robots.txt blocked: nothing at all got through, the feed included.
    return not any(url.endswith("/robots.txt") for url in report.blocked)


def _suggest_feed_only(report: SyncReport, options: SyncOptions) -> None:
    """After pages were blocked while the feed got through, say what keeps the archive current."""
    if not feed_only_may_help(report, options):
        return
    report.notes.append(
        "the site blocked its pages, not its feed: `scraper sync --feed-only` keeps the"
        " archive current meanwhile from the feed's text (files marked incomplete, without"
        " ministers, portfolios or attachments, which the next sync that reaches the pages"
        " completes)"
    )


def sync_archive(
    config: Config,
    options: SyncOptions,
    *,
    now: dt.datetime,
    progress: Progress | None = None,
    lock_wait: float = 0.0,
    init: bool = False,
    stop: StopCheck | None = None,
    on_source: Callable[[PageSource], None] | None = None,
) -> SyncReport:
    """Open the configured archive, take its lock, and run one sync against the site.

    `on_source` is handed the site's client once it is open (the daemon closes it to cut a
    request short when it must stop at once).
    """
    browser_for(config.fetch.browser)  # a setting that cannot work makes no archive folder
    new = require_archive(config.archive, init, START_ONE)
    with (
        open_archive(config.archive, wait=lock_wait) as archive,
        open_source(config, archive) as source,
    ):
        if on_source is not None:
            on_source(source)
        with recorded_if_stopped(archive, "sync", now):
            report = run_sync(archive, source, options, now=now, progress=progress, stop=stop)
        if new:
            report.notes.insert(0, f"started a new archive at {config.archive.resolve()}")
        if placeholder_agent(config):
            report.notes.append(
                "user_agent is still the placeholder: name yourself and a contact in the"
                " settings (fetch.user_agent) or with --user-agent, as the site may block"
                " anonymous clients first"
            )
        _record(archive, report, now)
    return report


def dry_run(
    config: Config,
    options: SyncOptions,
    *,
    now: dt.datetime,
    progress: Progress | None = None,
    init: bool = False,
) -> DryRun:
    """The plan of a sync of the configured archive; nothing on disk is created or changed."""
    browser_for(config.fetch.browser)
    require_archive(config.archive, init, START_ONE)
    with Archive.read_only(config.archive) as archive, open_source(config, archive) as source:
        result = plan_sync(archive, source, options, now=now, progress=progress)
    if (holder := lock_holder(config.archive)) is not None:
        result.report.notes.append(
            f"process {holder} is syncing this archive now: what it writes may change the plan"
        )
    return result


def open_source(
    config: Config, archive: Archive, budget: int | None = None
) -> Fetcher | BrowserSource:
    """The polite HTTP client for the configured site, keeping robots.txt in the archive;
    `budget`: at most this many page requests. With `fetch.browser` set, wrapped in the
    browser that clears the pages the bot check blocks (sync, verify and the daemon alike)."""
    executable = browser_for(config.fetch.browser)  # before the client: nothing left open
    fetcher = Fetcher(config.fetch, validators=archive, robots_cache=archive, budget=budget)
    return fetcher if executable is None else BrowserSource(fetcher, executable)


def _record(archive: Archive, report: SyncReport, now: dt.datetime) -> None:
    """Keep a record of the run for `status`; a state that cannot take it is only a note."""
    record = RunRecord(
        "sync", now, report.seconds, report.exit_code, report.counts(), report.stopped
    )
    if (note := archive.try_record_run(record)) is not None:
        report.notes.append(note)


def placeholder_agent(config: Config) -> bool:
    """Whether requests to the public site go with the shipped placeholder User-Agent."""
    host = urlsplit(config.fetch.base_url).hostname or ""
    return host in SITE_HOSTS and config.fetch.user_agent == FetchSettings().user_agent


def _session(
    source: PageSource,
    report: SyncReport,
    options: SyncOptions,
    archive: Archive | None,
    stop: StopCheck | None,
) -> Session:
    """The run's session; validators are kept only by a run that writes."""
    return Session(
        source,
        report,
        block_limit=options.block_limit,
        down_limit=options.down_limit,
        validators=archive,
        stop=stop,
    )


def _note_archive_state(archive: Archive, report: SyncReport) -> None:
    """Index the archive; report unreadable files and a state that had to be rebuilt."""
    stats = archive.refresh_index()
    for relpath, reason in stats.unreadable:
        report.failed.append(Failure(relpath, f"archive {reason}"))
    if archive.state_problem:
        report.notes.append(archive.state_problem)


def _today(now: dt.datetime, options: SyncOptions) -> dt.date:
    """Today in the archive's time zone."""
    return local_date(now, options.timezone)


def _listing(progress: Progress | None) -> Callable[[str, int], None] | None:
    """Listing pages read, passed to the progress display as (0, 0, path, "listing, N new")."""
    if progress is None:
        return None
    return lambda path, fresh: progress(0, 0, path, f"{_source_name(path)}, {fresh} new")


def _source_name(path: str) -> str:
    """What a discovery page is, for the progress display."""
    return "feed" if path == FEED_PATH else "listing"


@contextlib.contextmanager
def _timed(report: SyncReport, archive: Archive, source: PageSource) -> Iterator[None]:
    """Fill in the report's closing figures, and how many files the archive holds."""
    try:
        with timed(report, source):
            yield
    finally:
        with contextlib.suppress(StoreError):  # a state gone bad must not hide the summary
            report.archive_files = archive.count()
