"""Archive files as text: write a `Release` byte for byte, read one back.

The layout (see ``archive-format.md``, "File bytes")::

    ---
    title: "<title, quoted as Go's strconv.Quote does>"
    date: YYYY-MM-DD
    url: <url>
    ministers:
      - <item>
    portfolios:
      - <item>
    attachments:
      - <item>
    ---

    <body>

A list key is left out when its list is empty; there is no newline after the body.
`url` and list items are written plain unless a YAML reader would read the plain text
back as something else (a mapping, a number, a boolean, null, a date, a flow list, a
comment, ...): then they are double-quoted with the title's escaping.

Reading has two paths:

* a fast reader that accepts exactly the canonical layout above, line by line, and
  interprets every line the way a YAML parser would;
* for anything else, a tolerant YAML reader: `ArchiveYAMLHandler`, a python-frontmatter
  handler that splits the front matter off and composes it with PyYAML (libyaml's
  ``CSafeLoader`` when available). It repairs the old archive's faults: a list item that
  YAML reads as a mapping (``Māori Crown Relations: Te Arawhiti``) becomes its original
  text, a nested list is flattened, and a number or date in a list becomes its text as
  written. A file read this way is never canonical, so ``scraper format`` rewrites it.

A byte-order mark at the start and CRLF line ends are tolerated on reading (the text is
read as if they were not there) and make the file non-canonical. The body has no leading or
trailing newlines: they are dropped on reading and never written (so a file with a final
newline, or two blank lines after the front matter, is not canonical).

Everything here is pure: strings in, strings out.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterator
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler

from scraper.errors import DocumentError
from scraper.models import Release

__all__ = [
    "ArchiveYAMLHandler",
    "decode",
    "dumps",
    "error_reason",
    "go_quote",
    "is_canonical",
    "loads",
]

_YAMLLoader: type[yaml.CSafeLoader] | type[yaml.SafeLoader]
try:
    _YAMLLoader = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _YAMLLoader = yaml.SafeLoader

_LIST_KEYS = ("ministers", "portfolios", "attachments")
_KEYS = ("title", "date", "url", *_LIST_KEYS)

#: The most items one list may hold once nested lists are flattened (guards against
#: YAML alias bombs in a hand-edited file).
_MAX_ITEMS = 10_000


# ---------------------------------------------------------------------------
# Go's strconv.Quote
# ---------------------------------------------------------------------------

_SIMPLE_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    '"': '\\"',
    "\\": "\\\\",
}


def go_quote(s: str) -> str:
    """Quote `s` exactly as Go's ``strconv.Quote`` does.

    ``"`` and ``\\`` are backslashed; ``\\a \\b \\f \\n \\r \\t \\v`` are used for those
    characters; every printable character (Unicode categories L, M, N, P, S and U+0020,
    which is precisely what `str.isprintable` accepts) is written as itself; everything
    else is ``\\xHH`` below U+0020 and for U+007F, ``\\uHHHH`` up to U+FFFF and
    ``\\UHHHHHHHH`` above, in lower-case hex. A lone surrogate (which a Go string cannot
    hold) is written as ``\\uHHHH`` too, so that it reads back as itself.

    The printable test uses Python's Unicode database (14.0 in Python 3.11; Go 1.21+ uses
    15.0), so a character first assigned in Unicode 15 is escaped here but not by Go.
    """
    if s.isprintable() and '"' not in s and "\\" not in s:
        return f'"{s}"'
    out = ['"']
    for ch in s:
        esc = _SIMPLE_ESCAPES.get(ch)
        if esc is not None:
            out.append(esc)
        elif ch.isprintable():
            out.append(ch)
        else:
            cp = ord(ch)
            if cp < 0x20 or cp == 0x7F:
                out.append(f"\\x{cp:02x}")
            elif cp < 0x10000:
                out.append(f"\\u{cp:04x}")
            else:
                out.append(f"\\U{cp:08x}")
    out.append('"')
    return "".join(out)


_GO_ESCAPE = re.compile(r'\\(?:x([0-9a-f]{2})|u([0-9a-f]{4})|U([0-9a-f]{8})|([abfnrtv"\\]))')
_GO_UNESCAPE = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _go_unescape(m: re.Match[str]) -> str:
    hexa = m.group(1) or m.group(2) or m.group(3)
    if hexa is not None:
        return chr(int(hexa, 16))  # ValueError above U+10FFFF: caught by the caller
    ch = m.group(4)
    return _GO_UNESCAPE.get(ch, ch)


def _unquote_canonical(raw: str) -> str | None:
    """The string `raw` quotes if `raw` is exactly ``go_quote`` of it, else None."""
    if len(raw) < 2 or raw[0] != '"' or raw[-1] != '"':
        return None
    inner = raw[1:-1]
    if "\\" in inner:
        try:
            inner = _GO_ESCAPE.sub(_go_unescape, inner)
        except ValueError:
            return None
    return inner if go_quote(inner) == raw else None


# ---------------------------------------------------------------------------
# Plain or quoted
# ---------------------------------------------------------------------------

# A first character that starts something other than a plain scalar (or might, in some
# YAML version or parser), or a space.
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@` ")
# Scalars a YAML 1.2 reader (unlike PyYAML's 1.1 rules) may take for a non-string:
# 1.2 core-schema numbers (``0o17``, ``1e3``), and 1.1's ``y``/``n`` booleans.
_YAML12_NON_STRINGS = re.compile(
    r"[-+]?(?:0o[0-7_]+|0x[0-9a-fA-F_]+|(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)"
    r"(?:[eE][-+]?[0-9]+)?)|[yYnN]"
)
_RESOLVER = yaml.resolver.Resolver()
# An http(s) URL of characters a URL allows, without "#" (a comment after a space) and
# spaces: a YAML plain scalar that every reader takes for that very string.
_URL_LIKE = re.compile(r"https?://[A-Za-z0-9\-._~%/!$&'()*+,;=:@?]*[A-Za-z0-9\-._~%/!$&'()*+,;=@?]")


@functools.lru_cache(maxsize=65536)
def _plain_ok(s: str) -> bool:
    """True when `s` may be written as a plain YAML scalar in ``  - <s>`` or ``url: <s>``.

    Plain only when all of these hold (each is cheap; the result is cached):

    * not empty, every character printable (no tab, newline, no-break space, ...);
    * not starting with a YAML indicator or a space, not ending with a space;
    * no ``: `` or ``' #'`` inside, not ending with ``:``;
    * PyYAML resolves it as a string (not bool, null, int, float, date, merge ``<<``,
      value ``=``) and neither does a YAML 1.2 reader (``0o17``, ``y``, ``n``);
    * and PyYAML really reads ``- <s>`` back as ``[s]``.
    """
    if not s or not s.isprintable() or s[0] in _INDICATORS or s[-1] == " ":
        return False
    if ": " in s or " #" in s or s[-1] == ":":
        return False
    if _URL_LIKE.fullmatch(s):
        return True  # every url and attachment: plain for any YAML reader, so skip the parse
    tag = _RESOLVER.resolve(yaml.ScalarNode, s, (True, False))  # type: ignore[no-untyped-call]
    if tag != "tag:yaml.org,2002:str":
        return False
    if _YAML12_NON_STRINGS.fullmatch(s):
        return False
    try:
        return bool(yaml.load(f"- {s}\n", Loader=_YAMLLoader) == [s])
    except yaml.YAMLError:
        return False


def _scalar(s: str) -> str:
    """`s` as the value of ``url:`` or a list item: plain when safe, else quoted."""
    return s if _plain_ok(s) else go_quote(s)


def _read_scalar(raw: str) -> str | None:
    """The string a canonical ``url:`` value or list item `raw` stands for, else None."""
    if raw[:1] == '"':
        s = _unquote_canonical(raw)
        return s if s is not None and not _plain_ok(s) else None
    return raw if _plain_ok(raw) else None


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def dumps(release: Release) -> str:
    """The exact text of the archive file for `release`.

    Leading and trailing newlines of the body are not written (the archive's files have
    exactly one blank line after the front matter, and no newline at the end).
    """
    d = release.date
    parts = [
        "---\ntitle: ",
        go_quote(release.title),
        f"\ndate: {d.year:04d}-{d.month:02d}-{d.day:02d}\nurl: ",
        _scalar(release.url),
        "\n",
    ]
    for key, items in zip(
        _LIST_KEYS,
        (release.ministers, release.portfolios, release.attachments),
        strict=True,
    ):
        if items:
            parts.append(f"{key}:\n")
            for item in items:
                parts += ("  - ", _scalar(item), "\n")
    parts += ("---\n\n", release.body.strip("\n"))
    return "".join(parts)


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


class _Invalid(Exception):
    """A reason why a text is not a readable archive file (wrapped in DocumentError)."""


_FAST_DATE = re.compile(r"date: ([0-9]{4})-([0-9]{2})-([0-9]{2})")


def _fast_read(text: str) -> Release | None:
    """Read `text` if its front matter is in exactly the canonical layout, else None."""
    if not text.startswith("---\n"):
        return None
    end = text.find("\n---\n", 3)
    if end < 4:
        return None
    if text[end + 5 : end + 6] != "\n":
        return None
    lines = text[4:end].split("\n")
    n = len(lines)
    if n < 3 or not lines[0].startswith("title: "):
        return None
    title = _unquote_canonical(lines[0][7:])
    m = _FAST_DATE.fullmatch(lines[1])
    if title is None or m is None or not lines[2].startswith("url: "):
        return None
    url = _read_scalar(lines[2][5:])
    if url is None:
        return None
    try:
        date = dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None
    lists: list[tuple[str, ...]] = []
    i = 3
    for key in _LIST_KEYS:
        items: list[str] = []
        if i < n and lines[i] == key + ":":
            i += 1
            while i < n and lines[i].startswith("  - "):
                item = _read_scalar(lines[i][4:])
                if item is None:
                    return None
                items.append(item)
                i += 1
            if not items:
                return None
        lists.append(tuple(items))
    if i != n:
        return None
    return Release(
        title=title,
        date=date,
        url=url,
        ministers=lists[0],
        portfolios=lists[1],
        attachments=lists[2],
        body=text[end + 6 :].strip("\n"),
    )


_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")


class ArchiveYAMLHandler(YAMLHandler):
    """A python-frontmatter handler for archive files that are not in canonical layout.

    `split` cuts at the first two ``---`` lines and keeps the body exactly (less the one
    blank line after the closing ``---``); `load` composes the YAML (no object
    construction) and turns the node graph into plain data, tolerating the old archive's
    faults: ``{"title": str, "date": str, "url": str, "ministers": tuple[str, ...], ...}``
    where every scalar is its text (a number or date as written), a mapping used as a list
    item is its original text, and nested lists are flattened. Raises `yaml.YAMLError`
    for broken YAML and `ValueError` for front matter of the wrong shape.
    """

    FM_BOUNDARY = re.compile(r"^---[ \t]*$", re.MULTILINE)

    def split(self, text: str) -> tuple[str, str]:
        assert self.FM_BOUNDARY is not None
        opening = self.FM_BOUNDARY.match(text)
        if opening is None:
            raise ValueError("no front matter: the file must start with a '---' line")
        closing = self.FM_BOUNDARY.search(text, opening.end())
        if closing is None:
            raise ValueError("the front matter is not closed by a '---' line")
        fm = text[opening.end() + 1 : closing.start()]
        content = text[closing.end() + 1 :]
        if content.startswith("\n"):
            content = content[1:]
        return fm, content

    def load(self, fm: str, **kwargs: object) -> dict[str, Any]:
        try:
            root = yaml.compose(fm, Loader=_YAMLLoader)
        except (yaml.YAMLError, UnicodeEncodeError):
            # libyaml refuses what PyYAML's own parser takes (``\ud800`` escapes, which
            # `go_quote` writes for lone surrogates), and cannot encode a lone surrogate:
            # ask the pure-Python parser, whose error (if any) is then the one reported.
            root = yaml.compose(fm, Loader=yaml.SafeLoader)
        if root is None:
            raise ValueError("the front matter is empty")
        if not isinstance(root, yaml.MappingNode):
            raise ValueError("the front matter is not a YAML mapping of keys to values")
        out: dict[str, Any] = {}
        for key_node, value_node in root.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key not in _KEYS:
                raise ValueError(
                    f"unknown key {_describe(fm, key_node)!r} in the front matter "
                    f"(expected {', '.join(_KEYS)})"
                )
            if key in out:
                raise ValueError(f"key {key!r} appears twice in the front matter")
            if key in _LIST_KEYS:
                out[key] = _list_value(fm, key, value_node)
            elif isinstance(value_node, yaml.ScalarNode):
                if value_node.tag == "tag:yaml.org,2002:null" and not value_node.value:
                    raise ValueError(f"{key!r} is empty")
                out[key] = value_node.value
            else:
                raise ValueError(f"{key!r} must be a single value, not a list or mapping")
        return out


def _describe(source: str, node: yaml.Node) -> str:
    """The source text of `node`, on one line (its original text when it was misread)."""
    raw = source[node.start_mark.index : node.end_mark.index]
    return " ".join(line.strip() for line in raw.strip().splitlines())


def _item_text(source: str, node: yaml.Node) -> str:
    """What a list item meant, as the old exporter (which wrote every item plain) wrote it.

    YAML misreads some of its plain text: `a: b` as a mapping, `[text]` as a flow list,
    `"text"` as a string without its quotes. The item is that text as written. A quoted
    item that needs its quotes is this tool's own quoting, read as YAML reads it.
    """
    if isinstance(node, yaml.ScalarNode) and (node.style != '"' or not _plain_ok(node.value)):
        return str(node.value)
    return _describe(source, node)


def _list_value(source: str, key: str, node: yaml.Node) -> tuple[str, ...]:
    if isinstance(node, yaml.ScalarNode):
        if node.tag == "tag:yaml.org,2002:null" and not node.value:
            return ()
        return (node.value,)
    if isinstance(node, yaml.MappingNode):
        raise ValueError(f"{key!r} must be a list, not a mapping")
    items: list[str] = []
    stack: list[Iterator[yaml.Node]] = [iter(node.value)]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
        elif isinstance(child, yaml.SequenceNode) and not child.flow_style:
            stack.append(iter(child.value))
        else:
            items.append(_item_text(source, child))
            if len(items) > _MAX_ITEMS:
                raise ValueError(f"{key!r} has more than {_MAX_ITEMS} items")
    return tuple(items)


_HANDLER = ArchiveYAMLHandler()


def _slow_read(text: str) -> Release:
    """Read a text that is not in canonical layout, through `ArchiveYAMLHandler`."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if text.startswith("---\r\n"):
        text = text.replace("\r\n", "\n")
    if not _HANDLER.detect(text):
        raise _Invalid("no front matter: the file must start with a '---' line")
    try:
        fm, body = _HANDLER.split(text)
        data = _HANDLER.load(fm)
    except yaml.MarkedYAMLError as e:
        where = ""
        if e.problem_mark is not None:
            where = f" at line {e.problem_mark.line + 2}, column {e.problem_mark.column + 1}"
        raise _Invalid(f"broken YAML in the front matter: {e.problem or e.context}{where}") from e
    except yaml.YAMLError as e:  # a ReaderError: a character YAML does not allow
        message = " ".join(str(e).replace(' in "<unicode string>",', "").split())
        raise _Invalid(f"broken YAML in the front matter: {message}") from e
    except RecursionError as e:
        raise _Invalid("broken YAML in the front matter: nested too deeply") from e
    except ValueError as e:
        raise _Invalid(str(e)) from e
    missing = [key for key in ("title", "date", "url") if key not in data]
    if missing:
        raise _Invalid(f"the front matter has no {', '.join(missing)}")
    m = _DATE.fullmatch(data["date"])
    if m is None:
        raise _Invalid(f"date {data['date']!r} is not a YYYY-MM-DD date")
    try:
        date = dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError as e:
        raise _Invalid(f"date {data['date']!r} is not a valid date: {e}") from e
    return Release(
        title=data["title"],
        date=date,
        url=data["url"],
        ministers=data.get("ministers", ()),
        portfolios=data.get("portfolios", ()),
        attachments=data.get("attachments", ()),
        body=body.strip("\n"),
    )


