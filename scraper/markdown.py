"""Convert the body of a release page to Markdown in the conventions of the existing archive."""

# The archive was written by the Go library html-to-markdown v2 (base and commonmark plugins,
# default options). To match it byte for byte this module follows the same pipeline:
#
#   1. copy the DOM, dropping script/style/iframe/comments (`_build`);
#   2. the commonmark plugin's tree rewrites: spans holding blocks become divs, nested and
#      adjacent bold/italic merge, bold around a link moves inside it (`_prepare`);
#   3. collapse whitespace as a browser would (`_Collapse`, a port of turndown's);
#   4. mark consecutive lists so they do not merge (`<!--THE END-->`);
#   5. render, putting a placeholder before every Markdown-special character of the text;
#   6. trim, then turn each placeholder into a backslash only where its character would
#      otherwise be read as Markdown (`_resolve_escapes`), else drop it.
#
# Links keep their href as Go's net/url re-serialises it (`_assemble_url`). Tables are the one
# deliberate difference: the old archive flattened them, we write GFM tables.

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from selectolax.lexbor import LexborHTMLParser, LexborNode

_TEXT: Final = "#text"
_COMMENT: Final = "#comment"
_LIST_END: Final = "THE END"

# Put before every Markdown-special character of page text until the escapes are resolved.
_P: Final = "\x07"
# Stands for a newline inside a code block, so that trimming blank lines leaves it alone.
_CODE_NEWLINE: Final = "\ue002"

# Go's unicode.IsSpace, used by its TrimSpace: a no-break space counts.
_SPACE: Final = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(
    map(chr, range(0x2000, 0x200B))
)
# Go's byte-wise IsSpace, used after list markers: there a no-break space (two bytes) is not.
_BYTE_SPACE: Final = "\t\n\x0b\x0c\r "
_ASCII_SPACE: Final = " \t\n\r\x0c"

_REMOVED: Final = frozenset(
    {"head", "script", "style", "link", "meta", "iframe", "noscript", "input", "textarea"}
)
_BLOCK: Final = frozenset(
    {
        "address", "article", "aside", "blockquote", "details", "dialog", "dd", "div", "dl",
        "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
        "h5", "h6", "header", "hgroup", "hr", "li", "main", "nav", "ol", "p", "pre",
        "section", "table", "ul",
    }
)  # fmt: skip
_VOID: Final = frozenset(
    {
        "area", "base", "br", "col", "command", "embed", "hr", "img", "input", "keygen",
        "link", "meta", "param", "source", "track", "wbr",
    }
)  # fmt: skip
_ATTRIBUTE_TAGS: Final = frozenset({"a", "img", "ol", "td", "th", "pre", "code"})
_BOLD: Final = frozenset({"strong", "b"})
_ITALIC: Final = frozenset({"em", "i"})
_EMPHASIS: Final = _BOLD | _ITALIC
_CODE: Final = frozenset({"code", "var", "samp", "kbd", "tt"})
_HEADINGS: Final = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_LISTS: Final = frozenset({"ul", "ol"})
_CELLS: Final = frozenset({"td", "th"})
# Which blocks may not sit inside headings or inline elements, and what counts as inline there.
_CONTAINER_BLOCK: Final = frozenset({"blockquote", "ul", "ol", "li"})
_LEAF_BLOCK: Final = frozenset({"hr", "pre"}) | _HEADINGS
_NOT_INLINE: Final = _CONTAINER_BLOCK | _LEAF_BLOCK
_INLINE: Final = frozenset({"span", "code", "a", "img", "br"}) | _EMPHASIS
# Deeper elements are unwrapped, keeping their text: the renderer recurses.
_MAX_DEPTH: Final = 120

_WS_RUN: Final = re.compile(r"[ \r\n\t]+")
_MULTI_SPACE: Final = re.compile(r"  +")
_INTEGER: Final = re.compile(r"[+-]?[0-9]+")
_NEWLINE_RUN: Final = re.compile(r"\n( *)\n(?: *\n)+")
_ALT_BRACKET: Final = re.compile(r"(?<!\\)([\[\]])")
_BACKTICKS: Final = re.compile(r"`+")

_TEXT_ESCAPES: Final = str.maketrans(
    {"<": "&lt;", ">": "&gt;", "\x00": "\ufffd"} | {c: _P + c for c in "\\*_-+.|$#=[]()!~`\"'"}
)


class _Node:
    """A minimal mutable DOM node: the pipeline rewrites the tree before rendering it."""

    __slots__ = ("attrs", "data", "kids", "parent", "tag")

    def __init__(self, tag: str, data: str = "", attrs: dict[str, str | None] | None = None):
        self.tag = tag
        self.data = data
        self.attrs: dict[str, str | None] = attrs or {}
        self.kids: list[_Node] = []
        self.parent: _Node | None = None

    def attr(self, name: str) -> str:
        """Return an attribute's value, empty when missing."""
        return self.attrs.get(name) or ""

    def append(self, kid: _Node) -> None:
        """Append a child node."""
        kid.parent = self
        self.kids.append(kid)


