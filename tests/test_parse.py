"""The page parser on hand-made edge cases (the golden tests cover real pages)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from scraper.errors import BlockPageError, ConfigError, ParseError
from scraper.site.parse import (
    ParseOptions,
    Selectors,
    parse_page,
    release_from_page,
    stated_date,
)

BLOCKED = Path(__file__).parent / "fixtures" / "blocked"
URL = "https://www.beehive.govt.nz/release/x"


def _page(meta: str = "", body: str = "<p>Hello.</p>", head: str = "") -> str:
    """A small page in the site's template."""
    return (
        f"<html><head>{head}</head><body><div class='ds-three-col__main'>"
        '<time class="meta meta__date" datetime="">'
        '<time datetime="2025-12-09T21:37:58Z">10 December 2025</time></time>'
        f'<h1 class="article__title">\n  A title \n</h1>{meta}'
        f'<div class="field--name-body">{body}</div></div></body></html>'
    )


@pytest.mark.parametrize("name", sorted(p.name for p in BLOCKED.iterdir()))
def test_block_pages_are_refused(name: str) -> None:
    with pytest.raises(BlockPageError, match="bot-protection"):
        parse_page((BLOCKED / name).read_text(), url=URL)


def test_pardon_our_interruption_is_refused() -> None:
    page = "<html><head><title>Pardon Our Interruption</title></head><body>...</body></html>"
    with pytest.raises(BlockPageError):
        parse_page(page, url=URL)


def test_a_page_without_a_title_is_refused() -> None:
    with pytest.raises(ParseError, match="no release title"):
        parse_page("<html><body><p>Not found</p></body></html>", url=URL)


def test_date_is_new_zealand_date_of_the_inner_time() -> None:
    assert parse_page(_page(), url=URL).date == dt.date(2025, 12, 10)


def test_utc_setting_reproduces_the_old_rule() -> None:
    release = parse_page(_page(), url=URL, options=ParseOptions(timezone="UTC"))
    assert release.date == dt.date(2025, 12, 9)


def test_undated_page_without_fallback_is_an_error_naming_the_url() -> None:
    page = _page().replace('datetime="2025-12-09T21:37:58Z"', "")
    with pytest.raises(ParseError, match=r"no publication date in .*release/x.*--date"):
        parse_page(page, url=URL)


def test_undated_page_takes_the_fallback_date() -> None:
    page = _page().replace('datetime="2025-12-09T21:37:58Z"', "")
    assert parse_page(page, url=URL, fallback_date=dt.date(2001, 2, 3)).date == dt.date(2001, 2, 3)


def test_page_date_wins_over_fallback() -> None:
    release = parse_page(_page(), url=URL, fallback_date=dt.date(2001, 2, 3))
    assert release.date == dt.date(2025, 12, 10)


def test_title_is_stripped_and_decoded() -> None:
    page = _page().replace("A title", "Peters&#39; talks &amp; more")
    assert parse_page(page, url=URL).title == "Peters' talks & more"


def test_url_comes_from_the_canonical_link() -> None:
    head = '<link rel="canonical" href="https://www.beehive.govt.nz/release/t%c4%81maki">'
    release = parse_page(_page(head=head))
    assert release.url == "https://www.beehive.govt.nz/release/t%C4%81maki"


def test_url_from_a_mirror_is_rewritten_to_the_public_site() -> None:
    release = parse_page(_page(), url="http://127.0.0.1:8000/speech/abc")
    assert release.url == "https://www.beehive.govt.nz/speech/abc"


def test_missing_url_is_an_error_that_says_pass_url() -> None:
    with pytest.raises(ParseError, match="--url"):
        parse_page(_page())


def test_non_content_url_is_refused() -> None:
    with pytest.raises(ParseError, match="not a release"):
        parse_page(_page(), url="https://www.beehive.govt.nz/minister/hon-x")


def test_ministers_in_linked_and_archived_forms() -> None:
    meta = (
        '<ul class="meta--ministers"><li><a class="minister__link" href="/minister/a">'
        '<img alt="A portrait"><div class="minister__title"> Hon  A  Person\n</div></a></li>'
        '<li><span class="is-archived">\n   Winston Peters\n</span></li></ul>'
    )
    # Stripped only: the archive keeps inner runs of spaces ("Associate  Minister of Revenue").
    assert parse_page(_page(meta=meta), url=URL).ministers == ("Hon  A  Person", "Winston Peters")


def test_ministers_never_come_from_body_links() -> None:
    body = '<p><a href="http://executive.govt.nz/minister/clark/x.pdf">Helen Clark</a></p>'
    assert parse_page(_page(body=body), url=URL).ministers == ()


def test_portfolios_in_linked_and_archived_forms() -> None:
    meta = (
        '<em class="tag tag--portfolio"><a href="/portfolio/x/finance">Finance</a></em>'
        '<em class="tag tag--portfolio"><span class="is-archived"> Māori Crown Relations:'
        " Te Arawhiti </span></em>"
    )
    release = parse_page(_page(meta=meta), url=URL)
    assert release.portfolios == ("Finance", "Māori Crown Relations: Te Arawhiti")


