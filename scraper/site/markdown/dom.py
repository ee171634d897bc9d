"""The mutable tree the converter rewrites and renders, copied from the parsed HTML."""

from __future__ import annotations

from typing import Final

from selectolax.lexbor import LexborNode

from scraper.site.guard import check

TEXT: Final = "#text"
COMMENT: Final = "#comment"

BLOCK: Final = frozenset(
    {
        "address", "article", "aside", "blockquote", "details", "dialog", "dd", "div", "dl",
        "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
        "h5", "h6", "header", "hgroup", "hr", "li", "main", "nav", "ol", "p", "pre",
        "section", "table", "ul",
    }
)  # fmt: skip
BOLD: Final = frozenset({"strong", "b"})
ITALIC: Final = frozenset({"em", "i"})
EMPHASIS: Final = BOLD | ITALIC
HEADINGS: Final = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

_REMOVED: Final = frozenset(
    {"head", "script", "style", "link", "meta", "iframe", "noscript", "input", "textarea"}
)
_ATTRIBUTE_TAGS: Final = frozenset({"a", "img", "ol", "td", "th", "pre", "code"})
# Deeper elements are unwrapped, keeping their text: the renderer recurses.
_MAX_DEPTH: Final = 120


class Node:
    """A minimal mutable DOM node: the pipeline rewrites the tree before rendering it."""

    __slots__ = ("attrs", "data", "kids", "parent", "tag")

    def __init__(self, tag: str, data: str = "", attrs: dict[str, str | None] | None = None):
        self.tag = tag
        self.data = data
        self.attrs: dict[str, str | None] = attrs or {}
        self.kids: list[Node] = []
        self.parent: Node | None = None

    def attr(self, name: str) -> str:
        """Return an attribute's value, empty when missing."""
        return self.attrs.get(name) or ""

    def append(self, kid: Node) -> None:
        """Append a child node."""
        kid.parent = self
        self.kids.append(kid)


def build(source: LexborNode) -> Node:
    """Copy the element's subtree without removed tags and comments, merging adjacent text."""
    root = Node(source.tag or "div")
    stack: list[tuple[LexborNode, Node, int]] = [(source, root, 0)]
    while stack:
        src, dst, depth = stack.pop()
        child = src.child
        while child is not None:
            tag = child.tag or ""
            if tag == "-text":
                kids = dst.kids
                # Dropping a node can leave two text nodes side by side; Go merges them.
                if kids and kids[-1].tag == TEXT:
                    kids[-1].data += child.text_content or ""
                else:
                    dst.append(Node(TEXT, child.text_content or ""))
            elif depth >= _MAX_DEPTH:
                dst.append(Node(TEXT, child.text(deep=True, separator="")))
            elif tag[:1].isalpha() and tag not in _REMOVED:
                check("copying the body")
                # Only a few renderers read attributes; copying them all would cost time.
                attrs = dict(child.attributes) if tag in _ATTRIBUTE_TAGS else None
                node = Node(tag, attrs=attrs)
                dst.append(node)
                stack.append((child, node, depth + 1))
            child = child.next
    return root


def index(node: Node) -> int:
    """Return the node's position among its siblings."""
    assert node.parent is not None
    # Nodes compare by identity, so list.index finds this very node, in C: the rewrites ask
    # for positions often enough that a Python loop made long runs of siblings slow.
    return node.parent.kids.index(node)


def detach(node: Node) -> None:
    """Remove a node from its parent."""
    assert node.parent is not None
    del node.parent.kids[index(node)]
    node.parent = None


def next_after(node: Node, boundary: Node | None) -> Node | None:
    """Return the node following node's subtree in document order, staying inside boundary."""
    current = node
    while current.parent is not None and current is not boundary:
        siblings = current.parent.kids
        i = index(current)
        if i + 1 < len(siblings):
            return siblings[i + 1]
        current = current.parent
        if current is boundary:
            return None
    return None
