"""`scraper rebuild`: re-render files this tool wrote from their kept pages, offline.

Each file this tool wrote is rendered again, with today's parser, from the very page it was
written from (the kept record the state notes for it), never a newer page of its release: a
file that would change is written (atomically, moved when its date or address changed, as a
sync does), one that would not is left untouched. No request is sent. Files this tool did
not write, those written from no kept page, and those changed since it wrote them (unless
forced) are listed and left alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from scraper.archive.document import dumps
from scraper.archive.moves import finish_all, place, unfinished_moves
from scraper.archive.placing import free_relpath
from scraper.archive.store import SYNC_ONE, Archive, open_archive, require_archive
from scraper.config import Config
from scraper.errors import ConfigError, DocumentError, ScraperError, StateError
from scraper.exitcodes import EXIT_FAILED, EXIT_OK
from scraper.keep.pages import StoredPage, archive_warc, read_record
from scraper.models import CONTENT_FOLDERS, Failure, Release
from scraper.site.parse import ParseOptions, release_from_page
from scraper.site.urls import content_type_of
from scraper.wording import plural

#: Every file this tool wrote ("published on or after" the first day there is).
_EVER = dt.date(1, 1, 1)


def render(page: StoredPage, options: ParseOptions) -> Release:
    """The release a kept page holds, as today's parser reads it (tests swap this)."""
    return release_from_page(page.body, page.url, page.listed, options)


@dataclass(frozen=True)
class Rendered:
    """What the kept page a file was written from makes now: its release and text."""

    release: Release
    text: str
    #: The page's record (the file's source, still once the file is written again).
    record_id: str


def rendered(archive: Archive, relpath: str, options: ParseOptions) -> Rendered | None:
    """What the page a file was written from makes now (None: it was from no kept page)."""
    record_id = archive.source_of(relpath)
    if record_id is None:
        return None
    page = read_record(archive, archive_warc(archive), record_id)
    if page is None:
        return None  # its record is no longer indexed
    release = render(page, options)
    return Rendered(release, dumps(release), record_id)


