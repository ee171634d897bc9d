"""What the stand-in sends back: status, headers and body, before conditional handling."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib

HTML = "text/html; charset=UTF-8"


@dataclasses.dataclass(frozen=True)
class Response:
    """A response; `last_modified` set means it is content, so it gets validators; an empty
    `content_type` sends no Content-Type header."""

    status: int
    body: bytes = b""
    content_type: str = HTML
    headers: tuple[tuple[str, str], ...] = ()
    last_modified: dt.datetime | None = None
    #: False: no Content-Length, the connection's close ends the body (HTTP/1.0 style).
    length: bool = True

    @property
    def etag(self) -> str:
        """Return a strong ETag: a hash of the body."""
        return '"' + hashlib.sha256(self.body).hexdigest()[:32] + '"'


def html_response(status: int, text: str, last_modified: dt.datetime | None = None) -> Response:
    """Make an HTML response."""
    return Response(status, text.encode("utf-8"), HTML, (), last_modified)


def plain_page(status: int, title: str, message: str) -> Response:
    """Make a small HTML error page."""
    text = (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}'
        f" | Beehive.govt.nz</title></head>\n<body><main><h1>{title}</h1><p>{message}</p>"
        "</main></body></html>\n"
    )
    return html_response(status, text)
