"""Tree rewrites before rendering: the commonmark plugin's, then the end-of-list markers."""

from __future__ import annotations

from typing import Final

from scraper.site.guard import check
from scraper.site.markdown.dom import (
    BLOCK,
    BOLD,
    COMMENT,
    EMPHASIS,
    HEADINGS,
    ITALIC,
    TEXT,
    Node,
    detach,
    index,
    next_after,
)

_ASCII_SPACE: Final = " \t\n\r\x0c"
_LISTS: Final = frozenset({"ul", "ol"})
_LIST_END: Final = "THE END"
# Which blocks may not sit inside headings or inline elements, and what counts as inline there.
_CONTAINER_BLOCK: Final = frozenset({"blockquote", "ul", "ol", "li"})
_LEAF_BLOCK: Final = frozenset({"hr", "pre"}) | HEADINGS
_NOT_INLINE: Final = _CONTAINER_BLOCK | _LEAF_BLOCK
_INLINE: Final = frozenset({"span", "code", "a", "img", "br"}) | EMPHASIS


def _rename_fake_spans(node: Node) -> bool:
    """Rename spans that hold block elements to divs; return whether node holds a block."""
    check("rewriting the body")
    has_block = False
    for kid in node.kids:
        if kid.tag != TEXT and (_rename_fake_spans(kid) or kid.tag in BLOCK):
            has_block = True
    if has_block and node.tag == "span":
        node.tag = "div"
    return has_block


def _remove_redundant(node: Node, bold: bool, italic: bool, link: bool) -> None:
    """Unwrap bold inside bold, italic inside italic and links inside links."""
    check("rewriting the body")
    i = 0
    while i < len(node.kids):
        kid = node.kids[i]
        tag = kid.tag
        if (bold and tag in BOLD) or (italic and tag in ITALIC) or (link and tag == "a"):
            for grandkid in kid.kids:
                grandkid.parent = node
            node.kids[i : i + 1] = kid.kids  # visited next, in its place
            continue
        if tag != TEXT:
            _remove_redundant(kid, bold or tag in BOLD, italic or tag in ITALIC, link or tag == "a")
        i += 1


def _next_mergeable(node: Node) -> Node | None:
    """Find a bold (italic) element directly after a bold (italic) one, looking into spans."""
    current, descend = node, False
    while True:
        nxt = current.kids[0] if descend and current.kids else next_after(current, node.parent)
        if nxt is None or nxt.tag == TEXT:
            return None
        if nxt.tag != "span":
            bold = node.tag in BOLD
            return nxt if nxt.tag in (BOLD if bold else ITALIC) else None
        current, descend = nxt, True


def _merge_adjacent(node: Node) -> None:
    """Merge directly adjacent bold (italic) elements, so that `**a****b**` becomes `**ab**`."""
    check("merging bold and italic")
    for kid in list(node.kids):
        if kid.parent is not node:
            continue  # merged into an earlier sibling
        if kid.tag in EMPHASIS:
            while (nxt := _next_mergeable(kid)) is not None:
                check("merging bold and italic")
                for grandkid in nxt.kids:
                    kid.append(grandkid)
                nxt.kids = []
                detach(nxt)
        if kid.tag != TEXT:
            _merge_adjacent(kid)


def _swap_tags(node: Node, outer: frozenset[str], inner: frozenset[str]) -> None:
    """Swap an outer element with its only (non-blank) child when their tags match the sets."""
    check("rewriting the body")
    for kid in node.kids:
        if kid.tag == TEXT:
            continue
        if kid.tag in outer:
            content = [k for k in kid.kids if k.tag != TEXT or k.data.strip(_ASCII_SPACE)]
            if len(content) == 1 and content[0].tag in inner:
                only = content[0]
                kid.tag, only.tag = only.tag, kid.tag
                kid.attrs, only.attrs = only.attrs, kid.attrs
        _swap_tags(kid, outer, inner)


def _leaf_block_alternatives(node: Node, in_leaf: bool, in_inline: bool) -> None:
    """Replace blocks nested in headings or inline elements with inline equivalents."""
    check("rewriting the body")
    i = 0
    while i < len(node.kids):
        kid = node.kids[i]
        tag = kid.tag
        if tag != TEXT and (in_leaf or in_inline) and tag in _NOT_INLINE:
            if tag == "hr":
                del node.kids[i]
                continue
            extra: list[Node] = []
            if tag in HEADINGS:
                kid.tag = "strong"
                extra = [kid, Node("br")]
            elif tag == "blockquote":
                kid.tag = "span"
                extra = [Node(TEXT, ' "'), kid, Node(TEXT, '" ')]
            else:
                kid.tag = "code" if tag == "pre" else "span"
            for new in extra:
                new.parent = node
            if extra:
                check("replacing blocks inside inline elements")
                node.kids[i : i + 1] = extra
                i = node.kids.index(kid)
        if kid.tag != TEXT:
            leaf = in_leaf or kid.tag in _LEAF_BLOCK
            _leaf_block_alternatives(kid, leaf, in_inline or kid.tag in _INLINE)
        i += 1


def prepare(root: Node) -> None:
    """Apply the commonmark plugin's tree rewrites, in its order."""
    _rename_fake_spans(root)
    _remove_redundant(root, False, False, False)
    _merge_adjacent(root)
    _swap_tags(root, EMPHASIS, frozenset({"a"}))
    _swap_tags(root, frozenset({"a"}), HEADINGS)
    _leaf_block_alternatives(root, False, False)


def add_list_end_comments(root: Node) -> None:
    """Put `<!--THE END-->` between two lists that would otherwise read as one."""
    stack = [root]
    while stack:
        node = stack.pop()
        check("marking list ends")
        if node.tag in _LISTS and node.parent is not None and _next_is_list(node):
            comment = Node(COMMENT, _LIST_END)
            comment.parent = node.parent
            node.parent.kids.insert(index(node) + 1, comment)
        stack.extend(reversed([k for k in node.kids if k.tag != TEXT and k.tag != COMMENT]))


def _next_is_list(node: Node) -> bool:
    """Whether another list follows in document order before any text, item or rule."""
    current = next_after(node, None)
    while current is not None:
        if current.tag in _LISTS:
            return True
        if current.tag in ("li", "hr", TEXT, COMMENT):
            return False
        current = current.kids[0] if current.kids else next_after(current, None)
    return False
