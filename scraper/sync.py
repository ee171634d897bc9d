"""One sync: find what the archive lacks, fetch it, write it; re-check recent releases."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from scraper.config import Config
from scraper.discover import (
    SEARCH_GOVERNMENTS,
    Discovered,
    has_next_page,
    listing_path,
    parse_feed,
    parse_listing,
    search_path,
)
from scraper.document import dumps
from scraper.errors import BlockedError, FetchError, ParseError, ScraperError
from scraper.fetch import Fetched, Fetcher
from scraper.identify import identify, identify_listed
from scraper.models import Failure, Release, SyncReport
from scraper.parse import ParseOptions, parse_page
from scraper.report import BLOCKED_ADVICE
from scraper.store import Archive
from scraper.urls import archive_relpath, canonical_url, content_type_of

#: Called as each item finishes: (items done, items planned, url, outcome); while listings
#: are read, with 0 planned and the listing's path.
Progress = Callable[[int, int, str, str], None]


@dataclass(frozen=True)
class SyncOptions:
    """What one sync does."""

    types: tuple[str, ...] = ("release",)
    since: dt.date | None = None
    full: bool = False
    limit: int | None = None
    dry_run: bool = False
    recheck_days: int = 3
    block_limit: int = 3
    concurrency: int = 1
    max_listing_pages: int = 5000


#: State key: the content types the last complete read of the feed was synced for.
FEED_TYPES = "feed_types"


class DeferredValidators:
    """Validators that reach the archive only once what was fetched has been dealt with.

    Saved straight away, a page's ETag would make the next conditional request answer 304
    even when this run failed to write the page, and the change would be lost.
    """

    def __init__(self, archive: Archive) -> None:
        """Read through to the archive's validators; hold new ones back."""
        self._archive = archive
        self._pending: dict[str, tuple[str | None, str | None]] = {}
        self._lock = threading.Lock()

    def get_validators(self, url: str) -> tuple[str | None, str | None] | None:
        """The validators saved by earlier, successful work."""
        return self._archive.get_validators(url)

    def put_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        """Hold a fresh response's validators until `commit`."""
        with self._lock:
            self._pending[url] = (etag, last_modified)

    def commit(self, fetched: Fetched) -> None:
        """Save the validators of a response whose content is now in the archive."""
        with self._lock:
            held = self._pending.pop(fetched.requested, None)
        if held is not None:
            self._archive.put_validators(fetched.requested, *held)


class _Stop(Exception):
    """The run must end early (the site keeps blocking us)."""


