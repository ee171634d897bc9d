"""Where a release's file goes in an archive: its natural name, unless another holds it."""

from __future__ import annotations

import os
from pathlib import Path

from scraper.archive.paths import candidate_relpaths, name_key
from scraper.archive.store import Archive
from scraper.errors import StoreError
from scraper.models import Release


def free_relpath(archive: Archive, kind: str, release: Release, current: str | None = None) -> str:
    """The file name for a release; a deterministic other one when that is taken.

    Two releases never share a path: when another release holds the natural name, the
    newcomer's name carries a short hash of its real URL, stable from run to run. A name
    that differs from one in its folder only by case or Unicode normalisation counts as
    taken: macOS and Windows would make the two one file. `current` is the path the
    release's file has now (free for it, of course).
    """
    candidates = candidate_relpaths(kind, release.date, release.url)
    for relpath in candidates:
        if relpath == current:
            return relpath
        if _clashes(archive.root / relpath):
            continue
        if not _exists(archive, relpath):
            return relpath
        holder = archive.at(relpath)
        if holder is None:
            raise StoreError(
                f"{archive.root / relpath} exists but cannot be read, so {release.url} was not"
                " written there; fix or remove that file and run again"
            )
        if holder.url == release.url and holder.ours:
            return relpath
    raise StoreError(f"no free file name for {release.url}: {', '.join(candidates)} are taken")


def _clashes(path: Path) -> bool:
    """Whether another name in the path's folder is the same name to macOS or Windows."""
    try:
        names = os.listdir(path.parent)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise StoreError(
            f"cannot list {path.parent}: {exc.strerror or exc}; check its permissions"
        ) from exc
    key = name_key(path.name)
    return any(name != path.name and name_key(name) == key for name in names)


def _exists(archive: Archive, relpath: str) -> bool:
    """Whether something is at a path; StoreError when the path cannot even be looked at."""
    try:
        return (archive.root / relpath).exists()
    except OSError as exc:
        raise StoreError(
            f"cannot use the path {archive.root / relpath}: {exc.strerror or exc}"
        ) from exc
