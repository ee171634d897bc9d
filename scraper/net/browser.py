"""A real browser for the pages the site's bot check blocks; plain HTTP for everything else.

`BrowserSource` is a `PageSource` around the HTTP `Fetcher`. When a page comes back as the
bot-protection page (BlockedError), that one page is opened in a headless Chromium/Chrome
driven by Playwright (``pip install 'scraper[browser]'``); once the check has run and the page
is content, the browser's cookies for the site's host go into the HTTP client's jar and the
page is fetched again over plain HTTP, as is every later page until the cookies stop working.
A page the browser cannot clear keeps its BlockedError, so the run's block handling stops it.

What the browser does not do: download itself (Playwright launches the installed executable),
hide what it is (no stealth plugins, no fingerprint changes; its User-Agent is the configured
one), or go anywhere the Fetcher would not. Each of its requests is routed through
`Fetcher.pace`: on the configured site, allowed by robots.txt, within the page budget, after
the same interval, counted in the run's requests; any other is aborted, and so are images,
stylesheets, fonts and media, which a check does not need. Redirects are followed by the
route, a hop at a time, each hop through `Fetcher.pace` as well (Playwright itself would
route only a chain's first request); a hop off the site, past `MAX_REDIRECTS`, or of a
request other than GET is not followed and the request is aborted. The browser is then given
the last answer as the one to its request (its address stays the first URL's).

Playwright's sync API belongs to the thread that started it, and a sync may fetch from several
threads, so all browser work runs on one worker thread of its own.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from scraper.errors import (
    BlockedError,
    BudgetError,
    ConfigError,
    FetchError,
    RedirectError,
    RobotsBlockedError,
    RobotsError,
)
from scraper.net.cookies import SiteCookie
from scraper.net.fetch import MAX_REDIRECTS, REDIRECTS, Fetcher
from scraper.net.source import ClosedOnExit, Fetched
from scraper.site.blockpage import is_block_page

if TYPE_CHECKING:
    from playwright.sync_api import (
        APIResponse,
        Browser,
        BrowserContext,
        Page,
        Playwright,
        Route,
    )

log = logging.getLogger(__name__)

T = TypeVar("T")
#: A browser request not let out: its resource type ("document", "script"...) and why.
Refusal = tuple[str, FetchError]

#: Names an installed Chromium or Chrome goes by, tried in turn on PATH for "auto".
CANDIDATES = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
)
#: Seconds the browser gives a page's check to pass before the block stands.
CHALLENGE_WAIT = 30.0
#: Seconds between two looks at whether the page is still the block page.
_POLL = 0.2
#: Kept off every network but the site's: no updates, sync, or other background traffic.
_FLAGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--disable-gpu",
]
#: What a page's check may need; the rest (images, styles, fonts, media) is never requested.
_NEEDED = frozenset({"document", "script", "xhr", "fetch"})
_INSTALL = "pip install 'scraper[browser]'"


def find_browser(setting: str) -> Path:
    """The browser executable a setting names ("auto": found on PATH); ConfigError if none."""
    if setting == "auto":
        for name in CANDIDATES:
            found = shutil.which(name)
            if found:
                return Path(found)
        raise ConfigError(
            f"--browser auto: no Chromium or Chrome on PATH (looked for {', '.join(CANDIDATES)});"
            " install one (Debian: apt-get install chromium) or name it: --browser /path/to/it"
            ' or [fetch] browser = "/path/to/it"'
        )
    path = Path(setting).expanduser()
    if not path.is_file() or not os.access(path, os.X_OK):
        raise ConfigError(
            f"browser {setting!r} is not an executable file; name an installed Chromium or"
            " Chrome (--browser /path/to/chromium), or --browser auto to find one on PATH"
        )
    return path


def browser_for(setting: str) -> Path | None:
    """The browser a `fetch.browser` setting names, Playwright checked (None: off);
    ConfigError, before anything is opened or made, when it cannot work."""
    if not setting:
        return None
    executable = find_browser(setting)
    require_playwright()
    return executable


def require_playwright() -> None:
    """ConfigError naming what to install when Playwright is missing."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        raise ConfigError(
            f"the browser fetcher needs Playwright, which is not installed: {_INSTALL}"
            " (it drives your installed Chromium and downloads no browser)"
        ) from exc


