"""Convert the body of a release page to Markdown in the conventions of the existing archive."""

# The archive was written by the Go library html-to-markdown v2 (base and commonmark plugins,
# default options). To match it byte for byte this package follows the same pipeline:
#
#   1. copy the DOM, dropping script/style/iframe/comments (`dom.build`);
#   2. the commonmark plugin's tree rewrites: spans holding blocks become divs, nested and
#      adjacent bold/italic merge, bold around a link moves inside it (`rewrite.prepare`);
#   3. collapse whitespace as a browser would (`collapse`, a port of turndown's);
#   4. mark consecutive lists so they do not merge (`<!--THE END-->`, `rewrite`);
#   5. render, putting a placeholder before every Markdown-special character of the text
#      (`render`, `code`);
#   6. trim, then turn each placeholder into a backslash only where its character would
#      otherwise be read as Markdown (`escapes.resolve_escapes`), else drop it.
#
# Links keep their href as Go's net/url re-serialises it (`neturl`). Tables are the one
# deliberate difference: the old archive flattened them, we write GFM tables.

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper.site.guard import check
from scraper.site.markdown.code import CODE_NEWLINE
from scraper.site.markdown.collapse import collapse_whitespace
from scraper.site.markdown.dom import build
from scraper.site.markdown.escapes import resolve_escapes
from scraper.site.markdown.render import render_kids
from scraper.site.markdown.rewrite import add_list_end_comments, prepare
from scraper.site.markdown.text import SPACE, trim_hard_breaks, trim_newlines

__all__ = ["html_to_markdown", "node_to_markdown"]


def node_to_markdown(node: LexborNode) -> str:
    """Convert the children of an element (the body div) to Markdown, no trailing newline."""
    # Each stage checks the page's time budget (guard.check), so a hostile page ends in a
    # ParseError instead of a hang; the longer stages check it inside their loops too.
    root = build(node)
    check("copying the body")
    prepare(root)
    check("rewriting the body")
    collapse_whitespace(root)
    check("collapsing whitespace")
    add_list_end_comments(root)
    check("marking list ends")
    content = render_kids(root, False).strip(SPACE)
    check("rendering the body")
    content = resolve_escapes(trim_hard_breaks(trim_newlines(content)))
    check("escaping the body")
    return content.replace(CODE_NEWLINE, "\n")


def html_to_markdown(html: str) -> str:
    """Parse an HTML fragment and convert it."""
    body = LexborHTMLParser(html).body
    return "" if body is None else node_to_markdown(body)