class Sync:
    """One run of `scraper sync` over an open archive with a fetcher."""

    def __init__(
        self,
        archive: Archive,
        fetcher: Fetcher,
        options: SyncOptions,
        parse_options: ParseOptions,
        now: dt.datetime,
        progress: Progress | None = None,
        validators: DeferredValidators | None = None,
    ) -> None:
        """Prepare a run; `now` is an aware instant (the clock is never read here)."""
        self.archive = archive
        self.validators = validators
        self._feed: Fetched | None = None
        self._partial = False  # --limit cut discovery short
        self.fetcher = fetcher
        self.options = options
        self.parse_options = parse_options
        self.now = now
        self.today = now.astimezone(ZoneInfo(parse_options.timezone)).date()
        self.progress = progress
        self.report = SyncReport()
        self._blocks_in_a_row = 0

    def run(self) -> SyncReport:
        """Sync, and return what was done; failures are in the report, not raised."""
        started = time.monotonic()
        try:
            self.archive.refresh_index()
            new = self._new_items()
            self._fetch_all(new)
            if not self.options.dry_run:
                self._recheck()
            self._settle_feed()
        except _Stop as stop:
            self.report.stopped = str(stop)
        self.report.requests = self.fetcher.requests_made
        self.report.seconds = time.monotonic() - started
        return self.report

    # -- discovery -------------------------------------------------------------------------

    def _new_items(self) -> list[Discovered]:
        """Every item the sources show that the archive lacks, newest first, within limits."""
        found: dict[str, Discovered] = {}
        sources = self._search_items() if self.options.full else self._incremental_items()
        for item in sources:
            if item.url not in found:
                found[item.url] = item
                if self.options.limit is not None and len(found) >= self.options.limit:
                    self._partial = True
                    break
        return list(found.values())

    def _incremental_items(self) -> Iterator[Discovered]:
        """New items from the feed, then the listings until a page holds nothing new."""
        feed = self._get("/rss.xml", conditional=True)
        if feed is not None and feed.not_modified and self._feed_covers():
            return  # the feed holds the newest items of every type: nothing was published
        self._feed = feed
        if feed is not None and not feed.not_modified:
            yield from self._fresh(self._parse(parse_feed, feed.body, "/rss.xml"), None)
        for kind in self.options.types:
            yield from self._walk(partial(_newest_path, kind), kind, stop_early=True)

    def _feed_covers(self) -> bool:
        """Whether the run that last read the feed in full synced every type asked for now."""
        covered = self.archive.get_meta(FEED_TYPES) or ""
        return set(self.options.types) <= set(covered.split(","))

    def _settle_feed(self) -> None:
        """Let the next run skip an unchanged feed, if this one dealt with all it showed."""
        whole = not (self._partial or self.options.since or self.options.dry_run)
        if self._feed is None or not whole or self.report.failed or self.report.blocked:
            return
        self._commit(self._feed)
        self.archive.put_meta(FEED_TYPES, ",".join(sorted(self.options.types)))

    def _search_items(self) -> Iterator[Discovered]:
        """Every item of every government's search pages that the archive lacks."""
        for kind in self.options.types:
            for government in SEARCH_GOVERNMENTS:
                yield from self._walk(
                    partial(search_path, government, kind), kind, stop_early=False
                )

    def _walk(
        self, path_of: Callable[[int], str], kind: str, stop_early: bool
    ) -> Iterator[Discovered]:
        """Pages of a listing of one type, until the last page (or one with nothing new)."""
        for page in range(self.options.max_listing_pages):
            path = path_of(page)
            fetched = self._get(path)
            if fetched is None:
                return
            text = fetched.body.decode("utf-8", "replace")
            items = self._parse(parse_listing, text, path)
            fresh = list(self._fresh(items, kind))
            if self.progress:
                self.progress(0, 0, path, f"listing, {len(fresh)} new")
            yield from fresh
            if not items or not has_next_page(text) or self._too_old(items):
                return
            if stop_early and not fresh:
                return

    def _too_old(self, items: list[Discovered]) -> bool:
        """Whether a whole page lies before --since (listings are newest first)."""
        since = self.options.since
        dates = [self._local(i.published) for i in items if i.published is not None]
        return since is not None and bool(dates) and max(dates) < since

    def _fresh(self, items: list[Discovered], kind: str | None) -> Iterator[Discovered]:
        """The items of the requested types, not before --since, that the archive lacks.

        `kind` is the type a listing holds (None for the feed, which mixes them).
        """
        for item in items:
            if item.content_type is not None and item.content_type not in self.options.types:
                continue
            date = self._local(item.published) if item.published else None
            if self.options.since and date and date < self.options.since:
                continue
            if not self._known(item, date, kind):
                yield item

    def _known(self, item: Discovered, date: dt.date | None, listed: str | None) -> bool:
        """Whether the archive already holds the item (ambiguous matches are reported)."""
        url = self.archive.node_target(item.url) or item.url
        kind = content_type_of(url)
        if kind is None:
            # A /node/<id> link not seen before: a file with the listed title and date is it;
            # otherwise the page is fetched to learn what it is.
            return bool(listed and item.title) and identify_listed(
                self.archive, str(listed), str(item.title), date
            )
        match = identify(self.archive, kind, url, date, item.title)
        if match.ambiguous:
            self._ambiguous(url, match.ambiguous)
            return True
        return match.entry is not None

    def _ambiguous(self, url: str, entries: tuple[object, ...]) -> None:
        """Report a release that more than one old file could hold."""
        paths = ", ".join(getattr(e, "relpath", "?") for e in entries)
        reason = f"matches several archive files ({paths}); not written: resolve by hand"
        if all(f.url != url for f in self.report.ambiguous):
            self.report.ambiguous.append(Failure(url, reason))

    def _local(self, instant: dt.datetime | None) -> dt.date:
        """An instant's date in the archive's time zone."""
        assert instant is not None
        return instant.astimezone(ZoneInfo(self.parse_options.timezone)).date()

    # -- fetching and writing --------------------------------------------------------------

    def _fetch_all(self, items: list[Discovered]) -> None:
        """Fetch and write each item, a few at a time; writes happen on this thread only."""
        total = len(items)
        if self.options.dry_run:
            self.report.planned.extend(i.url for i in items)
            return
        with ThreadPoolExecutor(max_workers=max(1, self.options.concurrency)) as pool:
            pending: list[tuple[Discovered, Future[Fetched]]] = []
            queue = iter(items)
            done = 0
            try:
                while True:
                    while len(pending) < max(1, self.options.concurrency):
                        item = next(queue, None)
                        if item is None:
                            break
                        pending.append((item, pool.submit(self._fetch_page, item)))
                    if not pending:
                        return
                    item, future = pending.pop(0)
                    outcome = self._settle(item, future)
                    done += 1
                    if self.progress:
                        self.progress(done, total, item.url, outcome)
            finally:
                for _, future in pending:
                    future.cancel()

    def _fetch_page(self, item: Discovered) -> Fetched:
        """Fetch one item's page (runs on a worker thread)."""
        return self.fetcher.get(urlsplit(item.url).path)

    def _settle(self, item: Discovered, future: Future[Fetched]) -> str:
        """Turn one fetched page into a file, recording the outcome in the report."""
        try:
            fetched = future.result()
        except BlockedError:
            self._blocked(item.url)
            return "blocked"
        except FetchError as exc:
            self.report.failed.append(Failure(item.url, str(exc)))
            return "failed"
        self._blocks_in_a_row = 0
        try:
            return self._store(item, fetched)
        except ScraperError as exc:
            self.report.failed.append(Failure(item.url, str(exc)))
            return "failed"

    def _store(self, item: Discovered, fetched: Fetched) -> str:
        """Parse a fetched page and write it, unless the archive already holds it."""
        release = self._release(item, fetched)
        kind = content_type_of(release.url) or "release"
        if item.url != release.url:
            self.archive.remember_node(item.url, release.url)
        match = identify(self.archive, kind, release.url, release.date, release.title)
        if match.ambiguous:
            self._ambiguous(release.url, match.ambiguous)
            return "ambiguous"
        if match.entry is not None:
            self._commit(fetched)
            self.report.unchanged += 1
            return "unchanged"
        relpath = self._free_path(kind, release)
        self.archive.write(relpath, dumps(release), release.url, release.date, self.now)
        self._commit(fetched)
        self.report.added.append(relpath)
        return "added"

    def _commit(self, fetched: Fetched) -> None:
        """Save a response's validators now that its content is dealt with."""
        if self.validators is not None:
            self.validators.commit(fetched)

    def _release(self, item: Discovered, fetched: Fetched) -> Release:
        """Parse a page, dated by the listing when the page has no date of its own."""
        fallback = self._local(item.published) if item.published else None
        final = canonical_url(fetched.url)
        url = final if content_type_of(final) else None
        return parse_page(
            fetched.body.decode("utf-8", "replace"),
            url=url,
            fallback_date=fallback,
            source=item.url,
            options=self.parse_options,
        )

    def _free_path(self, kind: str, release: Release) -> str:
        """The file name for a release; a deterministic other one when that is taken."""
        relpath = str(archive_relpath(kind, release.date, release.url))
        holder = self.archive.at(relpath)
        if holder is None and not (self.archive.root / relpath).exists():
            return relpath
        # Two releases must never share a path: the newcomer's name carries a short hash
        # of its real URL, which is stable from run to run.
        tag = hashlib.sha256(release.url.encode("utf-8")).hexdigest()[:8]
        return relpath.removesuffix(".md") + f"--{tag}.md"

    def _blocked(self, url: str) -> None:
        """Count a block page; stop the run after too many in a row."""
        self.report.blocked.append(url)
        self._blocks_in_a_row += 1
        if self._blocks_in_a_row >= self.options.block_limit:
            raise _Stop(f"{self._blocks_in_a_row} blocked requests in a row; {BLOCKED_ADVICE}")

    def _get(self, path: str, conditional: bool = False) -> Fetched | None:
        """Fetch a discovery page; a failure is reported and ends that source."""
        try:
            fetched = self.fetcher.get(path, conditional=conditional)
        except BlockedError:
            self._blocked(path)
            return None
        except FetchError as exc:
            self.report.failed.append(Failure(path, str(exc)))
            return None
        self._blocks_in_a_row = 0
        return fetched

    def _parse(
        self,
        parser: Callable[[bytes], list[Discovered]] | Callable[[str], list[Discovered]],
        body: bytes | str,
        path: str,
    ) -> list[Discovered]:
        """Run a discovery parser, reporting a page it cannot read."""
        try:
            return parser(body)  # type: ignore[arg-type]
        except ParseError as exc:
            self.report.failed.append(Failure(path, str(exc)))
            return []

    # -- re-checking recent releases -------------------------------------------------------

    def _recheck(self) -> None:
        """Re-fetch releases this tool wrote recently; rewrite those whose source changed."""
        since = self.today - dt.timedelta(days=self.options.recheck_days)
        for url, relpath in self.archive.written_since(since):
            if relpath in self.report.added:
                continue
            fetched = self._get(urlsplit(url).path, conditional=True)
            if fetched is None or fetched.not_modified:
                self.report.unchanged += fetched is not None
                continue
            self._rewrite(url, relpath, fetched)

    def _rewrite(self, url: str, relpath: str, fetched: Fetched) -> None:
        """Write a re-fetched release over its file when the bytes would differ."""
        current = self.archive.at(relpath)
        item = Discovered(url, content_type_of(url), None, None)
        try:
            text = dumps(self._release(item, fetched))
            if text == self.archive.read_text(relpath):
                self._commit(fetched)
                self.report.unchanged += 1
                return
            published = current.date if current else self.today
            self.archive.write(relpath, text, url, published, self.now)
            self._commit(fetched)
            self.report.updated.append(relpath)
        except ScraperError as exc:
            self.report.failed.append(Failure(url, str(exc)))


def _newest_path(kind: str, page: int) -> str:
    """A page of the newest items of a type: its listing, or (features have none) search."""
    try:
        return listing_path(kind, page)
    except ValueError:
        return search_path(SEARCH_GOVERNMENTS[0], kind, page)


def sync_archive(
    config: Config,
    options: SyncOptions,
    *,
    now: dt.datetime,
    progress: Progress | None = None,
    lock_wait: float = 0.0,
) -> SyncReport:
    """Open the configured archive, take its lock, and run one sync against the site."""
    with Archive(config.archive) as archive, archive.locked(wait=lock_wait):
        validators = DeferredValidators(archive)
        with Fetcher(config.fetch, validators=validators, robots_cache=archive) as fetcher:
            sync = Sync(
                archive, fetcher, options, config.parse_options(), now, progress, validators
            )
            return sync.run()
