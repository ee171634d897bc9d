"""Where a release's file goes: the archive's naming rule and its deterministic variants.

The natural name is ``<folder>/YYYY/MM/YYYY-MM-DD-<folded id>.md`` (the existing archive's
rule). When another release holds that name (or one differing from it only by case or
Unicode normalisation, which macOS and Windows take for the same), or the name is too long
for a file system, or not valid on one (Windows forbids ``<>:"|?*``), the file is named with
a tag: the start of the SHA-256 of the release's real URL, ``YYYY-MM-DD-<id>--<8 hex>.md``,
stable from run to run (a character Windows forbids becomes ``_`` in such a name).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from pathlib import PurePosixPath

from scraper.models import CONTENT_FOLDERS
from scraper.site.urls import folded_id

#: The most bytes a file's name may have: the common file systems' 255, less what the
#: temporary file of an atomic write adds around it (``.<name>.<8 hex>.tmp``).
NAME_MAX = 255 - len("." + ".01234567.tmp")
_TAG = re.compile(r"--[0-9a-f]{8}$")
#: Characters no name may hold on Linux, macOS or Windows (and controls, which none likes).
_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
#: Windows' device names: no name may be one, whatever extension follows.
_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{dev}{n}" for dev in ("COM", "LPT") for n in (*"123456789", "\u00b9", "\u00b2", "\u00b3")]
)


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
    if portable_name(name):
        return (natural, f"{folder}/{stem}--{tag}.md")
    # The tag keeps apart the releases whose names the shortening or the mending made alike.
    room = NAME_MAX - len(f"--{tag}.md")
    mended = _FORBIDDEN.sub("_", stem).encode("utf-8")[:room].decode("utf-8", "ignore")
    return (f"{folder}/{mended}--{tag}.md",)


def portable_name(name: str) -> bool:
    """Whether a file name is valid on Linux, macOS and Windows alike, and fits `NAME_MAX`.

    Not empty, ``.`` or ``..``; no forbidden character; no trailing dot or space (Windows
    drops them); not a device name (``CON``, ``nul.md``, ``LPT1.txt``); at most `NAME_MAX`
    bytes in UTF-8, also decomposed (macOS stores names in NFD, which may be longer).
    """
    if name in ("", ".", "..") or _FORBIDDEN.search(name) or name[-1] in ". ":
        return False
    if name.split(".", 1)[0].rstrip(" ").upper() in _RESERVED:
        return False
    return len(unicodedata.normalize("NFD", name).encode("utf-8")) <= NAME_MAX


def name_key(name: str) -> str:
    """What a case-insensitive, normalising file system (macOS, Windows) compares of a name."""
    return unicodedata.normalize("NFC", name).casefold()


def untagged_stem(relpath: str) -> str:
    """A file's name without ``.md`` and without a ``--<8 hex>`` tag, if it has one."""
    return _TAG.sub("", PurePosixPath(relpath).name.removesuffix(".md"))
