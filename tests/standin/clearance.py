"""A bot check only a real browser passes: a block page whose script earns a clearance cookie.

With it on, every page (robots.txt and /rss.xml aside, which the real site lets through)
needs the cookie `COOKIE`: `<nonce>.<token>`, where the nonce was handed out by a block page
and the token is `token(nonce)`, which that page's script works out and sets before it
reloads. A plain HTTP client never runs the script, so it only ever sees the block page.
"""

from __future__ import annotations

import collections
import secrets
import threading
from collections.abc import Mapping

from tests.standin.blockpages import BLOCKED_DIR
from tests.standin.response import HTML, Response

COOKIE = "incap_clearance_standin"
#: The paths that get through without the cookie, as on the real site.
EXEMPT = frozenset({"/robots.txt", "/rss.xml"})
_MODULUS = 1_000_003
_ROUNDS = 8
#: The recorded block page's robots line, which (with the script) makes it a block page.
_ROBOTS_LINE = (BLOCKED_DIR / "incapsula-212.html").read_text(encoding="utf-8").splitlines()[2]
_PAGE = """<html>
<head>
{robots}
<script>
/* _Incapsula_Resource (stand-in): clearance needs JavaScript */
var n = {nonce}, t = n;
for (var i = 1; i < {rounds}; i++) {{ t = (t * 31 + i * 7919) % {modulus}; }}
document.cookie = "{cookie}=" + n + "." + t + "; path=/";
location.reload();
</script>
<body>
</body></html>
"""


def token(nonce: int) -> int:
    """The token a block page's script works out from its nonce (the same arithmetic)."""
    value = nonce
    for i in range(1, _ROUNDS):
        value = (value * 31 + i * 7919) % _MODULUS
    return value


class Clearance:
    """Hands out nonces in block pages and admits requests with a valid clearance cookie."""

    def __init__(self, valid_for: int | None, *, passes: bool = True) -> None:
        """`valid_for`: page requests one cookie admits (None: forever); `passes=False`: none
        is ever admitted (a check that rejects every client, the page reloading without end)."""
        if valid_for is not None and valid_for < 1:
            raise ValueError("valid_for must be a positive number of requests, or None")
        self.valid_for = valid_for
        self.passes = passes
        self._lock = threading.Lock()
        # nonce → page requests its cookie still admits (None: forever), from the first use.
        self._issued: dict[int, int | None] = {}
        self.served: collections.Counter[str] = collections.Counter()

    def cookie(self) -> tuple[str, str]:
        """A fresh valid clearance cookie (name, value): what a browser earns."""
        nonce = self._issue()
        return COOKIE, f"{nonce}.{token(nonce)}"

    def admits(self, path: str, headers: Mapping[str, str]) -> bool:
        """Whether a request gets the page (and uses up one of its cookie's requests)."""
        if path in EXEMPT:
            return True
        if not self.passes:
            return False
        nonce = _clearance(headers.get("cookie", ""))
        with self._lock:
            if nonce is None or nonce not in self._issued:
                return False
            left = self._issued[nonce]
            if left is not None:
                if left <= 1:
                    del self._issued[nonce]
                else:
                    self._issued[nonce] = left - 1
            return True

    def challenge(self, target: str) -> Response:
        """The block page with a new nonce; counted for `target` (path and query)."""
        nonce = self._issue()
        with self._lock:
            self.served[target] += 1
        body = _PAGE.format(
            robots=_ROBOTS_LINE, nonce=nonce, rounds=_ROUNDS, modulus=_MODULUS, cookie=COOKIE
        )
        return Response(200, body.encode("utf-8"), HTML, (("Cache-Control", "no-cache, no-store"),))

    def _issue(self) -> int:
        nonce = 100_000 + secrets.randbelow(900_000)
        with self._lock:
            self._issued[nonce] = self.valid_for
        return nonce


def _clearance(header: str) -> int | None:
    """The nonce of a valid clearance cookie in a Cookie header, or None."""
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        nonce, _, tok = value.partition(".")
        if name == COOKIE and nonce.isdigit() and tok.isdigit() and token(int(nonce)) == int(tok):
            return int(nonce)
    return None
