"""The stand-in without a socket: an `httpx.MockTransport` that asks it for each answer.

Engine tests use it to run a whole sync in milliseconds against the same site model, faults
and validators as the real server. Faults that act on the connection become the errors httpx
raises for them: a reset is a `ReadError`, a body cut short a `RemoteProtocolError`, and any
wait (`slow`, `hold`, latency) a `ReadTimeout`, since nothing here may sleep.
"""

from __future__ import annotations

import httpx

from tests.standin.server import StandIn

#: The base URL to give a fetcher that uses this transport.
MOCK_BASE_URL = "http://standin.test"


def mock_transport(site: StandIn) -> httpx.MockTransport:
    """A transport that answers every request as the stand-in `site` would."""

    def handle(request: httpx.Request) -> httpx.Response:
        target = request.url.raw_path.decode("ascii")
        headers = {name.lower(): value for name, value in request.headers.items()}
        plan = site.plan(request.method, target, headers)
        if plan.delay > 0:
            raise httpx.ReadTimeout("the stand-in was told to wait", request=request)
        if plan.response is None:
            raise httpx.ReadError("connection reset by the stand-in", request=request)
        if plan.keep is not None:
            raise httpx.RemoteProtocolError("body cut short by the stand-in", request=request)
        response = plan.response
        sent = [("Content-Type", response.content_type), *response.headers]
        return httpx.Response(response.status, headers=sent, content=response.body)

    return httpx.MockTransport(handle)
