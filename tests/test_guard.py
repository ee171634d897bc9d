"""Hostile pages: too large, too deep, too slow, a huge title, the converter's own markers."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest

from scraper.errors import ParseError
from scraper.site.discover import parse_listing
from scraper.site.guard import MAX_DEPTH, MAX_PAGE_CHARS, MAX_TITLE_CHARS, Budget, nesting_depth
from scraper.site.markdown import html_to_markdown
from scraper.site.parse import parse_page

URL = "https://www.beehive.govt.nz/release/x"


def _page(body: str, title: str = "A title") -> str:
    """A small page in the site's template, holding `body`."""
    return (
        "<html><body><div class='ds-three-col__main'>"
        '<time datetime="2025-12-09T21:37:58Z">10 December 2025</time>'
        f'<h1 class="article__title">{title}</h1>'
        f'<div class="field--name-body">{body}</div></div></body></html>'
    )


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("lists", "<ul><li>" * (MAX_DEPTH + 10) + "x"),
        ("divs", "<div>" * (MAX_DEPTH + 10) + "x"),
        ("bold", "<b>" * (MAX_DEPTH + 10) + "x"),
        # A `</div>` inside a table cell closes nothing: it must not reset the count.
        ("cells", "<div>" + "<table><td></div>" * (MAX_DEPTH // 2 + 10)),
        # Nor does an `<li>` inside a cell close the list item around the table.
        ("items", "<li>" + "<table><td><li>" * (MAX_DEPTH // 3 + 10)),
    ],
)
def test_a_page_nested_too_deep_is_refused_before_parsing(name: str, body: str) -> None:
    with pytest.raises(ParseError, match=rf"saved\.html nests .* more than {MAX_DEPTH} deep"):
        parse_page(_page(body), url=URL, source="saved.html")


def test_a_page_too_large_is_refused_before_parsing() -> None:
    page = _page("<p>" + "x" * MAX_PAGE_CHARS + "</p>")
    with pytest.raises(ParseError, match=rf"big\.html is {len(page):,} characters long"):
        parse_page(page, url=URL, source="big.html")


def test_a_listing_nested_too_deep_is_refused() -> None:
    with pytest.raises(ParseError, match="the listing page nests"):
        parse_listing("<main>" + "<div>" * (MAX_DEPTH + 10) + '<a href="/release/x">x</a>')


@pytest.mark.parametrize(
    ("html", "depth"),
    [
        ("<p>a<p>b<p>c", 1),  # each <p> ends the one before, as in the parser
        ("<ul><li>a<li>b<li>c</ul>", 2),
        ("<table><tr><td>a<td>b<tr><td>c</table>" * 50, 3),
        ("<script>" + "<div>" * 900 + "</script><p>", 1),  # tags in a script are text
        ("<!--" + "<div>" * 900 + "--><p>", 1),
        ("<div><br><img src=x><hr></div>", 1),  # void elements hold nothing
        ("<div></span></div><div>", 1),  # an end tag of nothing open closes nothing
    ],
)
def test_nesting_depth_counts_as_the_parser_nests(html: str, depth: int) -> None:
    assert nesting_depth(html, MAX_DEPTH) == depth


def _ticking(step: float) -> Callable[[], float]:
    """A fake clock that moves on by `step` seconds each time it is read."""
    counter = itertools.count()
    return lambda: next(counter) * step


def test_a_page_past_its_time_budget_is_given_up() -> None:
    # Every stage reads the clock; a clock that jumps a minute per reading spends the budget.
    spend = Budget("slow.html", seconds=10, clock=_ticking(60))
    with pytest.raises(ParseError, match=r"slow\.html took more than 10 s to read"):
        parse_page(_page("<p>Hello.</p>"), url=URL, source="slow.html", spend=spend)


def test_a_page_within_its_budget_is_read() -> None:
    spend = Budget("ok.html", seconds=10, clock=_ticking(0))
    assert parse_page(_page("<p>Hello.</p>"), url=URL, spend=spend).body == "Hello."


def test_a_listing_past_its_time_budget_is_given_up() -> None:
    spend = Budget("the listing page", seconds=10, clock=_ticking(60))
    with pytest.raises(ParseError, match="the listing page took more than 10 s"):
        parse_listing('<main><a href="/release/x">x</a></main>', spend=spend)


def test_the_budget_is_checked_inside_the_converter_stages() -> None:
    # A budget that lasts for the HTML parser and the fields, then runs out in the body.
    readings = iter([0.0] * 3)
    spend = Budget("body.html", seconds=10, clock=lambda: next(readings, 100.0))
    body = "<p><b>a</b><b>b</b></p>" * 20
    with pytest.raises(ParseError, match=r"body\.html took more than 10 s .*stopped at"):
        parse_page(_page(body), url=URL, source="body.html", spend=spend)


def test_a_huge_title_is_refused_naming_the_page() -> None:
    title = "Minister announces " + "x" * (1024 * 1024)
    with pytest.raises(ParseError, match=rf"long\.html has a title of {len(title):,} characters"):
        parse_page(_page("<p>Hello.</p>", title=title), url=URL, source="long.html")


def test_a_long_real_title_is_kept() -> None:
    title = "Joint statement " * (MAX_TITLE_CHARS // 16)
    assert parse_page(_page("<p>Hi.</p>", title=title), url=URL).title == title.strip()


@pytest.mark.parametrize("char", ["\x07", "\ue002"])
@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>a{c}b</p>", "a{c}b"),
        ("<p>a{c}*b*</p>", "a{c}\\*b*"),
        ("<p>{c}# not a heading</p>", "{c}# not a heading"),
        ("<pre>x{c}y</pre>", "```\nx{c}y\n```"),
        ("<p><code>x{c}y</code></p>", "`x{c}y`"),
        ('<p><img src="/i.png" alt="a{c}*b"></p>', "![a{c}*b](/i.png)"),
        ('<p><a href="/x" title="t{c}">l{c}k</a></p>', '[l{c}k](/x "t{c}")'),
        ("<ul><li>a{c}</li><li>{c}b</li></ul>", "- a{c}\n- {c}b"),
        ("<h2>H{c}</h2>", "## H{c}"),
        ("<table><tr><th>a{c}</th></tr><tr><td>{c}|</td></tr></table>", None),
    ],
)
def test_the_converters_markers_in_page_text_stay_text(
    char: str, html: str, expected: str | None
) -> None:
    # The converter marks escapes and code newlines with characters of its own; a page that
    # holds those characters gets them back as text, never as escapes or line breaks.
    out = html_to_markdown(html.format(c=char))
    if expected is None:
        assert out.count(char) == 2 and "\n" not in out.split("|", 1)[1].split("\n")[0]
    else:
        assert out == expected.format(c=char)


@pytest.mark.parametrize(
    "page",
    [
        b"<p>&#xD800;*a&#xDFFF;</p>",
        b"<p>\xed\xa0\x80*a</p>",
        "<p>\ud800*a\ud801</p>".encode("utf-8", "surrogatepass"),
    ],
)
def test_no_page_text_holds_the_converters_markers(page: bytes) -> None:
    # The markers are lone surrogates: a character reference to one is U+FFFD, and decoding
    # a page's bytes (as every caller does) leaves none.
    out = html_to_markdown(page.decode("utf-8", "replace"))
    assert not any("\ud800" <= c <= "\udfff" for c in out) and "\\*a" in out


def test_scraper_parse_refuses_a_huge_file_before_reading_it(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from scraper.cli import main

    page = tmp_path / "huge.html"
    with page.open("wb") as out:
        out.truncate(4 * MAX_PAGE_CHARS + 1)  # sparse: no disk used
    result = CliRunner().invoke(main, ["parse", str(page)])
    assert result.exit_code == 1
    assert f"huge.html is {4 * MAX_PAGE_CHARS + 1:,} bytes long" in result.output
