"""Limits on a page before and while it is parsed, so a hostile page cannot hang a run.

A page is checked before the HTML parser sees it: its size, then how deeply its tags nest
(by a scan of its tags that builds no tree: the parser's own cost grows with the square of
the depth). While it is read, the stages check a per-page time budget. Each refusal is a
ParseError naming the page and the limit, so the run reports that page and goes on.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Final

from scraper.errors import ParseError

#: The largest page read, in characters. Real pages are some 50-150 KB (the archive's longest
#: body is 97 KB of Markdown); the converter takes seconds per MiB, so this bounds its time.
MAX_PAGE_CHARS: Final = 2 * 1024 * 1024
#: The deepest nesting of elements read. Real pages nest about 20 deep.
MAX_DEPTH: Final = 512
#: The longest title kept. The archive's longest of 55,167 is 202 characters; 1,000 is five
#: times that. A longer one is no heading (the selector caught something else): refused.
MAX_TITLE_CHARS: Final = 1000
#: Seconds one page may take to read. A real page takes a few hundredths of a second.
TIME_BUDGET: Final = 10.0

_ADVICE: Final = "it is not a page as the site serves them: nothing was written for it"

# A comment, or a start or end tag (its name in group 2, a slash in group 1 for an end tag).
_TAG: Final = re.compile(r"<(?:!--|(/?)([A-Za-z][^\t\n\f\r />]*))")
_VOID: Final = frozenset(
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta",
        "param", "source", "track", "wbr", "basefont", "bgsound", "frame", "image",
    }
)  # fmt: skip
# Elements whose content is text up to their end tag: tags inside are no elements.
_RAW_TEXT: Final = frozenset(
    {"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"}
)
# A start tag that ends an open element of these names (when near the top of the open ones):
# `<li>` after `<li>`, `<p>` after `<p>`. Looking only near the top keeps the scan linear; it
# can only count deeper than the parser builds, never shallower.
_CLOSES: Final[dict[str, frozenset[str]]] = {
    "p": frozenset({"p"}),
    "li": frozenset({"li"}),
    "dt": frozenset({"dt", "dd"}),
    "dd": frozenset({"dt", "dd"}),
    "tr": frozenset({"tr", "td", "th"}),
    "td": frozenset({"td", "th"}),
    "th": frozenset({"td", "th"}),
    "option": frozenset({"option"}),
    "a": frozenset({"a"}),
}
_NEAR_TOP: Final = 4
_CELLS: Final = frozenset({"td", "th", "caption"})
_TABLE_PARTS: Final = frozenset({"table", "tbody", "thead", "tfoot", "tr", "td", "th"})
# Elements that bound the scope in which an end tag or a peer's start tag closes anything: a
# superset of the parser's scopes, so that the scan closes less than the parser, never more.
_SCOPE: Final = frozenset(
    {
        "applet", "button", "caption", "html", "marquee", "math", "object", "ol", "select",
        "svg", "table", "td", "template", "th", "ul",
    }
)  # fmt: skip


def check_page(html: str, source: str) -> None:
    """Refuse, before parsing, a page that is too large or nests its elements too deeply."""
    if len(html) > MAX_PAGE_CHARS:
        raise ParseError(
            f"{source} is {len(html):,} characters long, more than the {MAX_PAGE_CHARS:,}"
            f" a page may have (real pages are under 300,000): {_ADVICE}"
        )
    depth = nesting_depth(html, MAX_DEPTH)
    if depth > MAX_DEPTH:
        raise ParseError(
            f"{source} nests its elements more than {MAX_DEPTH} deep (real pages nest"
            f" about 20 deep): {_ADVICE}"
        )


def check_page_bytes(size: int, source: str) -> None:
    """Refuse a page whose bytes alone are too many: UTF-8 takes at most 4 bytes a character."""
    if size > 4 * MAX_PAGE_CHARS:
        raise ParseError(
            f"{source} is {size:,} bytes long, more than a page of {MAX_PAGE_CHARS:,}"
            f" characters can be (real pages are under 300,000): {_ADVICE}"
        )


def check_title(title: str, source: str) -> None:
    """Refuse a title longer than any release's: it is no heading, and it would be written as is."""
    if len(title) > MAX_TITLE_CHARS:
        raise ParseError(
            f"{source} has a title of {len(title):,} characters, more than the"
            f" {MAX_TITLE_CHARS:,} a title may have (the archive's longest is 202; it starts"
            f" {title[:60]!r}): {_ADVICE}; report the page if the site's markup changed"
        )


