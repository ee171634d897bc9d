"""Code: inline code spans and fenced code blocks, their text kept as written."""

from __future__ import annotations

import re
from typing import Final

from scraper.site.markdown.dom import TEXT, Node
from scraper.site.markdown.text import MULTI_SPACE, SPACE

CODE: Final = frozenset({"code", "var", "samp", "kbd", "tt"})
# Stands for a newline inside a code block, so that trimming blank lines leaves it alone.
# A lone surrogate, which no page text can hold (see escapes.P).
CODE_NEWLINE: Final = "\ud801"
_BACKTICKS: Final = re.compile(r"`+")


def _code_text(node: Node) -> tuple[str, str]:
    """The raw text of a code element (`<br>` and `<div>` as newlines) and its language."""
    parts: list[str] = []
    language = ""

    def visit(element: Node) -> None:
        nonlocal language
        if not language and element.tag in ("code", "pre"):
            for name in element.attr("class").split():
                if "language-" in name or "lang-" in name:
                    language = name.replace("language-", "", 1).replace("lang-", "", 1)
                    break
        for kid in element.kids:
            if kid.tag == TEXT:
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


def render_inline_code(node: Node, in_link: bool) -> str:
    """Inline code, its whitespace collapsed (unless it is only spaces)."""
    content = _code_text(node)[0]
    if not content:
        return ""
    if not content.strip(SPACE):
        return f"`{content}`"
    content = content.replace("\n", " ").replace("\t", " ")
    content = MULTI_SPACE.sub(" ", content).strip(SPACE)
    fence = _fence(content, 1)
    content = (" " if content[0] == "`" else "") + content + (" " if content[-1] == "`" else "")
    return fence + content + fence


def render_pre(node: Node, in_link: bool) -> str:
    """A fenced code block, its content kept as it is."""
    content, language = _code_text(node)
    content = content.removesuffix("\n")
    fence = _fence(content, 3)
    content = content.replace("\n", CODE_NEWLINE)
    return f"\n\n{fence}{language}\n{content}\n{fence}\n\n"
