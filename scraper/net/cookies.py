"""Cookies exported from a browser that passed the site's bot check, for the HTTP client."""

from __future__ import annotations

import http.cookiejar
import logging
from pathlib import Path

from scraper.errors import ConfigError

log = logging.getLogger(__name__)


def load_cookies(path: Path | None) -> http.cookiejar.CookieJar | None:
    """The cookies of a Netscape cookies.txt (None: no file); ConfigError when unreadable."""
    if path is None:
        return None
    jar = http.cookiejar.MozillaCookieJar(str(path))
    try:
        jar.load(ignore_discard=True, ignore_expires=True)
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot load cookies from {path}: {exc}; export them from a browser that passed "
            "the site's check, as a Netscape cookies.txt file"
        ) from exc
    for cookie in jar:
        # Browsers export session cookies (the bot check's incap_ses_*) with expiry 0, which
        # the jar would take for long expired and never send.
        if cookie.expires == 0:
            cookie.expires = None
            cookie.discard = True
    jar.clear_expired_cookies()
    if not list(jar):
        log.warning("%s holds no unexpired cookies; the bot check may block requests", path)
    return jar
