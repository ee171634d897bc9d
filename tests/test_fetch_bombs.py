"""Compressed bodies: decoded a step at a time, so a bomb is refused before it fills memory."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib
from collections.abc import Iterator

import httpx
import pytest

from scraper.errors import FetchError, UnavailableError
from scraper.net.fetch import Fetcher
from tests.fakesite import PAGE, SITE, FakeTime, Handler, Site, make

MIB = 1024 * 1024
#: What a bomb decodes to, and the cap it must be refused at.
BOMB_SIZE = 256 * MIB
CAP = 1 * MIB


def deflated(chunks: Iterator[bytes], wbits: int) -> bytes:
    """Compress a stream without holding it whole (`wbits` 31: gzip, 15: zlib, -15: raw)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    return b"".join(packer.compress(chunk) for chunk in chunks) + packer.flush()


def zeros(size: int, step: int = MIB) -> Iterator[bytes]:
    """`size` zero bytes, a step at a time."""
    for start in range(0, size, step):
        yield bytes(min(step, size - start))


def gzip_layers(size: int, layers: int) -> bytes:
    """`size` zero bytes gzipped `layers` times."""
    body = deflated(zeros(size), 31)
    for _ in range(layers - 1):
        body = gzip.compress(body, 9)
    return body


def encoded(body: bytes, encoding: str, chunk: int = 16 * 1024) -> Handler:
    """A handler streaming `body` in chunks under the given Content-Encoding."""
    pieces = [body[i : i + chunk] for i in range(0, len(body), chunk)]
    headers = {"Content-Encoding": encoding, "Content-Length": str(len(body))}
    return lambda request: httpx.Response(200, headers=headers, stream=_Stream(pieces))


class _Stream(httpx.SyncByteStream):
    """A body sent in the given pieces, as a socket would deliver it."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces

    def __iter__(self) -> Iterator[bytes]:
        yield from self.pieces


def peak_while(fetcher: Fetcher, path: str) -> tuple[int, BaseException | None]:
    """The peak of memory allocated by Python while fetching `path`, and what it raised."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        error: BaseException | None = None
        try:
            fetcher.get(path)
        except FetchError as exc:
            error = exc
        return tracemalloc.get_traced_memory()[1], error
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("layers", [1, 2], ids=["gzip", "gzip-gzip"])
def test_a_gzip_bomb_is_refused_naming_url_and_limit_in_bounded_memory(layers: int) -> None:
    bomb = gzip_layers(BOMB_SIZE, layers)
    encoding = ", ".join(["gzip"] * layers)
    site = Site({"/release/a": [encoded(bomb, encoding)]})
    with make(site, max_body_bytes=CAP) as fetcher:
        peak, error = peak_while(fetcher, "/release/a")
    assert isinstance(error, FetchError)
    assert f"{SITE}/release/a" in str(error) and f"max_body_bytes ({CAP})" in str(error)
    assert error.url == f"{SITE}/release/a"
    # Never retried: the same bytes would come again.
    assert site.paths().count("/release/a") == 1
    # The body kept, its decoded copy and a step of decoding; never the bomb's 256 MiB.
    assert peak < 2 * CAP + len(bomb) + MIB, f"peak {peak / MIB:.1f} MiB"


@pytest.mark.parametrize(
    ("encoding", "packed"),
    [
        ("gzip", gzip.compress(PAGE)),
        ("x-gzip", gzip.compress(PAGE)),
        ("deflate", zlib.compress(PAGE)),
        ("deflate", deflated(iter([PAGE]), -15)),  # raw deflate, as some servers send
        ("gzip, gzip", gzip.compress(gzip.compress(PAGE))),
        ("identity", PAGE),
        ("GZip ", gzip.compress(PAGE)),
    ],
    ids=["gzip", "x-gzip", "zlib", "raw-deflate", "gzip-gzip", "identity", "spelling"],
)
@pytest.mark.parametrize("chunk", [1, 7], ids=["byte-chunks", "small-chunks"])
def test_encoded_pages_are_decoded(encoding: str, packed: bytes, chunk: int) -> None:
    # A byte a chunk: the zlib-or-raw choice for deflate must wait for its two header bytes.
    site = Site({"/release/a": [encoded(packed, encoding, chunk=chunk)]})
    with make(site) as fetcher:
        assert fetcher.get("/release/a").body == PAGE


def test_a_page_just_under_the_cap_decodes_whole() -> None:
    body = bytes(CAP)
    site = Site({"/release/a": [encoded(gzip.compress(body), "gzip")]})
    with make(site, max_body_bytes=CAP) as fetcher:
        assert fetcher.get("/release/a").body == body


@pytest.mark.parametrize("encoding", ["br", "zstd", "compress", "gzip, br"])
def test_an_encoding_not_asked_for_is_refused_naming_it(encoding: str) -> None:
    site = Site({"/release/a": [encoded(b"\x1f\x8b\x08 whatever", encoding)]})
    with make(site) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.get("/release/a")
    message = str(caught.value)
    assert f"{SITE}/release/a" in message and "Content-Encoding" in message
    assert encoding.split(", ")[-1] in message
    assert site.paths().count("/release/a") == 1


def test_only_encodings_it_decodes_are_asked_for() -> None:
    site = Site({"/release/a": [encoded(PAGE, "identity")]})
    with make(site) as fetcher:
        fetcher.get("/release/a")
    assert site.requests[-1].headers["Accept-Encoding"] == "gzip, deflate"


