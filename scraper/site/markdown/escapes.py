"""Escapes: a placeholder before each special character, a backslash only where one is needed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from scraper.site import guard
from scraper.site.markdown.text import SPACE

# Put before every Markdown-special character of page text until the escapes are resolved.
# A lone surrogate, so no page can hold it: the parser's text is decoded from UTF-8, which
# has none (a `&#xD800;` becomes U+FFFD), so page text never reads as a placeholder.
P: Final = "\ud800"
TEXT_ESCAPES: Final = str.maketrans(
    {"<": "&lt;", ">": "&gt;", "\x00": "\ufffd"} | {c: P + c for c in "\\*_-+.|$#=[]()!~`\"'"}
)
# Go's byte-wise IsSpace, used after list markers: there a no-break space (two bytes) is not.
_BYTE_SPACE: Final = "\t\n\x0b\x0c\r "

# Each check gets the text with placeholders and the index of a special character; it returns
# -1 when the character is harmless there, else how far to skip (a `###` is escaped once).


def _at_line_start(s: str, i: int, digits: bool = False) -> bool:
    """Whether only spaces and placeholders (and digits, if asked) precede i on its line."""
    j = i - 1
    while j >= 0:
        c = s[j]
        if c == "\n":
            return True
        if c != " " and c != P and not (digits and "0" <= c <= "9"):
            return False
        j -= 1
    return True


def _next_char(s: str, i: int) -> str:
    """The next character after i that is not a placeholder, or "" at the end."""
    j = i + 1
    while j < len(s) and s[j] == P:
        j += 1
    return s[j : j + 1]


def _is_emphasis(s: str, i: int) -> int:
    """`*` or `_` followed by a non-space could open emphasis."""
    nxt = _next_char(s, i)
    return 1 if nxt and nxt not in SPACE else -1


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
        elif c != P:
            return -1
    return 1


def _is_setext_underline(s: str, i: int) -> int:
    """`=` or `-` opening the line right below a line of text."""
    newlines = 0
    for j in range(i - 1, -1, -1):
        c = s[j]
        if c == "\n":
            newlines += 1
        elif c != P and c != " ":
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
        elif c != P and c != " ":
            return -1
    return end - i if count >= 3 else -1


def _is_ordered_list(s: str, i: int) -> int:
    """Digits and `.` or `)` at the start of a line, then a space or the end."""
    j = i - 1
    while j >= 0 and s[j] == P:
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
    while j < len(s) and (s[j] in "`~" or s[j] == P):
        count += s[j] != P
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


def resolve_escapes(s: str) -> str:
    """Turn each placeholder into a backslash where its character means Markdown, else drop it."""
    pos = s.find(P)
    if pos == -1:
        return s
    out: list[str] = []
    start = skip_until = 0
    while pos != -1:
        guard.check("escaping the body")  # some checks scan ahead to the line's end
        out.append(s[start:pos])
        start = pos + 1
        if pos >= skip_until and start < len(s):
            for check in _CHECKS.get(s[start], ()):
                skip = check(s, start)
                if skip != -1:
                    out.append("\\")
                    skip_until = pos + skip
                    break
        pos = s.find(P, start)
    out.append(s[start:])
    return "".join(out)
