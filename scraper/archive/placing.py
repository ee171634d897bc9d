"""Where a release's file goes in an archive: its natural name, unless another holds it."""

from __future__ import annotations

from scraper.archive.paths import candidate_relpaths
from scraper.archive.store import Archive
from scraper.errors import StoreError
from scraper.models import Release


def free_relpath(archive: Archive, kind: str, release: Release, current: str | None = None) -> str:
    """The file name for a release; a deterministic other one when that is taken.

    Two releases never share a path: when another release holds the natural name, the
    newcomer's name carries a short hash of its real URL, stable from run to run.
    `current` is the path the release's file has now (free for it, of course).
    """
    candidates = candidate_relpaths(kind, release.date, release.url)
    for relpath in candidates:
        if relpath == current or not _exists(archive, relpath):
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


def _exists(archive: Archive, relpath: str) -> bool:
    """Whether something is at a path; StoreError when the path cannot even be looked at."""
    try:
        return (archive.root / relpath).exists()
    except OSError as exc:
        raise StoreError(
            f"cannot use the path {archive.root / relpath}: {exc.strerror or exc}"
        ) from exc