# ---------------------------------------------------------------- building the tree


def _build(source: LexborNode) -> _Node:
    """Copy the element's subtree without removed tags and comments, merging adjacent text."""
    root = _Node(source.tag or "div")
    stack: list[tuple[LexborNode, _Node, int]] = [(source, root, 0)]
    while stack:
        src, dst, depth = stack.pop()
        child = src.child
        while child is not None:
            tag = child.tag or ""
            if tag == "-text":
                kids = dst.kids
                # Dropping a node can leave two text nodes side by side; Go merges them.
                if kids and kids[-1].tag == _TEXT:
                    kids[-1].data += child.text_content or ""
                else:
                    dst.append(_Node(_TEXT, child.text_content or ""))
            elif depth >= _MAX_DEPTH:
                dst.append(_Node(_TEXT, child.text(deep=True, separator="")))
            elif tag[:1].isalpha() and tag not in _REMOVED:
                # Only a few renderers read attributes; copying them all would cost time.
                attrs = dict(child.attributes) if tag in _ATTRIBUTE_TAGS else None
                node = _Node(tag, attrs=attrs)
                dst.append(node)
                stack.append((child, node, depth + 1))
            child = child.next
    return root


# ---------------------------------------------------------------- tree rewrites


def _index(node: _Node) -> int:
    """Return the node's position among its siblings."""
    assert node.parent is not None
    for i, kid in enumerate(node.parent.kids):
        if kid is node:
            return i
    raise ValueError("node is not among its parent's children")  # pragma: no cover


def _detach(node: _Node) -> None:
    """Remove a node from its parent."""
    assert node.parent is not None
    del node.parent.kids[_index(node)]
    node.parent = None


def _next_after(node: _Node, boundary: _Node | None) -> _Node | None:
    """Return the node following node's subtree in document order, staying inside boundary."""
    current = node
    while current.parent is not None and current is not boundary:
        siblings = current.parent.kids
        i = _index(current)
        if i + 1 < len(siblings):
            return siblings[i + 1]
        current = current.parent
        if current is boundary:
            return None
    return None


def _rename_fake_spans(node: _Node) -> bool:
    """Rename spans that hold block elements to divs; return whether node holds a block."""
    has_block = False
    for kid in node.kids:
        if kid.tag != _TEXT and (_rename_fake_spans(kid) or kid.tag in _BLOCK):
            has_block = True
    if has_block and node.tag == "span":
        node.tag = "div"
    return has_block


def _remove_redundant(node: _Node, bold: bool, italic: bool, link: bool) -> None:
    """Unwrap bold inside bold, italic inside italic and links inside links."""
    i = 0
    while i < len(node.kids):
        kid = node.kids[i]
        tag = kid.tag
        if (bold and tag in _BOLD) or (italic and tag in _ITALIC) or (link and tag == "a"):
            for grandkid in kid.kids:
                grandkid.parent = node
            node.kids[i : i + 1] = kid.kids  # visited next, in its place
            continue
        if tag != _TEXT:
            _remove_redundant(
                kid, bold or tag in _BOLD, italic or tag in _ITALIC, link or tag == "a"
            )
        i += 1


def _next_mergeable(node: _Node) -> _Node | None:
    """Find a bold (italic) element directly after a bold (italic) one, looking into spans."""
    current, descend = node, False
    while True:
        nxt = current.kids[0] if descend and current.kids else _next_after(current, node.parent)
        if nxt is None or nxt.tag == _TEXT:
            return None
        if nxt.tag != "span":
            bold = node.tag in _BOLD
            return nxt if nxt.tag in (_BOLD if bold else _ITALIC) else None
        current, descend = nxt, True


def _merge_adjacent(node: _Node) -> None:
    """Merge directly adjacent bold (italic) elements, so that `**a****b**` becomes `**ab**`."""
    for kid in list(node.kids):
        if kid.parent is not node:
            continue  # merged into an earlier sibling
        if kid.tag in _EMPHASIS:
            while (nxt := _next_mergeable(kid)) is not None:
                for grandkid in nxt.kids:
                    kid.append(grandkid)
                nxt.kids = []
                _detach(nxt)
        if kid.tag != _TEXT:
            _merge_adjacent(kid)


