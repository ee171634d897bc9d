"""Which files a verify checks: all, those under given paths, newer ones, or a sample."""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from scraper.errors import ConfigError
from scraper.models import CONTENT_FOLDERS


class Selection(NamedTuple):
    """The files chosen, relative to the archive, sorted; and whether they are all of them."""

    relpaths: list[str]
    whole: bool


def select_files(root: Path, paths: Sequence[Path], since: dt.date | None) -> Selection:
    """The archive files under `paths` (all when none, or the archive itself is one).

    `since` keeps the files whose name's date (YYYY-MM-DD-…) is on or after it. A path
    outside the archive's content folders is a ConfigError naming it.
    """
    base = root.resolve()
    folders = [base / folder for folder in CONTENT_FOLDERS.values()]
    # The archive's own folder as a PATH means the whole archive, as no PATH does.
    named = [p for p in paths if p.resolve() != base]
    everything = len(named) < len(paths) or not paths
    wanted = [_inside(base, folders, p) for p in named]
    if everything:
        wanted += [f for f in folders if f.is_dir()]
    relpaths = sorted({relpath for path in wanted for relpath in _relpaths(base, path)})
    if since is not None:
        relpaths = [p for p in relpaths if p.rsplit("/", 1)[-1][:10] >= since.isoformat()]
    return Selection(relpaths, everything and since is None)


def _relpaths(base: Path, path: Path) -> list[str]:
    """The archive files a path names, relative to the archive: itself, or *.md below it.

    Made as text, folder by folder: a Path object per file would cost seconds over the
    whole archive. A named file that does not exist is kept, so reading it says so.
    """
    if not path.is_dir():
        return [path.relative_to(base).as_posix()]
    found: list[str] = []

    def hidden(exc: OSError) -> None:
        """A folder that cannot be listed is kept as a path: reading it says why."""
        found.append(Path(exc.filename).relative_to(base).as_posix())

    for folder, _dirs, names in os.walk(path, onerror=hidden):
        rel = Path(folder).relative_to(base).as_posix()
        found += [f"{rel}/{name}" for name in names if name.endswith(".md")]
    return found


def _inside(base: Path, folders: list[Path], path: Path) -> Path:
    """A PATH argument, when it lies in a content folder of the archive."""
    resolved = path.resolve()
    if not any(resolved == f or f in resolved.parents for f in folders):
        raise ConfigError(
            f"{path} is not inside the archive's releases/, speeches/ or features/ under"
            f" {base}; pass paths within the archive, or --archive DIR for another"
        )
    return resolved


def sample(relpaths: list[str], count: int, seed: int, verified_at: dict[str, float]) -> list[str]:
    """`count` files at random (reproducible by `seed`), those verified longest ago first."""
    shuffled = list(relpaths)
    random.Random(seed).shuffle(shuffled)
    # Stable: among files verified equally long ago (never, most of all), the shuffle decides.
    shuffled.sort(key=lambda p: verified_at.get(p, float("-inf")))
    return sorted(shuffled[:count])


def new_seed() -> int:
    """A seed for a sample, printed so that the same sample can be drawn again."""
    return random.SystemRandom().randrange(1, 2**31)
