"""A run's dealings with the site: fetches, failures in a row, and validators saved late.

A job (sync, verify) fetches through one `Session`. Failures and blocks go to the run's
log rather than up the stack, so one bad page never loses the others; but a run stops early
(`Stopped`) when the site is plainly not serving it: its bot-protection page several times
in a row, several URLs in a row failing (5xx, timeouts), or no connection at all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from scraper.errors import (
    BlockedError,
    FetchError,
    ParseError,
    RobotsBlockedError,
    UnavailableError,
    UnreachableError,
)
from scraper.models import Failure
from scraper.net.source import Fetched, PageSource
from scraper.site.blockpage import BLOCK_ADVICE

#: What a run that met the site's bot protection ends by saying.
BLOCKED_ADVICE = (
    "the site served its bot-protection page instead of content (nothing of it was stored):"
    f" {BLOCK_ADVICE}"
)

T = TypeVar("T")

#: Statuses that say a page is not there (and will not be by retrying).
GONE = (404, 410)


@dataclass(frozen=True)
class StopRequest:
    """Why a run must end at its next page: "cancelled" (a signal) or "time-limit"."""

    reason: str
    kind: str = "cancelled"


#: Asked at page boundaries: a request to stop the run there, or None.
StopCheck = Callable[[], StopRequest | None]


class Stopped(Exception):
    """The run must end early; `kind`: "blocked", "unreachable", "down", "cancelled" or
    "time-limit"."""

    def __init__(self, message: str, kind: str) -> None:
        """Keep the reason for the report and its kind for the exit code."""
        super().__init__(message)
        self.kind = kind


class ProblemLog(Protocol):
    """Where a run keeps what went wrong (a job's report)."""

    failed: list[Failure]
    blocked: list[str]


class ValidatorSink(Protocol):
    """Where validators of pages dealt with are kept for the next conditional request."""

    def put_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        """Keep a URL's ETag and Last-Modified."""


class Session:
    """Fetches for one run: failures and blocks go to the log; too many in a row stop it."""

    def __init__(
        self,
        source: PageSource,
        log: ProblemLog,
        *,
        block_limit: int = 3,
        down_limit: int = 3,
        validators: ValidatorSink | None = None,
        stop: StopCheck | None = None,
    ) -> None:
        """Fetch through `source`; stop after `block_limit` blocks or `down_limit` failures.

        `stop`, asked at each page boundary (`check`, and `get` before its request), gives a
        reason when the run must end there (a signal, a time limit), or None to go on.
        """
        self.source = source
        self.stop = stop
        self.log = log
        self.block_limit = block_limit
        self.down_limit = down_limit
        self.validators = validators
        self._lock = threading.Lock()
        self._blocks_in_a_row = 0
        self._failures_in_a_row = 0

    def get(self, path: str, conditional: bool = False, gone_ok: bool = False) -> Fetched | None:
        """Fetch a page; a failure or block is logged and gives None.

        With `gone_ok`, a 404 or 410 is an empty page (a listing past its end), not a failure.
        """
        self.check()
        try:
            return self.fetched(self.source.get(path, conditional=conditional))
        except BlockedError as exc:
            self.blocked(path, exc)
        except FetchError as exc:
            if gone_ok and exc.status in GONE:
                return Fetched(path, exc.status, b"", None, None, path)
            self.failed(path, exc)
        return None

    def check(self) -> None:
        """At a page boundary: end the run here (Stopped) if it has been asked to stop."""
        if self.stop is not None and (request := self.stop()) is not None:
            raise Stopped(request.reason, request.kind)

    def fetched(self, fetched: Fetched) -> Fetched:
        """Note a response that got through (it breaks a run of blocks and failures)."""
        self.answered()
        return fetched

    def answered(self) -> None:
        """Note that the site answered (a page, or a plain 404): no block, not down."""
        with self._lock:
            self._blocks_in_a_row = 0
            self._failures_in_a_row = 0

    def blocked(self, url: str, exc: BlockedError | None = None) -> None:
        """Log a block page; stop the run after too many in a row.

        When robots.txt (fetched before the first page) was what got the block page, it is
        what is logged, and the run stops: every later request would be blocked too.
        """
        robots = isinstance(exc, RobotsBlockedError)
        target = exc.url if exc is not None and robots else url
        self.log.blocked.append(target)
        with self._lock:
            self._blocks_in_a_row += 1
            count = self._blocks_in_a_row
        if robots or count >= self.block_limit:
            what = "robots.txt was blocked" if robots else f"{count} blocked requests in a row"
            raise Stopped(f"{what}; {BLOCKED_ADVICE}", "blocked")

    def failed(self, url: str, exc: FetchError) -> None:
        """Log a failed URL; stop the run when the site is unreachable or seems down."""
        self.log.failed.append(Failure(url, str(exc) or type(exc).__name__))
        if isinstance(exc, UnreachableError):
            raise Stopped(f"nothing can be fetched now: {exc}", "unreachable")
        with self._lock:
            if isinstance(exc, UnavailableError):
                self._failures_in_a_row += 1
            else:
                self._failures_in_a_row = 0  # the site answered; this URL was the problem
            count = self._failures_in_a_row
        if count >= self.down_limit:
            raise Stopped(
                f"the site seems to be down: {count} URLs in a row failed after retries"
                f" (last: {exc}); nothing more was tried, run again later",
                "down",
            )

    def parse(self, parse: Callable[[], T], path: str, empty: T) -> T:
        """Run a discovery parser over a page; a page it cannot read is logged, as `empty`."""
        try:
            return parse()
        except ParseError as exc:
            self.log.failed.append(Failure(path, str(exc)))
            return empty

    def commit(self, fetched: Fetched) -> None:
        """Keep a response's validators, now that its content is dealt with.

        Kept any earlier, a page's ETag would make the next conditional request answer 304
        even when this run failed to write the page, and the change would be lost.
        """
        if self.validators is not None and not fetched.not_modified and fetched.requested:
            self.validators.put_validators(fetched.requested, fetched.etag, fetched.last_modified)
