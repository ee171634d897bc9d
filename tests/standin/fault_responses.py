"""Responses of the faults that answer with a status (the others act on the connection)."""

from __future__ import annotations

import datetime as dt
import math

from tests.standin.blockpages import challenge
from tests.standin.clock import http_date
from tests.standin.faults import Fault
from tests.standin.model import PUBLIC_ORIGIN
from tests.standin.response import Response, html_response, plain_page
from tests.standin.system_pages import not_found_page, notice_page


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


def fault_response(fault: Fault, origin: str = PUBLIC_ORIGIN) -> Response:
    """Return the response a status-like fault sends; `origin` starts its absolute links."""
    opts = fault.opts
    if fault.kind == "429":
        page = plain_page(429, "Too Many Requests", "Please slow down.")
        return _with_retry(page, opts["retry_after"])
    if fault.kind == "503":
        page = plain_page(503, "Service Unavailable", "The site is temporarily unavailable.")
        return _with_retry(page, opts["retry_after"])
    if fault.kind == "status":
        status = int(str(opts["status"]))
        page = plain_page(status, f"HTTP {status}", "The site could not answer this request.")
        return _with_retry(page, opts["retry_after"])
    if fault.kind == "410":
        return plain_page(410, "Gone", "This page has been removed.")
    if fault.kind == "challenge":
        return challenge(str(opts["variant"]))
    if fault.kind == "redirect":
        location = str(opts["location"])
        body = f'<a href="{location}">Moved</a>\n'.encode()
        return Response(int(str(opts["status"])), body, headers=(("Location", location),))
    if fault.kind == "not-found":
        # The 404 page sent with status 200: a "soft 404", told apart only by its content.
        return html_response(200, not_found_page(origin))
    if fault.kind == "not-a-release":
        return html_response(200, notice_page(str(opts["variant"]), origin))
    return html_response(404, not_found_page(origin))