def test_attachments_from_the_sidebar_are_absolute_and_encoded() -> None:
    page = _page().replace(
        "</body>",
        '<aside class="article__related"><div class="file">'
        '<a href="/sites/default/files/2019-05/Budget A3.pdf">Budget</a>'
        '<a href="/sites/default/files/2019-05/Budget A3.pdf">again</a></div></aside></body>',
    )
    assert parse_page(page, url=URL).attachments == (
        "https://www.beehive.govt.nz/sites/default/files/2019-05/Budget%20A3.pdf",
    )


def test_sidebar_links_other_than_site_files_are_not_attachments() -> None:
    page = _page().replace(
        "</body>",
        '<aside class="article__related"><div class="file">'
        '<a href="/release/other">Another release</a><a href="/portfolio/x/finance">F</a>'
        '<a href="tel:+6449999999">Call</a><a href="https://example.com/x.pdf">Elsewhere</a>'
        '<a href="http://127.0.0.1:8000/sites/default/files/2024-01/T%c4%81maki.pdf">M</a>'
        "</div></aside></body>",
    )
    assert parse_page(page, url=URL).attachments == (
        "https://www.beehive.govt.nz/sites/default/files/2024-01/T%C4%81maki.pdf",
    )


def test_a_time_in_the_body_is_not_the_release_date() -> None:
    page = _page(body='<p>On <time datetime="2019-01-01T00:00:00Z">1 January</time>.</p>')
    undated = page.replace('datetime="2025-12-09T21:37:58Z"', "")
    assert parse_page(page, url=URL).date == dt.date(2025, 12, 10)
    assert parse_page(undated, url=URL, fallback_date=dt.date(2025, 7, 14)).date == dt.date(
        2025, 7, 14
    )


def test_navigation_dates_and_titles_outside_the_main_column_are_ignored() -> None:
    page = _page().replace(
        "<body>",
        '<body><nav><h1 class="article__title">Menu</h1>'
        '<time datetime="1999-01-01T00:00:00Z">1 January 1999</time></nav>',
    )
    release = parse_page(page, url=URL)
    assert (release.title, release.date) == ("A title", dt.date(2025, 12, 10))


def test_unreadable_datetime_is_an_error() -> None:
    page = _page().replace("2025-12-09T21:37:58Z", "yesterday")
    with pytest.raises(ParseError, match="unreadable time"):
        parse_page(page, url=URL)


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00Z", "9999-12-31T23:00:00Z", "9999-12-31"])
def test_a_placeholder_date_is_no_date(stamp: str) -> None:
    page = _page().replace("2025-12-09T21:37:58Z", stamp)
    with pytest.raises(ParseError, match="no publication date"):
        parse_page(page, url=URL)
    assert parse_page(page, url=URL, fallback_date=dt.date(2003, 4, 5)).date == dt.date(2003, 4, 5)


def test_a_page_not_found_template_with_a_title_is_refused() -> None:
    page = (
        "<html><body><div class='ds-three-col__main'>"
        '<h1 class="article__title">Page not found</h1>'
        "<p>The requested page could not be found.</p></div></body></html>"
    )
    with pytest.raises(ParseError, match="not a release page"):
        parse_page(page, url=URL, fallback_date=dt.date(2025, 1, 1))


@pytest.mark.parametrize(
    "page",
    [
        _page(body=""),  # a date and no body: some real releases have no text
        _page(meta='<ul class="meta--ministers"><li><span class="is-archived">A B</span></li></ul>')
        .replace('datetime="2025-12-09T21:37:58Z"', "")
        .replace("<p>Hello.</p>", ""),
    ],
)
def test_a_release_with_only_some_of_date_ministers_and_body_is_read(page: str) -> None:
    assert parse_page(page, url=URL, fallback_date=dt.date(2025, 1, 1)).title == "A title"


@pytest.mark.parametrize("field", ["title", "body", "main"])
@pytest.mark.parametrize("selector", ["", "h1..x", "div >"])
def test_a_selector_the_parser_cannot_read_is_a_settings_error(field: str, selector: str) -> None:
    with pytest.raises(ConfigError, match=rf"selectors\.{field} = "):
        dataclasses.replace(Selectors(), **{field: selector})  # type: ignore[arg-type]


def test_release_from_page_names_the_release_by_the_url_it_came_from() -> None:
    body = _page().encode()
    release = release_from_page(body, "http://mirror:8080/release/x", None, ParseOptions())
    assert release.url == URL


def test_the_stated_date_alone_is_read_in_any_zone() -> None:
    page = _page().encode("utf-8")  # time 2025-12-09T21:37:58Z: 10 December in New Zealand
    options = ParseOptions()
    assert stated_date(page, URL, "Pacific/Auckland", options) == dt.date(2025, 12, 10)
    assert stated_date(page, URL, "UTC", options) == dt.date(2025, 12, 9)
    undated = _page().replace('datetime="2025-12-09T21:37:58Z"', "").encode("utf-8")
    assert stated_date(undated, URL, "UTC", options) is None
