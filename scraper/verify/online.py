"""Check files against the source: fetch each one's page, render it, compare.

Nothing here writes an archive file (the pages fetched are handed to `kept`). Fetches go
through the run's session, so block pages, a site that is down and a spent request budget
end the checks the way they end a sync.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from scraper.archive.document import dumps
from scraper.errors import BlockedError, BudgetError, FetchError, ParseError
from scraper.models import Release
from scraper.net.pool import in_order
from scraper.net.session import GONE, Session
from scraper.net.source import Fetched
from scraper.site.parse import ParseOptions, release_from_page, stated_date
from scraper.site.urls import canonical_url
from scraper.verify.compare import compare
from scraper.verify.offline import Checked

#: Called as each file is checked: (files done, files to check, url, kinds found).
Progress = Callable[[int, int, str, str], None]


@dataclass(frozen=True)
class Target:
    """A file to check against its page."""

    checked: Checked
    #: Where its page is: the file's url, or the real one a sync learnt for an old file.
    url: str
    #: The date to give a page that has none (the file's own, or a listing's).
    fallback: dt.date | None

    @property
    def conditional(self) -> bool:
        """Whether a 304 can answer: the file is as this tool wrote it from that page."""
        wrote = self.checked.written_sha256 is not None
        # A feed-only file was not made from the page, whatever its address's validators say.
        unlike = {"local-edit", "incomplete"} & self.checked.result.kinds.keys()
        return wrote and not unlike


class OnlineCheck:
    """Checks targets against the source through a session, a few fetches at a time."""

    def __init__(
        self,
        session: Session,
        parse: ParseOptions,
        width: int = 1,
        progress: Progress | None = None,
        judged: Callable[[Checked, Release | None], None] | None = None,
        kept: Callable[[Fetched, dt.date | None], None] | None = None,
    ) -> None:
        """Fetch through `session`; parse pages with `parse`.

        `judged` is called with each file as soon as it is judged, and the release its page
        holds when the page was read (--fix fixes the file there). `kept` is handed each
        page fetched, with the date its file falls back on, to keep it (as a sync does).
        """
        self.session = session
        self.parse = parse
        self.width = width
        self.progress = progress
        self.judged = judged
        self.kept = kept
        #: How many targets were checked (a spent budget or a stop leaves the rest).
        self.done = 0

    def run(self, targets: list[Target]) -> None:
        """Check targets in order, until the budget is spent; Stopped may end it sooner."""
        for target, result in in_order(targets, self._fetch, self.width):
            try:
                fetched = result()
            except BudgetError:
                return
            except FetchError as exc:
                self.done += 1
                self._failed(target, exc)
            else:
                self.done += 1
                answered = self.session.fetched(fetched)
                if self.kept is not None:
                    self.kept(answered, target.fallback)
                page = self._judge(target, answered)
                if self.judged is not None:
                    self.judged(target.checked, page)
                    if target.checked.result.mended:  # now the file is what the page makes
                        self.session.commit(answered)
            if self.progress:
                kinds = ", ".join(target.checked.result.kinds) or "ok"
                self.progress(self.done, len(targets), target.url, kinds)
            self.session.check()

    def _fetch(self, target: Target) -> Fetched:
        """Fetch a target's page (on a worker thread)."""
        return self.session.source.get(urlsplit(target.url).path, conditional=target.conditional)

    def _failed(self, target: Target, exc: FetchError) -> None:
        """A page that could not be had: blocked, missing, or an error (may stop the run)."""
        result = target.checked.result
        if isinstance(exc, BlockedError):
            result.add("blocked", "the site served its bot-protection page: nothing concluded")
            self.session.blocked(target.url, exc)
        elif exc.status in GONE:
            result.add("missing", f"HTTP {exc.status} at the source; the file is kept")
            self.session.answered()
        else:
            result.add("error", str(exc))
            self.session.failed(target.url, exc)

    def _judge(self, target: Target, fetched: Fetched) -> Release | None:
        """Compare a fetched page with its file; the release the page holds, if read."""
        checked = target.checked
        result = checked.result
        text = result.text
        assert checked.release is not None and text is not None  # only readable files
        if fetched.not_modified:
            # The file is what the page makes: a body it lacks, the page lacks too.
            result.kinds.pop("empty-body", None)
            result.add("ok", "not modified since this tool wrote it")
            return None
        moved_to = canonical_url(fetched.url)
        if moved_to != canonical_url(target.url):
            result.add("moved", f"the page redirects to {moved_to}")
            return None
        try:
            page = self._release(fetched, target.fallback)
        except ParseError as exc:
            result.add("error", str(exc))
            return None
        expected = dumps(page)
        result.expected = expected
        if not page.body:
            result.kinds.pop("empty-body", None)  # the page has no text either: faithful
        if "local-edit" in result.kinds and checked.written_sha256 == _sha256(expected):
            # The page is as it was when this tool wrote the file: the hand edit is all.
            result.add("local-edit", "the page is unchanged since")
            return page
        old_date = self._old_date(fetched, page, checked.release)
        for kind, detail in compare(checked.release, text, page, expected, old_date).items():
            result.add(kind, detail)
        if result.ok:
            self.session.commit(fetched)  # the file is what the page makes: a 304 may answer
        return page

    def _release(self, fetched: Fetched, fallback: dt.date | None) -> Release:
        """The release a page holds, dated in the archive's zone."""
        return release_from_page(fetched.body, fetched.url, fallback, self.parse)

    def _old_date(self, fetched: Fetched, page: Release, file: Release) -> dt.date | None:
        """The date the old exporter's rule (UTC) gives the page, when the dates differ."""
        if page.date == file.date:
            return None
        return stated_date(fetched.body, page.url, "UTC", self.parse) or page.date


def _sha256(text: str) -> str:
    """The digest of a file's text, as the state keeps it for files this tool wrote."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
