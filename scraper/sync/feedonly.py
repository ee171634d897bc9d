"""`sync --feed-only`: write new releases from the feed's text, without fetching their pages.

For when the site's bot protection serves its challenge page to release pages and listings
while `/rss.xml` gets through. A file written here holds what the feed gives (title, date,
the real URL, the body from the feed's plain text) and none of ministers, portfolios and
attachments, which only the page has: so it is marked incomplete in the state, and the next
sync that reaches its page rewrites it as the full release (see `Applier._complete`). A
release the archive already holds is never written from the feed.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from scraper.archive.document import dumps
from scraper.archive.identify import identify
from scraper.archive.placing import free_relpath
from scraper.errors import ParseError
from scraper.models import Release
from scraper.site.discover import Discovered
from scraper.site.feedtext import feed_body
from scraper.sync.finder import listed_date, report_ambiguous
from scraper.sync.report import Written
from scraper.wording import plural

if TYPE_CHECKING:
    from scraper.sync.apply import Applier

#: Why a feed item cannot be written, and that it stays pending.
_LEFT = "left pending for a sync that reaches the pages"


class FeedWriter:
    """Writes one feed-only run's new items through an `Applier` (its archive, its report)."""

    def __init__(self, applier: Applier) -> None:
        """Write into the applier's archive, reporting in its report."""
        self.applier = applier

    def write_all(self, items: list[Discovered], texts: dict[str, str]) -> None:
        """Write each new item from its feed text; one that cannot be written stays pending."""
        applier, report = self.applier, self.applier.report
        before = len(report.added)
        for done, item in enumerate(items, start=1):
            applier.session.check()
            write = partial(self._write, item, texts.get(item.url, ""))
            outcome, url = applier._guarded(item.url, write)
            if outcome not in ("ambiguous", "failed"):
                applier.archive.done_pending(item.url)
            if applier.progress:
                applier.progress(done, len(items), url, outcome)
        if written := len(report.added) - before:
            report.notes.append(
                f"{plural(written, 'file')} written from the feed alone (title, date, url and"
                " its text; no ministers, portfolios or attachments), marked incomplete: the"
                " next sync that reaches their pages completes them"
            )

    def _write(self, item: Discovered, text: str) -> tuple[str, str]:
        """Write one item from the feed unless the archive holds it: (outcome, its URL)."""
        applier = self.applier
        release = self._release(item, text)
        kind = item.content_type or "release"
        match = identify(applier.archive, kind, release.url, release.date, release.title)
        if match.ambiguous:
            report_ambiguous(applier.report, release.url, match.ambiguous)
            return "ambiguous", release.url
        if match.entry is not None:
            applier.report.unchanged += 1  # held already, perhaps complete: never downgraded
            return "unchanged", release.url
        applier._refuse_beside_unreadable(kind, release)
        relpath = free_relpath(applier.archive, kind, release)
        applier.archive.write(
            relpath, dumps(release), release.url, release.date, applier.now, incomplete=True
        )
        applier._written.add(relpath)
        applier.report.added.append(Written(release.url, relpath))
        return "added", release.url

    def _release(self, item: Discovered, text: str) -> Release:
        """The release as the feed gives it; ParseError for what the feed cannot tell."""
        if item.content_type is None:
            raise ParseError(
                f"the feed links it by node id, so only its page tells its address; {_LEFT}"
            )
        date = listed_date(item, self.applier.options.timezone)
        if date is None:
            raise ParseError(f"the feed gives it no date (never written as 0001-01-01); {_LEFT}")
        if item.title is None:
            raise ParseError(f"the feed gives it no title; {_LEFT}")
        body = feed_body(text)
        if not body:
            raise ParseError(f"the feed gives it no text; {_LEFT}")
        return Release(title=item.title, date=date, url=item.url, body=body)
