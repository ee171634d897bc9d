"""A sync's plan: what the sources show that the archive lacks, and what else a run would do.

Making the plan reads the site (feed, listings) and a snapshot of the archive, and writes
nothing; `--dry-run` prints it. The apply step (`scraper.sync.apply`) carries it out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scraper.archive.moves import UnfinishedMove, unfinished_moves
from scraper.net.session import Session
from scraper.net.source import Fetched
from scraper.site.discover import Discovered
from scraper.site.urls import content_type_of
from scraper.sync.finder import Discovery, Finder, ListingProgress
from scraper.sync.options import SyncOptions
from scraper.sync.report import SyncReport, report_dict
from scraper.sync.snapshot import Snapshot
from scraper.wording import plural


@dataclass
class Plan:
    """What a sync would do."""

    discovery: Discovery = field(default_factory=Discovery)
    #: Pages to fetch now (new ones, at most --limit); the rest stay pending.
    fetch: list[Discovered] = field(default_factory=list)
    #: (url, relpath) of recent files this tool wrote (not feed-only ones), re-fetched
    #: conditionally.
    recheck: list[tuple[str, str]] = field(default_factory=list)
    moves: list[UnfinishedMove] = field(default_factory=list)
    #: (url, relpath) of files written from the feed alone, whose pages complete them: of
    #: the types asked for, not before --since, within what --limit leaves after `fetch`.
    complete: list[tuple[str, str]] = field(default_factory=list)
    #: `fetch` is written from the feed's text alone (--feed-only): no page is fetched.
    from_feed: bool = False


def make_plan(
    snapshot: Snapshot,
    session: Session,
    report: SyncReport,
    options: SyncOptions,
    today: dt.date,
    progress: ListingProgress | None = None,
    seen: Callable[[Fetched], None] | None = None,
) -> Plan:
    """Read the sources and the snapshot into a plan (nothing is written to the archive's
    files; `seen`, handed each feed and listing page, may keep them)."""
    plan = Plan(moves=unfinished_moves(snapshot), from_feed=options.feed_only)
    plan.discovery = Finder(snapshot, session, report, options, progress, seen).find()
    plan.fetch = plan.discovery.new[: options.limit]
    if options.feed_only:
        return plan  # no page is fetched: nothing is re-checked or completed
    incomplete = snapshot.incomplete()
    budget = None if options.limit is None else max(0, options.limit - len(plan.fetch))
    plan.complete = _completions(snapshot, incomplete, options)[:budget]
    # A page re-checked would rewrite a feed-only file: completion alone does, as narrowed.
    held = {relpath for _, relpath in incomplete}
    since = today - dt.timedelta(days=options.recheck_days)
    plan.recheck = [(u, p) for u, p in snapshot.written_since(since) if p not in held]
    return plan


def _completions(
    snapshot: Snapshot, incomplete: list[tuple[str, str]], options: SyncOptions
) -> list[tuple[str, str]]:
    """The feed-only files of the types asked for and not before --since, newest first (one
    whose file is gone has no date to tell: its page is fetched, first)."""
    chosen: list[tuple[dt.date, str, str]] = []
    for url, relpath in incomplete:
        if (content_type_of(url) or "release") not in options.types:
            continue
        entry = snapshot.at(relpath)
        date = dt.date.max if entry is None else entry.date
        if options.since and date < options.since:
            continue
        chosen.append((date, url, relpath))
    chosen.sort(key=lambda row: row[0], reverse=True)  # stable: by path within a day
    return [(url, relpath) for _, url, relpath in chosen]


def plan_dict(plan: Plan, report: SyncReport) -> dict[str, Any]:
    """The plan as plain data (the dry run's --json), with the report of making it."""
    return {
        **report_dict(report),
        "fetch": [item.url for item in plan.fetch],
        "pending_after": [item.url for item in plan.discovery.new[len(plan.fetch) :]],
        "recheck": [{"url": url, "path": path} for url, path in plan.recheck],
        "complete": [{"url": url, "path": path} for url, path in plan.complete],
        "finish_moves": [{"url": m.url, "remove": m.old} for m in plan.moves if m.remove_old],
        "feed_unchanged": plan.discovery.feed_unchanged,
        "from_feed": plan.from_feed,
    }


def plan_summary(plan: Plan, report: SyncReport) -> str:
    """One line saying what the plan holds (the dry run's stderr)."""
    later = len(plan.discovery.new) - len(plan.fetch)
    moves = sum(m.remove_old for m in plan.moves)
    if plan.from_feed:
        new = f"would write {plural(len(plan.fetch), 'new file')} from the feed"
    else:
        new = f"would fetch {plural(len(plan.fetch), 'new page')}"
    return (
        f"{new} ({later} more left pending),"
        f" recheck {plural(len(plan.recheck), 'recent file')},"
        f" complete {plural(len(plan.complete), 'feed-only file')},"
        f" finish {plural(moves, 'move')}; {plural(report.requests, 'request')} made"
    )
