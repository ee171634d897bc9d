"""Frozen dataclasses passed between the stages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

#: Content types the archive knows, and the folder each is stored under.
CONTENT_FOLDERS: dict[str, str] = {
    "release": "releases",
    "speech": "speeches",
    "feature": "features",
}


@dataclass(frozen=True)
class Release:
    """One archive file's content: front matter fields and the Markdown body."""

    title: str
    date: dt.date
    url: str
    ministers: tuple[str, ...] = ()
    portfolios: tuple[str, ...] = ()
    attachments: tuple[str, ...] = ()
    body: str = ""


@dataclass(frozen=True)
class Failure:
    """A URL that could not be synced, and why."""

    url: str
    reason: str


@dataclass
class SyncReport:
    """What a sync did; filled in as it runs, printed at the end."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[Failure] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    ambiguous: list[Failure] = field(default_factory=list)
    #: Files this tool wrote whose page changed, left alone because they were edited by hand.
    kept: list[Failure] = field(default_factory=list)
    planned: list[str] = field(default_factory=list)
    #: Things worth knowing that are not failures (robots.txt unavailable, state rebuilt).
    notes: list[str] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0
    stopped: str | None = None

    @property
    def ok(self) -> bool:
        """Whether everything that was found was synced."""
        return not (self.failed or self.blocked or self.ambiguous or self.stopped)
