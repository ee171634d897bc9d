"""Fetcher on httpx.MockTransport with a fake clock: no network, no real waiting."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from scraper.errors import (
    BlockedError,
    BudgetError,
    ConfigError,
    FetchError,
    RedirectError,
    RobotsBlockedError,
    RobotsError,
    UnavailableError,
    UnreachableError,
)
from scraper.net.fetch import Fetcher
from scraper.net.politeness import parse_retry_after, product_token
from scraper.net.settings import FetchSettings
from scraper.net.source import Fetched
from tests.fakesite import (
    FIXTURES,
    PAGE,
    SITE,
    FakeTime,
    Handler,
    MemoryRobots,
    Site,
    fail,
    make,
    reply,
)

BLOCK_212 = (FIXTURES / "blocked" / "incapsula-212.html").read_bytes()
PARDON = b"<html><head><title>Pardon Our Interruption</title></head><body>...</body></html>"


def test_sends_user_agent_on_every_request() -> None:
    site = Site({"/release/a": [reply()]})
    with make(site, user_agent="testbot/1.0 (+https://example.test)") as fetcher:
        fetched = fetcher.get("/release/a")
    assert fetched == Fetched(f"{SITE}/release/a", 200, PAGE, None, None, f"{SITE}/release/a")
    assert site.paths() == ["/robots.txt", "/release/a"]
    assert {r.headers["User-Agent"] for r in site.requests} == {
        "testbot/1.0 (+https://example.test)"
    }
    assert "gzip" in site.requests[1].headers["Accept-Encoding"]


def test_percent_encoded_path_is_sent_as_is() -> None:
    raw = "/release/t%C4%81maki-makaurau-election-date-set%C2%A0"
    site = Site()
    site.routes[httpx.URL(SITE + raw).path] = [reply()]
    with make(site) as fetcher:
        fetched = fetcher.get(raw)
    assert site.requests[-1].url.raw_path == raw.encode()
    assert fetched.url == SITE + raw


# -- robots.txt ------------------------------------------------------------------------------

ROBOTS = b"User-agent: *\nDisallow: /private\n"


def test_robots_disallow_raises_without_requesting_the_page() -> None:
    site = Site({"/robots.txt": [reply(body=ROBOTS)], "/private/x": [reply()]})
    with make(site) as fetcher, pytest.raises(RobotsError) as caught:
        fetcher.get("/private/x")
    assert caught.value.url == f"{SITE}/private/x"
    assert site.paths() == ["/robots.txt"]


def test_robots_group_matched_by_product_token() -> None:
    robots = b"User-agent: testbot\nDisallow: /\n\nUser-agent: *\nAllow: /\n"
    site = Site({"/robots.txt": [reply(body=robots)], "/release/a": [reply()]})
    fetcher = make(site, user_agent="TestBot/2.0 (+https://example.test)")
    with fetcher, pytest.raises(RobotsError):
        fetcher.get("/release/a")
    assert product_token("beehive-scraper/0.1 (+https://x)") == "beehive-scraper"


def test_robots_kept_between_runs_until_the_ttl() -> None:
    site = Site({"/robots.txt": [reply(body=ROBOTS)], "/private/x": [reply()]})
    cache = MemoryRobots()
    with make(site, robots_cache=cache) as fetcher, pytest.raises(RobotsError):
        fetcher.get("/private/x")
    with make(site, robots_cache=cache) as fetcher, pytest.raises(RobotsError):
        fetcher.get("/private/x")
    assert site.paths() == ["/robots.txt"]
    cache.age = 86400.0
    with make(site, robots_cache=cache) as fetcher, pytest.raises(RobotsError):
        fetcher.get("/private/x")
    assert site.paths() == ["/robots.txt", "/robots.txt"]


def test_robots_fetched_once_then_again_after_ttl() -> None:
    site = Site({"/robots.txt": [reply(body=ROBOTS)], "/release/a": [reply()]})
    time = FakeTime()
    with make(site, time, robots_ttl=100.0) as fetcher:
        for _ in range(3):
            fetcher.get("/release/a")
        assert site.paths().count("/robots.txt") == 1
        time.now += 100.0
        fetcher.get("/release/a")
    assert site.paths().count("/robots.txt") == 2


def test_crawl_delay_raises_the_interval() -> None:
    robots = b"User-agent: *\nCrawl-delay: 5\n"
    site = Site({"/robots.txt": [reply(body=robots)], "/release/a": [reply()]})
    time = FakeTime()
    with make(site, time, interval=1.0) as fetcher:
        fetcher.get("/release/a")
        fetcher.get("/release/a")
    assert time.sleeps == [5.0, 5.0]


UNAVAILABLE = (
    f"robots.txt of {SITE} is unavailable (HTTP 503 after 5 attempts); by RFC 9309 nothing may "
    "be fetched until it can be read; try again later"
)


def test_robots_5xx_disallows_everything_and_requests_no_page() -> None:
    site = Site({"/robots.txt": [reply(503, b"down")], "/release/a": [reply()]})
    cache = MemoryRobots()
    with make(site, robots_cache=cache) as fetcher:
        with pytest.raises(UnreachableError) as caught:
            fetcher.get("/release/a")
        assert str(caught.value) == UNAVAILABLE
        assert caught.value.url == f"{SITE}/robots.txt" and caught.value.status == 503
        # The failure is remembered for the run: later pages fail at once, with no request.
        for path in ("/release/a", "/release/b"):
            with pytest.raises(UnreachableError, match=r"robots\.txt of"):
                fetcher.get(path)
    assert site.paths() == ["/robots.txt"] * 5
    assert cache.kept == {}  # the next run asks again


def test_robots_unavailable_at_a_refresh_stops_the_run_too() -> None:
    site = Site({"/robots.txt": [reply(body=ROBOTS), reply(503, b"")], "/release/a": [reply()]})
    time = FakeTime()
    with make(site, time, robots_ttl=100.0, max_attempts=2) as fetcher:
        fetcher.get("/release/a")
        time.now += 100.0
        # Rules older than robots_ttl are not used instead (RFC 9309 §2.4 would allow it).
        with pytest.raises(UnreachableError):
            fetcher.get("/release/a")
    assert site.paths() == ["/robots.txt", "/release/a", "/robots.txt", "/robots.txt"]


@pytest.mark.parametrize(
    ("handler", "said"),
    [
        (fail(httpx.ReadTimeout("timed out")), "ReadTimeout: timed out after 2 attempts"),
        (fail(httpx.ReadError("[Errno 104] reset")), "ReadError: [Errno 104] reset after 2"),
        (reply(429, b"slow", {"Retry-After": "0"}), "HTTP 429 after 2 attempts"),
        (reply(503, b"", {"Retry-After": "3600"}), "HTTP 503 asking to wait 3600s"),
        (reply(300, b"choose"), "unexpected HTTP 300"),
    ],
    ids=["timeout", "reset", "429", "retry-after", "300"],
)
def test_robots_that_cannot_be_read_disallows_everything(handler: Handler, said: str) -> None:
    site = Site({"/robots.txt": [handler], "/release/a": [reply()]})
    with make(site, max_attempts=2) as fetcher, pytest.raises(UnreachableError) as caught:
        fetcher.get("/release/a")
    assert str(caught.value).startswith(f"robots.txt of {SITE} is unavailable (")
    assert said in str(caught.value) and "by RFC 9309 nothing may be fetched" in str(caught.value)
    assert "/release/a" not in site.paths()


def test_robots_unreachable_is_asked_for_once_by_concurrent_callers() -> None:
    site = Site({"/robots.txt": [reply(500, b"")], "/release/a": [reply()]})
    with make(site, max_attempts=3) as fetcher, ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(fetcher.get, "/release/a") for _ in range(8)]
        for future in futures:
            with pytest.raises(UnreachableError):
                future.result(timeout=10)
    assert site.paths() == ["/robots.txt"] * 3


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 451])
def test_robots_4xx_allows_all_with_a_note(status: int) -> None:
    site = Site({"/robots.txt": [reply(status, b"no")], "/release/a": [reply()]})
    cache = MemoryRobots()
    with make(site, robots_cache=cache) as fetcher:
        assert fetcher.get("/release/a").body == PAGE
        assert fetcher.get("/release/a").body == PAGE
        notes = fetcher.notes()
    assert notes == (f"robots.txt of {SITE} answered HTTP {status}: no rules, every URL allowed",)
    assert site.paths() == ["/robots.txt", "/release/a", "/release/a"]  # not retried
    # "There is none" holds for later runs; "not for you" is asked again.
    assert cache.kept == ({SITE: ""} if status in (404, 410) else {})


def test_robots_redirect_within_the_site_is_followed() -> None:
    site = Site(
        {"/robots.txt": [redirect("/robots-new.txt")], "/robots-new.txt": [reply(body=ROBOTS)]}
    )
    with make(site) as fetcher, pytest.raises(RobotsError):
        fetcher.get("/private/x")
    assert fetcher.notes() == ()


def test_robots_redirect_off_the_site_is_not_followed_and_allows_all() -> None:
    away = "https://elsewhere.test/robots.txt"
    site = Site({"/robots.txt": [redirect(away)], "/release/a": [reply()]})
    with make(site) as fetcher:
        assert fetcher.get("/release/a").body == PAGE
        (note,) = fetcher.notes()
    assert note.startswith(f"robots.txt of {SITE} cannot be read: ") and away in note
    assert note.endswith("no rules, every URL allowed (RFC 9309 §2.3.1.2)")
    assert site.paths() == ["/robots.txt", "/release/a"]


def test_oversized_robots_is_read_to_the_limit_in_whole_lines() -> None:
    limit = 512 * 1024
    head = b"User-agent: *\nDisallow: /private\n"
    filler = b"# " + b"x" * (limit - len(head) - 40) + b"\n"
    # A line cut at the limit could allow what it forbids ("Allow: /" of "Allow: /private/...").
    cut = b"Allow: /private/public-and-much-longer\n"
    tail = b"Disallow: /release\n"
    assert len(head + filler) < limit < len(head + filler + cut)
    body = head + filler + cut + tail
    site = Site({"/robots.txt": [reply(body=body)], "/release/a": [reply()]})
    cache = MemoryRobots()
    with make(site, robots_cache=cache, max_body_bytes=1000) as fetcher:
        assert fetcher.get("/release/a").body == PAGE
        with pytest.raises(RobotsError):
            fetcher.get("/private/public-and-much-longer")
        (note,) = fetcher.notes()
    assert f"robots.txt of {SITE} is larger than 524288 bytes" in note
    assert cache.kept[SITE].encode() == head + filler
    assert site.paths().count("/robots.txt") == 1


def test_block_page_for_robots_raises_blocked() -> None:
    site = Site({"/robots.txt": [reply(body=BLOCK_212)], "/release/a": [reply()]})
    with make(site) as fetcher, pytest.raises(RobotsBlockedError) as caught:
        fetcher.get("/release/a")
    # The URL that was requested, and blocked: robots.txt, not the page asked for.
    assert caught.value.url == f"{SITE}/robots.txt"
    assert str(caught.value).startswith(f"{SITE}/robots.txt: ")
    assert site.paths() == ["/robots.txt"]


def test_obey_robots_false_skips_robots() -> None:
    site = Site({"/robots.txt": [reply(body=b"User-agent: *\nDisallow: /\n")], "/a": [reply()]})
    with make(site, obey_robots=False) as fetcher:
        fetcher.get("/a")
    assert site.paths() == ["/a"]


# -- spacing and concurrency -----------------------------------------------------------------


def test_interval_spaces_request_starts() -> None:
    site = Site({"/release/a": [reply()]})
    time = FakeTime()
    with make(site, time, interval=2.0) as fetcher:
        fetcher.get("/release/a")
        fetcher.get("/release/a")
        assert time.sleeps == [2.0, 2.0]  # robots.txt, then each page 2 s after the last
        time.now += 0.5  # work between requests counts toward the interval
        fetcher.get("/release/a")
        time.now += 10.0
        fetcher.get("/release/a")
    assert time.sleeps == [2.0, 2.0, 1.5]


def test_concurrency_cap_holds_across_threads() -> None:
    cap = 2
    lock = threading.Lock()
    in_flight = 0
    peak = 0
    full = threading.Event()
    release = threading.Event()

    def page(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
            if in_flight == cap:
                full.set()
        try:
            assert release.wait(10)
        finally:
            with lock:
                in_flight -= 1
        return httpx.Response(200, content=PAGE)

    site = Site({"/robots.txt": [reply(404, b"")], "/release/a": [page]})
    with make(site, concurrency=cap) as fetcher, ThreadPoolExecutor(6) as pool:
        try:
            futures = [pool.submit(fetcher.get, "/release/a") for _ in range(6)]
            assert full.wait(10)
        finally:
            release.set()
        results = [future.result(timeout=10) for future in futures]
        assert fetcher.requests_made == 7
    assert all(result.body == PAGE for result in results)
    assert peak == cap


# -- retries ---------------------------------------------------------------------------------


def test_429_with_retry_after_seconds_waits_then_succeeds() -> None:
    site = Site({"/release/a": [reply(429, b"slow down", {"Retry-After": "7"}), reply()]})
    time = FakeTime()
    with make(site, time) as fetcher:
        assert fetcher.get("/release/a").body == PAGE
    assert time.sleeps == [7.0]


def test_retry_after_http_date_is_measured_from_the_date_header() -> None:
    headers = {
        "Date": "Wed, 21 Oct 2015 07:28:00 GMT",
        "Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT",
    }
    site = Site({"/release/a": [reply(503, b"busy", headers), reply()]})
    time = FakeTime()
    with make(site, time) as fetcher:
        assert fetcher.get("/release/a").status == 200
    assert time.sleeps == [30.0]


def test_retry_after_over_cap_gives_up_at_once() -> None:
    site = Site({"/release/a": [reply(429, b"later", {"Retry-After": "3600"}), reply()]})
    time = FakeTime()
    with make(site, time, retry_after_cap=120.0) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.get("/release/a")
    assert caught.value.status == 429 and "3600" in str(caught.value)
    assert time.sleeps == []
    assert site.paths().count("/release/a") == 1


def test_503_twice_then_200_backs_off_with_jitter() -> None:
    site = Site({"/release/a": [reply(503, b"busy"), reply(503, b"busy"), reply()]})
    time = FakeTime()
    with make(site, time, backoff_initial=1.0, backoff_max=60.0) as fetcher:
        assert fetcher.get("/release/a").body == PAGE
    first, second = time.sleeps
    assert 1.0 <= first <= 2.0 and 2.0 <= second <= 3.0


def test_backoff_never_exceeds_max() -> None:
    site = Site({"/release/a": [reply(500, b"oops")]})
    time = FakeTime()
    with make(site, time, max_attempts=8, backoff_max=5.0) as fetcher, pytest.raises(FetchError):
        fetcher.get("/release/a")
    assert len(time.sleeps) == 7 and all(1.0 <= s <= 5.0 for s in time.sleeps)


def test_connection_error_then_success() -> None:
    site = Site({"/release/a": [fail(httpx.ConnectError("refused")), reply()]})
    with make(site) as fetcher:
        assert fetcher.get("/release/a").body == PAGE
    assert site.paths() == ["/robots.txt", "/release/a", "/release/a"]


def test_gives_up_after_max_attempts_naming_url_status_and_attempts() -> None:
    site = Site({"/release/a": [reply(502, b"bad gateway")]})
    with make(site, max_attempts=3) as fetcher, pytest.raises(UnavailableError) as caught:
        fetcher.get("/release/a")
    message = str(caught.value)
    assert caught.value.status == 502 and caught.value.url == f"{SITE}/release/a"
    assert "3 attempts" in message and "HTTP 502" in message and "/release/a" in message
    assert site.paths().count("/release/a") == 3


@pytest.mark.parametrize("status", [404, 410, 403])
def test_client_errors_are_not_retried(status: int) -> None:
    site = Site({"/release/a": [reply(status, b"no")]})
    with make(site) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.get("/release/a")
    assert caught.value.status == status
    assert site.paths().count("/release/a") == 1


# -- block pages -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 403, 503])
@pytest.mark.parametrize("body", [BLOCK_212, PARDON], ids=["incapsula", "pardon"])
def test_block_page_raises_blocked_and_is_not_retried(status: int, body: bytes) -> None:
    site = Site({"/release/a": [reply(status, body), reply()]})
    with make(site) as fetcher, pytest.raises(BlockedError) as caught:
        fetcher.get("/release/a")
    assert "--cookies" in str(caught.value) and caught.value.url == f"{SITE}/release/a"
    assert site.paths().count("/release/a") == 1


# -- conditional requests --------------------------------------------------------------------


class MemoryValidators:
    """A ValidatorStore in a dict."""

    def __init__(self) -> None:
        self.data: dict[str, tuple[str | None, str | None]] = {}

    def get_validators(self, url: str) -> tuple[str | None, str | None] | None:
        return self.data.get(url)

    def put_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        self.data[url] = (etag, last_modified)


def test_conditional_get_sends_validators_and_returns_not_modified() -> None:
    modified = "Tue, 01 Apr 2025 04:42:54 GMT"
    headers = {"ETag": '"v1"', "Last-Modified": modified}
    site = Site({"/release/a": [reply(200, PAGE, headers), reply(304, b"")]})
    store = MemoryValidators()
    with make(site, validators=store) as fetcher:
        first = fetcher.get("/release/a", conditional=True)
        # The fetcher keeps nothing itself: the job keeps validators once the page is written.
        assert store.data == {}
        store.put_validators(first.requested, first.etag, first.last_modified)
        second = fetcher.get("/release/a", conditional=True)
    assert not first.not_modified and first.etag == '"v1"'
    assert store.data == {f"{SITE}/release/a": ('"v1"', modified)}
    assert "If-None-Match" not in site.requests[1].headers
    assert site.requests[2].headers["If-None-Match"] == '"v1"'
    assert site.requests[2].headers["If-Modified-Since"] == modified
    assert second == Fetched(f"{SITE}/release/a", 304, b"", '"v1"', modified, f"{SITE}/release/a")
    assert second.not_modified


def test_304_with_content_length_and_no_body_is_not_cut_short() -> None:
    store = MemoryValidators()
    store.put_validators(f"{SITE}/release/a", '"v1"', None)
    not_modified = httpx.Response(304, headers={"Content-Length": "5000"}, stream=Chunks())
    site = Site({"/release/a": [lambda request: not_modified]})
    with make(site, validators=store) as fetcher:
        assert fetcher.get("/release/a", conditional=True).not_modified
    assert site.paths().count("/release/a") == 1


def test_unconditional_get_sends_no_validators() -> None:
    site = Site({"/release/a": [reply()]})
    store = MemoryValidators()
    store.put_validators(f"{SITE}/release/a", '"v1"', None)
    with make(site, validators=store) as fetcher:
        fetcher.get("/release/a")
    assert "If-None-Match" not in site.requests[-1].headers


def test_unexpected_304_is_an_error() -> None:
    site = Site({"/release/a": [reply(304, b"")]})
    with make(site) as fetcher, pytest.raises(FetchError):
        fetcher.get("/release/a")


# -- redirects -------------------------------------------------------------------------------


def redirect(location: str, status: int = 301) -> Handler:
    return reply(status, b"", {"Location": location})


def test_redirect_within_site_is_followed() -> None:
    site = Site({"/node/1": [redirect("/release/a")], "/release/a": [reply()]})
    time = FakeTime()
    with make(site, time, interval=1.0) as fetcher:
        fetched = fetcher.get("/node/1")
        assert fetcher.requests_made == 3
    assert fetched.url == f"{SITE}/release/a" and fetched.body == PAGE
    assert time.sleeps == [1.0, 1.0]  # each hop passes the rate limiter


def test_redirect_to_the_public_host_is_refused() -> None:
    public = "https://www.beehive.govt.nz/release/a"
    site = Site({"/node/1": [redirect(public)]})
    with make(site) as fetcher, pytest.raises(RedirectError) as caught:
        fetcher.get("/node/1")
    assert public in str(caught.value) and f"{SITE}/node/1" in str(caught.value)
    assert site.paths() == ["/robots.txt", "/node/1"]


def test_redirect_to_ftp_is_refused() -> None:
    site = Site({"/node/1": [redirect("ftp://mirror.test/release/a", 302)]})
    with make(site) as fetcher, pytest.raises(RedirectError):
        fetcher.get("/node/1")


def test_redirect_to_a_disallowed_path_is_refused() -> None:
    site = Site({"/robots.txt": [reply(body=ROBOTS)], "/node/1": [redirect("/private/a")]})
    with make(site) as fetcher, pytest.raises(RobotsError):
        fetcher.get("/node/1")
    assert "/private/a" not in site.paths()


def test_redirect_loop_stops_after_five_hops() -> None:
    site = Site({"/a": [redirect("/b")], "/b": [redirect("/a")]})
    with make(site) as fetcher, pytest.raises(RedirectError):
        fetcher.get("/a")
    assert len(site.requests) == 1 + 6


@pytest.mark.parametrize(
    "target", ["https://www.beehive.govt.nz/release/a", "http://mirror.test/a", "ftp://x/a", "a"]
)
def test_get_refuses_other_sites_without_a_request(target: str) -> None:
    site = Site()
    with make(site) as fetcher, pytest.raises(FetchError):
        fetcher.get(target)
    assert site.requests == []


def test_get_accepts_absolute_url_on_the_site() -> None:
    site = Site({"/release/a": [reply()]})
    with make(site) as fetcher:
        assert fetcher.get(f"{SITE}/release/a").body == PAGE


# -- bodies ----------------------------------------------------------------------------------


class Chunks(httpx.SyncByteStream):
    """A response body sent in pieces, optionally failing after them."""

    def __init__(self, *chunks: bytes, error: Exception | None = None) -> None:
        self.chunks = chunks
        self.error = error

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        if self.error is not None:
            raise self.error


def streamed(*chunks: bytes, length: int | None = None, error: Exception | None = None) -> Handler:
    headers = {} if length is None else {"Content-Length": str(length)}
    return lambda request: httpx.Response(200, headers=headers, stream=Chunks(*chunks, error=error))


def test_body_over_cap_by_content_length_is_refused_without_retry() -> None:
    site = Site({"/release/a": [reply(body=b"x" * 200)]})
    with make(site, max_body_bytes=100) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.get("/release/a")
    assert "max_body_bytes" in str(caught.value)
    assert site.paths().count("/release/a") == 1


def test_body_over_cap_without_content_length_stops_reading() -> None:
    site = Site({"/release/a": [streamed(b"x" * 60, b"x" * 60, b"x" * 60)]})
    with make(site, max_body_bytes=100) as fetcher, pytest.raises(FetchError):
        fetcher.get("/release/a")
    assert site.paths().count("/release/a") == 1


def test_body_shorter_than_content_length_is_retried() -> None:
    site = Site({"/release/a": [streamed(PAGE[:10], length=len(PAGE)), reply()]})
    with make(site) as fetcher:
        assert fetcher.get("/release/a").body == PAGE
    assert site.paths().count("/release/a") == 2


def test_connection_dropped_mid_body_is_retried() -> None:
    # What httpx raises on a real socket when the peer closes before Content-Length bytes.
    cut = httpx.RemoteProtocolError("peer closed connection without sending complete body")
    site = Site({"/release/a": [streamed(PAGE[:10], error=cut), reply()]})
    with make(site) as fetcher:
        assert fetcher.get("/release/a").body == PAGE


def test_body_always_cut_short_is_never_returned() -> None:
    site = Site({"/release/a": [streamed(PAGE[:10], length=len(PAGE))]})
    with make(site, max_attempts=3) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.get("/release/a")
    assert "cut short" in str(caught.value)


def test_requests_made_counts_robots_retries_and_redirects() -> None:
    site = Site({"/node/1": [redirect("/a")], "/a": [reply(503, b""), reply()]})
    with make(site) as fetcher:
        fetcher.get("/node/1")
        assert fetcher.requests_made == 4


# -- cookies and settings --------------------------------------------------------------------


def test_cookies_file_is_sent(tmp_path: Path) -> None:
    cookies = tmp_path / "cookies.txt"
    cookies.write_text(
        "# Netscape HTTP Cookie File\n"
        "mirror.test\tFALSE\t/\tTRUE\t0\tincap_ses_1\tabc\n"
        ".mirror.test\tTRUE\t/\tTRUE\t4102444800\treese84\txyz\n"
    )
    site = Site({"/release/a": [reply()]})
    with make(site, cookies_file=cookies) as fetcher:
        fetcher.get("/release/a")
    sent = site.requests[-1].headers["Cookie"]
    assert "incap_ses_1=abc" in sent and "reese84=xyz" in sent


@pytest.mark.parametrize("content", [None, "not a cookies file\n"])
def test_bad_cookies_file_is_a_config_error(tmp_path: Path, content: str | None) -> None:
    cookies = tmp_path / "cookies.txt"
    if content is not None:
        cookies.write_text(content)
    with pytest.raises(ConfigError) as caught:
        make(Site(), cookies_file=cookies)
    assert str(cookies) in str(caught.value)


@pytest.mark.parametrize(
    "change",
    [
        {"concurrency": 0},
        {"max_attempts": 0},
        {"interval": -1.0},
        {"base_url": "ftp://mirror.test"},
        {"base_url": "https://mirror.test/sub"},
        {"user_agent": "bot\u2026"},
    ],
)
def test_bad_settings_are_config_errors(change: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        replace(FetchSettings(), **change)


INF, NAN = float("inf"), float("nan")

#: Each limited setting: the allowed range as the error states it, and values out of it.
LIMITS: list[tuple[str, str, list[float]]] = [
    ("interval", "at least 0 and at most 3600", [INF, NAN, -1.0, -INF, 3601.0, 1e300]),
    ("timeout", "more than 0 and at most 600", [INF, NAN, 0.0, -1.0, 601.0]),
    ("backoff_initial", "at least 0 and at most 60", [INF, NAN, -1.0, 61.0]),
    ("backoff_max", "at least 0 and at most 600", [INF, NAN, -1.0, 601.0]),
    ("retry_after_cap", "at least 0 and at most 3600", [INF, NAN, -1.0, 3601.0]),
    ("robots_ttl", "more than 0 and at most 86400", [INF, NAN, 0.0, -1.0, 86401.0]),
    ("concurrency", "at least 1 and at most 16", [0, -1, 17, 10**9]),
    ("max_attempts", "at least 1 and at most 10", [0, -1, 11]),
    ("connect_attempts", "at least 1 and at most 10", [0, 11]),
]


@pytest.mark.parametrize(
    ("name", "allowed", "value"),
    [(name, allowed, value) for name, allowed, values in LIMITS for value in values],
)
def test_out_of_range_settings_name_the_setting_and_the_range(
    name: str, allowed: str, value: float
) -> None:
    change: dict[str, Any] = {name: value}
    with pytest.raises(ConfigError) as caught:
        replace(FetchSettings(), **change)
    assert str(caught.value).startswith(f"{name} must be {allowed}")
    assert str(caught.value).endswith(f"got {value!r}")


def test_settings_at_their_limits_are_accepted() -> None:
    settings = FetchSettings(
        interval=3600.0,
        timeout=600.0,
        backoff_initial=60.0,
        backoff_max=600.0,
        retry_after_cap=3600.0,
        robots_ttl=86400.0,
        concurrency=16,
        max_attempts=10,
        connect_attempts=10,
    )
    assert (settings.concurrency, settings.interval) == (16, 3600.0)
    zeroes = FetchSettings(interval=0.0, backoff_initial=0.0, backoff_max=0.0, retry_after_cap=0.0)
    assert zeroes.interval == 0.0


def test_the_concurrency_limit_says_why() -> None:
    with pytest.raises(ConfigError, match="politeness"):
        FetchSettings(concurrency=32)


def test_parse_retry_after() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    past = parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", date="Thu, 22 Oct 2015 00:00:00 GMT")
    assert past == 0.0


def test_a_request_cut_off_by_close_is_not_retried() -> None:
    holder: list[Fetcher] = []

    def closes_then_fails(request: httpx.Request) -> httpx.Response:
        holder[0].close()  # as an interrupted run does, from another thread
        raise httpx.ReadError("connection closed", request=request)

    site = Site({"/release/a": [closes_then_fails]})
    with make(site, max_attempts=5) as fetcher:
        holder.append(fetcher)
        with pytest.raises(FetchError, match="stopped"):
            fetcher.get("/release/a")
    assert site.paths().count("/release/a") == 1


# -- a budget of requests --------------------------------------------------------------------


def test_a_budget_counts_every_page_request_retries_included_and_robots_txt_aside() -> None:
    site = Site(
        {
            "/robots.txt": [reply(200, b"User-agent: *\nDisallow:\n")],
            "/release/a": [reply(503, b"busy"), reply()],
            "/release/b": [reply()],
        }
    )
    with make(site, budget=3, backoff_initial=0.0, backoff_max=0.0) as fetcher:
        fetcher.get("/release/a")  # two requests: a 503, then the page
        fetcher.get("/release/b")
        with pytest.raises(BudgetError, match="budget of 3 requests is spent"):
            fetcher.get("/release/a")
    assert site.paths() == ["/robots.txt", "/release/a", "/release/a", "/release/b"]


def test_a_budget_spent_in_the_middle_of_retries_stops_them() -> None:
    site = Site({"/release/a": [reply(503, b"busy")]})
    fetcher = make(site, budget=2, backoff_initial=0.0, backoff_max=0.0)
    with fetcher, pytest.raises(BudgetError):
        fetcher.get("/release/a")
    assert site.paths().count("/release/a") == 2


def test_close_ends_a_wait_between_retries_at_once_and_sends_nothing_more() -> None:
    waiting = threading.Event()

    def busy(request: httpx.Request) -> httpx.Response:
        waiting.set()
        return httpx.Response(503, headers={"Retry-After": "60"}, content=b"busy")

    site = Site({"/release/a": [busy]})
    fetcher = Fetcher(
        FetchSettings(base_url=SITE, interval=0.0), transport=httpx.MockTransport(site)
    )
    failed: list[BaseException] = []

    def fetch() -> None:
        try:
            fetcher.get("/release/a")
        except FetchError as exc:
            failed.append(exc)

    worker = threading.Thread(target=fetch)
    worker.start()
    assert waiting.wait(30)  # the 503 came: the fetcher now waits out its Retry-After
    fetcher.close()
    worker.join(5)
    assert not worker.is_alive() and "stopped" in str(failed[0])
    assert site.paths().count("/release/a") == 1
