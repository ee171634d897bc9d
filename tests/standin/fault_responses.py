"""Responses of the faults that answer with a status (the others act on the connection)."""

from __future__ import annotations

import datetime as dt
import math

from tests.standin.blockpages import challenge
from tests.standin.clock import http_date
from tests.standin.faults import Fault
from tests.standin.response import Response, plain_page


def retry_after(value: object) -> str:
    """Format a Retry-After value: seconds, an HTTP date, or a string as given."""
    if isinstance(value, dt.datetime):
        return http_date(value)
    if isinstance(value, int | float):
        return str(max(0, math.ceil(value)))
    return str(value)


def _with_retry(response: Response, value: object) -> Response:
    """Add a Retry-After header unless the value is None."""
    if value is None:
        return response
    return Response(
        response.status,
        response.body,
        response.content_type,
        (*response.headers, ("Retry-After", retry_after(value))),
    )


def fault_response(fault: Fault) -> Response:
    """Return the response a status-like fault sends."""
    opts = fault.opts
    if fault.kind == "429":
        page = plain_page(429, "Too Many Requests", "Please slow down.")
        return _with_retry(page, opts["retry_after"])
    if fault.kind == "503":
        page = plain_page(503, "Service Unavailable", "The site is temporarily unavailable.")
        return _with_retry(page, opts["retry_after"])
    if fault.kind == "410":
        return plain_page(410, "Gone", "This page has been removed.")
    if fault.kind == "challenge":
        return challenge(str(opts["variant"]))
    if fault.kind == "redirect":
        location = str(opts["location"])
        body = f'<a href="{location}">Moved</a>\n'.encode()
        return Response(int(str(opts["status"])), body, headers=(("Location", location),))
    return plain_page(404, "Page not found", "The requested page could not be found.")
