"""`verify --fix`: rewrite the files the checks found fixable, each as soon as it is judged.

A file whose page was fetched is rewritten from the page (moved when its date or id
changes, the move noted first so that a run killed half way is finished by the next); one
only noncanonical is rewritten in its canonical form. Missing pages never delete a file (a
withdrawn release is still history), and files edited by hand since this tool wrote them
are kept unless forced.
"""

from __future__ import annotations

import datetime as dt

from scraper.archive.document import dumps
from scraper.archive.identify import identify
from scraper.archive.moves import place
from scraper.archive.placing import free_relpath
from scraper.archive.store import Archive
from scraper.errors import StateError, StoreError
from scraper.models import Release
from scraper.site.urls import content_type_of
from scraper.verify.offline import Checked
from scraper.verify.report import FIXABLE

_FROM_PAGE = FIXABLE - {"noncanonical"}


#: Files never rewritten: their page could not be judged, or is another release's.
_HANDS_OFF = frozenset({"error", "blocked", "moved"})


class Fixer:
    """Fixes files one by one as they are judged (so a run cut short keeps what it did)."""

    def __init__(self, archive: Archive, *, force: bool, now: dt.datetime) -> None:
        """Fix files of `archive`, overwriting hand edits when `force`."""
        self.archive = archive
        self.force = force
        self.now = now
        #: The URLs written (each release once per run).
        self._written: set[str] = set()
        #: The kept record of the page in hand, that a file is written from (None: not kept).
        self.source: str | None = None

    def fix(self, check: Checked, page: Release | None = None) -> None:
        """Fix one file if it is fixable, from `page` (the release its page holds) when
        there is one; what was done goes to its result's `fixed`. A file is fixed once."""
        result = check.result
        if result.fixed is not None:
            return
        # A "local-edit" that is byte for byte the file the page makes is this tool's own
        # write whose record a kill cut off (between the rename and the state's commit):
        # writing it again (the same bytes) records it as this tool's own once more.
        own = page is not None and _unrecorded_own_write(check)
        if not own and (not FIXABLE & result.kinds.keys() or _HANDS_OFF & result.kinds.keys()):
            return
        if "local-edit" in result.kinds and not self.force and not own:
            result.fixed = "kept: edited by hand since this tool wrote it (--force to overwrite)"
            return
        try:
            if page is not None and (own or _FROM_PAGE & result.kinds.keys()):
                result.fixed = _from_page(
                    self.archive, result.path, page, self.now, self._written, self.source
                )
            elif "noncanonical" in result.kinds and check.release is not None:
                assert result.text is not None  # a readable file
                self.archive.rewrite(result.path, dumps(check.release), was=result.text)
                result.fixed = "rewritten in canonical form"
        except StateError:
            raise  # nothing later could be recorded either
        except StoreError as exc:
            result.fixed = f"not fixed: {exc}"


def _unrecorded_own_write(check: Checked) -> bool:
    """Whether a "local-edit" is the file its page makes, byte for byte, and nothing else."""
    result = check.result
    found = set(result.kinds) - {"ok"}
    return found == {"local-edit"} and result.text == result.expected


def _from_page(
    archive: Archive,
    relpath: str,
    page: Release,
    now: dt.datetime,
    written: set[str],
    source: str | None,
) -> str:
    """Write a file from its page: in place, or at its new path with the old one removed."""
    kind = content_type_of(page.url) or "release"
    match = identify(archive, kind, page.url, page.date, page.title)
    if match.entry is None or match.entry.relpath != relpath or page.url in written:
        holders = ", ".join(e.relpath for e in match.ambiguous) or (
            match.entry.relpath if match.entry else "no file"
        )
        return (
            f"kept: {page.url} is not this file's release by the archive's identity rules"
            f" (it matches {holders}); run `scraper sync --full` to learn each old file's"
            " real address, then verify again"
        )
    written.add(page.url)
    target = free_relpath(archive, kind, page, current=relpath)

    def write_at(path: str) -> None:
        archive.write(path, dumps(page), page.url, page.date, now, source=source)

    if place(archive, page.url, relpath, target, write_at):
        return f"moved to {target}, rewritten from the page"
    return "rewritten from the page"
