"""A run's dealings with the site: fetches, block counting, and validators saved late."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from scraper.archive.store import Archive
from scraper.errors import BlockedError, FetchError, ParseError
from scraper.models import Failure, SyncReport
from scraper.net.fetch import Fetcher
from scraper.net.source import Fetched

#: What to tell a user whose requests met the site's bot protection.
BLOCKED_ADVICE = (
    "the site served its bot-protection page instead of content (nothing of it was stored):"
    " wait and try again later, raise --interval, or pass --cookies FILE with cookies"
    " exported from a browser that can see the site"
)

T = TypeVar("T")

#: Statuses that say a page is not there (and will not be by retrying).
GONE = (404, 410)


class Stopped(Exception):
    """The run must end early (the site keeps blocking us)."""


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


class Session:
    """Fetches for one run: failures and blocks go to the report, not up the stack."""

    def __init__(
        self,
        fetcher: Fetcher,
        report: SyncReport,
        block_limit: int,
        validators: DeferredValidators | None = None,
    ) -> None:
        """Fetch through `fetcher`, recording outcomes in `report`."""
        self.fetcher = fetcher
        self.report = report
        self.block_limit = block_limit
        self.validators = validators
        self._blocks_in_a_row = 0

    def get(self, path: str, conditional: bool = False, gone_ok: bool = False) -> Fetched | None:
        """Fetch a page; a failure or block is reported and gives None.

        With `gone_ok`, a 404 or 410 is an empty page (a listing past its end), not a failure.
        """
        try:
            return self.fetched(self.fetcher.get(path, conditional=conditional))
        except BlockedError:
            self.blocked(path)
        except FetchError as exc:
            if gone_ok and exc.status in GONE:
                return Fetched(path, exc.status, b"", None, None, path)
            self.report.failed.append(Failure(path, str(exc)))
        return None

    def fetched(self, fetched: Fetched) -> Fetched:
        """Note a response that got through (it breaks a run of blocks)."""
        self._blocks_in_a_row = 0
        return fetched

    def blocked(self, url: str) -> None:
        """Count a block page; stop the run after too many in a row."""
        self.report.blocked.append(url)
        self._blocks_in_a_row += 1
        if self._blocks_in_a_row >= self.block_limit:
            raise Stopped(f"{self._blocks_in_a_row} blocked requests in a row; {BLOCKED_ADVICE}")

    def parse(self, parse: Callable[[], T], path: str, empty: T) -> T:
        """Run a discovery parser over a page; a page it cannot read is reported, as `empty`."""
        try:
            return parse()
        except ParseError as exc:
            self.report.failed.append(Failure(path, str(exc)))
            return empty

    def commit(self, fetched: Fetched) -> None:
        """Save a response's validators now that its content is dealt with."""
        if self.validators is not None:
            self.validators.commit(fetched)
