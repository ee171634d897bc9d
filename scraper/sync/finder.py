"""Discovery for a sync: which items the feed, listings or search show that the archive lacks.

Reading only: the finder fetches the feed and listings through the session and looks things
up in a snapshot of the archive's index and state, and writes nothing (the pages it reads
go to a `seen` callback, which keeps them with `keep.discovery`). What the apply step
must record (items to keep pending, pending ones now known, floors, the feed's validators)
comes back in the `Discovery`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial

from scraper.archive.identify import identify, identify_listed
from scraper.archive.state import Learnt
from scraper.archive.store import Entry
from scraper.dates import UNDATED, publication_date
from scraper.models import Failure
from scraper.net.session import Session
from scraper.net.source import Fetched
from scraper.site.discover import (
    SEARCH_GOVERNMENTS,
    Discovered,
    feed_texts,
    listing_path,
    parse_feed,
    parse_listing,
    search_path,
)
from scraper.site.urls import content_type_of
from scraper.sync.options import SyncOptions
from scraper.sync.report import SyncReport
from scraper.sync.snapshot import Snapshot

#: Called for each feed or listing page read: (path, how many new items it held).
ListingProgress = Callable[[str, int], None]

#: State key: the content types the last complete read of the feed was synced for.
FEED_TYPES = "feed_types"
#: State key prefix: per type, the newest date the archive held when a walk of the listings
#: began that has not yet been finished; later walks go at least that deep.
FLOOR = "listing_floor:"
FEED_PATH = "/rss.xml"
#: State key: when a backfill (--full) began that has not yet read every search page.
BACKFILL = "backfill_begun"

#: A found item as the state's pending list keeps it: url, kind, published, title.
PendingRow = tuple[str, str, str | None, str | None]


@dataclass
class Discovery:
    """What the sources show that the archive lacks, and what the apply step must record."""

    #: Items to fetch: those left pending by earlier runs first, then the sources' new ones.
    new: list[Discovered] = field(default_factory=list)
    #: Every item found that the archive lacks (ambiguous ones too): kept pending until dealt with.
    pending: list[PendingRow] = field(default_factory=list)
    #: Pending URLs that the archive now holds: dropped from the list.
    resolved: list[str] = field(default_factory=list)
    #: Per type, the floor a cut-short walk leaves for the next (only types without one).
    floors: dict[str, str] = field(default_factory=dict)
    #: The feed, read in full: its validators are kept once the run has dealt with it.
    feed: Fetched | None = None
    #: The new items the feed listed: its validators are kept only once none stays pending.
    feed_new: list[str] = field(default_factory=list)
    #: Whether the sources were read whole (so floors go and an unchanged feed ends the next).
    complete: bool = False
    #: The feed answered 304 and covers every type asked for: nothing was published.
    feed_unchanged: bool = False
    #: What was learnt of old files matched to pages: the real URL, the listing's date.
    learnt: dict[str, Learnt] = field(default_factory=dict)
    #: Each feed item's plain text, by URL (what a feed-only run writes).
    texts: dict[str, str] = field(default_factory=dict)


class Finder:
    """Finds new items for one run, without writing anything.

    Every item found is to be kept in the state's pending list until it is dealt with, so an
    item that failed, was blocked or left ambiguous is tried again by later runs wherever it
    now sits in the listings. A listing walk that was cut short leaves a floor (the newest
    date the archive held when it began), and later walks go at least that deep.
    """

    def __init__(
        self,
        snapshot: Snapshot,
        session: Session,
        report: SyncReport,
        options: SyncOptions,
        progress: ListingProgress | None = None,
        seen: Callable[[Fetched], None] | None = None,
    ) -> None:
        """Look through `session` for items that `snapshot` lacks; `seen` is handed each
        feed and listing page read (to keep it)."""
        self.snapshot = snapshot
        self.session = session
        self.report = report
        self.options = options
        self.progress = progress
        self.seen = seen
        self._found = Discovery()
        self._found_any: set[str] = set()
        self._walked_all = True
        self._kinds: dict[str, str] = {}  # the listing type of each item found
        self._announced: set[str] = set()  # items already counted as new in the progress
        #: (kind, title, date) of new items found by their address, to know their /node/ links.
        self._new_titles: set[tuple[str, str, dt.date | None]] = set()

    def find(self) -> Discovery:
        """Items the archive lacks: those left pending by earlier runs, then the sources'."""
        found = self._found
        if not self.options.full:
            found.floors = {
                kind: (newest.isoformat() if (newest := self.snapshot.newest(kind)) else "")
                for kind in self.options.types
                if self.snapshot.get_meta(FLOOR + kind) is None
            }
        if self.options.feed_only:
            return self._feed_only()
        items: dict[str, Discovered] = {item.url: item for item in self._pending_items()}
        partial_walk = False
        for item in self._feed_items():
            items.setdefault(item.url, item)
        for item in self._search_items() if self.options.full else self._listing_items():
            items.setdefault(item.url, item)
            # A backfill may stop at the limit (the next one walks everything again); an
            # incremental run finds all and keeps what it does not fetch pending.
            if self.options.full and self.options.limit and len(items) >= self.options.limit:
                partial_walk = True
                break
        found.new = list(items.values())
        found.pending += [self._pending_row(item) for item in found.new]
        found.complete = not (partial_walk or self.options.since or not self._walked_all)
        return found

    def _feed_only(self) -> Discovery:
        """The feed's new items alone (those left pending that it lists among them); never
        complete, so floors stay and the feed's validators are not kept (the next whole sync
        reads the feed and listings afresh)."""
        found = self._found
        found.new = list({item.url: item for item in self._feed_items()}.values())
        found.pending += [self._pending_row(item) for item in found.new]
        found.complete = False
        return found

    # -- sources ---------------------------------------------------------------------------

    def _pending_items(self) -> Iterator[Discovered]:
        """Items found before and not yet dealt with (those now in the archive are dropped)."""
        for url, kind, published, title in self.snapshot.pending(self.options.types):
            when = dt.datetime.fromisoformat(published) if published else None
            item = Discovered(url, content_type_of(url), when, title)
            self._kinds[url] = kind
            date = self._date(item)
            if self.options.since and date and date < self.options.since:
                continue  # stays pending for a run that is not narrowed to newer ones
            status = self._status(item, date, kind)
            if status == "known":
                self._found.resolved.append(url)
            elif status == "new":
                yield item

    def _feed_items(self) -> Iterator[Discovered]:
        """New items of the feed; an unchanged feed that covers every type means no more.

        A feed-only run asks unconditionally: the feed's validators say that a sync read it,
        not that it wrote all it listed (a page may have been blocked), and the feed's text
        is all this run writes from.
        """
        feed = self.session.get(FEED_PATH, conditional=not self.options.feed_only)
        if feed is not None and self.seen is not None:
            self.seen(feed)
        if feed is not None and feed.not_modified and self._feed_covers():
            self._found.feed_unchanged = not self.options.full
            return
        self._found.feed = feed
        if feed is None or feed.not_modified:
            return
        none: list[Discovered] = []
        parse = partial(parse_feed, feed.body, self.options.hosts)
        items = self.session.parse(parse, FEED_PATH, none)
        if not items:
            self._nothing(FEED_PATH)
        if self.options.feed_only:
            self._found.texts = self.session.parse(
                partial(feed_texts, feed.body, self.options.hosts), FEED_PATH, {}
            )
        fresh = list(self._fresh(items, None))
        self._found.feed_new = [item.url for item in fresh]
        self._announce(FEED_PATH, fresh)
        yield from fresh

    def _listing_items(self) -> Iterator[Discovered]:
        """New items of each type's listing, until a page holds nothing new."""
        if self._found.feed_unchanged:
            return  # the feed holds the newest items of every type: nothing was published
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
        covered = self.snapshot.get_meta(FEED_TYPES) or ""
        return set(self.options.types) <= set(covered.split(","))

    def _floor(self, kind: str) -> dt.date | None:
        """The date a walk must reach (None: the archive holds none of this type)."""
        kept = self.snapshot.get_meta(FLOOR + kind)
        if kept is None:
            kept = self._found.floors.get(kind)
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
            if self.seen is not None:
                self.seen(fetched)
            none: list[Discovered] = []
            text = fetched.body.decode("utf-8", "replace")
            items = self.session.parse(partial(parse_listing, text, self.options.hosts), path, none)
            urls = [item.url for item in items]
            if not items or urls == before:
                if page == 0 and incremental:
                    self._nothing(path)
                return
            self._found_any.add(kind)
            fresh = list(self._fresh(items, kind))
            self._announce(path, fresh)
            yield from fresh
            if self._before_since(items) or (
                incremental and not fresh and self._below(items, floor)
            ):
                return
            before = urls
        self._endless(path_of(0))

    def _endless(self, first: str) -> None:
        """Report a walk cut off at max_listing_pages: the pages below were never seen."""
        self._walked_all = False
        limit = self.options.max_listing_pages
        self.report.failed.append(
            Failure(
                first,
                f"walked from here, did not end after {limit} pages (every one showed items,"
                " none repeated the one before): the walk stopped there; the listing seems"
                " broken or endless",
            )
        )

    def _announce(self, path: str, fresh: list[Discovered]) -> None:
        """Tell the progress display how many items a page showed that no page before it did."""
        unseen = {item.url for item in fresh} - self._announced
        self._announced |= unseen
        if self.progress:
            self.progress(path, len(unseen))

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
        self.report.failed.append(
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
            elif status == "ambiguous":
                self._found.pending.append(self._pending_row(item))  # reported every run

    def _status(self, item: Discovered, date: dt.date | None, listed: str, twins: int = 1) -> str:
        """Whether the archive holds the item: "known", "new" or "ambiguous" (reported)."""
        url = self.snapshot.node_target(item.url) or item.url
        kind = content_type_of(url)
        if kind is None:
            # A /node/<id> link not seen before: files with the listed title and date are
            # it; otherwise the page is fetched to learn what it is.
            if item.title is None:
                return "new"
            if (listed, item.title, date) in self._new_titles:
                return "known"  # found by its address earlier in this run (the feed)
            found = identify_listed(self.snapshot, listed, item.title, date, max(1, twins))
            if found is None:
                return "new"
            if len(found) == 1 and (what := learnt(found[0], found[0].url, date)) is not None:
                self._found.learnt[found[0].relpath] = what
            return "known"
        match = identify(self.snapshot, kind, url, date, item.title)
        if match.ambiguous:
            report_ambiguous(self.report, url, match.ambiguous)
            return "ambiguous"
        if match.entry is None:
            if item.title is not None:
                self._new_titles.add((kind, item.title, date))
            return "new"
        if (what := learnt(match.entry, url, date)) is not None:
            self._found.learnt[match.entry.relpath] = what  # for verify, which fetches it
        return "known"

    def _pending_row(self, item: Discovered) -> PendingRow:
        """An item as the state's pending list keeps it."""
        kind = self._kinds.get(item.url) or item.content_type or "release"
        published = item.published.isoformat() if item.published else None
        return (item.url, kind, published, item.title)

    def _date(self, item: Discovered) -> dt.date | None:
        """An item's listed date in the archive's time zone (None: none, or a placeholder)."""
        return listed_date(item, self.options.timezone)


def listed_date(item: Discovered, zone: str) -> dt.date | None:
    """The date a feed or listing gave an item, in `zone` (None: none, or a placeholder)."""
    return None if item.published is None else publication_date(item.published, zone)


def learnt(entry: Entry, url: str, date: dt.date | None) -> Learnt | None:
    """What matching an old file to its page taught: its real URL, or the listing's date."""
    if entry.ours or (entry.url == url and entry.date != UNDATED):
        return None
    return Learnt(url, date if entry.date == UNDATED else None)


def report_ambiguous(report: SyncReport, url: str, entries: tuple[Entry, ...]) -> None:
    """Report a release that more than one old file could hold (never guessed)."""
    paths = ", ".join(e.relpath for e in entries)
    reason = f"matches several archive files ({paths}); not written: resolve by hand"
    if all(f.url != url for f in report.ambiguous):
        report.ambiguous.append(Failure(url, reason))


def _newest_path(kind: str, page: int) -> str:
    """A page of the newest items of a type: its listing, or (features have none) search."""
    try:
        return listing_path(kind, page)
    except ValueError:
        return search_path(SEARCH_GOVERNMENTS[0], kind, page)
