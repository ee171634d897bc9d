"""``scraper format``: find archive files that are not in canonical form, and fix them.

A file is read as bytes and decoded as strict UTF-8. It is canonical when
``dumps(loads(text)) == text`` (see `scraper.archive.document`): so a byte-order mark, CRLF line
ends, a trailing newline, an unquoted ``Māori Crown Relations: Te Arawhiti`` list item and
the like make it non-canonical, and fixing rewrites it without them. A file that cannot be
read (missing, not UTF-8, no front matter, broken YAML, no title/date/url) is reported as
unreadable and never touched; it does not stop the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from scraper.archive.atomic import atomic_write
from scraper.archive.document import dumps, error_reason, loads
from scraper.archive.store import read_archive_file
from scraper.errors import DocumentError

__all__ = ["FileProblem", "FormatReport", "format_paths", "iter_markdown_files"]


@dataclass(frozen=True)
class FileProblem:
    """A file that could not be read, and why (the reason does not repeat the path)."""

    path: Path
    reason: str


@dataclass(frozen=True)
class FormatReport:
    """What `format_paths` found and did.

    `checked` counts every file looked at, readable or not. `not_canonical` lists the
    readable files that were not canonical (also in fix mode, where they are then
    `rewritten`). All tuples are sorted by path.
    """

    checked: int
    not_canonical: tuple[Path, ...]
    unreadable: tuple[FileProblem, ...]
    rewritten: tuple[Path, ...]


def iter_markdown_files(paths: Sequence[Path]) -> Iterator[Path]:
    """The files to format: each path that is not a folder as given (whatever its name,
    and also when it does not exist, so that reading it reports the problem), and for
    each folder every ``*.md`` file below it, sorted. Symlinked folders are not followed.
    A file reached twice is yielded once.
    """
    seen: set[Path] = set()
    for path in paths:
        for file in _walk(path) if path.is_dir() else [path]:
            if file not in seen:
                seen.add(file)
                yield file


def _walk(folder: Path) -> list[Path]:
    """Every ``*.md`` file below `folder`, sorted; then any sub-folder that could not be
    listed (reading it then reports the problem)."""
    unlistable: list[Path] = []
    found = [
        Path(root, name)
        for root, _dirs, files in os.walk(
            folder, onerror=lambda e: unlistable.append(Path(e.filename))
        )
        for name in files
        if name.endswith(".md")
    ]
    found.sort()
    return found + unlistable


_LOSSY = "not rewritten: the canonical text would read back differently (a bug; report it)"


def format_paths(paths: Sequence[Path], check: bool) -> FormatReport:
    """Check (``check=True``: write nothing) or fix every archive file under `paths`.

    In fix mode each non-canonical file is rewritten atomically with `dumps` of what was
    read; canonical files are not touched (their mtime does not change). A failure to
    write raises `StoreError` (the disk is full or the folder read-only: no point going
    on).
    """
    checked = 0
    not_canonical: list[Path] = []
    unreadable: list[FileProblem] = []
    rewritten: list[Path] = []
    for path in iter_markdown_files(paths):
        checked += 1
        source = str(path)
        try:
            text = read_archive_file(path)
            release = loads(text, source)
        except DocumentError as e:
            unreadable.append(FileProblem(path, error_reason(e, source)))
            continue
        fixed = dumps(release)
        if fixed != text:
            not_canonical.append(path)
            if not check:
                if loads(fixed, source) != release:  # a bug in scraper.archive.document: be safe
                    unreadable.append(FileProblem(path, _LOSSY))
                    continue
                atomic_write(path, fixed.encode("utf-8"))
                rewritten.append(path)
    return FormatReport(
        checked=checked,
        not_canonical=tuple(sorted(not_canonical)),
        unreadable=tuple(sorted(unreadable, key=lambda p: p.path)),
        rewritten=tuple(sorted(rewritten)),
    )
