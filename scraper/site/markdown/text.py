"""Whitespace constants and the string helpers the renderers share."""

from __future__ import annotations

import re
from typing import Final

# Go's unicode.IsSpace, used by its TrimSpace: a no-break space counts.
SPACE: Final = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(
    map(chr, range(0x2000, 0x200B))
)
WS_RUN: Final = re.compile(r"[ \r\n\t]+")
MULTI_SPACE: Final = re.compile(r"  +")
_NEWLINE_RUN: Final = re.compile(r"\n( *)\n(?: *\n)+")


def trim_newlines(s: str) -> str:
    """Keep at most two newlines in a row, and the spaces before the second."""
    return _NEWLINE_RUN.sub("\n\\1\n", s) if "\n" in s else s


def trim_hard_breaks(s: str) -> str:
    """Drop hard line breaks (two trailing spaces) before a blank line."""
    return s.replace("  \n\n", "\n\n").replace("  \n  \n", "\n\n").replace("  \n \n", "\n\n")


def surrounding_spaces(s: str) -> tuple[str, str, str]:
    """Split leading whitespace, content and trailing whitespace."""
    right = s.rstrip(SPACE)
    trimmed = right.lstrip(SPACE)
    return s[: len(right) - len(trimmed)], trimmed, s[len(right) :]


def delimit_lines(content: str, delimiter: str) -> str:
    """Wrap every non-blank line in the delimiter, keeping its whitespace outside."""
    lines = []
    for line in content.split("\n"):
        left, trimmed, right = surrounding_spaces(line)
        lines.append(f"{left}{delimiter}{trimmed}{delimiter}{right}" if trimmed else left + right)
    return "\n".join(lines)


def escape_multiline(content: str) -> str:
    """Keep multi-line link text inside its link: hard breaks, and `\\` for blank lines."""
    lines = content.split("\n")
    if len(lines) == 1:
        return content
    out = []
    for i, line in enumerate(lines):
        line = line.lstrip(SPACE)
        if not line:
            out.append("\\\n")
        elif i == len(lines) - 1:
            out.append(line)
        else:
            out.append(line + ("\n" if line.endswith("  ") else "  \n"))
    return "".join(out)


def quote_title(title: str) -> str:
    """Quote a link or image title with the quote it does not contain."""
    if '"' in title and "'" in title:
        return '"' + title.replace('"', '\\"') + '"'
    return f"'{title}'" if '"' in title else f'"{title}"'
