"""`scraper report`: the archive on one HTML page, written where asked (or returned)."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from scraper.archive.atomic import atomic_write
from scraper.export.census import Census, gather
from scraper.export.page import file_links, render_page

__all__ = ["Report", "make_report"]


@dataclass(frozen=True)
class Report:
    """The page and what it was made from."""

    census: Census
    html: str


def make_report(root: Path, output: Path | None, now: dt.datetime) -> Report:
    """Make the page for the archive at `root`; write it to `output` (atomically) if given.

    Links to archive files are relative to where the page is written, so the two can be
    moved together; a page not written to a file links to the files by absolute address.
    """
    census = gather(root, now)
    if output is None:
        base = root.resolve().as_uri() + "/"
    else:
        base = Path(os.path.relpath(root.resolve(), output.resolve().parent)).as_posix() + "/"
    html = render_page(census, file_links(base))
    if output is not None:
        atomic_write(output, html.encode("utf-8"))
    return Report(census, html)
