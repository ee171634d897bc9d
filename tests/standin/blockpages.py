"""Bot-protection (Imperva/Incapsula) pages, served with status 200 instead of content."""

from __future__ import annotations

import functools
from pathlib import Path

from tests.standin.response import HTML, Response

BLOCKED_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "blocked"
#: TEST-MADE: Imperva's other block page, written from its reported wording; not recorded.
PARDON = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="robots" content="noindex, nofollow">
<title>Pardon Our Interruption</title>
</head>
<body>
<div class="container">
<h1>Pardon Our Interruption</h1>
<p>As you were browsing something about your browser made us think you were a bot.</p>
<p>To regain access, please make sure that cookies and JavaScript are enabled before
reloading the page.</p>
</div>
<script src="/_Incapsula_Resource?SWJIYLWA=719d34d31c8e3a6e6fffd425f7e032f3"></script>
</body>
</html>
"""
_COOKIES = (
    (
        "Set-Cookie",
        "visid_incap_2704612=standin; expires=Fri, 01 Jan 2100 00:00:00 GMT; "
        "HttpOnly; path=/; Domain=.beehive.govt.nz",
    ),
    ("Set-Cookie", "incap_ses_1234_2704612=standin; path=/; Domain=.beehive.govt.nz"),
    ("X-CDN", "Imperva"),
    ("Cache-Control", "no-cache, no-store"),
)


@functools.cache
def challenge_body(variant: str) -> bytes:
    """Return a block page: the real 212 bytes, the real long one's head, or the test-made one."""
    if variant == "incapsula":
        return (BLOCKED_DIR / "incapsula-212.html").read_bytes()
    if variant == "incapsula-long":
        return (BLOCKED_DIR / "incapsula-1170-first-500-bytes.html").read_bytes()
    return PARDON.encode("utf-8")


def challenge(variant: str = "incapsula") -> Response:
    """Return the block response, with status 200 like the real one."""
    return Response(200, challenge_body(variant), HTML, _COOKIES)
