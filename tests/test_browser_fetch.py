"""The browser fetcher against the stand-in's check that only a real browser passes.

Slow (a Chromium each), so few: each scenario runs once and asserts all it can show.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.server
import itertools
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from scraper.archive.store import Archive
from scraper.cli import EXIT_INTERRUPTED, EXIT_OK
from scraper.errors import BlockedError, BudgetError, ConfigError, RobotsError
from scraper.net.browser import BrowserSource
from scraper.net.fetch import Fetcher
from scraper.net.settings import FetchSettings
from scraper.sync import SyncOptions, run_sync
from tests.browser import INSTALL_HINT, find_chromium
from tests.fakesite import FakeTime
from tests.standin import StandIn
from tests.standin.server import LoggedRequest
from tests.support import files, sync, sync_argv

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason=f"no Chromium found: {INSTALL_HINT}")
AGENT = "scraper-tests/1.0 (+tests)"


def descendants(root: int | None = None) -> set[int]:
    """The live (not zombie) processes whose parent chain includes `root` (this one)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        state, parent = stat.rsplit(")", 1)[1].split()[:2]
        if state != "Z":
            parents[int(entry.name)] = int(parent)
    mine, found = root or os.getpid(), set()
    for pid in parents:
        current = pid
        while current in parents and current not in (0, 1):
            current = parents[current]
            if current == mine:
                found.add(pid)
                break
    return found


def from_browser(request: LoggedRequest) -> bool:
    """Whether the browser sent a request (its client hints; httpx sends none)."""
    return "sec-ch-ua" in request.headers


@pytest.fixture
def browser_site() -> Iterator[StandIn]:
    site = StandIn()
    with site.running():
        yield site


def open_source(
    site: StandIn,
    time: FakeTime | None = None,
    wait: float = 10.0,
    budget: int | None = None,
    **settings: object,
) -> BrowserSource:
    """The browser fetcher on the stand-in, its Fetcher on a fake clock."""
    clock = time or FakeTime()
    fetch = FetchSettings(
        base_url=site.base_url,
        **{"interval": 0.0, "user_agent": AGENT, "max_attempts": 1, **settings},  # type: ignore[arg-type]
    )
    fetcher = Fetcher(fetch, sleep=clock.sleep, clock=clock.clock, budget=budget)
    assert CHROMIUM is not None
    return BrowserSource(fetcher, CHROMIUM, wait=wait)


def test_the_browser_clears_exactly_the_pages_http_saw_blocked_paced_by_the_interval(
    browser_site: StandIn, tmp_path: Path
) -> None:
    """A clearance good for 3 pages: the browser opens each page HTTP found blocked, and
    nothing else; every request, the browser's too, went through the limiter (fake time)."""
    site = browser_site
    site.require_clearance(valid_for=3)
    time = FakeTime()
    arrivals: list[tuple[str, float]] = []
    site.on_request = lambda target: arrivals.append((target, time.clock()))
    before = descendants()
    source = open_source(site, time, interval=2.0)
    try:
        with Archive(tmp_path / "archive") as archive:
            options = SyncOptions(limit=6)  # six pages are enough to need the browser twice or more
            report = run_sync(archive, source, options, now=dt.datetime.now(dt.UTC))
        running = descendants() - before
    finally:
        source.close()
    assert report.exit_code == EXIT_OK and report.added and not report.blocked
    # The pages plain HTTP was refused are the pages the browser opened, in that order.
    refused_http = [r.target for r in site.challenged if not from_browser(r)]
    assert [o.removeprefix(site.base_url) for o in source.opened] == refused_http
    assert source.pages_opened == len(refused_http) >= 2
    assert f"the browser passed the site's check on {len(refused_http)} pages" in report.notes
    # The browser asked for those pages only.
    browser_targets = {r.target for r in site.requests if from_browser(r)}
    assert browser_targets == set(refused_http)
    # Every request reached the site through the limiter: counted, and 2 s apart in fake time.
    assert len(arrivals) == len(site.requests) == source.requests_made == report.requests
    starts = [when for _, when in arrivals]
    assert all(later - earlier >= 2.0 for earlier, later in itertools.pairwise(starts))
    assert any(from_browser(r) for r in site.requests)
    # The browser ran while the source was open, and nothing of it outlives close().
    assert running and descendants() == before


