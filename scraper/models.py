"""Frozen dataclasses passed between the stages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

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
