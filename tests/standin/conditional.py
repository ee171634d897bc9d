"""Validators on content responses and 304 answers to conditional requests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from tests.standin.clock import http_date, parse_http_date
from tests.standin.response import Response


def validators(response: Response) -> tuple[tuple[str, str], ...]:
    """Return the ETag and Last-Modified headers of a content response."""
    if response.last_modified is None:
        return ()
    return (("ETag", response.etag), ("Last-Modified", http_date(response.last_modified)))


def _etag_matches(header: str, etag: str) -> bool:
    """Compare If-None-Match with an ETag (weak comparison, `*` matches)."""
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


def _not_modified_since(header: str, last_modified: dt.datetime) -> bool:
    """Return whether the content is no newer than an If-Modified-Since date."""
    since = parse_http_date(header)
    return since is not None and last_modified.replace(microsecond=0) <= since


def with_validators(response: Response, headers: Mapping[str, str]) -> Response:
    """Add validators to a 200 content response, or turn it into a 304 when the client has it."""
    if response.status != 200 or response.last_modified is None:
        return response
    extra = validators(response)
    if_none_match = headers.get("if-none-match")
    if_modified_since = headers.get("if-modified-since")
    if if_none_match is not None:
        fresh = _etag_matches(if_none_match, response.etag)
    else:
        fresh = if_modified_since is not None and _not_modified_since(
            if_modified_since, response.last_modified
        )
    if fresh:
        return Response(304, b"", response.content_type, extra)
    return Response(200, response.body, response.content_type, response.headers + extra)
