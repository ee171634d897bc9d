"""The only network code: one HTTP client, politeness, retries, conditional requests, blocks.

Decisions worth knowing:

- robots.txt comes from ``base_url + "/robots.txt"`` on first use and is kept for
  ``robots_ttl`` seconds (by the injected clock), in this run and through the cache in later
  ones. What it answers decides, as RFC 9309 §2.3.1 says:
  - 2xx: its rules. Past 512 KiB only the whole lines within it are read (§2.5), with a note.
  - 4xx (any, 401 and 403 too): no rules, every URL allowed, with a note. Only 404 and 410
    ("there is none") are kept for later runs; the others are asked again.
  - 5xx or 429 after retries, network errors, timeouts, an unexpected status: complete
    disallow. Every `get` raises UnreachableError naming robots.txt and no page is
    requested. The failure is remembered for the life of the Fetcher (one run), so later
    calls fail at once, and is never kept for later runs.
  - A redirect within the site is followed. One off the site, or past 5 hops, is not (no
    request ever leaves the configured site) and counts as "unavailable", which §2.3.1.2
    allows for redirects a crawler gives up on: no rules, with a note.
  - A bot-protection page: BlockedError for the robots.txt URL, since every other request
    would be blocked too. Not remembered: each call asks again, so block counts see each.
  `Fetcher.notes` has what a run report should show about these.
- Validators (ETag, Last-Modified) are stored under the requested absolute URL, before any
  redirect: ``base_url`` + path for a path. Changing ``base_url`` therefore costs one full
  fetch per page, never a wrong 304.
- Retries: connection errors, timeouts, bodies cut short, 429 and 5xx; up to
  ``max_attempts`` attempts, of which at most ``connect_attempts`` may fail to connect at
  all (refused, DNS, connect timeout), so a dead site or a wrong base_url shows in seconds;
  exponential backoff from ``backoff_initial`` doubling to ``backoff_max`` plus up to
  ``backoff_initial`` of jitter; a Retry-After replaces the backoff, and one over
  ``retry_after_cap`` gives up on the URL at once. Never retried: other 4xx, block pages,
  oversized bodies, codings not asked for, refused redirects.
- Bodies: ``max_body_bytes`` bounds the decoded body, checked as it decodes a step at a time
  (`scraper.net.decode`), so a gzip bomb is refused near the cap, never inflated whole. A
  body cut short is retried: fewer bytes than its Content-Length, or, with none, a gzip or
  deflate coding that stops before its end. A
  body must arrive within ``BODY_TIMEOUT_FACTOR`` times ``timeout`` (a body dripped a byte
  at a time passes every per-read timeout); one slower is retried like a timeout.
- Giving up: UnreachableError when the last try could not connect ("cannot reach ...");
  UnavailableError (with the last status, if any) when the site answered, or half answered,
  badly; so a caller can stop a run on the first, and count the second in a row.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

import httpx
from tenacity import (
    RetryCallState,
    RetryError,
    Retrying,
    retry_if_exception_type,
    wait_exponential_jitter,
)

from scraper.errors import (
    BlockedError,
    BudgetError,
    FetchError,
    RedirectError,
    RobotsBlockedError,
    RobotsError,
    UnavailableError,
    UnreachableError,
)
from scraper.net.cookies import SiteCookie, for_site, load_cookies
from scraper.net.decode import ACCEPT_ENCODING, CutShortError, DecodeError, Decoder
from scraper.net.politeness import RateLimiter, RobotsRules, parse_retry_after, product_token
from scraper.net.settings import DEFAULT_PORTS as _DEFAULT_PORTS
from scraper.net.settings import FetchSettings, parse_url
from scraper.net.source import ClosedOnExit, Fetched
from scraper.site.blockpage import BLOCK_ADVICE, is_block_page

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
#: A whole body must arrive within this many times `timeout` (which bounds each read).
BODY_TIMEOUT_FACTOR = 4
# RFC 9309 §2.5: crawlers must read at least 500 KiB of a robots.txt; the rest may be ignored.
ROBOTS_MAX_BYTES = 512 * 1024
REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Transport failures worth another try; others (bad URL, unsupported scheme) never heal.
_TRANSIENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
# No connection made at all: these have their own, smaller budget (connect_attempts).
_NO_CONNECTION = (httpx.ConnectError, httpx.ConnectTimeout)
# What a failed connection's message says → what to tell the user; first match wins.
_CONNECT_CAUSES = (
    (("refused",), "connection refused"),
    (
        (
            "name or service not known",
            "name resolution",
            "nodename nor servname",
            "getaddrinfo",
            "no address associated",
        ),
        "host name not found in DNS",
    ),
    (("network is unreachable", "no route to host"), "no route to the host"),
    (("ssl", "certificate", "tls"), "TLS handshake failed"),
)


class RobotsCache(Protocol):
    """Where robots.txt is kept between runs, so a day's runs fetch it once."""

    def load_robots(self, site: str) -> tuple[str, float] | None:
        """Return (text, age in seconds) of the robots.txt kept for `site`, or None."""
        ...

    def save_robots(self, site: str, text: str) -> None:
        """Keep a freshly fetched robots.txt for `site`."""
        ...


