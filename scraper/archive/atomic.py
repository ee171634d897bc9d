"""Write a file so that readers see either the old bytes or the new ones, never a mix."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
from pathlib import Path

from scraper.errors import StoreError

__all__ = ["TEMP_MD", "atomic_write", "write_all"]

#: The name of an archive file's temporary file while `atomic_write` writes it.
TEMP_MD = re.compile(r"\..+\.md\.[0-9a-f]+\.tmp")


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically and durably.

    Writes a temporary file ``.<name>.<random>.tmp`` in the same folder (created with
    ``O_EXCL``, mode ``0o666`` less the umask, or the mode of the file it replaces),
    flushes and fsyncs it, renames it over `path` with `os.replace`, then fsyncs the folder
    so the rename itself survives a crash. On any failure the temporary file is removed and
    `StoreError` naming `path` is raised; `path` then still holds its old bytes.
    """
    folder = path.parent
    tmp: Path | None = None
    try:
        mode: int | None = None
        with contextlib.suppress(FileNotFoundError):
            mode = stat.S_IMODE(path.stat().st_mode)
        while True:
            candidate = folder / f".{path.name}.{secrets.token_hex(4)}.tmp"
            try:
                fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
            except FileExistsError:
                continue
            tmp = candidate
            break
        try:
            if mode is not None:
                os.fchmod(fd, mode)  # os.open applied the umask; keep the old file's mode
            write_all(fd, data)
        finally:
            os.close(fd)
        os.replace(candidate, path)
        tmp = None
        # The new bytes are in place; a folder that cannot be fsynced (some file systems
        # refuse) costs only durability of the rename, so it is not a failed write.
        with contextlib.suppress(OSError):
            _fsync_dir(folder)
    except OSError as e:
        raise StoreError(
            f"{path}: could not write the file ({e.strerror or e}); check that the folder "
            "exists, is writable and the disk has room"
        ) from e
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()


def _fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (the rename) to disk."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    """Write every byte to an open file (os.write may take fewer), then fsync it."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.fsync(fd)
