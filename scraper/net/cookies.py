"""Cookies from a browser that passed the site's bot check, for the HTTP client.

A cookies file is a Netscape cookies.txt or a JSON list of ``{name, value, domain, path}``
objects (what browser extensions and Playwright export; other keys such as expirationDate,
secure, httpOnly and hostOnly are read when present), told apart by content. Only cookies
for the configured site's host are kept: any other is dropped with a warning, so a cookie
never goes anywhere it was not meant for.
"""

from __future__ import annotations

import http.cookiejar
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scraper.errors import ConfigError

log = logging.getLogger(__name__)

_HOW = (
    "export them from a browser that passed the site's check, as a Netscape cookies.txt or a "
    'JSON list of {"name", "value", "domain", "path"} objects (see the README, "When the site '
    'blocks plain HTTP clients")'
)


@dataclass(frozen=True)
class SiteCookie:
    """One cookie as a browser holds it; `expires` None: for the session."""

    name: str
    value: str
    domain: str
    path: str = "/"
    expires: float | None = None
    secure: bool = False
    host_only: bool = False

    def to_cookie(self) -> http.cookiejar.Cookie:
        """The cookie as the HTTP client's jar keeps it."""
        bare = self.domain.lstrip(".")
        domain = bare if self.host_only else "." + bare
        return http.cookiejar.Cookie(
            version=0,
            name=self.name,
            value=self.value,
            port=None,
            port_specified=False,
            domain=domain,
            domain_specified=not self.host_only,
            domain_initial_dot=not self.host_only,
            path=self.path or "/",
            path_specified=True,
            secure=self.secure,
            expires=None if self.expires is None else int(self.expires),
            discard=self.expires is None,
            comment=None,
            comment_url=None,
            rest={},
        )


def domain_matches(domain: str, host: str) -> bool:
    """Whether a cookie of `domain` is sent to `host` (RFC 6265 §5.1.3)."""
    bare = domain.lstrip(".").lower()
    host = host.lower()
    return bool(bare) and (host == bare or host.endswith("." + bare))


def for_site(cookies: Iterable[SiteCookie], host: str, source: str) -> list[SiteCookie]:
    """The cookies sent to `host`; the others dropped with a warning naming `source`."""
    every = list(cookies)
    kept = [c for c in every if domain_matches(c.domain, host)]
    dropped = sorted({c.domain for c in every if not domain_matches(c.domain, host)})
    if dropped:
        log.warning(
            "%s: cookies for other sites than %s (%s) dropped: they are never sent",
            source,
            host,
            ", ".join(dropped),
        )
    return kept


def load_cookies(path: Path | None, host: str) -> http.cookiejar.CookieJar | None:
    """The cookies of a cookies file for `host` (None: no file); ConfigError when unreadable."""
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot load cookies from {path}: {exc}; {_HOW}") from exc
    read = _json_cookies if text.lstrip().startswith(("[", "{")) else _netscape_cookies
    jar = http.cookiejar.CookieJar()
    for cookie in for_site(read(path, text), host, str(path)):
        jar.set_cookie(cookie.to_cookie())
    jar.clear_expired_cookies()
    if not list(jar):
        log.warning(
            "%s holds no unexpired cookies for %s; the bot check may block requests", path, host
        )
    return jar


def _netscape_cookies(path: Path, text: str) -> list[SiteCookie]:
    """The cookies of a Netscape cookies.txt."""
    jar = http.cookiejar.MozillaCookieJar(str(path))
    try:
        jar.load(ignore_discard=True, ignore_expires=True)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot load cookies from {path}: {exc}; {_HOW}") from exc
    # Browsers export session cookies (the bot check's incap_ses_*) with expiry 0, which the
    # jar would take for long expired and never send.
    return [
        SiteCookie(
            c.name,
            c.value or "",
            c.domain,
            c.path,
            None if not c.expires else float(c.expires),
            c.secure,
            host_only=not c.domain.startswith("."),
        )
        for c in jar
    ]


def _json_cookies(path: Path, text: str) -> list[SiteCookie]:
    """The cookies of a JSON export: a list of objects, or Playwright's {"cookies": [...]}."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"cannot load cookies from {path}: not JSON ({exc}); {_HOW}") from exc
    if isinstance(data, dict) and isinstance(data.get("cookies"), list):
        data = data["cookies"]
    if not isinstance(data, list):
        raise ConfigError(f"cannot load cookies from {path}: the JSON is not a list; {_HOW}")
    return [_json_cookie(path, number, item) for number, item in enumerate(data, 1)]


def _json_cookie(path: Path, number: int, item: Any) -> SiteCookie:
    """One cookie of a JSON export; ConfigError naming it when a field is missing or wrong."""
    fields = ("name", "value", "domain")
    if not isinstance(item, dict) or not all(isinstance(item.get(f), str) for f in fields):
        raise ConfigError(
            f"cannot load cookies from {path}: cookie {number} lacks a text name, value or "
            f"domain; {_HOW}"
        )
    expires = item.get("expirationDate", item.get("expires"))
    if item.get("session") is True or not isinstance(expires, int | float) or expires <= 0:
        expires = None
    return SiteCookie(
        item["name"],
        item["value"],
        item["domain"],
        str(item.get("path") or "/"),
        None if expires is None else float(expires),
        item.get("secure") is True,
        host_only=item.get("hostOnly") is True or not item["domain"].startswith("."),
    )
