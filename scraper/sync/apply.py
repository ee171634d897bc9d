"""Carry out a sync's plan: fetch each page, write its file, re-check recent releases.

Writes happen on the calling thread only, each atomic; pages are fetched a few at a time on
worker threads. One page that fails, for whatever reason, is reported and never loses the
others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from urllib.parse import urlsplit

from scraper.archive.document import dumps
from scraper.archive.identify import identify
from scraper.archive.moves import finish_all, place, retire
from scraper.archive.placing import free_relpath
from scraper.archive.store import Archive, Entry
from scraper.errors import (
    BlockedError,
    FetchError,
    LockedError,
    ScraperError,
    StateError,
    StoreError,
)
from scraper.keep.pages import Keeping, keeping
from scraper.models import Failure, Release
from scraper.net.pool import in_order
from scraper.net.session import GONE, Session
from scraper.net.source import Fetched
from scraper.site.discover import Discovered
from scraper.site.parse import release_from_page
from scraper.site.urls import content_type_of, folded_id
from scraper.sync.feedonly import FeedWriter
from scraper.sync.finder import (
    BACKFILL,
    FEED_TYPES,
    FLOOR,
    Discovery,
    learnt,
    listed_date,
    report_ambiguous,
)
from scraper.sync.options import SyncOptions
from scraper.sync.plan import Plan
from scraper.sync.report import SyncReport, Written

#: Called as each item finishes: (items done, items planned, url, outcome); while listings
#: are read, with 0 planned and the listing's path.
Progress = Callable[[int, int, str, str], None]

#: Runs in a row a found page may be missing (404, 410) before it is no longer tried.
GONE_AFTER = 3


class Applier:
    """Carries out one plan over an open, locked archive."""

    def __init__(
        self,
        archive: Archive,
        session: Session,
        report: SyncReport,
        options: SyncOptions,
        now: dt.datetime,
        progress: Progress | None = None,
        keep: Keeping | None = None,
    ) -> None:
        """Write into `archive`, fetching through `session`; `now` is an aware instant;
        `keep`: the run's keeping of pages (by default, as the settings say)."""
        self.archive = archive
        self.session = session
        self.report = report
        self.options = options
        self.now = now
        self.progress = progress
        self._written: set[str] = set()
        self._keep = keep if keep is not None else keeping(archive, options.keep, report.notes)
        #: Files written from the feed alone whose pages this run has read.
        self._completed: set[str] = set()
        #: URLs whose pages this run asked for: never asked again (a block counts once).
        self._tried: set[str] = set()
        #: The kept record of the page in hand, that its file is written from (None: not kept).
        self._source: str | None = None

    def apply(self, plan: Plan) -> None:
        """Record what was found, finish old moves, fetch and write, re-check, settle."""
        self._record_found(plan.discovery)
        removed, left = finish_all(self.archive, plan.moves)
        self.report.removed += removed
        self.report.failed += [Failure(path, why) for path, why in left]
        if self.options.feed_only:
            FeedWriter(self).write_all(plan.fetch, plan.discovery.texts)
        else:
            self._fetch_all(plan.fetch)
            self._complete(plan.complete)
        self._recheck(plan.recheck)
        self._settle(plan.discovery)

    def _record_found(self, found: Discovery) -> None:
        """Before any page is fetched: floors for a cut-short walk, and the pending list."""
        for kind, floor in found.floors.items():
            self.archive.put_meta(FLOOR + kind, floor)
        self.archive.keep_pending(found.pending)
        if found.learnt:
            self.archive.put_learnt(found.learnt)
        for url in found.resolved:
            self.archive.done_pending(url)

    def _settle(self, found: Discovery) -> None:
        """After a whole walk: clear the floors; let the next run skip an unchanged feed."""
        if not found.complete:
            return
        for kind in self.options.types:
            self.archive.delete_meta(FLOOR + kind)
        if self.options.full:
            self.archive.delete_meta(BACKFILL)
        if found.feed is not None and not self._feed_left(found):
            # Failed items stay pending and are tried even when the feed is unchanged.
            self.session.commit(found.feed)
            self.archive.put_meta(FEED_TYPES, ",".join(sorted(self.options.types)))

    def _feed_left(self, found: Discovery) -> bool:
        """Whether a new item the feed listed stays pending (blocked, failed, past --limit).

        Its validators kept, the feed would answer 304 until it changed: a later run would
        take that for nothing new, and `--feed-only` would not write what it lists.
        """
        left = {url for url, _, _, _ in self.archive.pending(self.options.types)}
        return any(url in left for url in found.feed_new)

    # -- fetching and writing --------------------------------------------------------------

    def _fetch_all(self, items: list[Discovered]) -> None:
        """Fetch and write each item, a few at a time; writes happen on this thread only."""
        fetched = in_order(items, self._fetch_page, self.options.concurrency)
        for done, (item, result) in enumerate(fetched, start=1):
            outcome, url = self._settle_item(item, result)
            if self.progress:
                self.progress(done, len(items), url, outcome)
            self.session.check()  # the page in hand is written: a stop may come here

    def _fetch_page(self, item: Discovered) -> Fetched:
        """Fetch one item's page (runs on a worker thread)."""
        return self.session.source.get(urlsplit(item.url).path)

    def _settle_item(self, item: Discovered, result: Callable[[], Fetched]) -> tuple[str, str]:
        """Turn one fetched page into a file: (outcome, the release's URL as best known)."""
        self._tried.add(item.url)
        try:
            fetched = self.session.fetched(result())
        except BlockedError as exc:
            self.session.blocked(item.url, exc)
            return "blocked", item.url
        except FetchError as exc:
            if exc.status in GONE and self.archive.missed_pending(item.url, GONE_AFTER):
                exc = FetchError(
                    f"{exc}; missing {GONE_AFTER} runs in a row, so no longer tried", exc.url
                )
            self.session.failed(item.url, exc)
            return "failed", item.url
        self._source = self._keep(fetched, listed_date(item, self.options.timezone))
        outcome, url = self._guarded(item.url, lambda: self._store(item, fetched))
        if outcome != "ambiguous" and outcome != "failed":
            self.archive.done_pending(item.url)
        return outcome, url

    def _guarded(self, url: str, write: Callable[[], tuple[str, str]]) -> tuple[str, str]:
        """Parse and write one page; any failure is that page's alone: ("failed", url)."""
        try:
            return write()
        except (StateError, LockedError):
            # The state cannot be written, or the lock is lost: no later page could be either.
            raise
        except ScraperError as exc:
            self.report.failed.append(Failure(url, str(exc)))
        except Exception as exc:  # a bug with this one page must not lose the others
            reason = f"unexpected {type(exc).__name__}: {exc} (a bug: please report it)"
            self.report.failed.append(Failure(url, reason))
        return "failed", url

    def _store(self, item: Discovered, fetched: Fetched) -> tuple[str, str]:
        """Parse a page and write it, unless the archive already holds it: (outcome, its URL)."""
        release = self._release(fetched, listed_date(item, self.options.timezone))
        return self._store_release(item, release, fetched), release.url

    def _store_release(self, item: Discovered, release: Release, fetched: Fetched) -> str:
        """Write a parsed page, unless the archive already holds it."""
        kind = content_type_of(release.url) or "release"
        if item.url != release.url:
            self.archive.remember_node(item.url, release.url)
        match = identify(self.archive, kind, release.url, release.date, release.title)
        if match.ambiguous:
            report_ambiguous(self.report, release.url, match.ambiguous)
            return "ambiguous"
        if match.entry is not None:
            return self._update(match.entry, release, fetched)
        self._refuse_beside_unreadable(kind, release)
        relpath = free_relpath(self.archive, kind, release)
        self._write(relpath, release, fetched)
        self.report.added.append(Written(release.url, relpath))
        return "added"

    def _update(self, entry: Entry, release: Release, fetched: Fetched) -> str:
        """Bring a file this tool wrote up to date; never touch others' files or hand edits."""
        text = dumps(release)
        if (what := learnt(entry, release.url, release.date)) is not None:
            self.archive.put_learnt({entry.relpath: what})
        if not entry.ours:
            self.report.unchanged += 1
            return "unchanged"
        on_disk = self.archive.read_text(entry.relpath)
        if text == on_disk:
            if self._source is not None:  # the page kept now makes the file as it is
                self.archive.note_source(entry.relpath, self._source)
            self.session.commit(fetched)
            self.report.unchanged += 1
            return "unchanged"
        if self.archive.edited(entry.relpath, on_disk):
            reason = "changed by hand since this tool wrote it; not overwritten"
            self.report.kept.append(Failure(entry.relpath, reason))
            return "kept"
        kind = content_type_of(release.url) or "release"
        held = [e for e in self.archive.by_url(release.url) if e.ours and e != entry]
        if release.url != entry.url and held:
            # Its old address now leads to a release the archive holds under the new one.
            retire(self.archive, entry.relpath, entry.url)
            self.report.removed.append(entry.relpath)
            self.report.updated.append(Written(release.url, held[0].relpath))
            return "updated"
        # The release's date or address may have changed: its file then moves to the new path.
        relpath = free_relpath(self.archive, kind, release, current=entry.relpath)
        write = partial(self._write, release=release, fetched=fetched)
        if place(self.archive, release.url, entry.relpath, relpath, write):
            self.report.removed.append(entry.relpath)
        self.report.updated.append(Written(release.url, relpath))
        return "updated"

    def _refuse_beside_unreadable(self, kind: str, release: Release) -> None:
        """Refuse to write a release that an archive file which cannot be read may hold."""
        suspects = self.archive.unreadable_like(kind, folded_id(release.url), release.date)
        if suspects:
            raise StoreError(
                f"{release.url} was not written: {self.archive.root / suspects[0]} cannot be"
                " read and may hold it; fix or remove that file and sync again"
            )

    def _write(self, relpath: str, release: Release, fetched: Fetched) -> None:
        """Write a release's file, then keep the validators of the page it came from."""
        self.archive.write(
            relpath, dumps(release), release.url, release.date, self.now, source=self._source
        )
        self._written.add(relpath)
        self.session.commit(fetched)

    def _release(self, fetched: Fetched, fallback: dt.date | None) -> Release:
        """Parse a fetched page, dated by `fallback` (the listing's date) when it has none."""
        return release_from_page(fetched.body, fetched.url, fallback, self.options.parse)

    # -- completing files written from the feed alone -------------------------------------

    def _complete(self, incomplete: list[tuple[str, str]]) -> None:
        """Rewrite each file a feed-only run wrote from its page, which clears its mark.

        Its page is fetched whether or not a listing or the feed still shows it, and
        unconditionally: the validators of that address say nothing of the file.
        """
        for url, relpath in incomplete:
            self.session.check()
            self._tried.add(url)
            fetched = self.session.get(urlsplit(url).path)
            if fetched is None:
                continue  # blocked or failed: logged; the mark stays for the next run
            self._completed.add(relpath)
            self._guarded(url, partial(self._complete_one, url, relpath, fetched))

    def _complete_one(self, url: str, relpath: str, fetched: Fetched) -> tuple[str, str]:
        """Write a feed-only file as its page makes it (its moves and hand edits as `_update`)."""
        entry = self.archive.at(relpath)
        fallback = entry.date if entry is not None else None
        self._source = self._keep(fetched, fallback)  # kept as any page a file is written from
        release = self._release(fetched, fallback)
        if entry is not None and entry.url == url:
            outcome = self._update(entry, release, fetched)  # moved if its date or address did
        else:  # the file is gone (or was changed by hand): written anew, as if found
            item = Discovered(release.url, content_type_of(release.url), None, None)
            outcome = self._store_release(item, release, fetched)
        if outcome == "unchanged":
            self.archive.clear_incomplete(url)  # the page says no more than the feed did
        return outcome, release.url

    # -- re-checking recent releases -------------------------------------------------------

    def _recheck(self, recheck: list[tuple[str, str]]) -> None:
        """Re-fetch releases this tool wrote recently; rewrite those whose source changed."""
        for url, relpath in recheck:
            self.session.check()
            entry = self.archive.at(relpath)
            if relpath in self._written or relpath in self._completed or entry is None:
                continue
            if url in self._tried:
                continue
            fetched = self.session.get(urlsplit(url).path, conditional=True)
            if fetched is None or fetched.not_modified:
                self.report.unchanged += fetched is not None
                continue
            self._source = self._keep(fetched, entry.date)
            self._guarded(url, partial(self._recheck_one, entry, fetched))

    def _recheck_one(self, entry: Entry, fetched: Fetched) -> tuple[str, str]:
        """Rewrite a recent file from its re-fetched page, if the file would change."""
        release = self._release(fetched, entry.date)
        return self._update(entry, release, fetched), release.url
