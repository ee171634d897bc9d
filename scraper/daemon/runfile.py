"""Which daemon keeps an archive, and when it runs next: for `status` and a second daemon.

A daemon holds `.scraper/daemon.lock` (a flock) while it runs, so no second daemon starts
on the same archive, and keeps `.scraper/daemon.json` (its pid, when it started, the next
runs) up to date, written atomically.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from scraper.archive.atomic import atomic_write
from scraper.archive.confine import check_state_folder
from scraper.archive.store import STATE_DIR, hold_lock, lock_holder
from scraper.errors import LockedError

LOCK = "daemon.lock"
INFO = "daemon.json"


@dataclass(frozen=True)
class DaemonInfo:
    """What a daemon says of itself."""

    pid: int
    started: str
    #: The next run of each job (ISO 8601, with its zone), by job name.
    next_runs: dict[str, str] = field(default_factory=dict)
    settings_file: str | None = None
    #: The settings it runs with (table.key → value): status shows where they differ.
    settings: dict[str, Any] = field(default_factory=dict)


@contextlib.contextmanager
def holding(root: Path) -> Iterator[None]:
    """Be the archive's one daemon while the block runs; LockedError when another is."""
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(hold_lock(root, name=LOCK))
        except LockedError:
            info = read_info(root)
            who = f"process {info.pid}" if info else "another process"
            raise LockedError(
                f"a daemon ({who}) already keeps the archive {root}; stop it first"
            ) from None
        _clear_litter(root / STATE_DIR)
        try:
            yield
        finally:
            # Only the daemon that held the lock may take its info file away.
            with contextlib.suppress(OSError):
                (root / STATE_DIR / INFO).unlink()


def _clear_litter(state: Path) -> None:
    """Remove the temporary files of info files a killed daemon was writing (none is alive)."""
    for temp in state.glob(f".{INFO}.*.tmp"):
        with contextlib.suppress(OSError):
            temp.unlink()


def write_info(root: Path, info: DaemonInfo) -> None:
    """Say, atomically, what the daemon is and when it runs next."""
    text = json.dumps(asdict(info), indent=2, sort_keys=True)
    check_state_folder(root, root / STATE_DIR)  # a link there would lead the write out
    atomic_write(root / STATE_DIR / INFO, (text + "\n").encode("utf-8"))


def read_info(root: Path) -> DaemonInfo | None:
    """What the archive's daemon last said of itself, or None (none, or unreadable)."""
    try:
        data = json.loads((root / STATE_DIR / INFO).read_text(encoding="utf-8"))
        return DaemonInfo(**data)
    except (OSError, ValueError, TypeError):
        return None


def running(root: Path) -> bool:
    """Whether a daemon holds the archive now (its lock is taken); creates nothing."""
    return lock_holder(root, LOCK) is not None
