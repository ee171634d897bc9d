"""Write a file so that readers see either the old bytes or the new ones, never a mix."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
from pathlib import Path

from scraper.archive.confine import link_problem
from scraper.errors import StoreError

__all__ = ["TEMP_MD", "atomic_write", "write_all"]

#: The name of an archive file's temporary file while `atomic_write` writes it.
TEMP_MD = re.compile(r"\..+\.md\.[0-9a-f]+\.tmp")


def atomic_write(path: Path, data: bytes, *, inside: Path | None = None) -> None:
    """Replace `path` with `data` atomically and durably.

    Writes a temporary file ``.<name>.<random>.tmp`` in the same folder (created with
    ``O_EXCL``, mode ``0o666`` less the umask, or the mode of the file it replaces),
    flushes and fsyncs it, renames it over `path` with `os.replace`, then fsyncs the folder
    so the rename itself survives a crash. On any failure the temporary file is removed and
    `StoreError` naming `path` is raised; `path` then still holds its old bytes.

    With `inside` (the archive's folder, which `path` lies below), the folders from it down
    to `path`'s are opened one at a time without following a link, made when missing, and
    every step of the write is done in the folder so held: a folder swapped for a link after
    any earlier check is refused, naming the link, and nothing is written through it.
    """
    try:
        folder = _open_folder(path, inside)
    except OSError as e:
        raise _failed(path, e) from e
    try:
        _write_in(folder, path.name, data)
    except OSError as e:
        raise _failed(path, e) from e
    finally:
        os.close(folder)


def _write_in(folder: int, name: str, data: bytes) -> None:
    """The write itself, by names in the open `folder` (see `atomic_write`)."""
    mode: int | None = None
    with contextlib.suppress(FileNotFoundError):
        now = os.stat(name, dir_fd=folder, follow_symlinks=False)
        mode = stat.S_IMODE(now.st_mode) if stat.S_ISREG(now.st_mode) else None
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW
    while True:
        tmp = f".{name}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp, flags, 0o666, dir_fd=folder)
        except FileExistsError:
            continue
        break
    try:
        try:
            if mode is not None:
                os.fchmod(fd, mode)  # os.open applied the umask; keep the old file's mode
            write_all(fd, data)
        finally:
            os.close(fd)
        os.replace(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=folder)
        raise
    # The new bytes are in place; a folder that cannot be fsynced (some file systems
    # refuse) costs only durability of the rename, so it is not a failed write.
    with contextlib.suppress(OSError):
        os.fsync(folder)


def _open_folder(path: Path, inside: Path | None) -> int:
    """An open descriptor of `path`'s folder; with `inside`, reached from there without
    following a link, its missing folders made (StoreError naming a link in the way)."""
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
    if inside is None:
        return os.open(path.parent, flags)
    fd = os.open(inside, flags)  # the archive's folder itself may be a link: it is the archive
    try:
        parts = path.absolute().parent.relative_to(inside.absolute()).parts
        for depth, part in enumerate(parts, start=1):
            with contextlib.suppress(FileExistsError):
                os.mkdir(part, 0o777, dir_fd=fd)
            try:
                child = os.open(part, flags | os.O_NOFOLLOW, dir_fd=fd)
            except OSError as e:
                raise _in_the_way(inside, path, inside.joinpath(*parts[:depth]), e) from e
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


def _in_the_way(inside: Path, path: Path, there: Path, e: OSError) -> OSError | StoreError:
    """Why the folder `there`, on the way to `path`, could not be opened: a link (named), a
    file where a folder must be, or `e` itself."""
    if e.errno not in (errno.ELOOP, errno.ENOTDIR):
        return e
    if (problem := link_problem(inside, path)) is not None:
        return StoreError(problem)
    return StoreError(
        f"cannot write {path}: {there} is a file where a folder must be; move it out of the way"
    )


def _failed(path: Path, e: OSError) -> StoreError:
    """The error for a write that failed: the file, why, and what to check."""
    return StoreError(
        f"{path}: could not write the file ({e.strerror or e}); check that the folder "
        "exists, is writable and the disk has room"
    )


def write_all(fd: int, data: bytes) -> None:
    """Write every byte to an open file (os.write may take fewer), then fsync it."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.fsync(fd)