class ValidatorStore(Protocol):
    """Where ETag and Last-Modified of earlier fetches are kept, keyed by requested URL.

    The fetcher only reads them: the job keeps a response's validators once its content is
    in the archive (`Session.commit`), so a failed write never leaves a wrong 304 behind.
    """

    def get_validators(self, url: str) -> tuple[str | None, str | None] | None:
        """Return (etag, last_modified) stored for `url`, or None."""
        ...


@dataclass(frozen=True)
class _Response:
    status: int
    headers: httpx.Headers
    body: bytes
    location: str | None = None
    #: The headers the request went out with (kept in WARC), as httpx sent them.
    sent: tuple[tuple[str, str], ...] = ()


class _Retryable(Exception):
    """One attempt failed in a way another attempt may not."""

    def __init__(
        self,
        reason: str,
        status: int | None = None,
        wait: float | None = None,
        *,
        connect: bool = False,
    ) -> None:
        super().__init__(reason)
        self.status = status
        self.wait = wait
        self.connect = connect


class _GaveUp(Exception):
    """Retries for one URL ran out; the caller words it for a page or for robots.txt."""

    def __init__(self, url: httpx.URL, summary: str, status: int | None, *, connect: bool) -> None:
        super().__init__(summary)
        self.url = url
        self.summary = summary
        self.status = status
        self.connect = connect

    def unreachable(self) -> UnreachableError:
        """The error for a URL that could not even be connected to."""
        return UnreachableError(
            f"cannot reach {self.url}: {self.summary}; check your network and base_url, "
            "or try later",
            url=str(self.url),
        )

    def for_page(self) -> UnavailableError:
        """The error for a page: unreachable when no connection was made, else unavailable."""
        if self.connect:
            return self.unreachable()
        return UnavailableError(
            f"{self.url}: {self.summary}; given up, try again later",
            url=str(self.url),
            status=self.status,
        )


