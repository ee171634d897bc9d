"""Recognise the site's bot-protection page, which is served with status 200."""

from __future__ import annotations

import re

# Markers seen on real Imperva/Incapsula block pages (fixtures/blocked) and the one reported
# ("Pardon Our Interruption"). Incapsula may also inject its script into real pages, so a
# marker counts only on a page that carries no content of the site (no article title, no
# listing results).
_MARKERS = re.compile(
    rb"_Incapsula_Resource|Pardon Our Interruption|Incapsula incident ID", re.IGNORECASE
)
_CONTENT = re.compile(rb"article__title|<rss[\s>]|views-row|class=\"teaser", re.IGNORECASE)


def is_block_page(body: bytes | str) -> bool:
    """Return whether a response body is the bot-protection page rather than content."""
    raw = body.encode("utf-8", "replace") if isinstance(body, str) else body
    return _MARKERS.search(raw) is not None and _CONTENT.search(raw) is None
