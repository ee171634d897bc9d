"""Content-Encoding undone a step at a time, so no body decodes past a limit in one go.

httpx decodes each chunk it reads in one call: 16 KiB of gzip can become 16 MiB, and a
second layer (``Content-Encoding: gzip, gzip``) gigabytes, before a size check can see it.
Here every layer gives out at most ``STEP`` bytes a call, and the caller counts them as
they come, so memory stays near the limit whatever the ratio.

Only gzip and deflate are asked for (``ACCEPT_ENCODING``) and only they are undone, in any
number of layers; any other coding (br, zstd, compress) was not asked for and is refused,
never passed on as if it were the page.

Each layer must end where its coding says it ends. One the body stopped inside (a connection
closed early, with no Content-Length to show it) raises `CutShortError`, which a caller
retries: half a page is never taken for the whole. gzip may come in several members (RFC
1952 §2.2), each decoded in turn and counted with the rest, and zero bytes after the last are
padding; any other bytes after the end of a coding are refused, not dropped unread.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

#: What requests say they accept: exactly what `Decoder` can undo.
ACCEPT_ENCODING = "gzip, deflate"
#: The most bytes one layer gives out per call.
STEP = 64 * 1024
# wbits: a gzip header and trailer; a zlib one; deflate without any (some servers send that).
_GZIP = 16 + zlib.MAX_WBITS
_ZLIB = zlib.MAX_WBITS
_RAW = -zlib.MAX_WBITS
_CODINGS = {"gzip": _GZIP, "x-gzip": _GZIP, "deflate": _ZLIB}


class DecodeError(Exception):
    """The body's coding is not one asked for, or its bytes do not decode."""


class CutShortError(DecodeError):
    """The body ended inside a layer of its coding: it was cut short on the way."""


class _Layer:
    """One gzip or deflate layer, giving out at most STEP bytes per call."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._wbits = _CODINGS[coding]
        self._inflater = zlib.decompressobj(self._wbits)
        self._started = False
        self._between = False  # gzip: a member has ended, the next has not begun
        # deflate: the first bytes, held until two tell a zlib header from raw deflate.
        self._head = b""

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The bytes `data` decodes to, a STEP at most at a time."""
        if self._wbits == _ZLIB and not self._started:
            self._head += data
            if len(self._head) < 2:
                return  # a chunk may hold one byte: the header check needs two
            data, self._head = self._head, b""
        pending = data
        while True:
            try:
                out = self._inflate(pending)
            except zlib.error as exc:
                raise DecodeError(f"its {self.coding} data does not decode ({exc})") from None
            # Past the coding's end the rest of the input is in unused_data, not the tail.
            pending = self._after_end() if self._ended() else self._inflater.unconsumed_tail
            if out:
                yield out
            if not pending and len(out) < STEP:
                return

    def finish(self) -> None:
        """CutShortError unless the layer ended where its coding ends (or never began)."""
        if self._head:
            raise CutShortError(f"its {self.coding} data stops before its end")
        if self._started and not self._between and not self._inflater.eof:
            raise CutShortError(f"its {self.coding} data stops before its end")

    def _inflate(self, data: bytes) -> bytes:
        if self._between:
            data = data.lstrip(b"\0")  # zeros after a member: padding, as gzip(1) reads it
            if not data:
                return b""
            self._between = False
            self._inflater = zlib.decompressobj(_GZIP)  # the next member
        elif not self._started and data:
            self._started = True
            if self._wbits == _ZLIB and not _has_zlib_header(data):
                self._inflater = zlib.decompressobj(_RAW)
        return self._inflater.decompress(data, STEP)

    def _ended(self) -> bool:
        """Whether the coding (or the gzip member) has ended: input left is past its end."""
        return self._between or self._inflater.eof

    def _after_end(self) -> bytes:
        """Input past the end of the coding: the next gzip member's, else refused."""
        if self._between:
            return b""  # its unused_data handed on already
        rest = self._inflater.unused_data
        if self._wbits == _GZIP:
            self._between = True
            return rest
        if rest:
            raise DecodeError(f"{len(rest)} bytes follow the end of its {self.coding} data")
        return b""


def _has_zlib_header(data: bytes) -> bool:
    """Whether deflate data starts with a zlib header (RFC 1950), as RFC 9110 says it should."""
    return len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0


class Decoder:
    """Undo a response's Content-Encoding over its raw chunks, a bounded piece at a time."""

    def __init__(self, content_encoding: str) -> None:
        """Raise DecodeError for a coding not asked for; layers are undone last-applied first."""
        codings = [c.strip().lower() for c in content_encoding.split(",")]
        codings = [c for c in codings if c and c != "identity"]
        unknown = [c for c in codings if c not in _CODINGS]
        if unknown:
            raise DecodeError(
                f"it came with Content-Encoding {', '.join(unknown)}, which was not asked for "
                f"(only {ACCEPT_ENCODING}) and cannot be decoded"
            )
        self._layers = [_Layer(c) for c in reversed(codings)]

    def decode(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """The decoded body of raw `chunks`, in pieces of at most STEP bytes (or the chunk's)."""
        for chunk in chunks:
            yield from self._through(chunk, 0)
        # Outermost first: an inner layer can only be whole if the one around it is.
        for layer in self._layers:
            layer.finish()

    def _through(self, data: bytes, depth: int) -> Iterator[bytes]:
        if depth == len(self._layers):
            if data:
                yield data
            return
        for piece in self._layers[depth].feed(data):
            yield from self._through(piece, depth + 1)
