"""Recognise the site's bot-protection page, which is served with status 200."""

from __future__ import annotations

import re

from scraper.models import CONTENT_FOLDERS

# Markers of Imperva/Incapsula's pages: the script of the real block pages (fixtures/blocked),
# the reported "Pardon Our Interruption" page, and Imperva's "Error 15" access-denied page.
_MARKERS = re.compile(
    rb"_Incapsula_Resource|Pardon Our Interruption|Incapsula incident ID|Powered by Imperva",
    re.IGNORECASE,
)
# The 1,170-byte variant may come without the Incapsula script: a tiny page that tells robots
# to keep out and runs a script is a challenge, not content.
_NOINDEX = re.compile(rb"<meta\s+name=.?robots.?\s+content=.?noindex,\s*nofollow", re.IGNORECASE)
_TINY = 16 * 1024
# Incapsula may inject its script into real pages too, so anything with the site's own
# content structure (a page, a listing, the feed) is never taken for a block page.
_CONTENT = re.compile(
    rb"article__title|ds-three-col|view-content|views-row|teaser|<rss[\s>]"
    rb"|href=[\"'](?:https?://www\.beehive\.govt\.nz)?/(?:"
    + "|".join([*CONTENT_FOLDERS, "node"]).encode()
    + rb")/",
    re.IGNORECASE,
)


#: What to tell a user whose requests met the site's bot protection.
BLOCK_ADVICE = (
    "wait and try again later, raise --interval, pass --cookies FILE with cookies"
    " exported from a browser that can see the site, or let a real browser clear the check"
    " (--browser, with pip install 'scraper[browser]')"
)


def is_block_page(body: bytes | str) -> bool:
    """Return whether a response body is the bot-protection page rather than content."""
    raw = body.encode("utf-8", "replace") if isinstance(body, str) else body
    if _CONTENT.search(raw):
        return False
    if _MARKERS.search(raw):
        return True
    return len(raw) < _TINY and _NOINDEX.search(raw) is not None and b"<script" in raw.lower()
