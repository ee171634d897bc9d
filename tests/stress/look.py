"""What a crash trial looks for in an archive: its files, their URLs, litter, the state."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scraper.archive.document import loads
from scraper.archive.state import STATE_FILE
from scraper.archive.store import STATE_DIR, read_archive_file
from scraper.errors import DocumentError

#: A temporary file of an atomic write (`scraper/archive/atomic.py`), anywhere in the archive.
TEMP = re.compile(r"\..+\.[0-9a-f]{8}\.tmp")
#: How old the store lets a temporary file get before a sync deletes it (store._STALE_SECONDS
#: is 600 s: a younger one may be a write in progress); the trials age litter past it.
AGED = 700.0


@dataclass
class Look:
    """An archive's files as found: bytes by path, paths by URL, unreadable files, litter."""

    files: dict[str, bytes] = field(default_factory=dict)
    paths_of: dict[str, list[str]] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)
    temps: list[Path] = field(default_factory=list)

    @property
    def duplicated(self) -> set[str]:
        """URLs held by more than one file."""
        return {url for url, paths in self.paths_of.items() if len(paths) > 1}


def look(root: Path) -> Look:
    """Read every archive file under `root` and note every temporary file, state folder too."""
    seen = Look()
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            if TEMP.fullmatch(name):
                seen.temps.append(path)
            elif name.endswith(".md") and STATE_DIR not in path.relative_to(root).parts:
                _read(root, path, seen)
    return seen


def _read(root: Path, path: Path, seen: Look) -> None:
    """Note one archive file: its bytes, and its URL when it reads as a release."""
    rel = path.relative_to(root).as_posix()
    seen.files[rel] = path.read_bytes()
    try:
        url = loads(read_archive_file(path, rel), source=rel).url
    except DocumentError:
        seen.unreadable.append(rel)
        return
    seen.paths_of.setdefault(url, []).append(rel)


def age(paths: Sequence[Path]) -> None:
    """Make temporary files as old as the store's limit, as if that much time had passed."""
    then = time.time() - AGED
    for path in paths:
        os.utime(path, (then, then))


def state_whole(root: Path) -> bool:
    """Whether the state database passes `PRAGMA integrity_check` (none at all passes)."""
    path = root / STATE_DIR / STATE_FILE
    if not path.exists():
        return True
    db = sqlite3.connect(path)
    try:
        rows = db.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError:
        return False
    finally:
        db.close()
    return rows == [("ok",)]


def written(root: Path) -> dict[str, str]:
    """The files the state records as this tool's own, with the digest it wrote."""
    db = sqlite3.connect(root / STATE_DIR / STATE_FILE)
    try:
        return dict(db.execute("SELECT relpath, sha256 FROM written").fetchall())
    finally:
        db.close()


def offline_findings(root: Path) -> dict[str, tuple[str, ...]]:
    """`scraper verify --offline`'s findings: the kinds found, by file."""
    command = [sys.executable, "-m", "scraper", "verify", "--offline", "--json"]
    done = subprocess.run(
        [*command, "--archive", str(root)], capture_output=True, text=True, check=False
    )
    if done.returncode not in (0, 1):
        raise RuntimeError(f"verify --offline on {root} failed: {done.stderr.strip()}")
    data = json.loads(done.stdout)
    return {f["path"]: tuple(f["kinds"]) for f in data["findings"]}


def new_findings(
    found: Mapping[str, tuple[str, ...]], expected: Mapping[str, tuple[str, ...]]
) -> list[str]:
    """Files whose findings are not those the uninterrupted archive has (`path: kinds`)."""
    return [
        f"{path}: {', '.join(kinds)}"
        for path, kinds in sorted(found.items())
        if expected.get(path) != kinds
    ]