_HINT = "; fix the file by hand (see archive-format.md), then run `scraper format` on it"


def loads(text: str, source: str = "<text>") -> Release:
    """Read the text of an archive file.

    Raises `DocumentError` ``"<source>: <reason>; fix ..."`` when there is no front matter,
    the YAML is broken, or title, date or url is missing or malformed.
    """
    release = _fast_read(text)
    if release is not None:
        return release
    try:
        return _slow_read(text)
    except _Invalid as e:
        raise DocumentError(f"{source}: {e}{_HINT}") from e


def is_canonical(text: str, source: str = "<text>") -> bool:
    """True when `text` is exactly what `dumps` writes for it. Raises `DocumentError`."""
    return dumps(loads(text, source)) == text


def decode(data: bytes, source: str = "<bytes>") -> str:
    """Decode a file's bytes as strict UTF-8 (a BOM is kept, and makes it non-canonical)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        bad = data[e.start : e.start + 1].hex()
        raise DocumentError(f"{source}: not UTF-8 (byte 0x{bad} at offset {e.start}){_HINT}") from e


def error_reason(error: DocumentError, source: str) -> str:
    """The reason in a `DocumentError` raised for `source`, without source prefix and hint."""
    message = str(error).removesuffix(_HINT)
    return message.removeprefix(f"{source}: ")
