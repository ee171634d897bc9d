"""Collapse whitespace as a browser renders it (html-to-markdown's port of turndown's)."""

from __future__ import annotations

from typing import Final

from scraper.site.guard import check
from scraper.site.markdown.dom import BLOCK, TEXT, Node, detach
from scraper.site.markdown.text import WS_RUN

_VOID: Final = frozenset(
    {
        "area", "base", "br", "col", "command", "embed", "hr", "img", "input", "keygen",
        "link", "meta", "param", "source", "track", "wbr",
    }
)  # fmt: skip


def collapse_whitespace(root: Node) -> None:
    """Collapse the whitespace of the tree in place."""
    _Collapse().run(root)


class _Collapse:
    """One walk in document order: the last text node kept, and whether a leading space stays."""

    __slots__ = ("keep_leading", "prev")

    def __init__(self) -> None:
        self.prev: Node | None = None
        self.keep_leading = False

    def run(self, root: Node) -> None:
        """Collapse the subtree, then trim the last text's trailing space."""
        if root.tag == "pre":
            return
        self.walk(root)
        if self.prev is not None:
            self.prev.data = self.prev.data.removesuffix(" ")
            if not self.prev.data:
                detach(self.prev)

    def walk(self, node: Node) -> None:
        """Visit the children in document order, dropping text that collapses to nothing."""
        kept: list[Node] = []
        for kid in node.kids:
            if kid.tag != TEXT:
                kept.append(kid)
                self.element(kid)
            elif self.text(kid):
                kept.append(kid)
        node.kids = kept

    def text(self, node: Node) -> bool:
        """Collapse one text node; return whether anything is left of it."""
        text = WS_RUN.sub(" ", node.data)
        if (
            text[:1] == " "
            and not self.keep_leading
            and (self.prev is None or self.prev.data.endswith(" "))
        ):
            text = text[1:]
        if not text:
            return False
        node.data = text
        self.prev = node
        return True

    def element(self, node: Node) -> None:
        """Apply the element rule on entering the element and again on leaving it."""
        check("collapsing whitespace")
        self.boundary(node.tag)
        # The Go walk passes through a parent again on its way back up from the last child.
        # That second pass is what ends an image's protection of the space after it.
        if node.kids and node.tag != "pre":
            self.walk(node)
            self.boundary(node.tag)

    def boundary(self, tag: str) -> None:
        """Blocks and breaks end the text run; void elements protect the next leading space."""
        if tag in BLOCK or tag == "br":
            if self.prev is not None:
                self.prev.data = self.prev.data.removesuffix(" ")
            self.prev = None
            self.keep_leading = False
        elif tag in _VOID or tag == "pre" or tag == "code":
            self.prev = None
            self.keep_leading = True
        elif self.prev is not None:
            self.keep_leading = False