class BrowserSource(ClosedOnExit):
    """Plain HTTP through the Fetcher; a blocked page is opened once in a real browser."""

    def __init__(self, fetcher: Fetcher, executable: Path, *, wait: float = CHALLENGE_WAIT) -> None:
        """Wrap `fetcher`; the browser at `executable` starts at the first blocked page."""
        require_playwright()
        self._fetcher = fetcher
        self._executable = executable
        self._wait = wait
        self._worker = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="browser")
        # One page opened at a time; `_passed` counts cookies taken, so a thread that was
        # blocked while another cleared the check tries the new cookies before the browser.
        self._open_lock = threading.Lock()
        self._state_lock = threading.Lock()  # for the figures: never held while browsing
        self._opened: list[str] = []
        self._passed: list[str] = []
        self._closing = threading.Event()
        self._close_lock = threading.Lock()
        # Touched on the worker thread only.
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._context: BrowserContext | None = None
        self._page: Page | None = None
        self._visit: _Visit | None = None  # the page being cleared, and what it was refused

    @property
    def fetcher(self) -> Fetcher:
        """The HTTP client underneath."""
        return self._fetcher

    @property
    def opened(self) -> tuple[str, ...]:
        """The URLs the browser opened, in order (one per blocked page it was asked to clear)."""
        with self._state_lock:
            return tuple(self._opened)

    @property
    def pages_opened(self) -> int:
        """How many pages the browser opened."""
        return len(self.opened)

    @property
    def requests_made(self) -> int:
        """Every request sent so far, the browser's included."""
        return self._fetcher.requests_made

    def notes(self) -> tuple[str, ...]:
        """The Fetcher's notes, and what the browser did."""
        with self._state_lock:
            opened, passed = len(self._opened), len(self._passed)
        notes = list(self._fetcher.notes())
        if passed:
            notes.append(f"the browser passed the site's check on {_pages(passed)}")
        if opened > passed:
            failed = _pages(opened - passed)
            notes.append(f"the browser could not pass the site's check on {failed}")
        return tuple(notes)

    def get(self, path_or_url: str, *, conditional: bool = False) -> Fetched:
        """Fetch over HTTP; when blocked, clear the check in the browser and fetch again."""
        with self._state_lock:
            seen = len(self._passed)
        try:
            return self._fetcher.get(path_or_url, conditional=conditional)
        except RobotsBlockedError:
            raise  # robots.txt itself is blocked: every browser request would be refused
        except BlockedError as blocked:
            if not self._clear(blocked, seen):
                raise
        return self._fetcher.get(path_or_url, conditional=conditional)

    def close(self) -> None:
        """Stop the HTTP client, then close the browser and Playwright (no process left)."""
        with self._close_lock:
            if self._closing.is_set():
                return
            # First: ends a browser wait, and makes every routed request abort.
            self._closing.set()
            self._fetcher.close()
            try:
                self._worker.submit(self._shut).result()
            finally:
                self._worker.shutdown(wait=True)

    # -- on the caller's thread ---------------------------------------------------------------

    def _clear(self, blocked: BlockedError, seen: int) -> bool:
        """Whether cookies that may pass the check are in the jar now (new since `seen`)."""
        with self._open_lock:
            with self._state_lock:
                if len(self._passed) != seen:
                    return True  # another thread's page cleared it meanwhile: try those first
                if self._closing.is_set():
                    return False
                self._opened.append(blocked.url)
            cookies = self._on_worker(self._open_page, blocked.url)
            if cookies is None:
                return False
            self._fetcher.take_cookies(cookies, "the browser")
            with self._state_lock:
                self._passed.append(blocked.url)
            return True

    def _on_worker(self, task: Callable[..., T], *args: Any) -> T:
        """Run `task` on the browser's thread and wait for it, still taking Ctrl-C."""
        future = self._worker.submit(task, *args)
        while True:
            # A wait with a timeout, not one long block: signals (Ctrl-C) are seen between.
            with contextlib.suppress(concurrent.futures.TimeoutError):
                return future.result(timeout=_POLL)

    # -- on the browser's thread --------------------------------------------------------------

    def _open_page(self, url: str) -> list[SiteCookie] | None:
        """Open `url`, let its check run; the site's cookies once it is content, else None."""
        from playwright.sync_api import Error as PlaywrightError

        context, page = self._ensure_page()
        visit = _Visit()
        self._visit = visit
        try:
            log.info("%s: blocked; opening it in the browser", url)
            with contextlib.suppress(PlaywrightError):
                page.goto(url, wait_until="commit", timeout=self._wait * 1000)
            if not self._passes(page, visit.refused):
                _raise_refusal(visit.refused)
                log.warning("%s: the browser did not get past the site's check", url)
                return None
            return [_site_cookie(c) for c in context.cookies()]
        finally:
            # Whatever the page asks for from now on (a check's script may reload it at any
            # moment) is aborted; the page itself stays open for the next visit (see _shut).
            visit.done = True

    def _passes(self, page: Page, refused: list[Refusal]) -> bool:
        """Wait (at most `wait` seconds) until the page is no longer the block page; give up
        at once when a page it leads to was not let out (robots.txt, the budget, a stop)."""
        from playwright.sync_api import Error as PlaywrightError

        deadline = time.monotonic() + self._wait
        while not self._closing.is_set() and time.monotonic() < deadline:
            if any(kind == "document" for kind, _ in refused):
                return False
            try:
                # A reload by the check's script may be under way: read the page it leads to.
                page.wait_for_load_state("domcontentloaded", timeout=_POLL * 1000)
                if self._at_site(page.url) and not is_block_page(page.content()):
                    return True
                page.wait_for_timeout(_POLL * 1000)
            except PlaywrightError:
                continue  # navigating, or not loaded yet: look again
        return False

    def _at_site(self, url: str) -> bool:
        """Whether the page shows a document of the site (not about:blank, not an error)."""
        root = str(self._fetcher.site).rstrip("/")
        return url == root or url.startswith(root + "/")

    def _route(self, route: Route) -> None:
        """Let a browser request go out only as the Fetcher would let its own, and only while
        a page is being cleared (none between visits, none once the run is closing)."""
        from playwright.sync_api import Error as PlaywrightError

        request, visit = route.request, self._visit
        if (
            visit is None
            or visit.done
            or self._closing.is_set()
            or request.resource_type not in _NEEDED
        ):
            with contextlib.suppress(PlaywrightError):
                route.abort()
            return
        refused = visit.refused
        try:
            response = self._gated_fetch(route)
        except FetchError as exc:
            log.info("browser request %s not sent: %s", exc.url or request.url, exc)
            refused.append((request.resource_type, exc))
        except PlaywrightError as exc:
            log.info("browser request %s failed: %s", request.url, exc)
        else:
            route.fulfill(response=response)
            return
        route.abort()

    def _gated_fetch(self, route: Route) -> APIResponse:
        """The answer to a routed request, each redirect hop through `Fetcher.pace`.

        Redirects are followed here, not by Playwright: it routes only a chain's first
        request, so a hop it followed would skip the gate (and could leave the site)."""
        request = route.request
        url = request.url
        for _ in range(MAX_REDIRECTS + 1):
            self._fetcher.pace(url)
            response = route.fetch(url=url, max_redirects=0, timeout=self._wait * 1000)
            location = response.headers.get("location")
            if response.status not in REDIRECTS or not location:
                return response
            if request.method != "GET":
                raise RedirectError(f"{url}: a {request.method} redirected; not followed", url)
            url = self._fetcher.redirect_target(url, location)
        raise RedirectError(f"{request.url}: more than {MAX_REDIRECTS} redirects", request.url)

    def _ensure_page(self) -> tuple[BrowserContext, Page]:
        """The browser's one context and page for the run (started at first use), every
        request of the page going through `_route`."""
        if self._context is None:
            self._context = self._start_context()
        if self._page is None or self._page.is_closed():  # a script may close its own page
            self._page = self._context.new_page()
            self._page.route("**/*", self._route)
        return self._context, self._page

    def _start_context(self) -> BrowserContext:
        """Start Playwright, launch the browser and open its context."""
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(
                executable_path=self._executable, headless=True, args=_FLAGS
            )
        except PlaywrightError as exc:
            # The driver just started would outlive the run, and a next page start another.
            self._playwright.stop()
            self._playwright = None
            raise ConfigError(
                f"cannot start the browser {self._executable}: {exc}; name a working Chromium"
                " or Chrome with --browser PATH"
            ) from exc
        # Service workers would fetch outside the routing: none.
        return self._browser.new_context(
            user_agent=self._fetcher.user_agent, service_workers="block"
        )

    def _shut(self) -> None:
        """Close the browser (its context and page with it), then Playwright's driver.

        The page and context are never closed on their own: once `close()` is called on
        them, Playwright stalls every request the page makes instead of routing it, and
        Chromium does not finish closing a page whose navigation request is stalled, so a
        check's reload just after the close would hold the run for good. Closing the browser
        ends its process whatever its pages are doing, and until then `_route` aborts them."""
        from playwright.sync_api import Error as PlaywrightError

        if self._browser is not None:
            with contextlib.suppress(PlaywrightError):
                self._browser.close()
        if self._playwright is not None:
            self._playwright.stop()
        self._page = self._context = self._browser = self._playwright = None


@dataclasses.dataclass
class _Visit:
    """One blocked page opened in the browser: what of it was refused, and whether it is over."""

    refused: list[Refusal] = dataclasses.field(default_factory=list)
    done: bool = False


def _raise_refusal(refused: list[Refusal]) -> None:
    """Say why the check could not pass when it was our own limit (budget, robots.txt)."""
    for _, exc in refused:
        if isinstance(exc, BudgetError | RobotsError):
            raise exc


def _site_cookie(cookie: Any) -> SiteCookie:
    """A cookie as Playwright gives it (expires -1: for the session)."""
    expires = cookie.get("expires", -1)
    return SiteCookie(
        cookie["name"],
        cookie["value"],
        cookie["domain"],
        cookie.get("path", "/"),
        None if expires is None or expires < 0 else float(expires),
        bool(cookie.get("secure")),
        host_only=not cookie["domain"].startswith("."),
    )


def _pages(count: int) -> str:
    return f"{count} page{'s' if count != 1 else ''}"