def _swap_tags(node: _Node, outer: frozenset[str], inner: frozenset[str]) -> None:
    """Swap an outer element with its only (non-blank) child when their tags match the sets."""
    for kid in node.kids:
        if kid.tag == _TEXT:
            continue
        if kid.tag in outer:
            content = [k for k in kid.kids if k.tag != _TEXT or k.data.strip(_ASCII_SPACE)]
            if len(content) == 1 and content[0].tag in inner:
                only = content[0]
                kid.tag, only.tag = only.tag, kid.tag
                kid.attrs, only.attrs = only.attrs, kid.attrs
        _swap_tags(kid, outer, inner)


def _leaf_block_alternatives(node: _Node, in_leaf: bool, in_inline: bool) -> None:
    """Replace blocks nested in headings or inline elements with inline equivalents."""
    i = 0
    while i < len(node.kids):
        kid = node.kids[i]
        tag = kid.tag
        if tag != _TEXT and (in_leaf or in_inline) and tag in _NOT_INLINE:
            if tag == "hr":
                del node.kids[i]
                continue
            extra: list[_Node] = []
            if tag in _HEADINGS:
                kid.tag = "strong"
                extra = [kid, _Node("br")]
            elif tag == "blockquote":
                kid.tag = "span"
                extra = [_Node(_TEXT, ' "'), kid, _Node(_TEXT, '" ')]
            else:
                kid.tag = "code" if tag == "pre" else "span"
            for new in extra:
                new.parent = node
            if extra:
                node.kids[i : i + 1] = extra
                i = node.kids.index(kid)
        if kid.tag != _TEXT:
            leaf = in_leaf or kid.tag in _LEAF_BLOCK
            _leaf_block_alternatives(kid, leaf, in_inline or kid.tag in _INLINE)
        i += 1


def _prepare(root: _Node) -> None:
    """Apply the commonmark plugin's tree rewrites, in its order."""
    _rename_fake_spans(root)
    _remove_redundant(root, False, False, False)
    _merge_adjacent(root)
    _swap_tags(root, _EMPHASIS, frozenset({"a"}))
    _swap_tags(root, frozenset({"a"}), _HEADINGS)
    _leaf_block_alternatives(root, False, False)


# ---------------------------------------------------------------- collapsing whitespace


class _Collapse:
    """Collapse whitespace as a browser renders it (html-to-markdown's port of turndown's)."""

    __slots__ = ("keep_leading", "prev")

    def __init__(self) -> None:
        self.prev: _Node | None = None
        self.keep_leading = False

    def run(self, root: _Node) -> None:
        """Collapse the subtree, then trim the last text's trailing space."""
        if root.tag == "pre":
            return
        self.walk(root)
        if self.prev is not None:
            self.prev.data = self.prev.data.removesuffix(" ")
            if not self.prev.data:
                _detach(self.prev)

    def walk(self, node: _Node) -> None:
        """Visit the children in document order, dropping text that collapses to nothing."""
        kept: list[_Node] = []
        for kid in node.kids:
            if kid.tag != _TEXT:
                kept.append(kid)
                self.element(kid)
            elif self.text(kid):
                kept.append(kid)
        node.kids = kept

    def text(self, node: _Node) -> bool:
        """Collapse one text node; return whether anything is left of it."""
        text = _WS_RUN.sub(" ", node.data)
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

    def element(self, node: _Node) -> None:
        """Apply the element rule on entering the element and again on leaving it."""
        self.boundary(node.tag)
        # The Go walk passes through a parent again on its way back up from the last child.
        # That second pass is what ends an image's protection of the space after it.
        if node.kids and node.tag != "pre":
            self.walk(node)
            self.boundary(node.tag)

    def boundary(self, tag: str) -> None:
        """Blocks and breaks end the text run; void elements protect the next leading space."""
        if tag in _BLOCK or tag == "br":
            if self.prev is not None:
                self.prev.data = self.prev.data.removesuffix(" ")
            self.prev = None
            self.keep_leading = False
        elif tag in _VOID or tag == "pre" or tag == "code":
            self.prev = None
            self.keep_leading = True
        elif self.prev is not None:
            self.keep_leading = False


# ---------------------------------------------------------------- list end comments


