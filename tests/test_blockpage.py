"""Telling the bot-protection page from content, by the body alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scraper.site.blockpage import is_block_page

FIXTURES = Path(__file__).parent / "fixtures"
INJECTED = '<script src="/_Incapsula_Resource?SWJIYLWA=719d34d31c8e3a6e6fffd425f7e032f3"></script>'


@pytest.mark.parametrize("path", sorted((FIXTURES / "blocked").iterdir()), ids=lambda p: p.name)
def test_the_real_block_pages_are_recognised(path: Path) -> None:
    assert is_block_page(path.read_bytes())


@pytest.mark.parametrize(
    "page",
    [
        # The long variant's head without the Incapsula script.
        '<html><head><META NAME="ROBOTS" CONTENT="NOINDEX, NOFOLLOW"><script type="text/'
        'javascript" src="/arquings-Vizard-thats-to-Enter-Glamise-To-those-" async></script>'
        "</head><body></body></html>",
        "<html><head><title>Pardon Our Interruption</title></head><body>...</body></html>",
        "<html><body><h1>Access denied</h1><p>Error 15</p><p>This request was blocked by our"
        " security service</p><p>Incapsula incident ID: 123-456</p>"
        "<p>Powered by Imperva</p></body></html>",
    ],
    ids=["noindex-script", "pardon", "error-15"],
)
def test_variants_of_the_block_page_are_recognised(page: str) -> None:
    assert is_block_page(page)


@pytest.mark.parametrize("path", sorted((FIXTURES / "pages").glob("*.json"))[::7], ids=str)
def test_real_pages_are_content_even_with_the_injected_script(path: Path) -> None:
    main = json.loads(path.read_text(encoding="utf-8"))["content"]
    assert not is_block_page(main)
    assert not is_block_page(main + INJECTED)


@pytest.mark.parametrize(
    "page",
    [
        '<table><tr><td class="views-field-title"><a href="/release/a">A</a></td></tr></table>',
        '<ul><li><a href="/node/123">An old release</a></li></ul>',
        (FIXTURES / "rss" / "rss-2025-04-04.xml").read_text(encoding="utf-8")[:3000],
    ],
    ids=["search-table", "node-list", "feed"],
)
def test_listings_and_the_feed_with_the_injected_script_are_content(page: str) -> None:
    assert not is_block_page(page + INJECTED)


def test_a_release_quoting_the_phrase_is_content() -> None:
    page = '<h1 class="article__title">Sites say “Pardon Our Interruption”</h1>'
    assert not is_block_page(page)
