"""Where a release's file goes: the archive's naming rule and its deterministic variants.

The natural name is ``<folder>/YYYY/MM/YYYY-MM-DD-<folded id>.md`` (the existing archive's
rule). When another release holds that name, or the name is too long for a file system,
the file is named with a tag: the start of the SHA-256 of the release's real URL,
``YYYY-MM-DD-<id>--<8 hex>.md``, stable from run to run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import PurePosixPath

from scraper.models import CONTENT_FOLDERS
from scraper.site.urls import folded_id

#: The most bytes a file's name may have: the common file systems' 255, less what the
#: temporary file of an atomic write adds around it (``.<name>.<8 hex>.tmp``).
NAME_MAX = 255 - len("." + ".01234567.tmp")
_TAG = re.compile(r"--[0-9a-f]{8}$")


def archive_relpath(content_type: str, date: dt.date, url: str) -> PurePosixPath:
    """The natural archive path of a page: ``<folder>/YYYY/MM/YYYY-MM-DD-<folded id>.md``.

    ``folder`` is ``releases``, ``speeches`` or ``features`` (``models.CONTENT_FOLDERS``);
    ``date`` is the date to file under (the New Zealand date); a ``datetime`` is refused, since
    which day it falls on depends on the time zone. The year is always four digits
    (``0001/01/0001-01-01-…`` for the archive's two undated files).
    """
    return PurePosixPath(natural_relpath(content_type, date, url))


def natural_relpath(content_type: str, date: dt.date, url: str) -> str:
    """`archive_relpath` as text, made by formatting alone (verify makes 55,000 of them)."""
    if isinstance(date, dt.datetime):
        raise TypeError(
            f"archive_relpath needs a date, not the datetime {date.isoformat()}: "
            "convert it to the New Zealand date first"
        )
    try:
        folder = CONTENT_FOLDERS[content_type]
    except KeyError:
        known = ", ".join(sorted(CONTENT_FOLDERS))
        raise ValueError(f"unknown content type {content_type!r} (known: {known})") from None
    day = date.isoformat()  # the year always in four digits, which strftime's %Y is not
    return f"{folder}/{day[:4]}/{day[5:7]}/{day}-{folded_id(url)}.md"


def url_tag(url: str) -> str:
    """The 8 hex digits that set a release's tagged name apart: its real URL's SHA-256."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:8]


def candidate_relpaths(content_type: str, date: dt.date, url: str) -> tuple[str, ...]:
    """The paths a release's file may take, in order of preference.

    The natural name, then the tagged one; only the tagged one, shortened to fit, when the
    natural name is longer than a file system allows.
    """
    natural = natural_relpath(content_type, date, url)
    folder, name = natural.rsplit("/", 1)
    stem = name.removesuffix(".md")
    tag = url_tag(url)
    if len(name.encode("utf-8")) <= NAME_MAX:
        return (natural, f"{folder}/{stem}--{tag}.md")
    room = NAME_MAX - len(f"--{tag}.md")
    return (f"{folder}/{stem[:room]}--{tag}.md",)


def untagged_stem(relpath: str) -> str:
    """A file's name without ``.md`` and without a ``--<8 hex>`` tag, if it has one."""
    return _TAG.sub("", PurePosixPath(relpath).name.removesuffix(".md"))
