"""``scraper format``: find archive files that are not in canonical form, and fix them.

A file is read as bytes and decoded as strict UTF-8. It is canonical when
``dumps(loads(text)) == text`` (see `scraper.archive.document`): so a byte-order mark, CRLF line
ends, a trailing newline, an unquoted ``Māori Crown Relations: Te Arawhiti`` list item and
the like make it non-canonical, and fixing rewrites it without them. A file that cannot be
read (missing, not UTF-8, no front matter, broken YAML, no title/date/url) is reported as
unreadable and never touched; it does not stop the run. Nor is a file that is a symbolic
link: rewriting it would replace the link (or, followed, write outside the folder).

Temporary files of killed writes are litter: ``--check`` lists them; fixing removes them,
under the lock of the archive they lie in (so no write of a sync's can be in progress), or
outside an archive once they are older than a write can take.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from scraper.archive.atomic import TEMP_MD, atomic_write
from scraper.archive.document import dumps, error_reason, loads
from scraper.archive.store import STALE_SECONDS, STATE_DIR, hold_lock, read_archive_file
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
    #: Temporary files of killed writes: found (check mode) or removed (fix mode).
    litter: tuple[Path, ...] = ()


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
    with contextlib.ExitStack() as held:
        locked = set() if check else _archives_of(paths)
        for root in sorted(locked):
            held.enter_context(hold_lock(root))
        litter = _clear_litter(paths, locked, check)
        return _format(paths, check, tuple(sorted(litter)), locked)


def _format(
    paths: Sequence[Path], check: bool, litter: tuple[Path, ...], archives: set[Path]
) -> FormatReport:
    """Check or fix the files under `paths` (see `format_paths`); a file in one of the
    `archives` is written from that archive's folder down, following no link."""
    checked = 0
    not_canonical: list[Path] = []
    unreadable: list[FileProblem] = []
    rewritten: list[Path] = []
    for path in iter_markdown_files(paths):
        checked += 1
        source = str(path)
        if path.is_symlink():
            unreadable.append(FileProblem(path, _LINKED))
            continue
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
                atomic_write(path, fixed.encode("utf-8"), inside=_archive_of(path, archives))
                rewritten.append(path)
    return FormatReport(
        checked=checked,
        not_canonical=tuple(sorted(not_canonical)),
        unreadable=tuple(sorted(unreadable, key=lambda p: p.path)),
        rewritten=tuple(sorted(rewritten)),
        litter=litter,
    )


_LINKED = (
    "a symbolic link: not followed, so that nothing is written through it; format the file"
    " it points to"
)


def _archive_of(path: Path, archives: set[Path]) -> Path | None:
    """The one of `archives` that `path` lies in (as given, or from the working folder)."""
    where = path.absolute()
    return next((root for root in archives if where.is_relative_to(root)), None)


def _archives_of(paths: Sequence[Path]) -> set[Path]:
    """The archives (folders holding a `.scraper/`) that the paths lie in."""
    roots = set()
    for path in paths:
        where = path.absolute()
        for folder in (where, *where.parents):
            if (folder / STATE_DIR).is_dir():
                roots.add(folder)
                break
    return roots


def _clear_litter(paths: Sequence[Path], locked: set[Path], check: bool) -> list[Path]:
    """The litter under the folders of `paths`; unless `check`, the part removed.

    Under an archive's lock (`locked`) all of it goes; elsewhere only what is older than a
    write can take, since a writer may be alive.
    """
    found = []
    for path in paths:
        if not path.is_dir():
            continue
        for folder, _dirs, files in os.walk(path):
            found += [Path(folder, name) for name in files if TEMP_MD.fullmatch(name)]
    if check:
        return found
    return [temp for temp in found if _remove_litter(temp, locked)]


def _remove_litter(temp: Path, locked: set[Path]) -> bool:
    """Remove one temporary file if no write can be making it now; whether it was removed."""
    where = temp.absolute()
    try:
        safe = any(root in where.parents for root in locked)
        if not safe and time.time() - where.lstat().st_mtime <= STALE_SECONDS:
            return False
        where.unlink()
    except OSError:
        return False
    return True
