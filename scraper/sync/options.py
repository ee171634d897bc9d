"""What one sync does, built from the settings the same way by every caller."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from scraper.config import Config
from scraper.keep.settings import KeepSettings
from scraper.site.parse import ParseOptions
from scraper.site.urls import SITE_HOSTS, site_hosts


@dataclass(frozen=True)
class SyncOptions:
    """What one sync covers and how it reads pages."""

    types: tuple[str, ...] = ("release",)
    since: dt.date | None = None
    full: bool = False
    limit: int | None = None
    recheck_days: int = 3
    block_limit: int = 3
    down_limit: int = 3
    concurrency: int = 1
    parse: ParseOptions = field(default_factory=ParseOptions)
    #: Hosts whose absolute links are the site's (the public ones and a mirror's).
    hosts: frozenset[str] = SITE_HOSTS
    max_listing_pages: int = 5000
    #: Whether (and how) fetched pages are kept in WARC files.
    keep: KeepSettings = field(default_factory=KeepSettings)
    #: Read only the feed and write new releases from its text, marked incomplete.
    feed_only: bool = False

    @property
    def timezone(self) -> str:
        """The zone of the dates written into files."""
        return self.parse.timezone

    @classmethod
    def from_config(
        cls,
        config: Config,
        *,
        since: dt.date | None = None,
        full: bool = False,
        limit: int | None = None,
        feed_only: bool = False,
    ) -> SyncOptions:
        """A run under these settings; the content types come from the settings too."""
        return cls(
            types=config.sync.types,
            since=since,
            full=full,
            limit=limit,
            feed_only=feed_only,
            recheck_days=config.sync.recheck_days,
            block_limit=config.sync.block_limit,
            down_limit=config.sync.down_limit,
            concurrency=config.fetch.concurrency,
            parse=config.parse_options(),
            hosts=site_hosts(config.fetch.base_url),
            keep=config.keep,
        )
