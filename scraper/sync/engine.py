"""One sync: find what the archive lacks, fetch it, write it; re-check recent releases."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from urllib.parse import urlsplit

from scraper.archive.document import dumps
from scraper.archive.identify import identify
from scraper.archive.store import Archive, Entry
from scraper.config import Config
from scraper.dates import local_date
from scraper.errors import BlockedError, FetchError, ScraperError, StoreError
from scraper.models import Failure, Release, SyncReport
from scraper.net.fetch import Fetcher
from scraper.net.session import GONE, DeferredValidators, Session, Stopped
from scraper.net.source import Fetched
from scraper.site.discover import Discovered
from scraper.site.parse import ParseOptions, parse_page
from scraper.site.urls import archive_relpath, canonical_url, content_type_of, folded_id
from scraper.sync.finder import Finder, FindOptions, report_ambiguous

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


#: Runs in a row a found page may be missing (404, 410) before it is no longer tried.
GONE_AFTER = 3

#: State key prefix: a move of a file to a new path, begun and not yet finished.
MOVE = "move:"


def _result(future: Future[Fetched]) -> Fetched:
    """A worker's result, waited for in short steps so that Ctrl-C is seen at once.

    A signal may reach a worker thread; a wait without a timeout would then sleep on.
    """
    while True:
        try:
            return future.result(timeout=0.2)
        except FutureTimeout:
            continue


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
        self.options = options
        self.parse_options = parse_options
        self.now = now
        self.today = local_date(now, parse_options.timezone)
        self.progress = progress
        self.report = SyncReport()
        self.session = Session(fetcher, self.report, options.block_limit, validators)
        self.finder = Finder(
            archive,
            self.session,
            FindOptions(
                options.types, options.since, options.full, options.limit, parse_options.timezone
            ),
            self._listing_read,
            dry_run=options.dry_run,
        )

    def run(self) -> SyncReport:
        """Sync, and return what was done; failures are in the report, not raised."""
        started = time.monotonic()
        try:
            self._note_archive_state()
            new = self.finder.new_items()[: self.options.limit]
            if self.options.dry_run:
                self.report.planned.extend(i.url for i in new)
            else:
                self._fetch_all(new)
                self._recheck()
                self.finder.settle()
        except Stopped as stop:
            self.report.stopped = str(stop)
        self.report.requests = self.session.fetcher.requests_made
        self.report.seconds = time.monotonic() - started
        return self.report

    def _note_archive_state(self) -> None:
        """Index the archive; finish moves a killed run left; report unreadable files."""
        stats = self.archive.refresh_index()
        self._finish_moves()
        for relpath, reason in stats.unreadable:
            self.report.failed.append(Failure(relpath, f"archive file cannot be read: {reason}"))
        for problem in (self.archive.state_problem, self.session.fetcher.robots_problem):
            if problem:
                self.report.notes.append(problem)

    def _listing_read(self, path: str, fresh: int) -> None:
        """Pass a listing page read to the progress display."""
        if self.progress:
            self.progress(0, 0, path, f"listing, {fresh} new")

    # -- fetching and writing --------------------------------------------------------------

    def _fetch_all(self, items: list[Discovered]) -> None:
        """Fetch and write each item, a few at a time; writes happen on this thread only."""
        width = max(1, self.options.concurrency)
        pool = ThreadPoolExecutor(max_workers=width)
        pending: list[tuple[Discovered, Future[Fetched]]] = []
        queue = iter(items)
        finished = False
        try:
            for done in range(1, len(items) + 1):
                while len(pending) < width and (item := next(queue, None)) is not None:
                    pending.append((item, pool.submit(self._fetch_page, item)))
                item, future = pending.pop(0)
                outcome = self._settle(item, future)
                if self.progress:
                    self.progress(done, len(items), item.url, outcome)
            finished = True
        finally:
            # On Ctrl-C or an early stop, abandon requests in flight rather than wait for
            # their retries: nothing is written off this thread.
            pool.shutdown(wait=finished, cancel_futures=True)

    def _fetch_page(self, item: Discovered) -> Fetched:
        """Fetch one item's page (runs on a worker thread)."""
        return self.session.fetcher.get(urlsplit(item.url).path)

    def _settle(self, item: Discovered, future: Future[Fetched]) -> str:
        """Turn one fetched page into a file, recording the outcome in the report."""
        try:
            fetched = self.session.fetched(_result(future))
        except BlockedError:
            self.session.blocked(item.url)
            return "blocked"
        except FetchError as exc:
            reason = str(exc)
            if exc.status in GONE and self.archive.missed_pending(item.url, GONE_AFTER):
                reason += f"; missing {GONE_AFTER} runs in a row, so no longer tried"
            self.report.failed.append(Failure(item.url, reason))
            return "failed"
        try:
            outcome = self._store(item, fetched)
        except ScraperError as exc:
            self.report.failed.append(Failure(item.url, str(exc)))
            return "failed"
        if outcome != "ambiguous":
            self.archive.done_pending(item.url)
        return outcome

    def _store(self, item: Discovered, fetched: Fetched) -> str:
        """Parse a fetched page and write it, unless the archive already holds it."""
        release = self._release(fetched, self._local(item))
        kind = content_type_of(release.url) or "release"
        if item.url != release.url:
            self.archive.remember_node(item.url, release.url)
        match = identify(self.archive, kind, release.url, release.date, release.title)
        if match.ambiguous:
            report_ambiguous(self.session, release.url, match.ambiguous)
            return "ambiguous"
        if match.entry is not None:
            return self._update(match.entry, release, fetched)
        self._refuse_beside_unreadable(kind, release)
        relpath = self._free_path(kind, release)
        self._write(relpath, release, fetched)
        self.report.added.append(relpath)
        return "added"

    def _update(self, entry: Entry, release: Release, fetched: Fetched) -> str:
        """Bring a file this tool wrote up to date; never touch others' files or hand edits."""
        text = dumps(release)
        if not entry.ours or text == self.archive.read_text(entry.relpath):
            if entry.ours:
                self.session.commit(fetched)
            self.report.unchanged += 1
            return "unchanged"
        if self.archive.edited(entry.relpath):
            reason = "changed by hand since this tool wrote it; not overwritten"
            self.report.kept.append(Failure(entry.relpath, reason))
            return "kept"
        kind = content_type_of(release.url) or "release"
        held = [e for e in self.archive.by_url(release.url) if e.ours and e != entry]
        if release.url != entry.url and held:
            # Its old address now leads to a release the archive holds under the new one.
            self._retire(entry.relpath, entry.url)
            self.report.updated.append(held[0].relpath)
            return "updated"
        relpath = self._free_path(kind, release, current=entry.relpath)
        if relpath == entry.relpath:
            self._write(relpath, release, fetched)
        else:
            # The release's date or address changed: its file moves to the new path. The
            # move is noted first, so a run killed half way is finished by the next.
            self.archive.put_meta(MOVE + release.url, entry.relpath)
            self._write(relpath, release, fetched)
            self._retire(entry.relpath, release.url)
        self.report.updated.append(relpath)
        return "updated"

    def _retire(self, relpath: str, url: str) -> None:
        """Remove a file this tool wrote whose release now lives at another path."""
        self.archive.remove(relpath)
        self.archive.delete_meta(MOVE + url)

    def _finish_moves(self) -> None:
        """Remove the old files of moves that a killed run wrote but did not finish."""
        for key, old in self.archive.meta_with_prefix(MOVE):
            url = key.removeprefix(MOVE)
            if any(e.relpath != old for e in self.archive.by_url(url) if e.ours):
                self._retire(old, url)
            else:
                self.archive.delete_meta(key)  # the new file was never written: keep the old

    def _refuse_beside_unreadable(self, kind: str, release: Release) -> None:
        """Refuse to write a release that an archive file which cannot be read may hold."""
        suspects = self.archive.unreadable_like(kind, folded_id(release.url), release.date)
        if suspects:
            raise StoreError(
                f"{release.url} was not written: {self.archive.root / suspects[0]} cannot be"
                " read and may hold it; fix or remove that file and sync again"
            )

    def _write(self, relpath: str, release: Release, fetched: Fetched) -> None:
        """Write a release's file, then save the validators of the page it came from."""
        self.archive.write(relpath, dumps(release), release.url, release.date, self.now)
        self.session.commit(fetched)

    def _release(self, fetched: Fetched, fallback: dt.date | None) -> Release:
        """Parse a page, dated by `fallback` (the listing's date) when it has none."""
        final = canonical_url(fetched.url)
        return parse_page(
            fetched.body.decode("utf-8", "replace"),
            url=final if content_type_of(final) else None,
            fallback_date=fallback,
            source=fetched.url,
            options=self.parse_options,
        )

    def _local(self, item: Discovered) -> dt.date | None:
        """An item's listed date in the archive's time zone."""
        return local_date(item.published, self.parse_options.timezone) if item.published else None

    def _free_path(self, kind: str, release: Release, current: str | None = None) -> str:
        """The file name for a release; a deterministic other one when that is taken.

        Two releases never share a path: when another release holds the natural name, the
        newcomer's name carries a short hash of its real URL, stable from run to run.
        `current` is the path the release's file has now (free for it, of course).
        """
        natural = str(archive_relpath(kind, release.date, release.url))
        tag = hashlib.sha256(release.url.encode("utf-8")).hexdigest()[:8]
        for relpath in (natural, natural.removesuffix(".md") + f"--{tag}.md"):
            if relpath == current or not (self.archive.root / relpath).exists():
                return relpath
            holder = self.archive.at(relpath)
            if holder is None:
                raise StoreError(
                    f"{self.archive.root / relpath} exists but cannot be read, so"
                    f" {release.url} was not written there; fix or remove that file and sync"
                    " again"
                )
            if holder.url == release.url and holder.ours:
                return relpath
        raise StoreError(
            f"no free file name for {release.url}: {natural} and its variant are taken"
        )

    # -- re-checking recent releases -------------------------------------------------------

    def _recheck(self) -> None:
        """Re-fetch releases this tool wrote recently; rewrite those whose source changed."""
        since = self.today - dt.timedelta(days=self.options.recheck_days)
        for url, relpath in self.archive.written_since(since):
            entry = self.archive.at(relpath)
            if relpath in self.report.added or relpath in self.report.updated or entry is None:
                continue
            fetched = self.session.get(urlsplit(url).path, conditional=True)
            if fetched is None or fetched.not_modified:
                self.report.unchanged += fetched is not None
                continue
            try:
                self._update(entry, self._release(fetched, entry.date), fetched)
            except ScraperError as exc:
                self.report.failed.append(Failure(url, str(exc)))


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