def _add_list_end_comments(root: _Node) -> None:
    """Put `<!--THE END-->` between two lists that would otherwise read as one."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.tag in _LISTS and node.parent is not None and _next_is_list(node):
            comment = _Node(_COMMENT, _LIST_END)
            comment.parent = node.parent
            node.parent.kids.insert(_index(node) + 1, comment)
        stack.extend(reversed([k for k in node.kids if k.tag != _TEXT and k.tag != _COMMENT]))


def _next_is_list(node: _Node) -> bool:
    """Whether another list follows in document order before any text, item or rule."""
    current = _next_after(node, None)
    while current is not None:
        if current.tag in _LISTS:
            return True
        if current.tag in ("li", "hr", _TEXT, _COMMENT):
            return False
        current = current.kids[0] if current.kids else _next_after(current, None)
    return False


# ---------------------------------------------------------------- URLs, as Go's net/url

_ENC_PATH, _ENC_HOST, _ENC_USER, _ENC_QUERY, _ENC_FRAGMENT = range(5)
_HEX: Final = frozenset(b"0123456789abcdefABCDEF")
_ALNUM: Final = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_USERINFO: Final = _ALNUM | frozenset(b"-._:~!$&'()*+,;=%@")
_PERCENT_REPLACER: Final = str.maketrans(
    {" ": "%20", "[": "%5B", "]": "%5D", "(": "%28", ")": "%29", "<": "%3C", ">": "%3E"}
)


def _should_escape(c: int, mode: int) -> bool:
    """Go's url.shouldEscape."""
    if c in _ALNUM or c in b"-_.~":
        return False
    if mode == _ENC_HOST and c in b"!$&'()*+,;=:[]<>\"":
        return False
    if c in b"$&+,/:;=?@":
        if mode == _ENC_PATH:
            return c == 0x3F
        if mode == _ENC_USER:
            return c in b"@/?:"
        return mode != _ENC_FRAGMENT
    return not (mode == _ENC_FRAGMENT and c in b"!()*")


def _escape(s: bytes, mode: int) -> bytes:
    """Go's url.escape."""
    out = bytearray()
    for c in s:
        if not _should_escape(c, mode):
            out.append(c)
        elif c == 0x20 and mode == _ENC_QUERY:
            out.append(0x2B)
        else:
            out += b"%%%02X" % c
    return bytes(out)


def _unescape(s: bytes, mode: int) -> bytes | None:
    """Go's url.unescape; None where Go returns an error."""
    out = bytearray()
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == 0x25:
            if i + 2 >= n or s[i + 1] not in _HEX or s[i + 2] not in _HEX:
                return None
            value = int(s[i + 1 : i + 3], 16)
            if mode == _ENC_HOST and value < 0x80 and value != 0x25:
                return None
            out.append(value)
            i += 3
            continue
        if mode == _ENC_HOST and c < 0x80 and _should_escape(c, mode):
            return None
        out.append(0x20 if c == 0x2B and mode == _ENC_QUERY else c)
        i += 1
    return bytes(out)


def _escaped_form(raw: bytes, decoded: bytes, mode: int) -> bytes:
    """Go's EscapedPath and EscapedFragment: the form as written if valid, else re-escaped."""
    valid = all(c in b"!$&'()*+,;=:@[]%" or not _should_escape(c, mode) for c in raw)
    if valid and _unescape(raw, mode) == decoded:
        return raw
    return _escape(decoded, mode)


def _encode_query(raw: bytes) -> bytes:
    """html-to-markdown's ParseAndEncodeQuery: re-encode keys and values, keeping their order."""

    def recode(part: bytes) -> bytes:
        decoded = _unescape(part, _ENC_QUERY)
        return part if decoded is None else _escape(decoded, _ENC_QUERY)

    parts = []
    for part in raw.split(b"&"):
        key, equals, value = part.partition(b"=")
        parts.append(recode(key) + equals + (recode(value) if value else b""))
    # %20 rather than + so that mailto: subjects keep their spaces.
    return b"&".join(parts).replace(b"+", b"%20")


def _split_scheme(raw: bytes) -> tuple[bytes, bytes] | None:
    """Go's getScheme: the lower-cased scheme and the rest; None if the URL starts with `:`."""
    for i, c in enumerate(raw):
        if c == 0x3A:
            return None if i == 0 else (raw[:i].lower(), raw[i + 1 :])
        if not (c in _ALNUM or c in b"+-.") or (i == 0 and not chr(c).isalpha()):
            break
    return b"", raw


def _parse_authority(authority: bytes) -> tuple[bytes, bytes] | None:
    """Go's parseAuthority: escaped user info with its `@`, and the host; None if invalid."""
    userinfo, at, host = authority.rpartition(b"@")
    user = b""
    if at:
        name, colon, password = userinfo.partition(b":")
        name_raw, password_raw = _unescape(name, _ENC_USER), _unescape(password, _ENC_USER)
        if not set(userinfo) <= _USERINFO or name_raw is None or password_raw is None:
            return None
        user = _escape(name_raw, _ENC_USER)
        user += (colon + _escape(password_raw, _ENC_USER) if colon else b"") + b"@"
    if not host.startswith(b"["):
        port = host.rpartition(b":")[2] if b":" in host else b""
        if port and not port.isdigit():
            return None
    decoded = _unescape(host, _ENC_HOST)
    return None if decoded is None else (user, decoded)


