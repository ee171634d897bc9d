"""The WARC files of kept pages: whole gzip members appended, rotated by size, a torn end cut.

Each record is its own gzip member (as WARC's annex D asks), and a page's records go to the
file in one write followed by fsync, before the state indexes them. A kill mid-write can so
leave only an incomplete last member, never a damaged indexed one: the first append after
opening finds where the last whole member ends and cuts the rest off, so the file stays one
that standard readers (`warcio check`) accept.
"""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Callable
from pathlib import Path

from scraper.archive.atomic import write_all
from scraper.archive.confine import check_inside
from scraper.errors import StoreError

#: The folder of WARC files in the archive's state folder.
WARC_DIR = "warc"
#: How a WARC file of kept pages is named; the number rises as files rotate.
_NAME = re.compile(r"pages-(\d{5,})\.warc\.gz")
#: Bytes read at a time while looking for the end of the last whole member.
_CHUNK = 1 << 20
#: zlib's window bits for a gzip stream (header and trailer checked).
_GZIP = 31


def file_name(number: int) -> str:
    """The name of the WARC file with this number."""
    return f"pages-{number:05d}.warc.gz"


def warc_files(folder: Path) -> list[str]:
    """The WARC files of kept pages in a folder, oldest first."""
    try:
        names = [p.name for p in folder.iterdir() if _NAME.fullmatch(p.name)]
    except FileNotFoundError:
        return []
    return sorted(names, key=lambda n: int(_NAME.fullmatch(n).group(1)))  # type: ignore[union-attr]


def whole_end(path: Path, start: int = 0) -> int:
    """Where the last whole gzip member of a file ends, reading from `start` (a boundary)."""
    good = position = start
    with path.open("rb") as stream:
        stream.seek(start)
        inflate = zlib.decompressobj(_GZIP)
        while chunk := stream.read(_CHUNK):
            data = chunk
            while data:
                try:
                    inflate.decompress(data)
                except zlib.error:
                    return good  # not gzip from here: what follows is not a whole member
                if not inflate.eof:
                    position += len(data)
                    break
                position += len(data) - len(inflate.unused_data)
                good = position
                data = inflate.unused_data
                inflate = zlib.decompressobj(_GZIP)
    return good


def cut_torn_end(path: Path, start: int = 0) -> int:
    """Cut off an incomplete last member (a killed write); how many bytes were cut."""
    size = path.stat().st_size
    end = whole_end(path, start if 0 <= start <= size else 0)
    if end < size:
        with path.open("r+b") as stream:
            stream.truncate(end)
            stream.flush()
            os.fsync(stream.fileno())
    return size - end


class WarcFolder:
    """The archive's WARC folder: appends whole members to its newest file, rotating by size.

    Used under the archive's lock, from one thread (the one that writes files).
    """

    def __init__(self, folder: Path, max_bytes: int, indexed_end: Callable[[str], int]) -> None:
        """Write into `folder`; start a new file past `max_bytes`; `indexed_end(name)` is
        where the state's last record of a file ends (the torn-end check starts there)."""
        self.folder = folder
        self.max_bytes = max_bytes
        self._indexed_end = indexed_end
        self._current: str | None = None
        #: Bytes cut off torn ends when the folder was opened (for the run's notes).
        self.cut = 0

    def append(self, data: bytes) -> tuple[str, int]:
        """Append whole members (one or more records) and sync them: (file name, offset)."""
        name = self._target(len(data))
        path = self.folder / name
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o644)
            try:
                offset = os.lseek(fd, 0, os.SEEK_END)
                write_all(fd, data)
            finally:
                os.close(fd)
        except OSError as exc:
            raise StoreError(f"cannot keep a page in {path}: {exc.strerror or exc}") from exc
        return name, offset

    def mend(self) -> int:
        """Cut off a torn end of the newest file (done before the first append): bytes cut."""
        if self._current is None:
            self._current = self._open_newest()
        return self.cut

    def _target(self, size: int) -> str:
        """The file the next records go to: the newest, mended, unless it is full."""
        self.mend()
        assert self._current is not None
        path = self.folder / self._current
        used = path.stat().st_size if path.exists() else 0
        if used and used + size > self.max_bytes:
            number = int(_NAME.fullmatch(self._current).group(1))  # type: ignore[union-attr]
            self._current = file_name(number + 1)
        return self._current

    def _open_newest(self) -> str:
        """The newest WARC file, its torn end cut off (a new folder: the first file's name)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            names = warc_files(self.folder)
            if not names:
                return file_name(1)
            newest = names[-1]
            # The folder itself is checked with the state folder; a file in it may be a link.
            check_inside(self.folder, self.folder / newest)
            self.cut = cut_torn_end(self.folder / newest, self._indexed_end(newest))
        except OSError as exc:
            raise StoreError(
                f"cannot open the kept pages in {self.folder}: {exc.strerror or exc}"
            ) from exc
        return newest
