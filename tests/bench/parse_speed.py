"""Parse+render speed: ours (selectolax + our Markdown) beside BeautifulSoup + markdownify."""

from __future__ import annotations

import datetime as dt
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from zoneinfo import ZoneInfo

from bs4 import BeautifulSoup, Tag
from markdownify import MarkdownConverter

from scraper.archive.document import dumps
from scraper.site.parse import parse_page
from tests.bench.common import heading, one_core, show, time_rounds
from tests.golden import goldens

NZ = ZoneInfo("Pacific/Auckland")
CONVERTER = MarkdownConverter(heading_style="ATX", bullets="-")


@dataclass(frozen=True)
class Page:
    """One golden page as the benchmarks feed it."""

    html: str
    fallback: dt.date | None


def load_pages() -> list[Page]:
    """Every golden page, whole, with its listing date."""
    return [Page(g.whole_page(), g.fallback_date) for g in goldens()]


def ours(page: Page) -> str:
    """Our pipeline: the archive file text for a page."""
    return dumps(parse_page(page.html, fallback_date=page.fallback))


def _texts(scope: Tag, selector: str) -> list[str]:
    """The folded, non-empty texts of the nodes a selector finds."""
    texts = (" ".join(n.get_text(" ").split()) for n in scope.select(selector))
    return [t for t in texts if t]


def _minister(item: Tag) -> str:
    """A minister's name from its list item."""
    name = item.select_one(".minister__title, span.is-archived") or item
    return " ".join(name.get_text(" ").split())


def _date(scope: Tag, fallback: dt.date | None) -> dt.date | None:
    """The page's New Zealand date from the inner time[datetime], else the fallback."""
    node = scope.select_one("time.meta__date time[datetime]") or scope.select_one("time[datetime]")
    stamp = str(node.get("datetime") or "") if node is not None else ""
    if not stamp:
        return fallback
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(NZ).date()


def theirs(page: Page, parser: str) -> str:
    """The usual pipeline: BeautifulSoup selects the fields, markdownify renders the body."""
    soup = BeautifulSoup(page.html, parser)
    main = soup.select_one("div.ds-three-col__main") or soup
    title = main.select_one("h1.article__title")
    body = main.select_one("div.field--name-body")
    ministers = [_minister(li) for li in main.select("ul.meta--ministers > li")]
    portfolios = _texts(main, "em.tag--portfolio")
    lines = [
        "---",
        f'title: "{title.get_text().strip() if title else ""}"',
        f"date: {_date(main, page.fallback)}",
        "ministers:",
        *(f"  - {m}" for m in ministers),
        "portfolios:",
        *(f"  - {p}" for p in portfolios),
        "---",
        "",
        CONVERTER.convert_soup(body).strip() if body is not None else "",
    ]
    return "\n".join(lines)


def _pass(render: Callable[[Page], str], pages: list[Page]) -> Callable[[], int]:
    """A timed unit of work: render every page once; return the page count."""

    def work() -> int:
        for page in pages:
            render(page)
        return len(pages)

    return work


def _parsers() -> list[str]:
    """BeautifulSoup tree builders to compare: html.parser, and lxml when installed."""
    return ["html.parser"] + (["lxml"] if importlib.util.find_spec("lxml") else [])


def _found_all(pages: list[Page], parser: str) -> int:
    """How many pages the BeautifulSoup pipeline found a title and a body on."""
    found = 0
    for page in pages:
        main = BeautifulSoup(page.html, parser)
        found += bool(main.select_one("h1.article__title") and main.select_one(".field--name-body"))
    return found


def run() -> None:
    """Measure and print parse+render speed of both pipelines on one core."""
    heading("1. parse + render (golden pages, whole page → archive file text)")
    pages = load_pages()
    with one_core() as pinned:
        ours_s = time_rounds(_pass(ours, pages))
        show("pages", f"{len(pages)} golden pages; median of 3 rounds of ≥ 1 s; {pinned}")
        show("ours", f"{1 / ours_s:,.0f} pages/s ({ours_s * 1000:.2f} ms/page)")
        for parser in _parsers():
            theirs_s = time_rounds(_pass(partial(theirs, parser=parser), pages))
            found = _found_all(pages, parser)
            show(
                f"bs4({parser})+markdownify",
                f"{1 / theirs_s:,.0f} pages/s ({theirs_s * 1000:.2f} ms/page);"
                f" title+body found on {found}/{len(pages)}",
            )
            show("  ratio", f"ours {theirs_s / ours_s:.1f}× faster than bs4({parser})")
    if "lxml" not in _parsers():
        show("bs4(lxml)", "skipped: lxml is not installed")
