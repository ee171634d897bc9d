"""Nothing is written outside the archive: no write goes through a symbolic link inside it.

The archive's folder itself may be a link (``archive -> /data/archive``): its real path is
the archive. Below it, a link in the way of a write is refused, wherever it leads: a link
that leads out would put files (or a truncated lock, a database) outside the archive, and
one that leads back in would put a file where the walk of the index, which follows no
folder link, does not look for it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from scraper.errors import StoreError

__all__ = ["check_inside", "check_state_folder", "link_problem"]


def check_inside(root: Path, path: Path) -> None:
    """StoreError unless writing `path` (`root` / something) stays inside the archive.

    No existing part of the path below `root` may be a symbolic link, and its real path
    must lie inside `root`'s real path.
    """
    if (problem := link_problem(root, path)) is not None:
        raise StoreError(problem)


def link_problem(root: Path, path: Path) -> str | None:
    """Why writing `path` could reach outside `root`, naming the link; None when it cannot."""
    current = root
    for part in path.relative_to(root).parts:
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except OSError:
            break  # nothing there (yet): what the write creates is a real file or folder
        if stat.S_ISLNK(mode):
            return _refusal(root, current)
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    if os.path.commonpath([real_root, real]) != real_root:
        return f"{path} lies outside the archive {root} (it is {real}); nothing was written there"
    return None


def check_state_folder(root: Path, state: Path) -> None:
    """StoreError when the state folder, or anything in it, is a symbolic link.

    Run before the lock, the state database, its seal or the daemon's files are opened:
    SQLite and plain opens follow links, so a link there would be written through.
    """
    check_inside(root, state)
    try:
        entries = list(os.scandir(state))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StoreError(
            f"cannot look into {state}: {exc.strerror or exc}; check its permissions"
        ) from exc
    for entry in entries:
        if entry.is_symlink():
            raise StoreError(_refusal(root, Path(entry.path)))


def _refusal(root: Path, link: Path) -> str:
    """The message for a link in the way of a write: what it is, and what to do."""
    try:
        target = os.readlink(link)
    except OSError:
        target = "?"
    return (
        f"{link} is a symbolic link (to {target}); scraper writes nothing through links inside"
        f" the archive {root}, so that nothing lands outside it: replace the link with the"
        " real file or folder (or remove it), or point --archive at the real folder"
    )