def test_a_page_the_browser_cannot_clear_stays_blocked(browser_site: StandIn) -> None:
    """The recorded Incapsula page never clears (its script is not there): BlockedError."""
    site = browser_site
    site.fail("/releases*", "challenge", times=None)
    with open_source(site, wait=1.0) as source:  # no check will pass: wait little
        with pytest.raises(BlockedError):
            source.get("/releases?page=0")
        assert source.pages_opened == 1
        assert "the browser could not pass the site's check on 1 page" in source.notes()


def test_closing_while_the_page_reloads_without_end_returns(browser_site: StandIn) -> None:
    """A check that never passes reloads its page for good, so a request of the page's is
    nearly always held in the route when the page is closed: close() still returns."""
    site = browser_site
    site.require_clearance(passes=False)
    before = descendants()
    source = open_source(site, wait=1.0)
    closed = threading.Event()
    try:
        with pytest.raises(BlockedError):
            source.get("/releases?page=0")
        assert site.challenges["/releases?page=0"] > 2  # it kept reloading while open
        sent = len(site.requests)
    finally:

        def close() -> None:
            source.close()
            closed.set()

        threading.Thread(target=close, daemon=True).start()
        if not closed.wait(timeout=60):
            for pid in descendants() - before:  # so that this process can end, then fail
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            pytest.fail("close() did not return while the page was reloading")
    assert len(site.requests) == sent  # nothing the page asked for went out once it was over
    assert descendants() == before


def test_a_page_closed_under_the_browser_is_opened_again(browser_site: StandIn) -> None:
    """The run's one page closed (by a script, a crash): the next blocked page gets a new one."""
    site = browser_site
    site.require_clearance(valid_for=2)  # the browser's reload, then plain HTTP's page
    with open_source(site) as source:
        source.get("/releases?page=0")
        page = source._on_worker(lambda: source._page)
        assert page is not None
        source._on_worker(page.close)
        source.get("/releases?page=1")  # that cookie is used up: blocked again
        assert source.pages_opened == 2 and "passed the site's check on 2 pages" in str(
            source.notes()
        )


def test_a_browser_that_will_not_start_leaves_no_driver_behind(
    browser_site: StandIn, tmp_path: Path
) -> None:
    """A program that is no browser: a ConfigError, and Playwright's driver is stopped."""
    site = browser_site
    site.fail("/releases*", "challenge", times=None)
    not_a_browser = tmp_path / "chromium"
    not_a_browser.write_text("#!/bin/sh\nexit 1\n")
    not_a_browser.chmod(0o755)
    before = descendants()
    fetcher = Fetcher(FetchSettings(base_url=site.base_url, interval=0.0, max_attempts=1))
    with BrowserSource(fetcher, not_a_browser, wait=1.0) as source:
        for _ in range(2):  # the second page must not start a second driver either
            with pytest.raises(ConfigError, match="cannot start the browser"):
                source.get("/releases?page=0")
        assert descendants() == before
    assert descendants() == before


def test_the_browser_keeps_to_the_page_budget(browser_site: StandIn) -> None:
    """Budget of one page request, spent by HTTP: the browser's page is never requested."""
    site = browser_site
    site.require_clearance()
    with open_source(site, budget=1) as source:
        with pytest.raises(BudgetError):
            source.get("/releases?page=0")
        assert source.pages_opened == 1 and source.requests_made == 2  # robots.txt, the page
    assert [r.target for r in site.requests] == ["/robots.txt", "/releases?page=0"]


def test_ctrl_c_while_the_browser_works_leaves_no_process(browser_site: StandIn) -> None:
    site = browser_site
    site.require_clearance()
    before = descendants()
    interrupted = threading.Event()

    def interrupt(target: str) -> None:
        # The browser's first request for the page: Ctrl-C the test's (main) thread.
        if target == "/releases?page=0" and site.challenges and not interrupted.is_set():
            interrupted.set()
            os.kill(os.getpid(), signal.SIGINT)

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    source = open_source(site)
    try:
        site.on_request = interrupt
        with pytest.raises(KeyboardInterrupt):
            source.get("/releases?page=0")
        site.on_request = None
        assert descendants() - before  # the browser was running
    finally:
        source.close()
        signal.signal(signal.SIGINT, previous)
    assert interrupted.is_set() and descendants() == before