class Fetcher(ClosedOnExit):
    """Polite GETs against one site; see the module docstring for the policies."""

    def __init__(
        self,
        settings: FetchSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        validators: ValidatorStore | None = None,
        robots_cache: RobotsCache | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        budget: int | None = None,
    ) -> None:
        """A client for the configured site. `sleep` waits out backoffs and spacing: by
        default a wait that `close()` ends at once, so a stopped run is not held by them."""
        self._closed = threading.Event()
        # Not a bound method: the client would hold itself, and wait for a full collection.
        sleep = sleep or _until_set(self._closed)
        self._settings = settings
        self._robots_cache = robots_cache
        self._site = httpx.URL(settings.base_url)
        self._agent = product_token(settings.user_agent)
        self._validators = validators
        self._sleep = sleep
        self._clock = clock
        self._limiter = RateLimiter(settings.interval, sleep=sleep, clock=clock)
        self._slots = threading.BoundedSemaphore(settings.concurrency)
        self._count_lock = threading.Lock()
        self._requests = 0
        #: At most this many requests for pages (robots.txt aside), retries included.
        self._budget = budget
        self._page_requests = 0
        self._robots_lock = threading.Lock()
        self._robots: RobotsRules | None = None
        # Why robots.txt could not be read this run (message, url, status): nothing may be fetched.
        self._robots_failure: tuple[str, str, int | None] | None = None
        self._notes: list[str] = []
        self._backoff = wait_exponential_jitter(
            multiplier=settings.backoff_initial,
            max=settings.backoff_max,
            jitter=settings.backoff_initial,
            min=settings.backoff_initial,
        )
        # Cookies first: a bad file must not leave an open client behind.
        cookies = load_cookies(settings.cookies_file, self._site.host)
        self._client = httpx.Client(
            # Only the codings scraper.net.decode undoes, a bounded step at a time.
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            cookies=cookies,
            timeout=httpx.Timeout(settings.timeout),
            limits=httpx.Limits(max_connections=settings.concurrency),
            follow_redirects=False,
            transport=transport,
        )

    @property
    def requests_made(self) -> int:
        """Every HTTP request sent so far: retries, redirect hops and robots.txt included."""
        with self._count_lock:
            return self._requests

    def notes(self) -> tuple[str, ...]:
        """What a run's report should say about robots.txt as fetched this run (errors raise)."""
        with self._robots_lock:
            return tuple(self._notes)

    def get(self, path_or_url: str, *, conditional: bool = False) -> Fetched:
        """Fetch a path (``/release/x``) or absolute URL on the site; raise FetchError if not."""
        url = self._resolve(path_or_url)
        key = str(url)
        stored = self._stored_validators(key) if conditional else None
        headers = _conditional_headers(stored)
        try:
            final, response = self._follow(url, headers, check_robots=self._settings.obey_robots)
        except _GaveUp as gave_up:
            raise gave_up.for_page() from gave_up.__cause__
        etag = response.headers.get("ETag")
        last_modified = response.headers.get("Last-Modified")
        if response.status == 304:
            old_etag, old_modified = stored or (None, None)
            return Fetched(
                str(final), 304, b"", etag or old_etag, last_modified or old_modified, key
            )
        return Fetched(
            str(final),
            response.status,
            response.body,
            etag,
            last_modified,
            key,
            tuple(response.headers.multi_items()),
            response.sent,
        )

    @property
    def site(self) -> httpx.URL:
        """The configured site's root (base_url)."""
        return self._site

    @property
    def user_agent(self) -> str:
        """The User-Agent every request of this run goes with."""
        return self._settings.user_agent

    def pace(self, url: str) -> None:
        """Let another client's request for `url` (the browser's) go out as one of ours would:
        on the site, allowed by robots.txt, within the budget, after the interval, counted.
        Raises FetchError (RobotsError, BudgetError, ...) when it must not go out."""
        target = self._resolve(url)
        if self._settings.obey_robots:
            self._check_robots(target)
        self._claim(target, robots=False)

    def redirect_target(self, current: str, location: str) -> str:
        """Where another client's redirect from `current` leads, as our own would be
        followed; RedirectError when it must not be (off the site, not http(s))."""
        return str(self._redirect_target(self._resolve(current), location))

    def take_cookies(self, cookies: list[SiteCookie], source: str) -> None:
        """Send these cookies (only those for the site's host) with every later request."""
        for cookie in for_site(cookies, self._site.host, source):
            self._client.cookies.jar.set_cookie(cookie.to_cookie())

    def close(self) -> None:
        """Close the HTTP client and its connections; requests in flight are not retried."""
        self._closed.set()
        self._client.close()

    # -- addresses ---------------------------------------------------------------------------

    def _resolve(self, path_or_url: str) -> httpx.URL:
        if path_or_url.startswith("/") and not path_or_url.startswith("//"):
            url = parse_url(str(self._site).rstrip("/") + path_or_url)
        else:
            url = parse_url(path_or_url)
        if url is None or url.scheme not in _DEFAULT_PORTS:
            raise FetchError(
                f"{path_or_url!r} is not a path or an http(s) URL; pass a path like /release/x",
                url=path_or_url,
            )
        if not self._on_site(url):
            raise FetchError(
                f"{url} is not on the configured site {self._site}; pass its path instead",
                url=str(url),
            )
        return url.copy_with(fragment=None)

    def _on_site(self, url: httpx.URL) -> bool:
        return (url.scheme, url.host, _port(url)) == (
            self._site.scheme,
            self._site.host,
            _port(self._site),
        )

    def _redirect_target(self, current: httpx.URL, location: str) -> httpx.URL:
        try:
            target = current.join(location).copy_with(fragment=None)
        except httpx.InvalidURL as exc:
            raise RedirectError(
                f"{current} redirects to an unreadable Location {location!r}", url=str(current)
            ) from exc
        if target.scheme not in _DEFAULT_PORTS:
            raise RedirectError(
                f"{current} redirects to {target}, which is not http(s); not followed",
                url=str(current),
            )
        if not self._on_site(target):
            raise RedirectError(
                f"{current} redirects to {target}, outside {self._site}; not followed "
                "(if base_url is a mirror, it is sending us to another host: fix the mirror)",
                url=str(current),
            )
        return target

    # -- robots.txt --------------------------------------------------------------------------

    def _check_robots(self, url: httpx.URL) -> None:
        if not self._robots_rules().allows(str(url), self._agent):
            raise RobotsError(
                f"{url}: {self._site}/robots.txt disallows it for {self._agent}; not fetched",
                url=str(url),
            )

    def _robots_rules(self) -> RobotsRules:
        # One lock for the check and the fetch, so concurrent callers fetch robots.txt once.
        with self._robots_lock:
            if self._robots_failure is not None:
                # A fresh error each time: one instance raised in several threads would share
                # (and garble) its traceback.
                message, url, status = self._robots_failure
                raise UnreachableError(message, url=url, status=status)
            if self._robots is None or self._robots.expired(
                self._clock(), self._settings.robots_ttl
            ):
                try:
                    self._robots = self._load_robots()
                except UnreachableError as exc:
                    self._robots_failure = (str(exc), exc.url, exc.status)
                    raise
                delay = self._robots.delay(self._agent)
                self._limiter.interval = max(self._settings.interval, delay)
            return self._robots

    def _load_robots(self) -> RobotsRules:
        """robots.txt's rules, from the cache or the site; UnreachableError when unreadable."""
        kept = self._kept_robots()
        if kept is not None:
            return kept
        url = self._site.join("/robots.txt")
        try:
            _, response = self._follow(url, {}, check_robots=False, robots=True)
        except _GaveUp as gave_up:
            if gave_up.connect:
                raise gave_up.unreachable() from gave_up.__cause__
            raise self._robots_unavailable(url, gave_up.summary, gave_up.status) from gave_up
        except RedirectError as exc:
            return self._allow_all(
                f"robots.txt of {self._site} cannot be read: {exc}; taken as unavailable: "
                "no rules, every URL allowed (RFC 9309 §2.3.1.2)",
                problem=True,
            )
        except BlockedError:
            raise
        except FetchError as exc:
            if self._closed.is_set():
                raise  # the run was stopped: that says nothing about robots.txt
            if exc.status is None or not 400 <= exc.status <= 499:
                raise self._robots_unavailable(url, str(exc), exc.status) from exc
            gone = exc.status in (404, 410)
            if gone:
                self._keep_robots("")  # there is none: true for later runs too
            return self._allow_all(
                f"robots.txt of {self._site} answered HTTP {exc.status}: no rules, "
                "every URL allowed",
                problem=not gone,
            )
        return self._read_robots(response.body)

    def _read_robots(self, body: bytes) -> RobotsRules:
        """Rules from robots.txt's body, cut to ROBOTS_MAX_BYTES in whole lines if longer."""
        if len(body) > ROBOTS_MAX_BYTES:
            # Whole lines only: "Allow: /private/public" cut short would allow all of /private.
            body = body[: body.rfind(b"\n", 0, ROBOTS_MAX_BYTES) + 1]
            self._note(
                f"robots.txt of {self._site} is larger than {ROBOTS_MAX_BYTES} bytes; only the "
                f"rules in its first {len(body)} bytes are used (RFC 9309 §2.5)",
                problem=True,
            )
        text = body.decode("utf-8", errors="replace")
        self._keep_robots(text)
        return RobotsRules.parse(text, self._clock())

    def _robots_unavailable(
        self, url: httpx.URL, reason: str, status: int | None
    ) -> UnreachableError:
        """The error every page gets while robots.txt cannot be read."""
        return UnreachableError(
            f"robots.txt of {self._site} is unavailable ({reason}); by RFC 9309 nothing may be "
            "fetched until it can be read; try again later",
            url=str(url),
            status=status,
        )

    def _allow_all(self, note: str, *, problem: bool) -> RobotsRules:
        """No rules: every URL allowed, and the report told why."""
        self._note(note, problem=problem)
        return RobotsRules.allow_all(self._clock())

    def _note(self, note: str, *, problem: bool) -> None:
        """Keep a note for the run's report (once); log it as a warning if it is a problem."""
        if problem:
            log.warning("%s", note)
        if note not in self._notes:
            self._notes.append(note)

    def _kept_robots(self) -> RobotsRules | None:
        """robots.txt from the cache of earlier runs, while younger than robots_ttl."""
        if self._robots_cache is None or self._robots is not None:
            return None  # a refresh after the TTL in this run goes to the site
        kept = self._robots_cache.load_robots(str(self._site))
        if kept is None or kept[1] >= self._settings.robots_ttl:
            return None
        text, age = kept
        return RobotsRules.parse(text, self._clock() - age)

    def _keep_robots(self, text: str) -> None:
        """Keep a fetched robots.txt (empty when the site has none) for later runs."""
        if self._robots_cache is not None:
            self._robots_cache.save_robots(str(self._site), text)

    # -- requests ----------------------------------------------------------------------------

    def _follow(
        self, url: httpx.URL, headers: dict[str, str], *, check_robots: bool, robots: bool = False
    ) -> tuple[httpx.URL, _Response]:
        """GET `url`, following redirects on the site; `robots` when it is robots.txt."""
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            if check_robots:
                self._check_robots(current)
            response = self._request(current, headers, robots=robots)
            if response.location is None:
                return current, response
            current = self._redirect_target(current, response.location)
        raise RedirectError(f"{url}: more than {MAX_REDIRECTS} redirects", url=str(url))

    def _request(self, url: httpx.URL, headers: dict[str, str], *, robots: bool) -> _Response:
        settings = self._settings
        connect_failures = 0

        def spent(state: RetryCallState) -> bool:
            # Called once per failed attempt: counts the ones that never connected.
            nonlocal connect_failures
            error = state.outcome.exception() if state.outcome is not None else None
            if isinstance(error, _Retryable) and error.connect:
                connect_failures += 1
            return (
                state.attempt_number >= settings.max_attempts
                or connect_failures >= settings.connect_attempts
            )

        retrying = Retrying(
            sleep=self._sleep,
            stop=spent,
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            before_sleep=lambda state: _log_retry(url, settings, state),
        )
        try:
            return retrying(self._attempt, url, headers, robots)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            assert isinstance(last, _Retryable)  # only these are retried
            tries = exc.last_attempt.attempt_number
            summary = f"{last} after {tries} attempt{'s' if tries > 1 else ''}"
            raise _GaveUp(url, summary, last.status, connect=last.connect) from last

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome is not None else None
        if isinstance(error, _Retryable) and error.wait is not None:
            return error.wait
        return float(self._backoff(state))

    def _attempt(self, url: httpx.URL, headers: dict[str, str], robots: bool) -> _Response:
        try:
            status, response_headers, body, sent = self._send(url, headers, robots=robots)
        except _TRANSIENT as exc:
            if self._closed.is_set():
                # Closed under us (the run was interrupted): no further try may go out.
                raise FetchError(f"{url}: the run was stopped", url=str(url)) from exc
            if isinstance(exc, _NO_CONNECTION):
                raise _Retryable(_connect_cause(exc), connect=True) from exc
            raise _Retryable(f"{type(exc).__name__}: {exc}") from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"{url}: {type(exc).__name__}: {exc}", url=str(url)) from exc
        # By body, whatever the status: the site serves its challenge with 200.
        if is_block_page(body):
            raise (RobotsBlockedError if robots else BlockedError)(
                f"{url}: the site is serving its bot-protection page to this client instead of"
                f" content: {BLOCK_ADVICE}",
                url=str(url),
                status=status,
            )
        judged = self._judge(
            url, status, response_headers, body, conditional=bool(headers), robots=robots
        )
        return dataclasses.replace(judged, sent=sent)

    def _claim(self, url: httpx.URL, *, robots: bool) -> None:
        """Claim one request: within the budget, after the interval, counted; or raise."""
        if self._closed.is_set():
            # A wait just ended by close(): no request may go out after it.
            raise FetchError(f"{url}: the run was stopped", url=str(url))
        with self._count_lock:
            if not robots and self._budget is not None and self._page_requests >= self._budget:
                raise BudgetError(
                    f"{url}: not requested, the budget of {self._budget} requests is spent",
                    url=str(url),
                )
            self._page_requests += not robots
        self._limiter.wait()
        if self._closed.is_set():
            raise FetchError(f"{url}: the run was stopped", url=str(url))
        with self._count_lock:
            self._requests += 1

    def _send(
        self, url: httpx.URL, headers: dict[str, str], *, robots: bool
    ) -> tuple[int, httpx.Headers, bytes, tuple[tuple[str, str], ...]]:
        with self._slots:
            self._claim(url, robots=robots)
            request = self._client.build_request("GET", url, headers=headers)
            response = self._client.send(request, stream=True)
            try:
                body = self._read_body(url, response, robots=robots)
                return response.status_code, response.headers, body, _pairs(request.headers)
            finally:
                response.close()

    def _read_body(self, url: httpx.URL, response: httpx.Response, *, robots: bool) -> bytes:
        # robots.txt over its limit is cut, not refused (RFC 9309 §2.5): one byte more than
        # the limit is kept, to say there was more.
        cap = ROBOTS_MAX_BYTES if robots else self._settings.max_body_bytes
        declared = _content_length(response)
        if declared is not None and declared > cap and not robots:
            raise _too_large(url, cap, f"Content-Length {declared}")
        # A body handed over whole (MockTransport's content=) cannot have been cut short, and
        # a 304's Content-Length describes the stored copy, not a body that follows.
        checked = declared is not None and not response.is_stream_consumed
        checked = checked and response.status_code not in (204, 304)
        chunks: list[bytes] = []
        size = 0
        # `timeout` bounds each read; a body dripped a byte at a time passes every read, so
        # the whole body has a deadline too.
        deadline = self._settings.timeout * BODY_TIMEOUT_FACTOR
        started = self._clock()
        # Decoded here, not by httpx, a bounded step at a time: a gzip bomb is refused at
        # the cap instead of being inflated whole in one call.
        for chunk in _decoded(url, response):
            size += len(chunk)
            chunks.append(chunk)
            if size > cap:
                if robots:
                    return b"".join(chunks)[: cap + 1]
                raise _too_large(url, cap, f"over {size} bytes decoded")
            if self._clock() - started > deadline:
                raise _Retryable(
                    f"body took longer than {deadline:g}s ({BODY_TIMEOUT_FACTOR} x timeout) "
                    f"to arrive: {response.num_bytes_downloaded} bytes in"
                )
        # A real socket raises RemoteProtocolError for this; other transports may not.
        received = response.num_bytes_downloaded
        if checked and declared is not None and received < declared:
            raise _Retryable(f"body cut short: {received} of {declared} bytes")
        return b"".join(chunks)

    def _judge(
        self,
        url: httpx.URL,
        status: int,
        headers: httpx.Headers,
        body: bytes,
        *,
        conditional: bool,
        robots: bool,
    ) -> _Response:
        # Any 2xx is robots.txt's answer (RFC 9309 §2.3.1.1); pages come with 200.
        if status == 200 or (robots and 200 <= status <= 299) or (status == 304 and conditional):
            return _Response(status, headers, body)
        if status in REDIRECTS and headers.get("Location"):
            return _Response(status, headers, body, location=headers["Location"])
        if status == 429 or 500 <= status <= 599:
            wait = parse_retry_after(headers.get("Retry-After"), date=headers.get("Date"))
            if wait is not None and wait > self._settings.retry_after_cap:
                raise _GaveUp(
                    url,
                    f"HTTP {status} asking to wait {wait:.0f}s (Retry-After), over the "
                    f"{self._settings.retry_after_cap:.0f}s retry_after_cap",
                    status,
                    connect=False,
                )
            if wait is not None:
                # Every thread waits, not only this one: the server is speaking for the host.
                self._limiter.hold_off(wait)
            raise _Retryable(f"HTTP {status}", status=status, wait=wait)
        if status in (404, 410):
            raise FetchError(f"{url}: HTTP {status}, no such page", url=str(url), status=status)
        raise FetchError(f"{url}: unexpected HTTP {status}", url=str(url), status=status)

    def _stored_validators(self, key: str) -> tuple[str | None, str | None] | None:
        return None if self._validators is None else self._validators.get_validators(key)


