"""How to reach the site and how gently: the fetch settings, each checked against its range."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import httpx

from scraper.errors import ConfigError

DEFAULT_PORTS = {"http": 80, "https": 443}

_POLITE = " (a politeness limit: more at once would weigh on the site, which others use too)"
_TRIES = " (more tries only press a failing site harder, and make a dead one slower to notice)"
#: The settings with a range: least, whether the least itself is allowed, most, why the most.
#: Every value must also be finite: an infinite interval overflows, and NaN compares false
#: with everything, so it would pass every other check and remove every delay.
_LIMITS: dict[str, tuple[float, bool, float, str]] = {
    "interval": (0, True, 3600, ""),
    "concurrency": (1, True, 16, _POLITE),
    "timeout": (0, False, 600, ""),
    "max_attempts": (1, True, 10, _TRIES),
    "connect_attempts": (1, True, 10, _TRIES),
    "backoff_initial": (0, True, 60, ""),
    "backoff_max": (0, True, 600, ""),
    "retry_after_cap": (0, True, 3600, ""),
    "robots_ttl": (0, False, 86400, " (RFC 9309 §2.4: a robots.txt is kept a day at most)"),
}


@dataclass(frozen=True)
class FetchSettings:
    """How to reach the site and how gently; every limit in one place."""

    base_url: str = "https://www.beehive.govt.nz"  # a site root: the site, a mirror, a stand-in
    user_agent: str = "beehive-scraper/0.1 (+https://github.com/...; contact: set in config)"
    # Ranges are in _LIMITS, above.
    interval: float = 1.0  # least seconds between request starts; robots.txt may raise it
    concurrency: int = 1  # most requests in flight at once
    timeout: float = 30.0  # seconds, for connect, each read, write and pool wait
    max_attempts: int = 5  # attempts per request, the first included
    # Of those, how many may fail to connect: a dead site or a wrong base_url shows in seconds.
    connect_attempts: int = 3
    backoff_initial: float = 1.0  # first retry wait, and the most jitter added to any
    backoff_max: float = 60.0
    retry_after_cap: float = 120.0  # a longer Retry-After gives the URL up instead of waiting
    max_body_bytes: int = 10 * 1024 * 1024  # decoded bytes; more is an error, not a truncation
    robots_ttl: float = 86400.0
    obey_robots: bool = True
    # Cookies from a browser that passed the check: Netscape cookies.txt or a JSON export.
    cookies_file: Path | None = None
    # A real browser for pages the bot check blocks: "" off, "auto" (found on PATH) or a path.
    browser: str = ""

    def __post_init__(self) -> None:
        """Refuse a value out of its range, naming the setting and the range."""
        url = parse_url(self.base_url)
        if url is None or url.scheme not in DEFAULT_PORTS or not url.host:
            raise ConfigError(f"base_url {self.base_url!r} is not an http(s) URL with a host")
        if url.path not in ("", "/") or url.query or url.fragment:
            raise ConfigError(f"base_url {self.base_url!r} must be a site root, without a path")
        # One site, one spelling: robots.txt and validators are kept by this string.
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        agent = self.user_agent
        if not agent.strip() or not agent.isascii() or not agent.isprintable():
            raise ConfigError(
                f"user_agent {agent!r} must be non-empty printable ASCII (no line breaks)"
            )
        for name, (least, least_ok, most, why) in _LIMITS.items():
            value = getattr(self, name)
            low_ok = value >= least if least_ok else value > least
            if not (math.isfinite(value) and low_ok and value <= most):
                low = f"at least {least:g}" if least_ok else f"more than {least:g}"
                raise ConfigError(f"{name} must be {low} and at most {most:g}{why}, got {value!r}")
        if self.max_body_bytes < 1:
            raise ConfigError(f"max_body_bytes must be at least 1, got {self.max_body_bytes}")


def parse_url(text: str) -> httpx.URL | None:
    """A URL, or None when httpx cannot read it."""
    try:
        return httpx.URL(text)
    except httpx.InvalidURL:
        return None
