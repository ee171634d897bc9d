"""Discovery for a sync: which items the feed, listings or search show that the archive lacks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

from scraper.dates import local_date
from scraper.discover import (
    SEARCH_GOVERNMENTS,
    Discovered,
    listing_path,
    parse_feed,
    read_listing,
    search_path,
)
from scraper.fetch import Fetched
from scraper.identify import identify, identify_listed
from scraper.models import Failure
from scraper.session import Session
from scraper.store import Archive, Entry
from scraper.urls import content_type_of

#: Called for each listing page read: (path, how many new items it held).
ListingProgress = Callable[[str, int], None]

#: State key: the content types the last complete read of the feed was synced for.
FEED_TYPES = "feed_types"
#: State key prefix: per type, the newest date the archive held when a walk of the listings
#: began that has not yet finished cleanly; the next walk goes at least that deep.
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
    """Finds new items for one run, and records how far the sources were read."""

    def __init__(
        self,
        archive: Archive,
        session: Session,
        options: FindOptions,
        progress: ListingProgress | None = None,
    ) -> None:
        """Look through `session` for items `archive` lacks."""
        self.archive = archive
        self.session = session
        self.options = options
        self.progress = progress
        self.partial = False  # --limit cut discovery short
        self._feed: Fetched | None = None
        self._found_any: set[str] = set()
        self._walked_all = True

    def new_items(self) -> list[Discovered]:
        """Every item the sources show that the archive lacks, newest first, within limits."""
        found: dict[str, Discovered] = {}
        sources = self._search_items() if self.options.full else self._incremental_items()
        for item in sources:
            if item.url not in found:
                found[item.url] = item
                if self.options.limit is not None and len(found) >= self.options.limit:
                    self.partial = True
                    break
        return list(found.values())

    def settle(self, clean: bool) -> None:
        """After the run: let the next one read less, as far as this one dealt with all.

        Items that failed stay unknown, so the next walk meets them and goes past them: the
        floor is kept only when the walk itself was cut short. Skipping an unchanged feed
        needs more: nothing may have failed at all.
        """
        if self.partial or self.options.since:
            return
        if self._walked_all:
            for kind in self.options.types:
                self.archive.delete_meta(FLOOR + kind)
        if clean and self._feed is not None:
            self.session.commit(self._feed)
            self.archive.put_meta(FEED_TYPES, ",".join(sorted(self.options.types)))

    # -- sources ---------------------------------------------------------------------------

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
            floor = self._floor(kind)
            yield from self._walk(partial(_newest_path, kind), kind, True, floor)

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

    def _floor(self, kind: str) -> dt.date | None:
        """How deep this walk must go: where an unfinished walk began, else the newest file."""
        kept = self.archive.get_meta(FLOOR + kind)
        if kept is not None:
            return dt.date.fromisoformat(kept) if kept else None
        newest = self.archive.newest(kind)
        # Kept until a walk finishes cleanly, so an interrupted run's gap is found next time.
        self.archive.put_meta(FLOOR + kind, newest.isoformat() if newest else "")
        return newest

    def _walk(
        self,
        path_of: Callable[[int], str],
        kind: str,
        incremental: bool,
        floor: dt.date | None = None,
    ) -> Iterator[Discovered]:
        """Pages of one type's listing until the last, or (incremental) one with nothing new.

        An incremental walk stops at a page with nothing new that lies no later than `floor`
        (None: the archive held none of this type, so the whole listing is new).
        """
        for page in range(self.options.max_listing_pages):
            path = path_of(page)
            fetched = self.session.get(path)
            if fetched is None:
                self._walked_all = False  # the pages below this one were never seen
                return
            text = fetched.body.decode("utf-8", "replace")
            none: tuple[list[Discovered], bool] = ([], False)
            items, more = self.session.parse(partial(read_listing, text), path, none)
            if items:
                self._found_any.add(kind)
            elif page == 0 and incremental:
                self._nothing(path)
            fresh = list(self._fresh(items, kind))
            if self.progress:
                self.progress(path, len(fresh))
            yield from fresh
            if not items or not more or self._before_since(items):
                return
            if incremental and not fresh and self._reached(items, floor):
                return

    def _reached(self, items: list[Discovered], floor: dt.date | None) -> bool:
        """Whether a page with nothing new lies no later than the floor (no gap below it)."""
        newest = self._newest(items)
        return floor is not None and (newest is None or newest <= floor)

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
                " check the selectors in scraper/discover.py, or report it",
            )
        )

    # -- what is new -----------------------------------------------------------------------

    def _fresh(self, items: list[Discovered], kind: str | None) -> Iterator[Discovered]:
        """The items of the requested types, not before --since, that the archive lacks.

        `kind` is the type a listing holds (None for the feed, which mixes them).
        """
        for item in items:
            if item.content_type is not None and item.content_type not in self.options.types:
                continue
            date = self._date(item)
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
            report_ambiguous(self.session, url, match.ambiguous)
            return True
        return match.entry is not None

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