def _hierarchical(scheme: bytes, rest: bytes) -> bytes | None:
    """Serialise a URL that is not opaque: `//user@host` and the path; None if invalid."""
    if not rest.startswith(b"/") and b":" in rest.partition(b"/")[0]:
        return None  # relative path whose first segment has a colon
    out = scheme + b":" if scheme else b""
    user = host = b""
    has_authority = rest.startswith(b"//") and (bool(scheme) or not rest.startswith(b"///"))
    if has_authority:
        authority, slash, path_rest = rest[2:].partition(b"/")
        rest = slash + path_rest
        parsed = _parse_authority(authority)
        if parsed is None:
            return None
        user, host = parsed
    path = _unescape(rest, _ENC_PATH)
    if path is None:
        return None
    escaped_path = b"*" if path == b"*" else _escaped_form(rest, path, _ENC_PATH)
    if has_authority and (host or path or user):
        out += b"//" + user + _escape(host, _ENC_HOST)
    if escaped_path and not escaped_path.startswith(b"/") and host:
        out += b"/"
    if not out and b":" in escaped_path.partition(b"/")[0]:
        out += b"./"
    return out + escaped_path


def _go_url(raw: str) -> str | None:
    """Parse and re-serialise a URL as Go's url.Parse and URL.String do; None if invalid."""
    data = raw.encode()
    if any(c < 0x20 or c == 0x7F for c in data):
        return None
    data, _, fragment = data.partition(b"#")
    split = _split_scheme(data)
    if split is None:
        return None
    scheme, rest = split
    if scheme == b"data":
        return raw
    # A lone trailing `?` is kept (Go's ForceQuery); otherwise the query starts at the first.
    force_query = rest.endswith(b"?") and rest.count(b"?") == 1
    if force_query:
        rest, query = rest[:-1], b""
    else:
        rest, _, query = rest.partition(b"?")
    if scheme and not rest.startswith(b"/"):
        out: bytes | None = scheme + b":" + rest  # opaque, e.g. mailto: — kept as written
    else:
        out = _hierarchical(scheme, rest)
    if out is None:
        return None
    query = _encode_query(query) if query else b""
    if force_query or query:
        out += b"?" + query
    if fragment:
        decoded = _unescape(fragment, _ENC_FRAGMENT)
        if decoded is None:
            return None
        out += b"#" + _escaped_form(fragment, decoded, _ENC_FRAGMENT)
    return out.decode(errors="replace")


def _assemble_url(raw: str) -> str:
    """html-to-markdown's defaultAssembleAbsoluteURL, without a base domain."""
    raw = raw.strip(_SPACE)
    if raw == "#":
        return raw
    raw = raw.replace("\n", "%0A").replace("\t", "%09")
    parsed = _go_url(raw)
    return (raw if parsed is None else parsed).translate(_PERCENT_REPLACER)


# ---------------------------------------------------------------- text utilities


def _trim_newlines(s: str) -> str:
    """Keep at most two newlines in a row, and the spaces before the second."""
    return _NEWLINE_RUN.sub("\n\\1\n", s) if "\n" in s else s


def _trim_hard_breaks(s: str) -> str:
    """Drop hard line breaks (two trailing spaces) before a blank line."""
    return s.replace("  \n\n", "\n\n").replace("  \n  \n", "\n\n").replace("  \n \n", "\n\n")


def _surrounding_spaces(s: str) -> tuple[str, str, str]:
    """Split leading whitespace, content and trailing whitespace."""
    right = s.rstrip(_SPACE)
    trimmed = right.lstrip(_SPACE)
    return s[: len(right) - len(trimmed)], trimmed, s[len(right) :]


def _delimit_lines(content: str, delimiter: str) -> str:
    """Wrap every non-blank line in the delimiter, keeping its whitespace outside."""
    lines = []
    for line in content.split("\n"):
        left, trimmed, right = _surrounding_spaces(line)
        lines.append(f"{left}{delimiter}{trimmed}{delimiter}{right}" if trimmed else left + right)
    return "\n".join(lines)


def _escape_multiline(content: str) -> str:
    """Keep multi-line link text inside its link: hard breaks, and `\\` for blank lines."""
    lines = content.split("\n")
    if len(lines) == 1:
        return content
    out = []
    for i, line in enumerate(lines):
        line = line.lstrip(_SPACE)
        if not line:
            out.append("\\\n")
        elif i == len(lines) - 1:
            out.append(line)
        else:
            out.append(line + ("\n" if line.endswith("  ") else "  \n"))
    return "".join(out)


def _quote_title(title: str) -> str:
    """Quote a link or image title with the quote it does not contain."""
    if '"' in title and "'" in title:
        return '"' + title.replace('"', '\\"') + '"'
    return f"'{title}'" if '"' in title else f'"{title}"'


# ---------------------------------------------------------------- resolving escapes
#
# Each check gets the text with placeholders and the index of a special character; it returns
# -1 when the character is harmless there, else how far to skip (a `###` is escaped once).