def nesting_depth(html: str, stop_above: int) -> int:
    """How deeply the page's elements nest, scanning its tags; stops once past `stop_above`."""
    scan = _Scan()
    pos, end = 0, len(html)
    while pos < end:
        match = _TAG.search(html, pos)
        if match is None:
            break
        pos = match.end()
        name = (match[2] or "").lower()
        if not name:  # a comment
            close = html.find("-->", pos)
            pos = end if close == -1 else close + 3
        elif match[1]:
            scan.end_tag(name)
        elif name not in _VOID:
            scan.close_peer(name)
            if name in _RAW_TEXT:
                close_at = _raw_text_end(html, name, pos)
                pos = end if close_at == -1 else close_at
                continue  # its end tag closes nothing that was pushed
            scan.push(name)
            if scan.deepest > stop_above:
                break
    return scan.deepest


class _Scan:
    """The open elements as the scan sees them.

    It closes an element only where the parser surely does, so it never counts shallower
    than the tags as written (the parser also adds implied ones, such as a table's rows).
    """

    __slots__ = ("bounds", "deepest", "open_count", "stack")

    def __init__(self) -> None:
        self.stack: list[str] = []
        self.open_count: dict[str, int] = {}
        self.bounds: list[int] = []  # where the open scope boundaries stand in the stack
        self.deepest = 0

    def push(self, name: str) -> None:
        """Open an element."""
        if name in _SCOPE:
            self.bounds.append(len(self.stack))
        self.stack.append(name)
        self.open_count[name] = self.open_count.get(name, 0) + 1
        self.deepest = max(self.deepest, len(self.stack))

    def end_tag(self, name: str) -> None:
        """Close the nearest open `name`, unless a scope boundary stands above it."""
        stack = self.stack
        if stack and stack[-1] == name:
            self.pop_to(len(stack) - 1)
        elif self.open_count.get(name):
            at = len(stack) - 1 - stack[::-1].index(name)
            # The parser ignores an end tag whose element lies outside the current scope (a
            # `</div>` inside a table cell): closing it here would count too shallow.
            if at >= self.floor(name):
                self.pop_to(at)

    def close_peer(self, name: str) -> None:
        """A start tag ends an open peer near the top (`<li>` the `<li>` before it).

        The topmost peer closes, with the peers right below it (`<tr>` ends a cell and its row).
        """
        peers = _CLOSES.get(name)
        if peers is None:
            return
        stack, floor = self.stack, self.floor(name)
        for i in range(len(stack) - 1, max(floor, len(stack) - _NEAR_TOP) - 1, -1):
            if stack[i] in peers:
                while i > floor and stack[i - 1] in peers:
                    i -= 1
                self.pop_to(i)
                return

    def floor(self, name: str) -> int:
        """The lowest index an end or start tag of `name` may close: above any scope boundary.

        The end of a table or of a part of it, and a new cell or row, close the cells open
        inside it, as in the parser.
        """
        crossable = _CELLS if name in _TABLE_PARTS else frozenset()
        for bound in reversed(self.bounds):
            if self.stack[bound] not in crossable:
                return bound if self.stack[bound] == name else bound + 1
        return 0

    def pop_to(self, index: int) -> None:
        """Close the open element at `index` and every one above it."""
        for name in self.stack[index:]:
            self.open_count[name] -= 1
        del self.stack[index:]
        while self.bounds and self.bounds[-1] >= index:
            self.bounds.pop()


_RAW_END: Final = {name: re.compile(f"</{name}", re.IGNORECASE) for name in _RAW_TEXT}


def _raw_text_end(html: str, name: str, pos: int) -> int:
    """Where a raw-text element's end tag starts, or -1 when it has none."""
    match = _RAW_END[name].search(html, pos)
    return -1 if match is None else match.start()


@dataclass
class Budget:
    """A time budget for reading one page: stages check it, past it they raise ParseError."""

    source: str
    seconds: float = TIME_BUDGET
    clock: Callable[[], float] = time.monotonic
    deadline: float = field(init=False)

    def __post_init__(self) -> None:
        self.deadline = self.clock() + self.seconds

    def check(self, stage: str) -> None:
        """Raise ParseError, naming the page and the stage, once the budget is spent."""
        if self.clock() > self.deadline:
            raise ParseError(
                f"{self.source} took more than {self.seconds:g} s to read (stopped at {stage};"
                f" real pages take well under a second): {_ADVICE}"
            )


_CURRENT: ContextVar[Budget | None] = ContextVar("parse_budget", default=None)


@contextmanager
def budget(spent: Budget) -> Iterator[Budget]:
    """Make `spent` the budget that `check` checks while the block runs."""
    token = _CURRENT.set(spent)
    try:
        yield spent
    finally:
        _CURRENT.reset(token)


def check(stage: str) -> None:
    """Check the budget of the page being read, if any (the converter's stages call this)."""
    current = _CURRENT.get()
    if current is not None:
        current.check(stage)
