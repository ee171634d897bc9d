"""A fake site on httpx.MockTransport and a fake clock, shared by the Fetcher's tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from scraper.net.fetch import Fetcher
from scraper.net.settings import FetchSettings

SITE = "https://mirror.test"
FIXTURES = Path(__file__).parent / "fixtures"
PAGE = b'<html><body><h1 class="article__title">A release</h1></body></html>'

Handler = Callable[[httpx.Request], httpx.Response]


class FakeTime:
    """A monotonic clock that moves only when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


def reply(status: int = 200, body: bytes = PAGE, headers: dict[str, str] | None = None) -> Handler:
    """A handler answering with a fresh response each time."""
    return lambda request: httpx.Response(status, content=body, headers=headers)


def fail(exc: Exception) -> Handler:
    """A handler raising a transport error."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


@dataclass
class Site:
    """A fake site: per path, a list of handlers used in turn (the last one repeats)."""

    routes: dict[str, list[Handler]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        handlers = self.routes.get(request.url.path)
        if not handlers:
            return httpx.Response(404, content=b"not found")
        handler = handlers.pop(0) if len(handlers) > 1 else handlers[0]
        return handler(request)

    def paths(self) -> list[str]:
        return [request.url.path for request in self.requests]


def make(
    site: Site,
    time: FakeTime | None = None,
    validators: Any = None,
    robots_cache: Any = None,
    budget: int | None = None,
    **settings: Any,
) -> Fetcher:
    """A Fetcher on `site`; interval 0 unless a test is about spacing."""
    clock = time or FakeTime()
    config = FetchSettings(base_url=SITE, **{"interval": 0.0, **settings})
    return Fetcher(
        config,
        transport=httpx.MockTransport(site),
        validators=validators,
        robots_cache=robots_cache,
        sleep=clock.sleep,
        clock=clock.clock,
        budget=budget,
    )


class MemoryRobots:
    """A robots.txt cache shared between fetchers, with a settable age."""

    def __init__(self) -> None:
        self.kept: dict[str, str] = {}
        self.age = 0.0

    def load_robots(self, site: str) -> tuple[str, float] | None:
        return (self.kept[site], self.age) if site in self.kept else None

    def save_robots(self, site: str, text: str) -> None:
        self.kept[site] = text