def _at_line_start(s: str, i: int, digits: bool = False) -> bool:
    """Whether only spaces and placeholders (and digits, if asked) precede i on its line."""
    j = i - 1
    while j >= 0:
        c = s[j]
        if c == "\n":
            return True
        if c != " " and c != _P and not (digits and "0" <= c <= "9"):
            return False
        j -= 1
    return True


def _next_char(s: str, i: int) -> str:
    """The next character after i that is not a placeholder, or "" at the end."""
    j = i + 1
    while j < len(s) and s[j] == _P:
        j += 1
    return s[j : j + 1]


def _is_emphasis(s: str, i: int) -> int:
    """`*` or `_` followed by a non-space could open emphasis."""
    nxt = _next_char(s, i)
    return 1 if nxt and nxt not in _SPACE else -1


def _is_block_quote(s: str, i: int) -> int:
    """`>` at the start of a line."""
    return 1 if _at_line_start(s, i) else -1


def _is_atx_heading(s: str, i: int) -> int:
    """One to six `#` at the start of a line, then whitespace or the end."""
    if not _at_line_start(s, i):
        return -1
    count = 1
    for j in range(i + 1, len(s)):
        c = s[j]
        if c == "#":
            count += 1
            if count > 6:
                return -1
        elif c in " \t\n\r":
            return j - i
        elif c != _P:
            return -1
    return 1


def _is_setext_underline(s: str, i: int) -> int:
    """`=` or `-` opening the line right below a line of text."""
    newlines = 0
    for j in range(i - 1, -1, -1):
        c = s[j]
        if c == "\n":
            newlines += 1
        elif c != _P and c != " ":
            return 1 if newlines == 1 else -1
    return -1


def _is_divider(s: str, i: int) -> int:
    """Three or more of one of `-`, `_`, `*` alone on a line."""
    if not _at_line_start(s, i):
        return -1
    count, end = 1, len(s)
    for j in range(i + 1, len(s)):
        c = s[j]
        if c == s[i]:
            count += 1
        elif c == "\n":
            end = j
            break
        elif c != _P and c != " ":
            return -1
    return end - i if count >= 3 else -1


def _is_ordered_list(s: str, i: int) -> int:
    """Digits and `.` or `)` at the start of a line, then a space or the end."""
    j = i - 1
    while j >= 0 and s[j] == _P:
        j -= 1
    if j < 0 or not "0" <= s[j] <= "9" or not _at_line_start(s, i, digits=True):
        return -1
    nxt = _next_char(s, i)
    return 1 if not nxt or nxt in _BYTE_SPACE else -1


def _is_bullet(s: str, i: int) -> int:
    """`-`, `*` or `+` at the start of a line, then a space or the end."""
    if not _at_line_start(s, i):
        return -1
    nxt = _next_char(s, i)
    return 1 if not nxt or nxt in _BYTE_SPACE else -1


def _is_link_bracket(s: str, i: int) -> int:
    """`![`, or a `[` with a `]` after it on the same line."""
    if s[i] == "!":
        return 1 if s[i + 1 : i + 2] == "[" else -1
    close = s.find("]", i + 1)
    newline = s.find("\n", i + 1)
    return 1 if close != -1 and (newline == -1 or close < newline) else -1


def _is_code_fence(s: str, i: int) -> int:
    """Three or more backticks or tildes at the start of a line."""
    if not _at_line_start(s, i):
        return -1
    count, j = 1, i + 1
    while j < len(s) and (s[j] in "`~" or s[j] == _P):
        count += s[j] != _P
        j += 1
    return j - i if count >= 3 else -1


def _always(s: str, i: int) -> int:
    """Backticks and backslashes are always escaped."""
    return 1


_Check = Callable[[str, int], int]
# The checks for each character, in the order the commonmark plugin registers them.
_CHECKS: Final[dict[str, tuple[_Check, ...]]] = {
    "*": (_is_emphasis, _is_divider, _is_bullet),
    "_": (_is_emphasis, _is_divider),
    ">": (_is_block_quote,),
    "#": (_is_atx_heading,),
    "=": (_is_setext_underline,),
    "-": (_is_setext_underline, _is_divider, _is_bullet),
    ".": (_is_ordered_list,),
    ")": (_is_ordered_list,),
    "+": (_is_bullet,),
    "!": (_is_link_bracket,),
    "[": (_is_link_bracket,),
    "`": (_is_code_fence, _always),
    "~": (_is_code_fence,),
    "\\": (_always,),
}


