"""The archive as the plan sees it: lookups only, so the plan cannot write (mypy checks it)."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from scraper.archive.store import Entry


class Snapshot(Protocol):
    """Read-only lookups in the archive's index and sync state (`Archive` provides them)."""

    def by_url(self, url: str) -> list[Entry]:
        """The files holding exactly this URL."""
        ...

    def by_folded(self, kind: str, folded: str) -> list[Entry]:
        """Files of a type whose URL folds to this id."""
        ...

    def by_title(self, kind: str, title: str) -> list[Entry]:
        """Files of a type with exactly this title."""
        ...

    def at(self, relpath: str) -> Entry | None:
        """The file at a relative path, if the index has one."""
        ...

    def holds(self, relpath: str, url: str) -> bool:
        """Whether the file at a path, as it is on disk now, holds this URL."""
        ...

    def newest(self, kind: str) -> dt.date | None:
        """The latest date of any file of a content type."""
        ...

    def node_target(self, node_url: str) -> str | None:
        """The content URL a /node/<id> link was last found to lead to."""
        ...

    def get_meta(self, key: str) -> str | None:
        """A value the sync keeps between runs."""
        ...

    def meta_with_prefix(self, prefix: str) -> list[tuple[str, str]]:
        """Kept values whose keys start with a prefix."""
        ...

    def pending(self, kinds: tuple[str, ...]) -> list[tuple[str, str, str | None, str | None]]:
        """Items found by earlier runs and not yet dealt with, of some content types."""
        ...

    def written_since(self, since: dt.date) -> list[tuple[str, str]]:
        """(url, relpath) of files a sync wrote for releases published on or after `since`."""
        ...
