"""Render the prepared tree to Markdown, each element by its own rule; tables as GFM tables."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from scraper.site.guard import check
from scraper.site.markdown.code import CODE, render_inline_code, render_pre
from scraper.site.markdown.dom import BLOCK, BOLD, COMMENT, EMPHASIS, HEADINGS, TEXT, Node
from scraper.site.markdown.escapes import TEXT_ESCAPES, P, resolve_escapes
from scraper.site.markdown.neturl import assemble_url
from scraper.site.markdown.text import (
    MULTI_SPACE,
    SPACE,
    WS_RUN,
    delimit_lines,
    escape_multiline,
    quote_title,
    surrounding_spaces,
    trim_hard_breaks,
    trim_newlines,
)

_CELLS: Final = frozenset({"td", "th"})
_INTEGER: Final = re.compile(r"[+-]?[0-9]+")
_ALT_BRACKET: Final = re.compile(r"(?<!\\)([\[\]])")


def render_kids(node: Node, in_link: bool) -> str:
    """Render all children of a node."""
    return "".join([render(kid, in_link) for kid in node.kids])


def render(node: Node, in_link: bool) -> str:
    """Render one node: text, a known element, or a generic inline or block element."""
    tag = node.tag
    if tag == TEXT:
        text = node.data.translate(TEXT_ESCAPES)
        # Inside link text a `]` would end the link early, so it is always escaped.
        return text.replace(P + "]", "\\]") if in_link else text
    check("rendering the body")
    renderer = _RENDERERS.get(tag)
    if renderer is not None:
        return renderer(node, in_link)
    if tag in BLOCK:
        return "\n\n" + render_kids(node, in_link) + "\n\n"
    return render_kids(node, in_link)


def _render_comment(node: Node, in_link: bool) -> str:
    """The marker between two lists (`<!--THE END-->`), the only comment left in the tree."""
    return f"\n\n<!--{node.data}-->\n\n"


def _render_emphasis(node: Node, in_link: bool) -> str:
    """Bold or italic, delimited on every line: a delimiter cannot span lines."""
    delimiter = "**" if node.tag in BOLD else "*"
    return delimit_lines(render_kids(node, in_link), delimiter)


def _render_hr(node: Node, in_link: bool) -> str:
    """A thematic break."""
    return "\n\n* * *\n\n"


def _render_br(node: Node, in_link: bool) -> str:
    """A hard line break; breaks before a blank line are trimmed later."""
    return "  \n"


def _list_prefixes(node: Node, count: int) -> list[str]:
    """The item markers: `- `, or numbers zero-padded to the width of the last one."""
    if node.tag == "ul":
        return ["- "] * count
    start_attr = node.attr("start").strip()
    start = int(start_attr) if _INTEGER.fullmatch(start_attr) else 1
    width = len(str(start + count - 1))
    return [f"{number:0{width}d}. " for number in range(start, start + count)]


def _render_list(node: Node, in_link: bool) -> str:
    """A list; each item's escapes are resolved on its own, its later lines indented."""
    items = [content for kid in node.kids if (content := render(kid, in_link).strip(SPACE))]
    if not items:
        return ""
    lines = []
    for prefix, item in zip(_list_prefixes(node, len(items)), items, strict=True):
        item = resolve_escapes(trim_hard_breaks(trim_newlines(item)))
        lines.append(prefix + item.replace("\n", "\n" + " " * len(prefix)))
    return "\n\n" + "\n".join(lines) + "\n\n"


def _render_blockquote(node: Node, in_link: bool) -> str:
    """A block quote, every line prefixed with `> `."""
    content = render_kids(node, in_link).strip(SPACE)
    if not content:
        return ""
    content = trim_hard_breaks(trim_newlines(content))
    return "\n\n> " + content.replace("\n", "\n> ") + "\n\n"


def _render_heading(node: Node, in_link: bool) -> str:
    """An ATX heading, on one line."""
    content = render_kids(node, in_link)
    if not content.strip(SPACE):
        return ""
    content = MULTI_SPACE.sub(" ", content.replace("\n", " ").replace("\r", " "))
    content = content.strip(SPACE)
    # A `#` at the end would be read as a closing sequence, so it is always escaped.
    if content.endswith(P + "#") and content[-3:-2] != "\\":
        content = content[:-2] + "\\#"
    return "\n\n" + "#" * int(node.tag[1]) + " " + content + "\n\n"


