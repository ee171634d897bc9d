"""Politeness toward the site: request spacing, robots.txt rules and Retry-After (no I/O)."""

from __future__ import annotations

import email.utils
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from protego import Protego


class RateLimiter:
    """Keep request starts at least `interval` seconds apart, across threads."""

    def __init__(
        self, interval: float, *, sleep: Callable[[float], None], clock: Callable[[], float]
    ) -> None:
        self._interval = interval
        self._sleep = sleep
        self._clock = clock
        self._lock = threading.Lock()
        self._last_start: float | None = None
        self._not_before = -math.inf

    @property
    def interval(self) -> float:
        """The minimum number of seconds between two request starts."""
        with self._lock:
            return self._interval

    @interval.setter
    def interval(self, seconds: float) -> None:
        with self._lock:
            self._interval = seconds

    def hold_off(self, seconds: float) -> None:
        """Start no request for `seconds` from now (the server asked everyone to wait)."""
        with self._lock:
            self._not_before = max(self._not_before, self._clock() + seconds)

    def wait(self) -> None:
        """Block until this caller may start a request, and claim that start time."""
        with self._lock:
            now = self._clock()
            start = max(now, self._not_before)
            if self._last_start is not None:
                # The interval is read now, not when the previous start was claimed, so a
                # crawl-delay learnt from robots.txt applies to the very next request.
                start = max(start, self._last_start + self._interval)
            # Claiming the slot before sleeping keeps concurrent callers in single file.
            self._last_start = start
        if start > now:
            self._sleep(start - now)


def parse_retry_after(
    value: str | None, *, date: str | None = None, now: float | None = None
) -> float | None:
    """Return the seconds a Retry-After value asks for, or None if absent or unreadable.

    An HTTP-date is measured from the response's own Date header when there is one, so a
    skewed local clock does not change the wait; otherwise from `now` (Unix time).
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    reference = _http_date(date)
    if reference is None:
        reference = time.time() if now is None else now
    return max(0.0, when - reference)


def _http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def product_token(user_agent: str) -> str:
    """Return the name robots.txt groups are matched against: `bot` in `bot/1.0 (...)`."""
    first = user_agent.strip().split(None, 1)[0] if user_agent.strip() else ""
    return first.split("/", 1)[0].lower()


@dataclass(frozen=True)
class RobotsRules:
    """What robots.txt says for this client; `parser` None means everything is allowed."""

    parser: Protego | None
    fetched_at: float

    @classmethod
    def parse(cls, text: str, fetched_at: float) -> RobotsRules:
        """Build the rules from the text of a robots.txt."""
        return cls(Protego.parse(text), fetched_at)

    @classmethod
    def allow_all(cls, fetched_at: float) -> RobotsRules:
        """Rules that allow every URL (robots.txt said nothing, or there is none)."""
        return cls(None, fetched_at)

    def allows(self, url: str, agent: str) -> bool:
        """Return whether `agent` may fetch `url`."""
        return self.parser is None or bool(self.parser.can_fetch(url, agent))

    def delay(self, agent: str) -> float:
        """Return the seconds robots.txt asks between requests (Crawl-delay or Request-rate)."""
        if self.parser is None:
            return 0.0
        delay = self.parser.crawl_delay(agent) or 0.0
        rate = self.parser.request_rate(agent)
        if rate is not None and rate.requests > 0:
            delay = max(delay, rate.seconds / rate.requests)
        return float(delay)

    def expired(self, now: float, ttl: float) -> bool:
        """Return whether these rules are older than `ttl` seconds."""
        return now - self.fetched_at >= ttl
