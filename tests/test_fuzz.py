"""Fuzzing the parsers with mutated real pages: only our own errors, never a crash or a hang.

Each test mutates real inputs (release pages, listings, feeds from tests/fixtures and the
listing samples) and feeds them to one parser. Anything but a ScraperError fails the test;
a hang is bounded by the per-page time budget, which ends in a ParseError. The example
counts are small for CI; `SCRAPER_FUZZ_EXAMPLES=N` raises them (`make stress`). Each test
hands its counts to `tests.tally` (a no-op outside a stress run).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scraper.archive.document import dumps
from scraper.errors import ScraperError
from scraper.site.discover import parse_feed, parse_listing
from scraper.site.markdown import html_to_markdown
from scraper.site.parse import parse_page
from tests.tally import tally
from tests.test_discover import SEARCH_ROWS, TEASERS

FIXTURES = Path(__file__).parent / "fixtures"
URL = "https://www.beehive.govt.nz/release/fuzzed"
EXAMPLES = int(os.environ.get("SCRAPER_FUZZ_EXAMPLES", "40"))

PAGES = tuple(
    json.loads(path.read_text(encoding="utf-8"))["content"]
    for path in sorted((FIXTURES / "pages").glob("*.json"))[::4]
) + tuple(path.read_text(encoding="utf-8") for path in sorted((FIXTURES / "restored").iterdir()))
LISTINGS = (TEASERS, SEARCH_ROWS)
FEEDS = tuple(path.read_bytes() for path in sorted((FIXTURES / "rss").iterdir()))

# Pieces a hostile or broken page might hold: markup that nests, misnests or opens raw text,
# characters the converter once used as markers, Markdown syntax, links and dates.
HOSTILE = (
    "<div>", "</div>", "<ul><li>", "</li>", "<table><td>", "</td></table>", "<b>", "</b>",
    "<i><b>", "<pre>", "</pre>", "<code>", "<p>", "<h2>", "<a href=\"/release/x\">", "</a>",
    '<a href="/speech/y"><h3>', '<time datetime="2025-01-02T03:04:05Z">', "<!--", "-->",
    "<script>", "<br>", "<hr>", "<img src=/i.png alt='[x]'>", "\x07", "\ue002", "\x00",
    "&#xD800;", "&#0;", "\u00a0", "[", "]", "*", "_", "#", "`", "\\", "\n\n", "1. ", "- ",
    '<h1 class="article__title">', "</h1>", "&amp;", "<![CDATA[", "]]>", "<!ENTITY",
    "<item><link>/release/z</link></item>", "</channel>",
)  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn, seeds: tuple[str, ...]) -> str:
    """One seed with a few mutations: cut, copy, move or insert pieces."""
    text = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, 8))):
        size = len(text)
        a, b = sorted(draw(st.integers(0, size)) for _ in range(2))
        kind = draw(st.sampled_from(["cut", "repeat", "move", "insert", "text"]))
        if kind == "cut":
            text = text[:a] + text[b:]
        elif kind == "repeat":
            text = text[:b] + text[a:b] * draw(st.integers(1, 40)) + text[b:]
        elif kind == "move":
            at = draw(st.integers(0, size))
            text = text[:at] + text[a:b] + text[at:]
        elif kind == "insert":
            text = text[:a] + draw(st.sampled_from(HOSTILE)) * draw(st.integers(1, 60)) + text[a:]
        else:
            text = text[:a] + draw(st.text(max_size=20)) + text[a:]
    return text


class _Counts:
    """Inputs tried, and the distinct ones that raised something other than our errors."""

    def __init__(self) -> None:
        self.tried = 0
        self.unexpected: dict[str | bytes, str] = {}

    def run(self, case: Callable[[], object], data: str | bytes) -> None:
        """Run one input; our own errors are answers, anything else is a finding."""
        self.tried += 1
        try:
            case()
        except ScraperError:
            pass
        except Exception as exc:  # a finding: kept to fail the test and name it
            self.unexpected[data] = f"{type(exc).__name__}: {exc}"

    def findings(self) -> str:
        """The shortest input that failed, with its error, and how many failed."""
        data = min(self.unexpected, key=len)
        return (
            f"{len(self.unexpected)} of {self.tried} inputs raised an unexpected error;"
            f" the shortest ({len(data)} long): {self.unexpected[data]}\n{data[:2000]!r}"
        )


def _fuzz(strategy: st.SearchStrategy[Any], check: Callable[[Any], object]) -> None:
    """Run `check` on inputs drawn from `strategy`, then hand the counts to the tally."""
    counts = _Counts()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(strategy)
    def run(data: str | bytes) -> None:
        counts.run(lambda: check(data), data)

    try:
        run()
    finally:
        tally("fuzz", inputs=counts.tried, unexpected=len(counts.unexpected))
    assert not counts.unexpected, counts.findings()
    assert counts.tried >= EXAMPLES


def _page_file(html: str) -> None:
    """What `scraper parse` does with a page: parse it, then write the archive file."""
    release = parse_page(html, url=URL, source="fuzzed.html")
    dumps(release).encode("utf-8")


def _markdown(html: str) -> None:
    """The converter gives text that can be written: no marker of its own left in it."""
    html_to_markdown(html).encode("utf-8")


def test_fuzz_page_parser() -> None:
    _fuzz(mutated(PAGES), _page_file)


def test_fuzz_markdown_converter() -> None:
    _fuzz(mutated(PAGES), _markdown)


def test_fuzz_listing_parser() -> None:
    _fuzz(mutated(LISTINGS), parse_listing)


def test_fuzz_feed_parser() -> None:
    feeds = mutated(tuple(feed.decode("utf-8") for feed in FEEDS))
    _fuzz(feeds.map(lambda text: text.encode("utf-8", "surrogatepass")), parse_feed)