def _render_image(node: Node, in_link: bool) -> str:
    """An image; without a src, nothing."""
    src = node.attr("src").strip(SPACE)
    if not src:
        return ""
    alt = _ALT_BRACKET.sub(r"\\\1", node.attr("alt").replace("\n", " "))
    title = node.attr("title").replace("\n", " ")
    suffix = " " + quote_title(title) if title else ""
    return f"![{alt}]({assemble_url(src)}{suffix})"


def _render_link(node: Node, in_link: bool) -> str:
    """An inline link; whitespace at the edges of its text moves outside the brackets."""
    href = assemble_url(node.attr("href"))
    title = node.attr("title").replace("\n", " ")
    content = render_kids(node, True)
    if not content.strip(SPACE):
        content = title
    if not href:
        title = ""  # `[text]()` is a valid link, but not with a title
    left, trimmed, right = surrounding_spaces(content)
    trimmed = escape_multiline(trim_newlines(trimmed))
    suffix = " " + quote_title(title) if title else ""
    return f"{left}[{trimmed}]({href}{suffix}){right}"


# ---------------------------------------------------------------- tables (GFM, our addition)


def _table_rows(table: Node) -> list[Node]:
    """The table's rows: those of the head first, then the others in document order."""
    head: list[Node] = []
    body: list[Node] = []
    for kid in table.kids:  # the HTML parser puts every row in a thead, tbody or tfoot
        if kid.tag in ("thead", "tbody", "tfoot"):
            rows = [row for row in kid.kids if row.tag == "tr"]
            (head if kid.tag == "thead" else body).extend(rows)
    return head + body


def _cell_text(cell: Node) -> str:
    """A cell's content on one line."""
    content = render_kids(cell, False).replace("  \n", " ").replace("\n", " ")
    # A cell holds inline content only, so markers that start a block need no escape there:
    # resolve the escapes as if the content continued a line.
    content = resolve_escapes("x" + content)[1:]
    return WS_RUN.sub(" ", content).strip(SPACE)


def _in_cell(node: Node) -> bool:
    """Whether a node sits inside a table cell."""
    parent = node.parent
    while parent is not None:
        if parent.tag in _CELLS:
            return True
        parent = parent.parent
    return False


def _render_table(node: Node, in_link: bool) -> str:
    """A GFM table, its first row the header; a caption goes before it as a paragraph."""
    if _in_cell(node):
        # GFM tables do not nest: a table inside a cell contributes its text only.
        texts = [_cell_text(c) for row in _table_rows(node) for c in row.kids if c.tag in _CELLS]
        return " ".join(text for text in texts if text)
    rows: list[list[str]] = []
    for row in _table_rows(node):
        cells: list[str] = []
        for cell in row.kids:
            if cell.tag in _CELLS:
                cells.append(_cell_text(cell).replace("|", "\\|"))
                # Keep later columns aligned: a spanning cell leaves empty cells after it.
                span = cell.attr("colspan").strip()
                cells.extend([""] * (min(int(span), 100) - 1 if span.isdigit() else 0))
        if cells:
            rows.append(cells)
    if not rows:
        return ""
    width = max(len(row) for row in rows)
    lines = ["| " + " | ".join(row + [""] * (width - len(row))) + " |" for row in rows]
    lines.insert(1, "|" + " --- |" * width)
    caption = next((kid for kid in node.kids if kid.tag == "caption"), None)
    title = render_kids(caption, False).strip(SPACE) if caption else ""
    return ("\n\n" + title if title else "") + "\n\n" + "\n".join(lines) + "\n\n"


_Renderer = Callable[[Node, bool], str]
_RENDERERS: Final[dict[str, _Renderer]] = {
    COMMENT: _render_comment,
    "hr": _render_hr,
    "br": _render_br,
    "ul": _render_list,
    "ol": _render_list,
    "pre": render_pre,
    "blockquote": _render_blockquote,
    "img": _render_image,
    "a": _render_link,
    "table": _render_table,
    **dict.fromkeys(EMPHASIS, _render_emphasis),
    **dict.fromkeys(CODE, render_inline_code),
    **dict.fromkeys(HEADINGS, _render_heading),
}