@dataclass
class RebuildReport:
    """What a rebuild did (or, dry, would do)."""

    dry_run: bool = False
    #: Files rewritten (or moved: the old path, then the new one), as (url, path).
    rewritten: list[tuple[str, str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    #: Files this tool did not write: left alone.
    not_ours: list[str] = field(default_factory=list)
    #: Files this tool wrote from no kept page: left alone.
    not_kept: list[str] = field(default_factory=list)
    #: Files changed since this tool wrote them (local-edit): left alone unless forced.
    edited: list[str] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """1 when a file could not be rebuilt, else 0."""
        return EXIT_FAILED if self.failed else EXIT_OK

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON's objects."""
        return {
            "dry_run": self.dry_run,
            "rewritten": [{"url": u, "path": p} for u, p in self.rewritten],
            "removed": self.removed,
            "unchanged": self.unchanged,
            "not_ours": self.not_ours,
            "not_kept": self.not_kept,
            "edited": self.edited,
            "failed": [{"path": f.url, "reason": f.reason} for f in self.failed],
            "notes": self.notes,
            "exit": self.exit_code,
        }

    def lines(self) -> list[str]:
        """The report as lines: each file rewritten, each problem, then the counts."""
        verb = "would rewrite" if self.dry_run else "rewrote"
        out = [f"{verb} {path}" for _, path in self.rewritten]
        out += [f"failed: {f.url}: {f.reason}" for f in self.failed]
        out += [f"left alone, changed by hand (--force rewrites it): {p}" for p in self.edited]
        out += [f"note: {note}" for note in self.notes]
        out.append(
            f"{verb} {plural(len(self.rewritten), 'file')}, {self.unchanged} unchanged;"
            f" left alone: {len(self.not_ours)} not written by this tool,"
            f" {len(self.not_kept)} without a kept page, {len(self.edited)} changed by hand;"
            f" {len(self.failed)} failed"
        )
        return out


def rebuild_archive(
    config: Config,
    paths: Sequence[Path] = (),
    *,
    now: dt.datetime,
    dry_run: bool = False,
    lock_wait: float = 0.0,
    force: bool = False,
) -> RebuildReport:
    """Open the configured archive (under its lock, unless dry) and rebuild it offline."""
    require_archive(config.archive, init=False, how=SYNC_ONE)
    if dry_run:
        with Archive.read_only(config.archive) as archive:
            return rebuild(archive, config.parse_options(), paths, now=now, force=force)
    with open_archive(config.archive, wait=lock_wait) as archive:
        return rebuild(archive, config.parse_options(), paths, now=now, force=force)


def rebuild(
    archive: Archive,
    options: ParseOptions,
    paths: Sequence[Path],
    *,
    now: dt.datetime,
    force: bool = False,
) -> RebuildReport:
    """Rebuild the files under `paths` (all when none); a read-only archive: a dry run.

    `force`: rewrite files changed by hand since this tool wrote them, too."""
    report = RebuildReport(dry_run=not archive.writable)
    if archive.writable:
        _, left = finish_all(archive, unfinished_moves(archive))  # as a sync would first
        report.failed += [Failure(path, why) for path, why in left]
    archive.refresh_index()
    wanted = _prefixes(archive.root, paths)
    written = archive.written_since(_EVER)
    ours = {relpath for _, relpath in written}
    report.not_ours = [
        e.relpath for e in archive.stamped() if e.relpath not in ours and _under(e.relpath, wanted)
    ]
    for _, relpath in sorted(written, key=lambda pair: pair[1]):
        if _under(relpath, wanted):
            _rebuild_one(archive, options, report, relpath, now, force)
    return report


def _rebuild_one(
    archive: Archive,
    options: ParseOptions,
    report: RebuildReport,
    relpath: str,
    now: dt.datetime,
    force: bool,
) -> None:
    """Re-render one file from its kept page; a failure is this file's alone."""
    try:
        made = rendered(archive, relpath, options)
        if made is None:
            report.not_kept.append(relpath)
            return
        release, text = made.release, made.text
        on_disk = _on_disk(archive, relpath)
        if on_disk == text:
            report.unchanged += 1
            return
        if on_disk is not None and not force and archive.edited(relpath, on_disk):
            report.edited.append(relpath)
            return
        kind = content_type_of(release.url) or "release"
        target = free_relpath(archive, kind, release, current=relpath)
        if archive.writable:
            write = partial(_write, archive, made=made, now=now)
            if place(archive, release.url, relpath, target, write):
                report.removed.append(relpath)
        report.rewritten.append((release.url, target))
    except StateError:
        raise  # nothing later could be recorded either
    except ScraperError as exc:
        report.failed.append(Failure(relpath, str(exc)))


def _write(archive: Archive, target: str, *, made: Rendered, now: dt.datetime) -> None:
    """Write a rebuilt file as a sync writes one (atomic, recorded as this tool's, from the
    same kept page)."""
    release = made.release
    archive.write(target, made.text, release.url, release.date, now, source=made.record_id)


def _on_disk(archive: Archive, relpath: str) -> str | None:
    """A file's text, or None when it is gone or unreadable (so it is written again)."""
    try:
        return archive.read_text(relpath)
    except DocumentError:
        return None


def _prefixes(root: Path, paths: Sequence[Path]) -> list[str]:
    """The PATH arguments as paths relative to the archive ([]: everything)."""
    base = root.resolve()
    folders = [base / folder for folder in CONTENT_FOLDERS.values()]
    prefixes = []
    for path in paths:
        resolved = path.resolve()
        if resolved == base:
            return []
        if not any(resolved == f or f in resolved.parents for f in folders):
            raise ConfigError(
                f"{path} is not inside the archive's releases/, speeches/ or features/ under"
                f" {base}; pass paths within the archive, or --archive DIR for another"
            )
        prefixes.append(resolved.relative_to(base).as_posix())
    return prefixes


def _under(relpath: str, prefixes: list[str]) -> bool:
    """Whether a file lies under one of the prefixes (any, when there are none)."""
    return not prefixes or any(relpath == p or relpath.startswith(p + "/") for p in prefixes)
