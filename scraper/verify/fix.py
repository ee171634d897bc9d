"""`verify --fix`: rewrite the files the checks found fixable, in one reviewed step.

A file whose page was fetched is rewritten from the page (moved when its date or id
changes, the move noted first so that a run killed half way is finished by the next); one
only noncanonical is rewritten in its canonical form. Missing pages never delete a file (a
withdrawn release is still history), and files edited by hand since this tool wrote them
are kept unless forced.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from scraper.archive.document import dumps
from scraper.archive.moves import move_file
from scraper.archive.placing import free_relpath
from scraper.archive.store import Archive
from scraper.errors import StateError, StoreError
from scraper.models import Release
from scraper.site.urls import content_type_of
from scraper.verify.offline import Checked
from scraper.verify.report import FIXABLE

_FROM_PAGE = FIXABLE - {"noncanonical"}


def fix_files(
    archive: Archive,
    checked: list[Checked],
    pages: dict[str, Release],
    *,
    force: bool,
    now: dt.datetime,
) -> None:
    """Fix each fixable file; what was done goes to its result's `fixed`."""
    for check in checked:
        result = check.result
        if not FIXABLE & result.kinds.keys():
            continue
        if "local-edit" in result.kinds and not force:
            result.fixed = "kept: edited by hand since this tool wrote it (--force to overwrite)"
            continue
        page = pages.get(result.path)
        try:
            if page is not None and _FROM_PAGE & result.kinds.keys():
                result.fixed = _from_page(archive, result.path, page, now)
            elif "noncanonical" in result.kinds and check.release is not None:
                archive.rewrite(result.path, dumps(check.release))
                result.fixed = "rewritten in canonical form"
        except StateError:
            raise  # nothing later could be recorded either
        except StoreError as exc:
            result.fixed = f"not fixed: {exc}"


def _from_page(archive: Archive, relpath: str, page: Release, now: dt.datetime) -> str:
    """Write a file from its page: in place, or at its new path with the old one removed."""
    kind = content_type_of(page.url) or "release"
    target = free_relpath(archive, kind, page, current=relpath)
    write = partial(archive.write, target, dumps(page), page.url, page.date, now)
    if target == relpath:
        write()
        return "rewritten from the page"
    move_file(archive, page.url, relpath, write)
    return f"moved to {target}, rewritten from the page"
