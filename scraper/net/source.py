"""The page-source interface: what a job needs from whatever fetches the site's pages.

The HTTP client (`scraper.net.fetch.Fetcher`) is one implementation; tests hand in one on
`httpx.MockTransport`, and a browser fallback can wrap another. Jobs take a `PageSource` as
an argument and never build one themselves.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Protocol, Self


@dataclass(frozen=True)
class Fetched:
    """A successful response: the content, or a 304 saying the stored copy is current."""

    url: str
    status: int
    body: bytes
    etag: str | None
    last_modified: str | None
    #: The URL as requested, before redirects: the key its validators are stored under.
    requested: str = ""
    #: The response's headers as served, in order (kept with the page in its WARC record);
    #: not part of equality, which says whether two responses carry the same page.
    headers: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    #: The request's headers as sent (User-Agent, validators, Accept...), for its WARC record;
    #: not part of equality either.
    request_headers: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def not_modified(self) -> bool:
        """Whether the server answered 304 to a conditional request."""
        return self.status == 304


class PageSource(Protocol):
    """Gets the site's pages, politely; raises `FetchError` (and its kinds) when it cannot."""

    def get(self, path_or_url: str, *, conditional: bool = False) -> Fetched:
        """Fetch a path (``/release/x``) or a URL on the site, conditionally when asked."""
        ...

    @property
    def requests_made(self) -> int:
        """Every request sent so far, retries and robots.txt included."""
        ...

    def notes(self) -> tuple[str, ...]:
        """What a run's report should say about the source (robots.txt unavailable, ...)."""
        ...

    def close(self) -> None:
        """Release connections; requests in flight are not retried."""
        ...


class ClosedOnExit:
    """A source that a `with` block closes: `__enter__` gives it, `__exit__` calls `close()`."""

    def close(self) -> None:
        """Release what the source holds."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Figures(Protocol):
    """The closing figures a run's report keeps (a sync's, a verify's)."""

    requests: int
    seconds: float
    notes: list[str]


@contextlib.contextmanager
def timed(report: Figures, source: PageSource | None) -> Iterator[None]:
    """Fill in a report's requests, time and the source's notes, however the run ends."""
    started = time.monotonic()
    try:
        yield
    finally:
        if source is not None:
            report.requests = source.requests_made
            report.notes.extend(note for note in source.notes() if note not in report.notes)
        report.seconds = time.monotonic() - started
