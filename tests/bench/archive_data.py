"""The existing archive: find the tarball, extract it once, snapshot a copy of it."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.bench.common import BUILD, ROOT

DEFAULT_TARBALL = "../shared/data/beehive-markdown-2026-02-28.tar.xz"
EXTRACTED = BUILD / "archive"
MARKER = BUILD / "archive.complete"


def tarball() -> Path:
    """Where the archive tarball is: $BEEHIVE_TARBALL, else the shared data folder."""
    given = Path(os.environ.get("BEEHIVE_TARBALL") or DEFAULT_TARBALL)
    return given if given.is_absolute() else (ROOT / given).resolve()


def count_md(root: Path) -> int:
    """The number of .md files below a folder."""
    return sum(name.endswith(".md") for _, _, files in os.walk(root) for name in files)


def _stamp(source: Path) -> str:
    """What identifies an extraction: the tarball's path and size."""
    return f"{source} {source.stat().st_size}"


def extracted_archive(source: Path) -> tuple[Path, bool]:
    """The tarball extracted under build/bench/archive (reused when complete); and if reused."""
    if MARKER.exists() and EXTRACTED.is_dir():
        stamp, _, count = MARKER.read_text(encoding="utf-8").rpartition(" ")
        if stamp == _stamp(source) and count_md(EXTRACTED) == int(count):
            return EXTRACTED, True
    partial = BUILD / "archive.partial"
    for stale in (partial, EXTRACTED):
        shutil.rmtree(stale, ignore_errors=True)
    MARKER.unlink(missing_ok=True)
    with tarfile.open(source, "r:*") as tar:
        tar.extractall(partial, filter="data")
    partial.rename(EXTRACTED)
    MARKER.write_text(f"{_stamp(source)} {count_md(EXTRACTED)}", encoding="utf-8")
    return EXTRACTED, False


def fresh_copy(source: Path, target: Path) -> float:
    """Replace `target` with a copy of `source` that keeps modification times.

    Returns the seconds spent removing the previous copy.
    """
    start = time.perf_counter()
    if target.exists():
        if shutil.which("rm"):
            subprocess.run(["rm", "-rf", "--", str(target)], check=True)
        shutil.rmtree(target, ignore_errors=True)
    removed = time.perf_counter() - start
    if shutil.which("cp"):
        subprocess.run(["cp", "-a", "--", str(source), str(target)], check=True)
    else:
        shutil.copytree(source, target)
    return removed


@dataclass(frozen=True)
class FileState:
    """One file's content hash and modification time."""

    sha256: str
    mtime_ns: int


@dataclass(frozen=True)
class Snapshot:
    """Every archive file's state, and the `url:` each .md file holds."""

    files: dict[str, FileState]
    urls: dict[str, str]


def url_line(data: bytes) -> str:
    """The front matter's `url:` value, or '' when there is none."""
    for line in data[:4096].decode("utf-8", "replace").splitlines()[1:]:
        if line == "---":
            break
        if line.startswith("url: "):
            return line[5:].strip().strip('"')
    return ""


def snapshot(root: Path, skip: str = ".scraper") -> Snapshot:
    """Hash and stat every file below `root` (except the tool's state folder)."""
    files: dict[str, FileState] = {}
    urls: dict[str, str] = {}
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d != skip]
        for name in names:
            path = Path(folder, name)
            rel = path.relative_to(root).as_posix()
            data = path.read_bytes()
            files[rel] = FileState(hashlib.sha256(data).hexdigest(), path.stat().st_mtime_ns)
            if name.endswith(".md"):
                urls[rel] = url_line(data)
    return Snapshot(files, urls)
