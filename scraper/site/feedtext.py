"""The feed's plain text of a release → the archive's Markdown body. Pure, no I/O.

The feed (`/rss.xml`) gives each item's body as plain text in CDATA: the page's tags
stripped, a line per paragraph, entities decoded except `&nbsp;`, which stays literal.
Each non-blank line becomes a paragraph, converted by the page's own Markdown rules (so
characters Markdown would read are escaped as on a page). What the text cannot say
(emphasis, links, lists, tables, line breaks within a paragraph) is lost until a sync
that reaches the page rewrites the file.
"""

from __future__ import annotations

import html

from scraper.site.markdown import html_to_markdown

#: White space that ends a line's text; a no-break space is text.
_ASCII_SPACE = " \t\r\n\f\v"


def feed_body(text: str) -> str:
    """The Markdown body of a release whose feed item gives `text` (empty: empty)."""
    paragraphs = [
        line.replace("&nbsp;", "\xa0") for line in text.splitlines() if line.strip(_ASCII_SPACE)
    ]
    fragment = "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)
    return html_to_markdown(fragment) if fragment else ""
