"""A site that is down, or half down: how fast the Fetcher gives up, and with which error."""

from __future__ import annotations

import random
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from scraper.errors import FetchError, UnavailableError, UnreachableError
from scraper.net.fetch import Fetcher
from scraper.net.settings import FetchSettings
from tests.fakesite import PAGE, SITE, FakeTime, Handler, Site, fail, make, reply

REFUSED = httpx.ConnectError("[Errno 111] Connection refused")
NO_NAME = httpx.ConnectError("[Errno -2] Name or service not known")


@pytest.fixture
def worst_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every backoff draws its largest jitter, so waits are the worst case, and exact."""
    monkeypatch.setattr(random, "uniform", lambda low, high: high)


def default_fetcher(site: Site, time: FakeTime, base_url: str = SITE) -> Fetcher:
    """A Fetcher with every setting at its default but the site."""
    return Fetcher(
        FetchSettings(base_url=base_url),
        transport=httpx.MockTransport(site),
        sleep=time.sleep,
        clock=time.clock,
    )


def worst_connect_wait(settings: FetchSettings) -> float:
    """The most backoff a URL that never connects can cost: a wait after each failed try but
    the last, each the exponential step plus the most jitter, capped at backoff_max."""
    tries = min(settings.connect_attempts, settings.max_attempts)
    return sum(
        min(settings.backoff_max, settings.backoff_initial * (2.0**k + 1)) for k in range(tries - 1)
    )


# -- no connection ---------------------------------------------------------------------------


@pytest.mark.usefixtures("worst_jitter")
def test_refused_with_defaults_gives_up_within_seconds_naming_the_cause() -> None:
    site = Site({"/robots.txt": [fail(REFUSED)], "/rss.xml": [fail(REFUSED)]})
    time = FakeTime()
    with default_fetcher(site, time) as fetcher, pytest.raises(UnreachableError) as caught:
        fetcher.get("/rss.xml")
    message = str(caught.value)
    assert message.startswith(f"cannot reach {SITE}/robots.txt: connection refused (")
    assert "[Errno 111] Connection refused" in message
    assert message.endswith("check your network and base_url, or try later")
    assert caught.value.url == f"{SITE}/robots.txt" and caught.value.status is None
    # robots.txt is the first request: three tries, and the backoff between them, 2 s then 3 s.
    assert site.paths() == ["/robots.txt"] * 3
    assert time.sleeps == [2.0, 3.0]
    assert sum(time.sleeps) == worst_connect_wait(FetchSettings()) == 5.0


@pytest.mark.usefixtures("worst_jitter")
def test_a_dead_site_costs_well_under_fifteen_seconds_for_a_run() -> None:
    # What a run asks for first: the feed, then a listing; each stops at the first failure.
    site = Site({path: [fail(REFUSED)] for path in ("/robots.txt", "/rss.xml", "/releases")})
    time = FakeTime()
    with default_fetcher(site, time) as fetcher:
        for path in ("/rss.xml", "/releases?page=0"):
            with pytest.raises(UnreachableError):
                fetcher.get(path)
    # The failure of robots.txt is remembered: the listing costs no request and no wait.
    assert site.paths() == ["/robots.txt"] * 3
    assert sum(time.sleeps) == worst_connect_wait(FetchSettings()) <= 15.0


@pytest.mark.usefixtures("worst_jitter")
def test_dns_failure_is_unreachable_and_says_so() -> None:
    site = Site({"/robots.txt": [fail(NO_NAME)]})
    time = FakeTime()
    with default_fetcher(site, time) as fetcher, pytest.raises(UnreachableError) as caught:
        fetcher.get("/rss.xml")
    message = str(caught.value)
    assert f"cannot reach {SITE}/robots.txt: host name not found in DNS" in message
    assert "Name or service not known" in message
    assert len(site.requests) == 3 and sum(time.sleeps) == worst_connect_wait(FetchSettings())


def test_connect_timeout_is_unreachable_after_the_connect_budget() -> None:
    site = Site({"/a": [fail(httpx.ConnectTimeout("timed out"))]})
    with make(site, obey_robots=False) as fetcher, pytest.raises(UnreachableError) as caught:
        fetcher.get("/a")
    assert "cannot reach" in str(caught.value) and "connection timed out" in str(caught.value)
    assert site.paths() == ["/a"] * 3


def test_connect_budget_is_a_setting_and_max_attempts_still_caps_it() -> None:
    site = Site({"/a": [fail(REFUSED)]})
    with make(site, obey_robots=False, connect_attempts=2) as fetcher:
        with pytest.raises(UnreachableError):
            fetcher.get("/a")
        assert fetcher.requests_made == 2
    site = Site({"/a": [fail(REFUSED)]})
    with make(site, obey_robots=False, max_attempts=2, connect_attempts=4) as fetcher:
        with pytest.raises(UnreachableError):
            fetcher.get("/a")
        assert fetcher.requests_made == 2


def test_a_connection_failure_within_the_budget_is_retried() -> None:
    site = Site({"/a": [fail(REFUSED), fail(REFUSED), reply()]})
    with make(site, obey_robots=False) as fetcher:
        assert fetcher.get("/a").body == PAGE
    assert site.paths() == ["/a"] * 3


def test_other_failures_do_not_use_up_the_connect_budget() -> None:
    busy = reply(503, b"busy")
    site = Site({"/a": [busy, busy, fail(REFUSED), busy, reply()]})
    with make(site, obey_robots=False) as fetcher:
        assert fetcher.get("/a").body == PAGE
    assert site.paths() == ["/a"] * 5


def test_retries_ending_on_a_connection_failure_are_unreachable() -> None:
    busy = reply(503, b"busy")
    site = Site({"/a": [busy, busy, fail(REFUSED)]})
    fetcher = make(site, obey_robots=False, max_attempts=3)
    with fetcher, pytest.raises(UnreachableError):
        fetcher.get("/a")


# -- answers, but not the page ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("handler", "status", "said"),
    [
        (reply(503, b"busy"), 503, "HTTP 503"),
        (reply(429, b"slow", {"Retry-After": "1"}), 429, "HTTP 429"),
        (fail(httpx.ReadTimeout("timed out")), None, "ReadTimeout"),
        (fail(httpx.ReadError("[Errno 104] Connection reset by peer")), None, "reset by peer"),
        (fail(httpx.RemoteProtocolError("peer closed connection")), None, "peer closed"),
    ],
    ids=["503", "429", "read-timeout", "reset", "cut-off"],
)
def test_retries_run_out_as_unavailable(handler: Handler, status: int | None, said: str) -> None:
    site = Site({"/robots.txt": [reply(404, b"")], "/a": [handler]})
    with make(site, max_attempts=3) as fetcher, pytest.raises(UnavailableError) as caught:
        fetcher.get("/a")
    assert type(caught.value) is UnavailableError
    assert caught.value.status == status and caught.value.url == f"{SITE}/a"
    assert said in str(caught.value) and "3 attempts" in str(caught.value)
    assert site.paths().count("/a") == 3


def test_retry_after_over_the_cap_is_unavailable_at_once() -> None:
    site = Site({"/a": [reply(503, b"later", {"Retry-After": "3600"})]})
    time = FakeTime()
    with make(site, time) as fetcher, pytest.raises(UnavailableError) as caught:
        fetcher.get("/a")
    assert type(caught.value) is UnavailableError and caught.value.status == 503
    assert "3600" in str(caught.value) and time.sleeps == []


@pytest.mark.parametrize("status", [404, 403])
def test_client_errors_are_neither_unavailable_nor_unreachable(status: int) -> None:
    site = Site({"/a": [reply(status, b"no")]})
    with make(site) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.get("/a")
    assert not isinstance(caught.value, UnavailableError)


# -- real sockets ----------------------------------------------------------------------------


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (it was just bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server that accepts connections and never answers; yields its base URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.05)
    accepted: list[socket.socket] = []
    done = threading.Event()

    def accept() -> None:
        while not done.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        done.set()
        thread.join(5)
        for connection in accepted:
            connection.close()
        listener.close()


def real_fetcher(base_url: str, time: FakeTime, **settings: Any) -> Fetcher:
    """A Fetcher on a real socket, waiting on the fake clock between tries."""
    config = FetchSettings(base_url=base_url, **settings)
    return Fetcher(config, sleep=time.sleep, clock=time.clock)


@pytest.mark.usefixtures("worst_jitter")
def test_refused_on_a_real_socket_is_unreachable() -> None:
    base = f"http://127.0.0.1:{closed_port()}"
    time = FakeTime()
    with real_fetcher(base, time) as fetcher, pytest.raises(UnreachableError) as caught:
        fetcher.get("/rss.xml")
    assert str(caught.value).startswith(f"cannot reach {base}/robots.txt: connection refused (")
    assert fetcher.requests_made == 3
    assert sum(time.sleeps) == worst_connect_wait(FetchSettings())


def test_a_server_that_never_answers_costs_one_url_then_unavailable(silent_server: str) -> None:
    time = FakeTime()
    fetcher = real_fetcher(silent_server, time, timeout=0.1, obey_robots=False)
    with fetcher, pytest.raises(UnavailableError) as caught:
        fetcher.get("/rss.xml")
    assert type(caught.value) is UnavailableError
    assert "ReadTimeout" in str(caught.value) and "5 attempts" in str(caught.value)
    assert fetcher.requests_made == 5


def test_robots_on_a_server_that_never_answers_stops_everything(silent_server: str) -> None:
    time = FakeTime()
    fetcher = real_fetcher(silent_server, time, timeout=0.1, max_attempts=2)
    with fetcher, pytest.raises(UnreachableError) as caught:
        fetcher.get("/rss.xml")
    assert str(caught.value).startswith(f"robots.txt of {silent_server} is unavailable (Read")
    assert caught.value.url == f"{silent_server}/robots.txt"
    assert fetcher.requests_made == 2
