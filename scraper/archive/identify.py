"""Which archive file, if any, holds a release: the identity rules of the archive format."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from scraper.archive.store import Entry
from scraper.dates import old_archive_dates
from scraper.site.urls import PUBLIC_SITE, folded_id


class Index(Protocol):
    """The lookups identity needs from the archive's index."""

    def by_url(self, url: str) -> list[Entry]:
        """The files holding exactly this URL."""

    def by_folded(self, kind: str, folded: str) -> list[Entry]:
        """Files of a type whose URL folds to this id."""

    def by_title(self, kind: str, title: str) -> list[Entry]:
        """Files of a type with exactly this title."""


@dataclass(frozen=True)
class Match:
    """The outcome of identifying a release: one file, none, or several (never guessed)."""

    entry: Entry | None
    ambiguous: tuple[Entry, ...] = ()


def identify(index: Index, kind: str, url: str, date: dt.date | None, title: str | None) -> Match:
    """Find the file that holds the release at `url` (known date and title narrow it)."""
    folded = folded_id(url)
    old_url = f"{PUBLIC_SITE}/{kind}/{folded}"
    exact = index.by_url(url)
    ours = [e for e in exact if e.ours]
    if ours:
        # A file this tool wrote for this very URL is this release, whatever its date now.
        return Match(ours[0])
    if url != old_url and exact:
        # Only this release's own file holds its non-ASCII real URL.
        return Match(exact[0]) if len(exact) == 1 else Match(None, tuple(exact))
    # An old exporter's file holds the ASCII-folded URL, which releases whose real slugs
    # differ only in non-ASCII characters share; date and title tell them apart. A file this
    # tool wrote holds a real URL, so one with the folded URL belongs to another release.
    candidates = [e for e in index.by_folded(kind, folded) if e.url == old_url and not e.ours]
    candidates = _on(candidates, date)
    if len(candidates) > 1 and title is not None:
        candidates = [e for e in candidates if _same_title(e.title, title)]
    if len(candidates) == 1:
        return Match(candidates[0])
    if not candidates:
        return Match(None)
    return Match(None, tuple(candidates))


def identify_listed(
    index: Index, kind: str, title: str, date: dt.date | None, listed: int = 1
) -> list[Entry] | None:
    """The files that account for a link without a slug, by its listed title and date.

    None when they do not: `listed` is how many links of the same page share that title and
    date, and Drupal gives repeated titles -0, -1 slugs, so one file cannot stand for two.
    Without a date nothing is sure (any release of that title could be it): None.
    """
    if date is None:
        return None
    matches = _on(index.by_title(kind, title), date)
    known = len(matches) == listed if listed == 1 else len(matches) >= listed
    return matches if known else None


def _on(candidates: list[Entry], date: dt.date | None) -> list[Entry]:
    """The files that may hold a release of a given New Zealand date (None: any)."""
    if date is None:
        return candidates
    days = old_archive_dates(date)
    return [e for e in candidates if e.date in days]


def _same_title(a: str, b: str) -> bool:
    """Titles equal once white space (no-break spaces included) is folded."""
    return " ".join(a.split()) == " ".join(b.split())
