"""The archive as the plan sees it: lookups only, so the plan cannot write (mypy checks it)."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from scraper.archive.identify import Index
from scraper.archive.moves import MoveNotes
from scraper.archive.state import Entry


class Snapshot(Index, MoveNotes, Protocol):
    """Read-only lookups in the archive's index and sync state (`Archive` provides them):
    identity's, the unfinished moves', and these."""

    def newest(self, kind: str) -> dt.date | None:
        """The latest date of any file of a content type."""
        ...

    def node_target(self, node_url: str) -> str | None:
        """The content URL a /node/<id> link was last found to lead to."""
        ...

    def get_meta(self, key: str) -> str | None:
        """A value the sync keeps between runs."""
        ...

    def pending(self, kinds: tuple[str, ...]) -> list[tuple[str, str, str | None, str | None]]:
        """Items found by earlier runs and not yet dealt with, of some content types."""
        ...

    def written_since(self, since: dt.date) -> list[tuple[str, str]]:
        """(url, relpath) of files a sync wrote for releases published on or after `since`."""
        ...

    def at(self, relpath: str) -> Entry | None:
        """The file at a relative path, if the index has one."""
        ...

    def incomplete(self) -> list[tuple[str, str]]:
        """(url, relpath) of the files written from the feed alone (sync --feed-only)."""
        ...
