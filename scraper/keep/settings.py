"""Whether, and how, the pages a sync fetches are kept in WARC files (`[keep]`)."""

from __future__ import annotations

from dataclasses import dataclass

from scraper.errors import ConfigError


@dataclass(frozen=True)
class KeepSettings:
    """Keeping fetched pages: on by default; the WARC files rotate at `file_mb` megabytes.

    `discovery`: the feed and listing pages a sync reads are kept too (off by default: they
    are not releases, and a backfill reads thousands of them).
    """

    pages: bool = True
    file_mb: int = 100
    discovery: bool = False

    def __post_init__(self) -> None:
        """Refuse a file size that is no size."""
        if not 1 <= self.file_mb <= 100_000:
            raise ConfigError(f"keep.file_mb must be from 1 to 100000, got {self.file_mb}")

    @property
    def max_bytes(self) -> int:
        """Bytes a WARC file may reach before the next page starts a new one."""
        return self.file_mb * 1_000_000
