"""`StandIn`: the local site with its control API for tests (thread-safe)."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qsl, unquote

from tests.standin.clearance import Clearance
from tests.standin.clock import as_utc, utc_now
from tests.standin.conditional import with_validators
from tests.standin.editing import Draft, drafted, edited, encode_slug
from tests.standin.fault_responses import fault_response
from tests.standin.faults import Fault, FaultBook
from tests.standin.governments import CURRENT_GOVERNMENT
from tests.standin.handler import Plan, Server
from tests.standin.hostile import altered, body_response, bomb_response, endless_page
from tests.standin.model import LINK_MODES, PUBLIC_ORIGIN, Item, Site, build_items
from tests.standin.response import Response
from tests.standin.robots import robots_txt
from tests.standin.routes import LISTINGS, Settings, decode_path, page_number, route


class LoggedRequest(NamedTuple):
    """A request as received: method, raw path and query, headers (lower-case names)."""

    method: str
    target: str
    headers: dict[str, str]


class StandIn:
    """A local www.beehive.govt.nz built from recorded pages; see tests/standin/README.md."""

    def __init__(
        self,
        pages_dir: Path | str | None = None,
        *,
        latency: float = 0.0,
        with_derived: bool = True,
        listing_size: int = 10,
        search_size: int = 24,
        crawl_delay: float | None = None,
        verbose: bool = False,
        links: str = "public",
    ) -> None:
        """Load the pages (default: the fixtures); `latency` is added to every response."""
        if links not in LINK_MODES:
            raise ValueError(f"links must be one of {LINK_MODES}, not {links!r}")
        self.latency = latency
        #: Whose URLs absolute links name: `public` (the real site's) or `own` (a mirror's).
        self.links = links
        #: Called with each request's target as it arrives (on the server's thread).
        self.on_request: Callable[[str], None] | None = None
        self.verbose = verbose
        self._lock = threading.RLock()
        self._site = Site.of(build_items(Path(pages_dir) if pages_dir else None, with_derived))
        self._settings = Settings(listing_size, search_size, robots_txt(crawl_delay))
        self._faults = FaultBook()
        self._clearance: Clearance | None = None
        self._log: list[LoggedRequest] = []
        self._challenged: list[LoggedRequest] = []
        self._last_change = max((i.changed for i in self._site.items), default=utc_now())
        self._stopping = threading.Event()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # --- running -------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Start serving in a daemon thread; return the base URL (`http://host:port`)."""
        if self._server is not None:
            raise RuntimeError("the stand-in is already running")
        self._stopping.clear()
        self._server = Server((host, port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        """Stop serving: wake delayed responses, close connections, free the port."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    @contextlib.contextmanager
    def running(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve for the duration of a `with` block, yielding the base URL."""
        url = self.start(host, port)
        try:
            yield url
        finally:
            self.stop()

    @property
    def base_url(self) -> str:
        """Return `http://host:port` of the running server."""
        if self._server is None:
            raise RuntimeError("the stand-in is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def origin(self) -> str:
        """Return what absolute links start with: the public site's origin, or `base_url`."""
        return PUBLIC_ORIGIN if self.links == "public" else self.base_url

    # --- faults and request log -------------------------------------------------------------

    def fail(self, path: str, kind: str, times: int | None = 1, **opts: object) -> Fault:
        """Make requests to `path` (`*` ends a prefix; `?` adds the query) fail `times` times."""
        fault = self._faults.add(path, kind, times, dict(opts))
        if kind == "gzip-bomb":
            bomb_response(fault)  # built now (seconds), not while a client waits for it
        return fault

    def clear_faults(self) -> None:
        """Remove every fault rule, and the clearance check."""
        self._faults.clear()
        self._clearance = None

    def require_clearance(self, valid_for: int | None = None, *, passes: bool = True) -> None:
        """Serve every page (robots.txt, /rss.xml aside) without a valid clearance cookie the
        block page whose script earns one; a cookie admits `valid_for` pages (None: all).
        `passes=False`: no cookie is ever accepted, so a browser reloads the block page for good."""
        self._clearance = Clearance(valid_for, passes=passes)

    def clearance_cookie(self) -> tuple[str, str]:
        """A valid clearance cookie (name, value), as a browser that ran the check holds."""
        if self._clearance is None:
            raise RuntimeError("no clearance check: call require_clearance() first")
        return self._clearance.cookie()

    @property
    def challenges(self) -> dict[str, int]:
        """Block pages the clearance check served, by target (path and query)."""
        return {} if self._clearance is None else dict(self._clearance.served)

    @property
    def challenged(self) -> list[LoggedRequest]:
        """The requests the clearance check answered with its block page, oldest first."""
        with self._lock:
            return list(self._challenged)

    @property
    def faults(self) -> list[Fault]:
        """Return the fault rules still active."""
        return self._faults.pending()

    @property
    def requests(self) -> list[LoggedRequest]:
        """Return a copy of the request log, oldest first."""
        with self._lock:
            return list(self._log)

    def clear_log(self) -> None:
        """Forget the requests logged so far."""
        with self._lock:
            self._log.clear()

    def count(self, path_prefix: str = "/") -> int:
        """Count logged requests whose raw or decoded target starts with a prefix."""
        decoded = unquote(path_prefix)
        return sum(
            1
            for r in self.requests
            if r.target.startswith(path_prefix) or unquote(r.target).startswith(decoded)
        )

    # --- content --------------------------------------------------------------------------

    @property
    def items(self) -> tuple[Item, ...]:
        """Return every item, newest first (undated last)."""
        return self._site.items

    def item(self, path: str) -> Item | None:
        """Return the item at a path (encoded or decoded), if any."""
        return self._site.find(decode_path(path.split("?", 1)[0]))

    def set_robots(self, text: str | None = None, crawl_delay: float | None = None) -> None:
        """Replace robots.txt (None: Drupal's stock text), optionally with a Crawl-delay."""
        with self._lock:
            self._settings = dataclasses.replace(
                self._settings, robots=robots_txt(crawl_delay, text), robots_changed=self._tick()
            )

    def change(
        self,
        path: str,
        new_title_or_html: str | None = None,
        *,
        when: dt.datetime | None = None,
        attachments: Sequence[str] | None = None,
    ) -> Item:
        """Edit a page: a string starting with `<` replaces the main column, else the title."""
        with self._lock:
            item = edited(self._require(path), new_title_or_html, when, attachments, self._tick())
            self._site = self._site.with_item(item)
            return item

    def publish(
        self,
        slug: str,
        *,
        kind: str = "release",
        title: str | None = None,
        when: dt.datetime | None = None,
        undated: bool = False,
        copy_of: str | None = None,
        html: str | None = None,
        attachments: Sequence[str] | None = None,
    ) -> Item:
        """Add a new item (default: dated now, test-made text; `copy_of` copies a page)."""
        date = None if undated else as_utc(when or utc_now())
        draft = Draft(slug, kind, title, date, html, attachments)
        with self._lock:
            path = f"/{kind}/{encode_slug(slug)}"
            if self.item(path) is not None:
                raise ValueError(f"{path} already exists")
            source = None
            if copy_of is not None:
                source = self._require(copy_of if "/" in copy_of else f"/release/{copy_of}")
            item = drafted(draft, source, self._site.next_node_id(), self._tick())
            self._site = self._site.with_item(item)
            return item

    # --- serving (called by the handler) ----------------------------------------------------

    def plan(self, method: str, target: str, headers: Mapping[str, str]) -> Plan:
        """Log a request and decide its answer: a fault if one matches, else the content."""
        with self._lock:
            self._log.append(LoggedRequest(method, target, dict(headers)))
        if self.on_request is not None:
            # Lets a test wait for a request to arrive instead of sleeping.
            self.on_request(target)
        fault = self._faults.take(target)
        delay = self.latency
        if fault is None:
            return Plan(self._checked(method, target, headers), delay)
        if fault.kind == "reset":
            return Plan(None, delay, hard_reset=bool(fault.opts["hard"]))
        if fault.kind == "silent":
            return Plan(None, delay, silent=True)
        if fault.kind == "hold":
            until = fault.opts["until"]
            assert isinstance(until, threading.Event)
            until.wait(float(str(fault.opts["limit"])))
            return Plan(self._respond(target, headers), delay)
        if fault.kind == "slow":
            return Plan(self._respond(target, headers), delay + float(str(fault.opts["delay"])))
        if fault.kind == "truncate":
            keep = float(str(fault.opts["keep"]))
            hard = bool(fault.opts["hard"])
            return Plan(self._respond(target, {}), delay, keep=keep, hard_reset=hard)
        return Plan(self._hostile(fault, target), delay, drip=_drip(fault))

    def _hostile(self, fault: Fault, target: str) -> Response:
        """The answer of a fault that sends a whole response (no conditional handling)."""
        if fault.kind == "gzip-bomb":
            return bomb_response(fault)
        if fault.kind == "body":
            return body_response(fault)
        if fault.kind == "alter":
            return altered(fault, self._respond(target, {}))
        if fault.kind == "drip":
            return self._respond(target, {})
        if fault.kind == "endless":
            return self._endless(target)
        return fault_response(fault, self.origin)

    def _endless(self, target: str) -> Response:
        """A page of a listing that never ends (`LISTINGS` paths; others as usual)."""
        raw_path, _, raw_query = target.partition("?")
        kind = LISTINGS.get(decode_path(raw_path))
        if kind is None:
            return self._respond(target, {})
        page = page_number(parse_qsl(raw_query, keep_blank_values=True))
        items = self._site.select(kind, CURRENT_GOVERNMENT)
        return endless_page(kind, items, page, self._settings.listing_size, self.origin)

    def wait(self, seconds: float | None) -> bool:
        """Sleep unless the server stops meanwhile (None: until it stops); True if not stopped."""
        return not self._stopping.wait(seconds)

    def _checked(self, method: str, target: str, headers: Mapping[str, str]) -> Response:
        """The answer, unless the clearance check wants its block page served instead."""
        clearance = self._clearance
        path = target.split("?", 1)[0]
        if clearance is None or clearance.admits(path, headers):
            return self._respond(target, headers)
        with self._lock:
            self._challenged.append(LoggedRequest(method, target, dict(headers)))
        return clearance.challenge(target)

    def _respond(self, target: str, headers: Mapping[str, str]) -> Response:
        """Route a request against the current snapshot and apply conditional headers."""
        response = route(self._site, target, headers.get("host"), self._settings, self.origin)
        return with_validators(response, headers)

    def _require(self, path: str) -> Item:
        """Return the item at a path or raise KeyError."""
        item = self.item(path)
        if item is None:
            raise KeyError(f"no page at {path}")
        return item

    def _tick(self) -> dt.datetime:
        """Return a change time later than every earlier one by at least a second."""
        self._last_change = max(utc_now(), self._last_change + dt.timedelta(seconds=1))
        return self._last_change


def _drip(fault: Fault) -> float | None:
    """Seconds between the bytes of a dripped body, for a `drip` fault."""
    return float(str(fault.opts["interval"])) if fault.kind == "drip" else None