def _resolve_escapes(s: str) -> str:
    """Turn each placeholder into a backslash where its character means Markdown, else drop it."""
    pos = s.find(_P)
    if pos == -1:
        return s
    out: list[str] = []
    start = skip_until = 0
    while pos != -1:
        out.append(s[start:pos])
        start = pos + 1
        if pos >= skip_until and start < len(s):
            for check in _CHECKS.get(s[start], ()):
                skip = check(s, start)
                if skip != -1:
                    out.append("\\")
                    skip_until = pos + skip
                    break
        pos = s.find(_P, start)
    out.append(s[start:])
    return "".join(out)


# ---------------------------------------------------------------- rendering


def _render_kids(node: _Node, in_link: bool) -> str:
    """Render all children of a node."""
    return "".join([_render(kid, in_link) for kid in node.kids])


def _render(node: _Node, in_link: bool) -> str:
    """Render one node: text, a known element, or a generic inline or block element."""
    tag = node.tag
    if tag == _TEXT:
        text = node.data.translate(_TEXT_ESCAPES)
        # Inside link text a `]` would end the link early, so it is always escaped.
        return text.replace(_P + "]", "\\]") if in_link else text
    renderer = _RENDERERS.get(tag)
    if renderer is not None:
        return renderer(node, in_link)
    if tag in _BLOCK:
        return "\n\n" + _render_kids(node, in_link) + "\n\n"
    return _render_kids(node, in_link)


def _render_comment(node: _Node, in_link: bool) -> str:
    """The marker between two lists (the only comment left)."""
    return "\n\n<!--THE END-->\n\n" if node.data == _LIST_END else ""


def _render_emphasis(node: _Node, in_link: bool) -> str:
    """Bold or italic, delimited on every line: a delimiter cannot span lines."""
    delimiter = "**" if node.tag in _BOLD else "*"
    return _delimit_lines(_render_kids(node, in_link), delimiter)


def _render_hr(node: _Node, in_link: bool) -> str:
    """A thematic break."""
    return "\n\n* * *\n\n"


def _render_br(node: _Node, in_link: bool) -> str:
    """A hard line break; breaks before a blank line are trimmed later."""
    return "  \n"


def _list_prefixes(node: _Node, count: int) -> list[str]:
    """The item markers: `- `, or numbers zero-padded to the width of the last one."""
    if node.tag == "ul":
        return ["- "] * count
    start_attr = node.attr("start").strip()
    start = int(start_attr) if _INTEGER.fullmatch(start_attr) else 1
    width = len(str(start + count - 1))
    return [f"{number:0{width}d}. " for number in range(start, start + count)]


def _render_list(node: _Node, in_link: bool) -> str:
    """A list; each item's escapes are resolved on its own, its later lines indented."""
    items = [content for kid in node.kids if (content := _render(kid, in_link).strip(_SPACE))]
    if not items:
        return ""
    lines = []
    for prefix, item in zip(_list_prefixes(node, len(items)), items, strict=True):
        item = _resolve_escapes(_trim_hard_breaks(_trim_newlines(item)))
        lines.append(prefix + item.replace("\n", "\n" + " " * len(prefix)))
    return "\n\n" + "\n".join(lines) + "\n\n"


def _render_blockquote(node: _Node, in_link: bool) -> str:
    """A block quote, every line prefixed with `> `."""
    content = _render_kids(node, in_link).strip(_SPACE)
    if not content:
        return ""
    content = _trim_hard_breaks(_trim_newlines(content))
    return "\n\n> " + content.replace("\n", "\n> ") + "\n\n"


def _render_heading(node: _Node, in_link: bool) -> str:
    """An ATX heading, on one line."""
    content = _render_kids(node, in_link)
    if not content.strip(_SPACE):
        return ""
    content = _MULTI_SPACE.sub(" ", content.replace("\n", " ").replace("\r", " "))
    content = content.strip(_SPACE)
    # A `#` at the end would be read as a closing sequence, so it is always escaped.
    if content.endswith(_P + "#") and content[-3:-2] != "\\":
        content = content[:-2] + "\\#"
    return "\n\n" + "#" * int(node.tag[1]) + " " + content + "\n\n"


def _render_image(node: _Node, in_link: bool) -> str:
    """An image; without a src, nothing."""
    src = node.attr("src").strip(_SPACE)
    if not src:
        return ""
    alt = _ALT_BRACKET.sub(r"\\\1", node.attr("alt").replace("\n", " "))
    title = node.attr("title").replace("\n", " ")
    suffix = " " + _quote_title(title) if title else ""
    return f"![{alt}]({_assemble_url(src)}{suffix})"


def _render_link(node: _Node, in_link: bool) -> str:
    """An inline link; whitespace at the edges of its text moves outside the brackets."""
    href = _assemble_url(node.attr("href"))
    title = node.attr("title").replace("\n", " ")
    content = _render_kids(node, True)
    if not content.strip(_SPACE):
        content = title
    if not href:
        title = ""  # `[text]()` is a valid link, but not with a title
    left, trimmed, right = _surrounding_spaces(content)
    trimmed = _escape_multiline(_trim_newlines(trimmed))
    suffix = " " + _quote_title(title) if title else ""
    return f"{left}[{trimmed}]({href}{suffix}){right}"


