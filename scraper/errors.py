"""Every error the scraper raises on purpose, as one tree.

    ScraperError
    ├── ConfigError          a settings file or option is wrong
    ├── FetchError           a request failed for good (after retries)
    │   ├── UnavailableError the site kept failing for one URL (5xx, 429, timeouts, resets)
    │   │   └── UnreachableError  no connection at all, or robots.txt unavailable: stop
    │   ├── BlockedError     the site served its bot-protection page
    │   │   └── RobotsBlockedError  ... for robots.txt, so for every request: stop
    │   ├── RobotsError      robots.txt forbids the URL
    │   ├── BudgetError      the run's request budget is spent
    │   └── RedirectError    a redirect left the site or was not http(s)
    ├── ParseError           a page is not a release page, or lacks a field we need
    │   └── BlockPageError   the text is the bot-protection page, not a release
    ├── DocumentError        an archive file cannot be read (encoding, front matter, YAML)
    └── StoreError           the archive on disk cannot be written or read
        ├── StateError       the state database cannot be used (locked, read-only, full)
        │   └── StateLockedError  another program holds the state database: in use
        └── LockedError      another sync holds the archive's lock

Each message names the input and says what to do about it.
"""

from __future__ import annotations


class ScraperError(Exception):
    """Base of every error the scraper raises on purpose."""


class ConfigError(ScraperError):
    """A settings file or command-line option is invalid."""


class FetchError(ScraperError):
    """A request failed for good, after any retries."""

    def __init__(self, message: str, url: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class UnavailableError(FetchError):
    """The site kept failing for one URL (5xx, 429, timeouts, resets) until retries ran out."""


class UnreachableError(UnavailableError):
    """Nothing can be fetched now: no connection to the site, or robots.txt unavailable."""


class BlockedError(FetchError):
    """The site answered with its bot-protection page instead of content."""


class RobotsBlockedError(BlockedError):
    """The bot-protection page came for robots.txt: every other request would get it too."""


class RobotsError(FetchError):
    """robots.txt forbids fetching the URL."""


class BudgetError(FetchError):
    """The run may make no more requests: its budget (--max-requests) is spent."""


class RedirectError(FetchError):
    """A redirect pointed outside the configured site or to a non-http(s) scheme."""


class ParseError(ScraperError):
    """A page is not a release page, or lacks a field the archive needs."""


class BlockPageError(ParseError):
    """The page is the site's bot-protection page, not a release."""


class DocumentError(ScraperError):
    """An archive file cannot be read: bad encoding, no front matter, or broken YAML."""


class StoreError(ScraperError):
    """The archive on disk cannot be written, read or locked."""


class StateError(StoreError):
    """The state database cannot be opened or written (locked, read-only, disk full)."""


class LockedError(StoreError):
    """Another process holds the archive's lock."""


class StateLockedError(StateError, LockedError):
    """Another program holds the state database (a write of its own): the archive is in use."""