def test_sync_with_browser_end_to_end_opens_the_browser_once(
    browser_site: StandIn, tmp_path: Path, config_file: Path
) -> None:
    """A clearance good for every page: one browser open for the whole run."""
    site = browser_site
    site.require_clearance()
    archive = tmp_path / "archive"
    run = sync(site, archive, config_file, "--browser", str(CHROMIUM))
    assert run.code == EXIT_OK, run.stderr
    assert "the browser passed the site's check on 1 page" in run.report["notes"]
    assert len(run.report["added"]) == len(files(archive)) > 0
    assert [r.target for r in site.challenged if not from_browser(r)] == ["/releases?page=0"]
    agents = {r.headers.get("user-agent") for r in site.requests}
    assert agents == {AGENT}  # one honest identity, the browser's included


def test_ctrl_c_of_sync_browser_closes_the_browser(
    browser_site: StandIn, tmp_path: Path, config_file: Path
) -> None:
    """The real command, interrupted while its browser asks for a page: no process left."""
    site = browser_site
    site.require_clearance()
    argv = [*sync_argv(site, tmp_path / "archive", config_file), "--browser", str(CHROMIUM)]
    process = subprocess.Popen(
        [sys.executable, "-m", "scraper", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    browsing: set[int] = set()
    arrived = threading.Event()

    def seen(target: str) -> None:
        # Challenged once already: this request for the page is the browser's.
        if target == "/releases?page=0" and site.challenges and not arrived.is_set():
            browsing.update(descendants(process.pid))
            arrived.set()

    site.on_request = seen
    try:
        assert arrived.wait(timeout=120)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == EXIT_INTERRUPTED, err
    assert browsing and not browsing & alive()


def alive() -> set[int]:
    """Every process running now (zombies are not)."""
    running = set()
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError, IndexError):
            if (
                entry.name.isdigit()
                and (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
            ):
                running.add(int(entry.name))
    return running


@pytest.fixture
def elsewhere() -> Iterator[tuple[str, list[str]]]:
    """Another local server (not the site): its base URL and the paths it was asked for."""
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html><body>elsewhere</body></html>")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", asked
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_redirect_off_the_site_in_the_browser_is_not_followed(
    browser_site: StandIn, elsewhere: tuple[str, list[str]]
) -> None:
    """The challenge, then a 302 to another host: that host hears nothing, the page stays
    blocked, and every request that reached the site was counted."""
    site = browser_site
    other, asked = elsewhere
    site.fail("/releases*", "challenge", times=1)
    site.fail("/releases*", "redirect", times=1, location=f"{other}/secret", status=302)
    with open_source(site, wait=5.0) as source:
        with pytest.raises(BlockedError):
            source.get("/releases?page=0")
        assert asked == []
        assert source.requests_made == len(site.requests) == 3  # robots.txt, the page twice


def test_each_redirect_hop_in_the_browser_goes_through_the_gate(
    browser_site: StandIn,
) -> None:
    """A 302 within the site: the hop is asked for, counted and held to robots.txt."""
    site = browser_site
    site.fail("/releases*", "challenge", times=1)
    hop = "/releases?page=1"
    site.fail("/releases*", "redirect", times=1, location=site.base_url + hop, status=302)
    with open_source(site, wait=10.0) as source:
        source.get("/releases?page=0")
        browser = [r.target for r in site.requests if from_browser(r)]
        assert browser == ["/releases?page=0", hop]
        assert source.requests_made == len(site.requests)
    # robots.txt disallowing the hop's path: the hop is not asked for, and the page fails
    # saying why, as one of our own requests would.
    site.clear_faults()
    site.fail("/robots.txt", "body", times=None, body=b"User-agent: *\nDisallow: /news\n")
    site.fail("/releases*", "challenge", times=1)
    site.fail("/releases*", "redirect", times=1, location=site.base_url + "/news/x", status=302)
    before = len(site.requests)
    with open_source(site, wait=5.0) as source:
        with pytest.raises(RobotsError) as caught:
            source.get("/releases?page=0")
        assert caught.value.url == site.base_url + "/news/x"
        targets = [r.target for r in site.requests[before:]]
        assert "/news/x" not in targets
        assert source.requests_made == len(targets)
