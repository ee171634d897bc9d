"""Exit codes of every command (documented in the README), and the code for an error."""

from __future__ import annotations

from scraper.errors import (
    BlockedError,
    BlockPageError,
    ConfigError,
    LockedError,
    ScraperError,
    UnreachableError,
)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BLOCKED = 3
EXIT_LOCKED = 4
EXIT_UNREACHABLE = 5
EXIT_INTERRUPTED = 130


def exit_code_for(exc: ScraperError) -> int:
    """The exit code for an error that ended a command."""
    if isinstance(exc, ConfigError):
        return EXIT_USAGE
    if isinstance(exc, BlockedError | BlockPageError):
        return EXIT_BLOCKED
    if isinstance(exc, LockedError):
        return EXIT_LOCKED
    if isinstance(exc, UnreachableError):
        return EXIT_UNREACHABLE
    return EXIT_FAILED