def _code_text(node: _Node) -> tuple[str, str]:
    """The raw text of a code element (`<br>` and `<div>` as newlines) and its language."""
    parts: list[str] = []
    language = ""

    def visit(element: _Node) -> None:
        nonlocal language
        if not language and element.tag in ("code", "pre"):
            for name in element.attr("class").split():
                if "language-" in name or "lang-" in name:
                    language = name.replace("language-", "", 1).replace("lang-", "", 1)
                    break
        for kid in element.kids:
            if kid.tag == _TEXT:
                parts.append(kid.data)
                continue
            if kid.tag in ("br", "div"):
                parts.append("\n")
            visit(kid)

    visit(node)
    return "".join(parts), language


def _fence(content: str, minimum: int) -> str:
    """A backtick fence longer than any run of backticks in the content."""
    longest = max((len(run) for run in _BACKTICKS.findall(content)), default=0)
    return "`" * max(minimum, longest + 1)


def _render_inline_code(node: _Node, in_link: bool) -> str:
    """Inline code, its whitespace collapsed (unless it is only spaces)."""
    content = _code_text(node)[0]
    if not content:
        return ""
    if not content.strip(_SPACE):
        return f"`{content}`"
    content = content.replace("\n", " ").replace("\t", " ")
    content = _MULTI_SPACE.sub(" ", content).strip(_SPACE)
    fence = _fence(content, 1)
    content = (" " if content[0] == "`" else "") + content + (" " if content[-1] == "`" else "")
    return fence + content + fence


def _render_pre(node: _Node, in_link: bool) -> str:
    """A fenced code block, its content kept as it is."""
    content, language = _code_text(node)
    content = content.removesuffix("\n")
    fence = _fence(content, 3)
    content = content.replace("\n", _CODE_NEWLINE)
    return f"\n\n{fence}{language}\n{content}\n{fence}\n\n"


# ---------------------------------------------------------------- tables (GFM, our addition)


def _table_rows(table: _Node) -> list[_Node]:
    """The table's rows: those of the head first, then the others in document order."""
    head: list[_Node] = []
    body: list[_Node] = []
    for kid in table.kids:
        if kid.tag == "tr":
            body.append(kid)
        elif kid.tag in ("thead", "tbody", "tfoot"):
            rows = [row for row in kid.kids if row.tag == "tr"]
            (head if kid.tag == "thead" else body).extend(rows)
    return head + body


def _cell_text(cell: _Node) -> str:
    """A cell's content on one line."""
    content = _render_kids(cell, False).replace("  \n", " ").replace("\n", " ")
    # A cell holds inline content only, so markers that start a block need no escape there:
    # resolve the escapes as if the content continued a line.
    content = _resolve_escapes("x" + content)[1:]
    return _WS_RUN.sub(" ", content).strip(_SPACE)


def _in_cell(node: _Node) -> bool:
    """Whether a node sits inside a table cell."""
    parent = node.parent
    while parent is not None:
        if parent.tag in _CELLS:
            return True
        parent = parent.parent
    return False


def _render_table(node: _Node, in_link: bool) -> str:
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
    title = _render_kids(caption, False).strip(_SPACE) if caption else ""
    return ("\n\n" + title if title else "") + "\n\n" + "\n".join(lines) + "\n\n"


_Renderer = Callable[[_Node, bool], str]
_RENDERERS: Final[dict[str, _Renderer]] = {
    _COMMENT: _render_comment,
    "hr": _render_hr,
    "br": _render_br,
    "ul": _render_list,
    "ol": _render_list,
    "pre": _render_pre,
    "blockquote": _render_blockquote,
    "img": _render_image,
    "a": _render_link,
    "table": _render_table,
    **dict.fromkeys(_EMPHASIS, _render_emphasis),
    **dict.fromkeys(_CODE, _render_inline_code),
    **dict.fromkeys(_HEADINGS, _render_heading),
}


# ---------------------------------------------------------------- public API


def node_to_markdown(node: LexborNode) -> str:
    """Convert the children of an element (the body div) to Markdown, no trailing newline."""
    root = _build(node)
    _prepare(root)
    _Collapse().run(root)
    _add_list_end_comments(root)
    content = _render_kids(root, False).strip(_SPACE)
    content = _resolve_escapes(_trim_hard_breaks(_trim_newlines(content)))
    return content.replace(_CODE_NEWLINE, "\n")


def html_to_markdown(html: str) -> str:
    """Parse an HTML fragment and convert it."""
    body = LexborHTMLParser(html).body
    return "" if body is None else node_to_markdown(body)
