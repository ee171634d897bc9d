"""Answers of the hostile fault kinds: compression bombs, odd bodies, an endless listing."""

from __future__ import annotations

import dataclasses
import functools
import gzip
import zlib
from collections.abc import Callable, Sequence

from tests.standin.faults import Fault
from tests.standin.listing import render_listing
from tests.standin.model import Item
from tests.standin.response import HTML, Response, html_response
from tests.standin.system_pages import notice_page

_MIB = 1 << 20


@functools.cache
def gzip_bomb(layers: int, size: int) -> bytes:
    """`size` zero bytes gzipped `layers` times, built a MiB at a time (never held whole)."""
    if layers > 1:
        return gzip.compress(gzip_bomb(layers - 1, size), 9)
    # Run-length matching: as small as level 9 on zeros, in half the time.
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS, 9, zlib.Z_RLE)
    zeros = bytes(_MIB)
    parts = [packer.compress(zeros[: min(_MIB, size - start)]) for start in range(0, size, _MIB)]
    return b"".join(parts) + packer.flush()


def bomb_response(fault: Fault) -> Response:
    """A small body that decodes to gigabytes, under the Content-Encoding that says how."""
    layers = int(str(fault.opts["layers"]))
    body = gzip_bomb(layers, int(str(fault.opts["size"])))
    encoding = ", ".join(["gzip"] * layers)
    return Response(200, body, HTML, (("Content-Encoding", encoding),))


def body_response(fault: Fault) -> Response:
    """The fault's own body, status and Content-Type, with or without a Content-Length."""
    body = fault.opts["body"]
    assert isinstance(body, bytes), "the body fault's `body` must be bytes"
    content_type = fault.opts["content_type"]
    return Response(
        int(str(fault.opts["status"])),
        body,
        HTML if content_type is None else str(content_type),
        length=bool(fault.opts["length"]),
    )


def altered(fault: Fault, response: Response) -> Response:
    """The normal answer with its body transformed and/or its Content-Type replaced."""
    transform = fault.opts["transform"]
    content_type = fault.opts["content_type"]
    changed = response
    if transform is not None:
        assert callable(transform), "the alter fault's `transform` must be callable"
        step: Callable[[bytes], bytes] = transform
        changed = dataclasses.replace(changed, body=step(changed.body))
    if content_type is not None:
        changed = dataclasses.replace(changed, content_type=str(content_type))
    return changed


def endless_page(kind: str, items: Sequence[Item], page: int, size: int, origin: str) -> Response:
    """Page `page` of a listing that never ends: its first page's items turned by `page`."""
    first = list(items[:size])
    if not first:
        return html_response(200, notice_page("error", origin))
    turn = page % len(first)
    shown = first[turn:] + first[:turn]
    # Rendered as page 0 of a longer list, so it always claims a next page.
    return html_response(200, render_listing(kind, [*shown, *shown], 0, size, origin))