def _conditional_headers(stored: tuple[str | None, str | None] | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if stored is not None:
        etag, last_modified = stored
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
    return headers


def _pairs(headers: httpx.Headers) -> tuple[tuple[str, str], ...]:
    """Headers as (name, value) pairs, names cased as sent."""
    return tuple((k.decode(headers.encoding), v.decode(headers.encoding)) for k, v in headers.raw)


def _port(url: httpx.URL) -> int | None:
    return url.port or _DEFAULT_PORTS.get(url.scheme)


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("Content-Length", "")
    return int(value) if value.strip().isdigit() else None


def _decoded(url: httpx.URL, response: httpx.Response) -> Iterator[bytes]:
    """The body as it decodes, in bounded pieces; FetchError if its coding is refused."""
    if response.is_stream_consumed:
        # Handed over whole and decoded already (MockTransport's content=): no socket here.
        yield response.content
        return
    try:
        decoder = Decoder(response.headers.get("Content-Encoding", ""))
        yield from decoder.decode(response.iter_raw())
    except CutShortError as exc:
        # Without a Content-Length only the coding shows it: retried like one that has.
        received = response.num_bytes_downloaded
        raise _Retryable(f"body cut short: {exc} ({received} bytes in)") from None
    except DecodeError as exc:
        raise FetchError(f"{url}: body not stored: {exc}", url=str(url)) from None


def _too_large(url: httpx.URL, cap: int, seen: str) -> FetchError:
    return FetchError(
        f"{url}: body larger than max_body_bytes ({cap}): {seen}; not stored", url=str(url)
    )


def _connect_cause(exc: httpx.HTTPError) -> str:
    """Say in words why no connection was made, keeping the system's own message."""
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout):
        return f"connection timed out ({detail})"
    lowered = detail.lower()
    for needles, cause in _CONNECT_CAUSES:
        if any(needle in lowered for needle in needles):
            return f"{cause} ({detail})"
    return f"connection failed ({detail})"


def _log_retry(url: httpx.URL, settings: FetchSettings, state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome is not None else None
    log.warning(
        "%s: %s; attempt %d of %d (%d if none connects), retrying in %.1fs",
        url,
        error,
        state.attempt_number,
        settings.max_attempts,
        settings.connect_attempts,
        state.upcoming_sleep,
    )


def _until_set(event: threading.Event) -> Callable[[float], None]:
    """A sleep that ends early, at once, when the event is set (the client is closed)."""

    def pause(seconds: float) -> None:
        event.wait(seconds)

    return pause