def test_a_corrupt_gzip_body_is_a_failure_naming_the_url() -> None:
    site = Site({"/release/a": [encoded(b"\x1f\x8b\x08\x00 not gzip at all", "gzip")]})
    with make(site) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.get("/release/a")
    assert f"{SITE}/release/a" in str(caught.value) and "gzip" in str(caught.value)


class _Drip(httpx.SyncByteStream):
    """A body that arrives a byte per second of the fake clock: every read is quick."""

    def __init__(self, body: bytes, time: FakeTime) -> None:
        self.body, self.time = body, time

    def __iter__(self) -> Iterator[bytes]:
        for index in range(len(self.body)):
            self.time.sleep(1.0)
            yield self.body[index : index + 1]


def test_a_body_dripped_a_byte_a_second_is_given_up_at_its_deadline() -> None:
    time = FakeTime()
    drip: Handler = lambda request: httpx.Response(200, stream=_Drip(PAGE, time))  # noqa: E731
    site = Site({"/release/a": [drip]})
    with (
        make(site, time, timeout=5.0, max_attempts=2) as fetcher,
        pytest.raises(UnavailableError) as caught,
    ):
        fetcher.get("/release/a")
    assert "body took longer than 20s (4 x timeout) to arrive" in str(caught.value)
    assert "after 2 attempts" in str(caught.value)
    assert site.paths().count("/release/a") == 2


def test_a_body_within_its_deadline_is_kept() -> None:
    time = FakeTime()
    drip: Handler = lambda request: httpx.Response(200, stream=_Drip(PAGE[:15], time))  # noqa: E731
    site = Site({"/release/a": [drip]})
    with make(site, time, timeout=5.0) as fetcher:
        assert fetcher.get("/release/a").body == PAGE[:15]


def streamed(body: bytes, encoding: str, chunk: int = 7) -> Handler:
    """A handler streaming `body` with no Content-Length: the close ends it, cut or not."""
    pieces = [body[i : i + chunk] for i in range(0, len(body), chunk)]
    headers = {"Content-Encoding": encoding}
    return lambda request: httpx.Response(200, headers=headers, stream=_Stream(pieces))


def cut(body: bytes) -> bytes:
    """The first half of `body`, as a connection closed midway delivers it."""
    return body[: len(body) // 2]


@pytest.mark.parametrize(
    ("encoding", "packed"),
    [
        ("gzip", cut(gzip.compress(PAGE))),
        ("deflate", cut(zlib.compress(PAGE))),
        ("deflate", cut(deflated(iter([PAGE]), -15))),
        # The outer layer whole, the one inside it cut.
        ("gzip, gzip", gzip.compress(cut(gzip.compress(PAGE)))),
        # A second member begun and not ended.
        ("gzip", gzip.compress(PAGE) + cut(gzip.compress(PAGE))),
    ],
    ids=["gzip", "zlib", "raw-deflate", "inner-layer", "second-member"],
)
def test_a_compressed_body_cut_short_without_length_is_retried_then_fails(
    encoding: str, packed: bytes
) -> None:
    """No Content-Length, so only the coding can tell the body ended early: never a page."""
    site = Site({"/release/a": [streamed(packed, encoding)]})
    with make(site, max_attempts=3) as fetcher, pytest.raises(UnavailableError) as caught:
        fetcher.get("/release/a")
    message = str(caught.value)
    assert f"{SITE}/release/a" in message and "body cut short" in message, message
    assert "after 3 attempts" in message
    assert site.paths().count("/release/a") == 3


def test_a_cut_body_is_retried_and_the_whole_one_kept() -> None:
    packed = gzip.compress(PAGE)
    site = Site({"/release/a": [streamed(cut(packed), "gzip"), streamed(packed, "gzip")]})
    with make(site) as fetcher:
        assert fetcher.get("/release/a").body == PAGE
    assert site.paths().count("/release/a") == 2


@pytest.mark.parametrize("chunk", [7, 16 * 1024], ids=["small-chunks", "one-chunk"])
def test_every_member_of_a_multi_member_gzip_is_decoded(chunk: int) -> None:
    first, second = PAGE[: len(PAGE) // 3], PAGE[len(PAGE) // 3 :]
    packed = gzip.compress(first) + gzip.compress(second) + bytes(5)  # zero padding ends it
    assert gzip.decompress(packed) == PAGE
    site = Site({"/release/a": [streamed(packed, "gzip", chunk)]})
    with make(site) as fetcher:
        assert fetcher.get("/release/a").body == PAGE


def test_members_count_together_against_the_cap() -> None:
    half = bytes(CAP // 2 + 1)
    site = Site({"/release/a": [streamed(gzip.compress(half) * 2, "gzip", 1024)]})
    with make(site, max_body_bytes=CAP) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.get("/release/a")
    assert f"max_body_bytes ({CAP})" in str(caught.value)


@pytest.mark.parametrize(
    "packed",
    [zlib.compress(PAGE) + b"more", gzip.compress(PAGE) + b"not gzip"],
    ids=["deflate", "gzip"],
)
def test_data_after_the_end_of_the_coding_is_refused(packed: bytes) -> None:
    encoding = "gzip" if packed[:2] == b"\x1f\x8b" else "deflate"
    site = Site({"/release/a": [streamed(packed, encoding)]})
    with make(site) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.get("/release/a")
    message = str(caught.value)
    assert f"{SITE}/release/a" in message and encoding in message, message
    assert site.paths().count("/release/a") == 1  # the same bytes would come again


def test_an_empty_body_under_a_coding_is_empty() -> None:
    """A 304, or any answer with no body, may still name the coding of the stored copy."""
    site = Site({"/release/a": [streamed(b"", "gzip")]})
    with make(site) as fetcher:
        assert fetcher.get("/release/a").body == b""
