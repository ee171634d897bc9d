"""Discovery for a sync: which items the feed, listings or search show that the archive lacks."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

from scraper.archive.identify import identify, identify_listed
from scraper.archive.store import Archive, Entry
from scraper.dates import local_date
from scraper.models import Failure
from scraper.net.session import Session
from scraper.net.source import Fetched
from scraper.site.discover import (
    SEARCH_GOVERNMENTS,
    Discovered,
    listing_path,
    parse_feed,
    parse_listing,
    search_path,
)
from scraper.site.urls import content_type_of

#: Called for each listing page read: (path, how many new items it held).
ListingProgress = Callable[[str, int], None]

#: State key: the content types the last complete read of the feed was synced for.
FEED_TYPES = "feed_types"
#: State key prefix: per type, the newest date the archive held when a walk of the listings
#: began that has not yet been finished; later walks go at least that deep.
FLOOR = "listing_floor:"


@dataclass(frozen=True)
class FindOptions:
    """What to look for."""

    types: tuple[str, ...]
    since: dt.date | None
    full: bool
    limit: int | None
    timezone: str
    max_listing_pages: int = 5000


class Finder:
    """Finds new items for one run, and records how far the sources were read.

    Every item found is kept in the state's pending list until it is dealt with, so an item
    that failed, was blocked or left ambiguous is tried again by later runs wherever it now
    sits in the listings. A listing walk that was cut short leaves a floor (the newest date
    the archive held when it began), and later walks go at least that deep.
    """

    def __init__(
        self,
        archive: Archive,
        session: Session,
        options: FindOptions,
        progress: ListingProgress | None = None,
        dry_run: bool = False,
    ) -> None:
        """Look through `session` for items `archive` lacks."""
        self.archive = archive
        self.session = session
        self.options = options
        self.progress = progress
        self.dry_run = dry_run
        self.partial = False  # --limit cut a full walk short
        self._feed: Fetched | None = None
        self._found_any: set[str] = set()
        self._walked_all = True
        self._kinds: dict[str, str] = {}  # the listing type of each item found

    def new_items(self) -> list[Discovered]:
        """Items the archive lacks: those left pending by earlier runs, then the sources'."""
        if not (self.options.full or self.dry_run):
            self._set_floors()
        found: dict[str, Discovered] = {item.url: item for item in self._pending_items()}
        sources = self._search_items() if self.options.full else self._incremental_items()
        for item in sources:
            found.setdefault(item.url, item)
            # A backfill may stop at the limit (the next one walks everything again); an
            # incremental run finds all and keeps what it does not fetch pending.
            if self.options.full and self.options.limit and len(found) >= self.options.limit:
                self.partial = True
                break
        items = list(found.values())
        if not self.dry_run:
            self.archive.keep_pending([self._pending_row(item) for item in items])
        return items

    def settle(self) -> None:
        """After the run: clear the floors of whole walks; let the next skip an unchanged feed."""
        if self.partial or self.options.since or self.dry_run or not self._walked_all:
            return
        for kind in self.options.types:
            self.archive.delete_meta(FLOOR + kind)
        if self._feed is not None:
            # Failed items stay pending and are tried even when the feed is unchanged.
            self.session.commit(self._feed)
            self.archive.put_meta(FEED_TYPES, ",".join(sorted(self.options.types)))

    # -- sources ---------------------------------------------------------------------------

    def _pending_items(self) -> Iterator[Discovered]:
        """Items found before and not yet dealt with (those now in the archive are dropped)."""
        for url, kind, published, title in self.archive.pending(self.options.types):
            when = dt.datetime.fromisoformat(published) if published else None
            item = Discovered(url, content_type_of(url), when, title)
            self._kinds[url] = kind
            status = self._status(item, self._date(item), kind)
            if status == "known":
                self.archive.done_pending(url)
            elif status == "new":
                yield item

    def _incremental_items(self) -> Iterator[Discovered]:
        """New items from the feed, then the listings until they hold nothing new."""
        feed = self.session.get("/rss.xml", conditional=True)
        if feed is not None and feed.not_modified and self._feed_covers():
            return  # the feed holds the newest items of every type: nothing was published
        self._feed = feed
        if feed is not None and not feed.not_modified:
            none: list[Discovered] = []
            items = self.session.parse(partial(parse_feed, feed.body), "/rss.xml", none)
            if not items:
                self._nothing("/rss.xml")
            yield from self._fresh(items, None)
        for kind in self.options.types:
            yield from self._walk(partial(_newest_path, kind), kind, True, self._floor(kind))

    def _search_items(self) -> Iterator[Discovered]:
        """Every item of every government's search pages that the archive lacks."""
        for kind in self.options.types:
            for government in SEARCH_GOVERNMENTS:
                yield from self._walk(partial(search_path, government, kind), kind, False)
            if kind not in self._found_any:
                self._nothing(f"the search pages for {kind}s")

    def _feed_covers(self) -> bool:
        """Whether the run that last read the feed in full synced every type asked for now."""
        covered = self.archive.get_meta(FEED_TYPES) or ""
        return set(self.options.types) <= set(covered.split(","))

    def _set_floors(self) -> None:
        """Before reading anything, note where each type's walk must reach if this run is cut."""
        for kind in self.options.types:
            if self.archive.get_meta(FLOOR + kind) is None:
                newest = self.archive.newest(kind)
                self.archive.put_meta(FLOOR + kind, newest.isoformat() if newest else "")

    def _floor(self, kind: str) -> dt.date | None:
        """The date a walk must reach (None: the archive holds none of this type)."""
        kept = self.archive.get_meta(FLOOR + kind)
        return dt.date.fromisoformat(kept) if kept else None

    def _walk(
        self,
        path_of: Callable[[int], str],
        kind: str,
        incremental: bool,
        floor: dt.date | None = None,
    ) -> Iterator[Discovered]:
        """Pages of one type's listing until an empty one, or (incremental) nothing new.

        The pager is not trusted (its markup is only reported): the walk goes on until a
        page has no results, is missing, or repeats the one before. An incremental walk
        also stops at a page with nothing new that lies wholly before `floor`.
        """
        before: list[str] = []
        for page in range(self.options.max_listing_pages):
            path = path_of(page)
            fetched = self.session.get(path, gone_ok=page > 0)
            if fetched is None:
                self._walked_all = False  # the pages below this one were never seen
                return
            none: list[Discovered] = []
            text = fetched.body.decode("utf-8", "replace")
            items = self.session.parse(partial(parse_listing, text), path, none)
            urls = [item.url for item in items]
            if not items or urls == before:
                if page == 0 and incremental:
                    self._nothing(path)
                return
            self._found_any.add(kind)
            fresh = list(self._fresh(items, kind))
            if self.progress:
                self.progress(path, len(fresh))
            yield from fresh
            if self._before_since(items) or (
                incremental and not fresh and self._below(items, floor)
            ):
                return
            before = urls

    def _below(self, items: list[Discovered], floor: dt.date | None) -> bool:
        """Whether a page lies wholly before the floor (so no gap can lie below it)."""
        newest = self._newest(items)
        return floor is not None and (newest is None or newest < floor)

    def _before_since(self, items: list[Discovered]) -> bool:
        """Whether a whole page lies before --since (listings are newest first)."""
        newest = self._newest(items)
        return self.options.since is not None and newest is not None and newest < self.options.since

    def _newest(self, items: list[Discovered]) -> dt.date | None:
        """The latest listed date on a page, if any item has one."""
        dates = [d for d in (self._date(i) for i in items) if d is not None]
        return max(dates, default=None)

    def _nothing(self, where: str) -> None:
        """Report a source that held no items at all: most likely the markup changed."""
        self.session.report.failed.append(
            Failure(
                where,
                "found no items at all: if the site has any, its markup may have changed;"
                " check the selectors in scraper/site/discover.py, or report it",
            )
        )

    # -- what is new -----------------------------------------------------------------------

    def _fresh(self, items: list[Discovered], kind: str | None) -> Iterator[Discovered]:
        """The items of the requested types, not before --since, that the archive lacks.

        `kind` is the type a listing holds (None for the feed, which mixes them).
        """
        twins = Counter((i.title, self._date(i)) for i in items if i.content_type is None)
        for item in items:
            listed = item.content_type or kind
            if listed is None or listed not in self.options.types:
                continue
            self._kinds.setdefault(item.url, listed)
            date = self._date(item)
            if self.options.since and date and date < self.options.since:
                continue
            status = self._status(item, date, listed, twins[(item.title, date)])
            if status == "new":
                yield item
            elif status == "ambiguous" and not self.dry_run:
                self.archive.keep_pending([self._pending_row(item)])  # reported every run

    def _status(self, item: Discovered, date: dt.date | None, listed: str, twins: int = 1) -> str:
        """Whether the archive holds the item: "known", "new" or "ambiguous" (reported)."""
        url = self.archive.node_target(item.url) or item.url
        kind = content_type_of(url)
        if kind is None:
            # A /node/<id> link not seen before: files with the listed title and date are
            # it; otherwise the page is fetched to learn what it is.
            known = item.title is not None and identify_listed(
                self.archive, listed, item.title, date, max(1, twins)
            )
            return "known" if known else "new"
        match = identify(self.archive, kind, url, date, item.title)
        if match.ambiguous:
            report_ambiguous(self.session, url, match.ambiguous)
            return "ambiguous"
        return "known" if match.entry is not None else "new"

    def _pending_row(self, item: Discovered) -> tuple[str, str, str | None, str | None]:
        """An item as the state's pending list keeps it."""
        kind = self._kinds.get(item.url) or item.content_type or "release"
        published = item.published.isoformat() if item.published else None
        return (item.url, kind, published, item.title)

    def _date(self, item: Discovered) -> dt.date | None:
        """An item's listed date in the archive's time zone."""
        return local_date(item.published, self.options.timezone) if item.published else None


def report_ambiguous(session: Session, url: str, entries: tuple[Entry, ...]) -> None:
    """Report a release that more than one old file could hold (never guessed)."""
    paths = ", ".join(e.relpath for e in entries)
    reason = f"matches several archive files ({paths}); not written: resolve by hand"
    if all(f.url != url for f in session.report.ambiguous):
        session.report.ambiguous.append(Failure(url, reason))


def _newest_path(kind: str, page: int) -> str:
    """A page of the newest items of a type: its listing, or (features have none) search."""
    try:
        return listing_path(kind, page)
    except ValueError:
        return search_path(SEARCH_GOVERNMENTS[0], kind, page)
