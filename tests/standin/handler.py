"""The HTTP side: a threading server whose handler asks the stand-in what to do."""

from __future__ import annotations

import contextlib
import socket
import struct
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from tests.standin.response import Response


@dataclass(frozen=True)
class Plan:
    """What to do for one request: wait, then send (maybe cut short) or reset the connection."""

    response: Response | None
    delay: float = 0.0
    keep: float | None = None
    hard_reset: bool = True
    #: Send nothing until the server stops, then close (`response` is None).
    silent: bool = False
    #: Send the body one byte per this many seconds.
    drip: float | None = None


class App(Protocol):
    """What the handler needs from the stand-in."""

    verbose: bool

    def plan(self, method: str, target: str, headers: Mapping[str, str]) -> Plan:
        """Decide the answer to a request."""

    def wait(self, seconds: float | None) -> bool:
        """Sleep unless stopping (None: until stopping); return whether the whole time passed."""


class Server(ThreadingHTTPServer):
    """A threading HTTP server that knows its app and its open connections."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: App) -> None:
        """Bind and listen (port 0: any free port)."""
        super().__init__(address, Handler)
        self.app = app
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients that went away; report anything else."""
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Shut every open client connection, so handler threads end."""
        with self.connections_lock:
            for conn in list(self.connections):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)


class Handler(BaseHTTPRequestHandler):
    """Answer GET and HEAD as the stand-in's plan says; HTTP/1.1 with keep-alive."""

    protocol_version = "HTTP/1.1"
    server: Server

    def version_string(self) -> str:
        """Name the server as a generic web server."""
        return "Apache"

    def setup(self) -> None:
        """Register the connection; send small writes at once (no Nagle delay)."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        """Unregister the connection."""
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def do_GET(self) -> None:
        """Answer a GET."""
        self._serve(head=False)

    def do_HEAD(self) -> None:
        """Answer a HEAD."""
        self._serve(head=True)

    def log_message(self, format: str, *args: Any) -> None:
        """Log to stderr only when verbose (stdout stays clean)."""
        if self.server.app.verbose:
            super().log_message(format, *args)

    def _serve(self, head: bool) -> None:
        """Carry out the plan for this request."""
        headers = {k.lower(): v for k, v in self.headers.items()}
        plan = self.server.app.plan(self.command, self.path, headers)
        if plan.delay > 0 and not self.server.app.wait(plan.delay):
            self.close_connection = True
            return
        if plan.silent:
            self.server.app.wait(None)
            self.close_connection = True
            return
        if plan.response is None:
            self._reset(plan.hard_reset)
        else:
            self._send(plan.response, head, plan.keep, plan.drip)
            if plan.keep is not None and plan.hard_reset:
                self._reset(hard=True)

    def _reset(self, hard: bool) -> None:
        """Close the connection without answering (with a TCP reset when hard)."""
        self.close_connection = True
        if hard:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()

    def _send(
        self, response: Response, head: bool, keep: float | None, drip: float | None = None
    ) -> None:
        """Send a response; with `keep`, send that fraction of the body and close; with
        `drip`, one byte of it per `drip` seconds."""
        self.send_response(response.status)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        if response.status != 304 and response.length:
            self.send_header("Content-Length", str(len(response.body)))
        if not response.length:
            self.send_header("Connection", "close")
            self.close_connection = True
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        if head or response.status == 304:
            return
        if drip is not None:
            self._drip(response.body, drip)
            return
        if keep is None:
            self.wfile.write(response.body)
            return
        self.wfile.write(response.body[: int(len(response.body) * keep)])
        self.wfile.flush()
        self.close_connection = True

    def _drip(self, body: bytes, interval: float) -> None:
        """Send `body` a byte at a time, `interval` seconds apart, until the server stops."""
        for index in range(len(body)):
            self.wfile.write(body[index : index + 1])
            self.wfile.flush()
            if not self.server.app.wait(interval):
                self.close_connection = True
                return
