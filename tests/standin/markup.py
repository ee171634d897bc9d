"""Edits of a main column's HTML and the plain text the feed and page head are made from."""

from __future__ import annotations

import datetime as dt
import functools
import html
import re
from html.parser import HTMLParser

from tests.standin.clock import iso_z, nz_date_text

_INNER_TIME = re.compile(r'<time datetime="[^"]+">[^<]*</time>')
_OUTER_TIME = re.compile(r'<time class="meta meta__date" datetime="">.*?</time>\s*</time>\s*', re.S)
_H1 = re.compile(r'(<h1 class="article__title">).*?(</h1>)', re.S)
_BODY_CLASS = "field--name-body"


def time_element(when: dt.datetime) -> str:
    """Return the site's date markup: an empty outer `time` around the real inner one."""
    inner = f'<time datetime="{iso_z(when)}">{nz_date_text(when)}</time>'
    return f'<time class="meta meta__date" datetime="">{inner}\n</time>\n      '


def retime(main: str, when: dt.datetime | None) -> str:
    """Set (or, with None, remove) the date shown in a main column."""
    if when is None:
        return _OUTER_TIME.sub("", main, count=1)
    if _INNER_TIME.search(main):
        inner = f'<time datetime="{iso_z(when)}">{nz_date_text(when)}</time>'
        return _INNER_TIME.sub(inner, main, count=1)
    heading = '<h1 class="article__title">'
    return main.replace(heading, time_element(when) + heading, 1)


def retitle(main: str, title: str) -> str:
    """Set the `h1.article__title` text of a main column."""
    return _H1.sub(lambda m: f"{m.group(1)}\n  {html.escape(title)}\n{m.group(2)}", main, count=1)


def synthesize(title: str, when: dt.datetime | None, body_html: str) -> str:
    """Build a test-made main column in the current government's template."""
    date = time_element(when) if when else ""
    return (
        '<div class="field field-name-field-government"></div>\n    \n      '
        f'{date}<h1 class="article__title">\n  {html.escape(title)}\n</h1>\n\n    '
        '<ul class="meta--ministers">\n<li><div class="teaser--small minister">'
        '<a href="/minister/hon-test-minister" class="field-group-link minister__link">'
        '<div class="field minister__title">  Hon Test Minister\n</div></a></div></li>\n</ul>\n'
        '<em class="tag tag--portfolio"><div class="tag taxonomy-term">'
        '<a href="/portfolio/nationalactnew-zealand-first-coalition-government-2023-2026/'
        'testing">Testing</a></div></em>\n'
        '<div class="prose field field--name-body field--type-text-with-summary '
        f'field--label-hidden field--item">{body_html}</div>\n'
    )


class _BodyText(HTMLParser):
    """Collect the text of the body field, keeping `&nbsp;` literal as Drupal's feed does."""

    def __init__(self) -> None:
        """Start outside the body field."""
        super().__init__(convert_charrefs=False)
        self.depth = 0
        self.seen_body = False
        self.parts: list[str] = []
        self.all_parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Track entry into the body field and nested divs."""
        classes = dict(attrs).get("class") or ""
        if self.depth == 0 and tag == "div" and _BODY_CLASS in classes.split():
            self.depth, self.seen_body = 1, True
        elif self.depth and tag == "div":
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        """Track exit from the body field."""
        if self.depth and tag == "div":
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        """Keep text, with no-break spaces written as the literal entity."""
        self._add(data.replace("\xa0", "&nbsp;"))

    def handle_entityref(self, name: str) -> None:
        """Decode entities except `&nbsp;`, which stays literal."""
        self._add("&nbsp;" if name == "nbsp" else html.unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        """Decode numeric character references."""
        text = html.unescape(f"&#{name};")
        self._add("&nbsp;" if text == "\xa0" else text)

    def _add(self, text: str) -> None:
        """Append text to the body text (when inside it) and to the whole text."""
        self.all_parts.append(text)
        if self.depth:
            self.parts.append(text)


@functools.lru_cache(maxsize=4096)
def feed_text(main: str) -> str:
    """Return the body as the feed's plain text: tags stripped, line breaks kept, `&nbsp;` kept."""
    parser = _BodyText()
    parser.feed(main)
    parser.close()
    text = "".join(parser.parts if parser.seen_body else parser.all_parts)
    return text.lstrip()


@functools.lru_cache(maxsize=4096)
def summary(main: str, limit: int = 300) -> str:
    """Return the start of the body as one line of plain text, for `og:description`."""
    text = html.unescape(feed_text(main)).replace("\xa0", " ")
    words = " ".join(text.split())
    return words if len(words) <= limit else words[: limit - 1].rsplit(" ", 1)[0] + "…"
