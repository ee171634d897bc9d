"""Tests for scraper.site.discover: the real feeds, and listing markup as it is reported."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from scraper.errors import BlockPageError, ParseError
from scraper.site.discover import (
    SEARCH_GOVERNMENTS,
    SEARCH_TYPES,
    Discovered,
    listing_path,
    parse_feed,
    parse_listing,
    search_path,
)
from scraper.site.urls import content_type_of, site_hosts

FIXTURES = Path(__file__).parent / "fixtures"
SITE = "https://www.beehive.govt.nz"
NZDT = dt.timezone(dt.timedelta(hours=13))


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)


# --- The feed ----------------------------------------------------------------------------


def feed(name: str) -> list[Discovered]:
    return parse_feed((FIXTURES / "rss" / name).read_bytes())


def test_feed_2025_04_04() -> None:
    items = feed("rss-2025-04-04.xml")
    assert len(items) == 30
    assert items[0] == Discovered(
        url=f"{SITE}/release/plain-language-act-repeal-bill-passes-first-reading",
        content_type="release",
        published=dt.datetime(2025, 4, 1, 17, 42, 54, tzinfo=NZDT),
        title="Plain Language Act Repeal Bill passes first reading",
    )
    first = items[0].published
    assert first is not None
    assert first.utcoffset() == dt.timedelta(0)
    assert first == utc(2025, 4, 1, 4, 42, 54)
    assert items[-1].title == "More reliable, resilient supply vessel sought for Chatham Islands"
    assert items[-1].published == dt.datetime(2025, 3, 27, 15, 11, 11, tzinfo=NZDT)
    assert sum(item.content_type == "speech" for item in items) == 4
    # a release and a speech may share a slug: two entries
    urls = {item.url for item in items}
    assert f"{SITE}/release/rail-ferries-and-straightforward-infrastructure" in urls
    assert f"{SITE}/speech/rail-ferries-and-straightforward-infrastructure" in urls
    assert f"{SITE}/release/entering-final-stages-ng%C4%81ti-h%C4%81ua-settlement" in urls


def test_feed_2025_04_05() -> None:
    items = feed("rss-2025-04-05.xml")
    assert len(items) == 30
    assert items[0] == Discovered(
        url=f"{SITE}/release/modern-civil-aviation-law-comes-effect",
        content_type="release",
        published=dt.datetime(2025, 4, 5, 12, 56, 2, tzinfo=NZDT),
        title="Modern civil aviation law comes into effect",
    )
    # the title had a trailing space in the feed
    assert items[-1].title == "Northland water security receives $41m boost"
    # percent-encoded links are kept exactly as the site links them
    urls = {item.url for item in items}
    assert (
        f"{SITE}/release/statement-minister-todd-mcclay-following%C2%A0us-tariff-announcement"
        in urls
    )
    assert f"{SITE}/release/strengthening-reo-m%C4%81ori-accessibility" in urls


@pytest.mark.parametrize("name", ["rss-2025-04-04.xml", "rss-2025-04-05.xml"])
def test_feed_items_are_complete(name: str) -> None:
    for item in feed(name):
        assert item.url.startswith(SITE + "/")
        assert item.content_type == content_type_of(item.url)
        assert item.content_type in ("release", "speech", "feature")
        assert item.title
        assert item.published is not None
        assert item.published.tzinfo is dt.UTC


ODD_FEED = b"""\xef\xbb\xbf
  <?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Beehive</title><link>https://www.beehive.govt.nz/</link>
<item>
  <title>
     Spaced   out
     title &amp; more </title>
  <link>
     https://www.beehive.govt.nz/release/t%c4%81maki-makaurau-election-date-set
  </link>
  <pubDate>  Mon,  14 Jul 2025   16:42:15 +1200 </pubDate>
</item>
<item><title>Home</title><link>https://www.beehive.govt.nz/</link>
  <pubDate>Mon, 14 Jul 2025 16:42:15 +1200</pubDate></item>
<item><title>A minister</title><link>https://www.beehive.govt.nz/minister/hon-x</link></item>
<item><title>Elsewhere</title><link>https://www.govt.nz/release/not-ours</link></item>
<item><title>No date</title><link>/speech/no-date</link></item>
<item><title>Bad date</title><link>https://www.beehive.govt.nz/feature/bad-date</link>
  <pubDate>sometime soon</pubDate></item>
<item><link>https://www.beehive.govt.nz/node/12345</link>
  <pubDate>Tue, 01 Apr 2025 04:42:54 GMT</pubDate></item>
<item><title>Listed twice</title>
  <link>https://www.beehive.govt.nz/release/t%C4%81maki-makaurau-election-date-set</link></item>
</channel></rss>
"""


def test_feed_with_odd_whitespace_and_items_to_skip() -> None:
    items = parse_feed(ODD_FEED)
    assert items == [
        Discovered(
            url=f"{SITE}/release/t%C4%81maki-makaurau-election-date-set",
            content_type="release",
            published=utc(2025, 7, 14, 4, 42, 15),
            title="Spaced out title & more",
        ),
        Discovered(
            url=f"{SITE}/speech/no-date", content_type="speech", published=None, title="No date"
        ),
        Discovered(
            url=f"{SITE}/feature/bad-date", content_type="feature", published=None, title="Bad date"
        ),
        Discovered(
            url=f"{SITE}/node/12345",
            content_type=None,
            published=utc(2025, 4, 1, 4, 42, 54),
            title=None,
        ),
    ]


def test_empty_feed_gives_no_items() -> None:
    assert parse_feed(b'<rss version="2.0"><channel><title>x</title></channel></rss>') == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            b"<!DOCTYPE html>\n<html lang='en'><head><title>Beehive</title>"
            b"<meta charset=utf-8></head><body><p>Page not found</body></html>",
            "an HTML page",
        ),
        (b"\n<html><body><p>Not a feed</p></body></html>", "an HTML page"),
        (b"<?xml version='1.0'?><html><body/></html>", "root element is <html>"),
        (b"<rss version='2.0'><channel><item></channel></rss>", "not well-formed XML"),
        (b'<feed xmlns="http://www.w3.org/2005/Atom"></feed>', "not <rss>"),
        (b"", "not well-formed XML"),
        (b'<rss version="2.0"></rss>', "no <channel>"),
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><rss><channel/></rss>',
            "entities",
        ),
    ],
)
def test_not_rss_raises_parse_error(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_feed(body)


@pytest.mark.parametrize("name", ["incapsula-212.html", "incapsula-1170-first-500-bytes.html"])
def test_block_page_given_as_feed(name: str) -> None:
    with pytest.raises(BlockPageError, match="bot-protection"):
        parse_feed((FIXTURES / "blocked" / name).read_bytes())


# --- Listings (markup reported, not seen: hand-written to the reported shapes) -----------

CHROME_TOP = """<!DOCTYPE html>
<html lang="en"><head><title>Releases | Beehive.govt.nz</title>
<link rel="canonical" href="https://www.beehive.govt.nz/releases"></head>
<body>
<header role="banner">
  <a href="/" class="logo">Beehive</a>
  <nav role="navigation"><ul>
    <li><a href="/releases">Releases</a></li>
    <li><a href="/release/nav-decoy">Pinned release</a></li>
    <li><a href="/speeches">Speeches</a></li>
  </ul></nav>
</header>
"""

CHROME_BOTTOM = """
<footer role="contentinfo">
  <a href="/release/footer-decoy">Footer release</a>
  <time datetime="2001-01-01T00:00:00Z">1 January 2001</time>
</footer>
</body></html>
"""

SIDEBAR = """
<aside class="sidebar">
  <h2>Latest</h2>
  <div class="view-content"><div class="views-row">
    <a href="/release/sidebar-decoy">Sidebar release</a>
    <time datetime="2002-02-02T00:00:00Z">2 February 2002</time>
  </div></div>
</aside>
"""

TEASERS = (
    CHROME_TOP
    + """
<main role="main">
<div class="views-element-container"><div class="view view-releases">
<div class="view-content">
  <div class="views-row"><article class="teaser">
    <a href="/release/first-release" class="teaser__image"><img src="/x.jpg" alt=""></a>
    <div class="teaser__meta">
      <em class="meta__content-type">Release</em>
      <time class="meta meta__date" datetime=""><time datetime="2025-12-09T21:37:58Z">10
        December 2025</time></time>
    </div>
    <h2 class="teaser__title"><a href="/release/first-release">
        First   release</a></h2>
    <ul class="meta--ministers"><li>
      <a class="minister__link" href="/minister/hon-judith-collins">Hon Judith Collins</a>
    </li></ul>
    <em class="tag--portfolio"><a href="/portfolio/finance">Finance</a></em>
  </article></div>
  <div class="views-row"><article class="teaser">
    <em class="meta__content-type">Speech</em>
    <time datetime="2025-07-14T16:42:15+12:00">15 July 2025</time>
    <h2><a href="/speech/tāmaki-makaurau-speech">Tāmaki Makaurau speech</a></h2>
  </article></div>
  <div class="views-row"><article class="teaser">
    <em class="meta__content-type">Release</em>
    <h2><a href="https://www.beehive.govt.nz/release/no-date-here">Undated release</a></h2>
    <p>See <a href="https://www.legislation.govt.nz/act/public/2020/0001/latest/">the Act</a>.</p>
  </article></div>
  <div class="views-row"><article class="teaser">
    <em class="meta__content-type">Feature</em>
    <time datetime="2024-03-01T00:00:00Z">1 March 2024</time>
    <h2><a href="/feature/a%e2%80%99feature?utm_source=x#top">A’feature</a></h2>
  </article></div>
</div>
<nav class="pager" role="navigation" aria-labelledby="pagination-heading">
  <ul class="pager__items js-pager__items">
    <li class="pager__item pager__item--next">
      <a href="?page=1" title="Go to next page" rel="next"><span>Next page</span></a>
    </li>
  </ul>
</nav>
</div></div>
"""
    + SIDEBAR
    + "</main>"
    + CHROME_BOTTOM
)

SEARCH_ROWS = (
    CHROME_TOP
    + """
<main role="main"><div class="search-results">
<div class="view-content">
  <div class="views-row">
    <div class="views-field views-field-title"><span class="field-content">
      <a href="/node/10622" hreflang="en">Fiscal update</a></span></div>
    <div class="views-field views-field-field-issue-date"><div class="field-content">
      <time datetime="2001-05-23T00:12:00Z">23 May 2001</time></div></div>
    <div class="views-field views-field-field-minister">
      <a href="/minister/michael-cullen">Michael Cullen</a></div>
  </div>
  <div class="views-row">
    <div class="views-field views-field-title"><span class="field-content">
      <a href="/release/new-era-judges">New era for judges</a></span></div>
    <div class="views-field views-field-field-portfolio">
      <a href="/portfolio/courts">Courts</a></div>
  </div>
  <div class="views-row">
    <div class="views-field views-field-title"><span class="field-content">
      <a href="https://www.beehive.govt.nz/speech/budget-speech-1998">Budget speech</a></span></div>
    <div class="views-field views-field-field-issue-date"><div class="field-content">
      <time datetime="1998-05-14T02:00:00Z">14 May 1998</time></div></div>
  </div>
  <div class="views-row">
    <div class="views-field views-field-title"><span class="field-content">
      <a href="https://www.govt.nz/release/other-site">Another site</a></span></div>
    <div class="views-field views-field-field-issue-date"><div class="field-content">
      <time datetime="1998-05-15T02:00:00Z">15 May 1998</time></div></div>
  </div>
</div>
<nav class="pager" role="navigation"><ul class="pager__items">
  <li class="pager__item pager__item--previous"><a href="?page=0" rel="prev">Previous</a></li>
</ul></nav>
</div></main>
"""
    + CHROME_BOTTOM
)

DECOYS = {
    f"{SITE}/release/nav-decoy",
    f"{SITE}/release/footer-decoy",
    f"{SITE}/release/sidebar-decoy",
}


def test_teaser_listing() -> None:
    items = parse_listing(TEASERS)
    assert items == [
        Discovered(
            url=f"{SITE}/release/first-release",
            content_type="release",
            published=utc(2025, 12, 9, 21, 37, 58),
            title="First release",
        ),
        Discovered(
            url=f"{SITE}/speech/t%C4%81maki-makaurau-speech",
            content_type="speech",
            published=utc(2025, 7, 14, 4, 42, 15),
            title="Tāmaki Makaurau speech",
        ),
        Discovered(
            url=f"{SITE}/release/no-date-here",
            content_type="release",
            published=None,
            title="Undated release",
        ),
        Discovered(
            url=f"{SITE}/feature/a%E2%80%99feature",
            content_type="feature",
            published=utc(2024, 3, 1),
            title="A’feature",
        ),
    ]
    assert not DECOYS & {item.url for item in items}
    for item in items:
        if item.published is not None:
            assert item.published.tzinfo is dt.UTC


def test_search_rows() -> None:
    items = parse_listing(SEARCH_ROWS)
    assert items == [
        Discovered(
            url=f"{SITE}/node/10622",
            content_type=None,
            published=utc(2001, 5, 23, 0, 12),
            title="Fiscal update",
        ),
        Discovered(
            url=f"{SITE}/release/new-era-judges",
            content_type="release",
            published=None,
            title="New era for judges",
        ),
        Discovered(
            url=f"{SITE}/speech/budget-speech-1998",
            content_type="speech",
            published=utc(1998, 5, 14, 2),
            title="Budget speech",
        ),
    ]


def test_search_rows_in_a_table() -> None:
    html = """<html><body><main><div class="view-content"><table><tbody>
      <tr><td class="views-field-title"><a href="/release/a">A</a></td>
          <td class="views-field-field-issue-date">
            <time datetime="2010-01-02T03:04:05Z">2 Jan</time></td></tr>
      <tr><td class="views-field-title"><a href="/release/b">B</a></td><td></td></tr>
    </tbody></table></div></main></body></html>"""
    assert parse_listing(html) == [
        Discovered(f"{SITE}/release/a", "release", utc(2010, 1, 2, 3, 4, 5), "A"),
        Discovered(f"{SITE}/release/b", "release", None, "B"),
    ]


def test_time_never_taken_from_a_neighbour() -> None:
    # rows in an item list: the row of B (its <li>) has no time, its neighbours do
    html = """<main><div class="view-content"><div class="item-list"><ul>
      <li><a href="/release/a">A</a><time datetime="2010-01-01T00:00:00Z">1 Jan</time></li>
      <li><a href="/release/b">B</a></li>
      <li><a href="/release/c">C</a><time datetime="2010-01-03T00:00:00Z">3 Jan</time></li>
    </ul></div></div></main>"""
    assert [item.published for item in parse_listing(html)] == [
        utc(2010, 1, 1),
        None,
        utc(2010, 1, 3),
    ]
    # no row wrappers: each link's row is its <h2>, which holds no time
    html = """<main><div class="results">
      <h2><a href="/release/a">A</a></h2><time datetime="2010-01-01T00:00:00Z">1 Jan</time>
      <h2><a href="/release/b">B</a></h2><time datetime="2010-01-02T00:00:00Z">2 Jan</time>
    </div></main>"""
    assert [item.published for item in parse_listing(html)] == [None, None]


def test_region_missing_falls_back_to_whole_page_without_chrome() -> None:
    html = (
        CHROME_TOP
        + """<div class="list">
          <div class="item"><a href="/release/a">A</a>
            <time datetime="2010-01-01T00:00:00Z">1 Jan</time></div>
          <div class="item"><a href="/release/b">B</a></div>
        </div>"""
        + SIDEBAR.replace("view-content", "list")
        + CHROME_BOTTOM
    )
    assert parse_listing(html) == [
        Discovered(f"{SITE}/release/a", "release", utc(2010, 1, 1), "A"),
        Discovered(f"{SITE}/release/b", "release", None, "B"),
    ]


def test_links_outside_the_region_are_ignored() -> None:
    html = """<body><div class="promo"><a href="/release/promo">Promo</a></div>
      <main><div class="views-row"><a href="/release/in">In</a></div></main></body>"""
    assert [item.url for item in parse_listing(html)] == [f"{SITE}/release/in"]


def test_duplicates_keep_first_place_and_fill_missing_fields() -> None:
    html = """<main><div class="view-content">
      <div class="views-row"><a href="/release/a"><img alt=""></a></div>
      <div class="views-row"><a href="/release/b">B</a><a href="http://[broken">?</a></div>
      <div class="views-row"><a href="/release/a?x=1">A</a>
        <time datetime="2010-01-01T00:00:00Z">1 Jan</time></div>
    </div></main>"""
    assert parse_listing(html) == [
        Discovered(f"{SITE}/release/a", "release", utc(2010, 1, 1), "A"),
        Discovered(f"{SITE}/release/b", "release", None, "B"),
    ]


def test_dates_that_are_not_instants_give_none() -> None:
    html = """<main>
      <div class="views-row"><a href="/release/a">A</a>
        <time datetime="2010-01-01">1 Jan</time></div>
      <div class="views-row"><a href="/release/b">B</a><time datetime="soon">soon</time></div>
      <div class="views-row"><a href="/release/c">C</a>
        <time datetime="2010-01-03T10:00:00">3 Jan</time></div>
    </main>"""
    assert [item.published for item in parse_listing(html)] == [None, None, utc(2010, 1, 3, 10)]


def test_empty_results_page() -> None:
    html = CHROME_TOP + '<main><div class="view-empty">No results.</div></main>' + CHROME_BOTTOM
    assert parse_listing(html) == []


@pytest.mark.parametrize("name", ["incapsula-212.html", "incapsula-1170-first-500-bytes.html"])
def test_block_page_given_as_listing(name: str) -> None:
    html = (FIXTURES / "blocked" / name).read_text(encoding="utf-8", errors="replace")
    with pytest.raises(BlockPageError):
        parse_listing(html)


# --- Listing and search paths ------------------------------------------------------------


def test_listing_path() -> None:
    assert listing_path("release", 0) == "/releases?page=0"
    assert listing_path("speech", 12) == "/speeches?page=12"
    with pytest.raises(ValueError, match="search_path"):
        listing_path("feature", 0)
    with pytest.raises(ValueError, match="page"):
        listing_path("release", -1)


def test_search_path() -> None:
    assert search_path(6700, "release", 0) == (
        "/search?f[0]=government_facet:6700&f[1]=content_type_facet:article&page=0"
    )
    assert search_path(4194, "feature", 3) == (
        "/search?f[0]=government_facet:4194&f[1]=content_type_facet:feature&page=3"
    )
    assert search_path(6455, "speech", 1).endswith("content_type_facet:speech&page=1")
    with pytest.raises(ValueError, match="unknown content type"):
        search_path(6700, "diary", 0)
    with pytest.raises(ValueError, match="page"):
        search_path(6700, "release", -1)


def test_search_constants() -> None:
    assert SEARCH_GOVERNMENTS[0] == 6700
    assert SEARCH_GOVERNMENTS[-1] == 4194
    assert len(SEARCH_GOVERNMENTS) == 11
    assert SEARCH_TYPES == {"release": "article", "speech": "speech", "feature": "feature"}


def test_search_path_brackets_survive_httpx() -> None:
    httpx = pytest.importorskip("httpx")
    path = search_path(6700, "release", 2)
    request = httpx.Request("GET", SITE + path)
    assert request.url.raw_path.decode("ascii") == path


def test_a_side_column_view_is_not_results() -> None:
    html = (
        '<main><div class="ds-three-col__main"><div class="view-content"><div class="views-row">'
        '<a href="/release/a">A</a></div></div></div><div class="ds-three-col__right">'
        '<div class="view-content"><div class="views-row"><time datetime="2030-01-01T00:00:00Z">'
        '</time><a href="/release/latest">Latest</a></div></div></div></main>'
    )
    assert [i.url for i in parse_listing(html)] == ["https://www.beehive.govt.nz/release/a"]


# --- A mirror's own links, and dates off the calendar ----------------------------------------

MIRROR_FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Beehive</title>
<item><title>On the mirror</title><link>http://mirror.test:8080/release/on-the-mirror</link>
<pubDate>Tue, 01 Apr 2025 17:42:54 +1300</pubDate></item>
<item><title>Elsewhere</title><link>http://mirror.test:9999/release/elsewhere</link></item>
<item><title>Year one</title><link>https://www.beehive.govt.nz/release/year-one</link>
<pubDate>Mon, 01 Jan 0001 00:00:00 +1300</pubDate></item>
</channel></rss>"""


def test_links_on_the_mirror_host_count_when_it_is_named() -> None:
    hosts = site_hosts("http://mirror.test:8080")
    items = parse_feed(MIRROR_FEED, hosts)
    assert [i.url for i in items] == [
        f"{SITE}/release/on-the-mirror",
        f"{SITE}/release/year-one",
    ]
    assert [i.url for i in parse_feed(MIRROR_FEED)] == [f"{SITE}/release/year-one"]


def test_a_listing_on_the_mirror_host_is_read() -> None:
    html = (
        '<div class="view-content"><div class="views-row"><article>'
        '<time datetime="2025-01-02T03:04:05Z">2 January</time>'
        '<a href="http://mirror.test:8080/release/x">X</a></article></div></div>'
    )
    [item] = parse_listing(html, site_hosts("http://mirror.test:8080"))
    assert item.url == f"{SITE}/release/x" and item.published == utc(2025, 1, 2, 3, 4, 5)


def test_a_feed_date_before_the_first_instant_is_no_date() -> None:
    [_, year_one] = parse_feed(MIRROR_FEED, site_hosts("http://mirror.test:8080"))
    assert year_one.published is None and year_one.title == "Year one"


def test_an_iso_date_before_the_first_instant_is_no_date() -> None:
    html = (
        '<div class="view-content"><div class="views-row"><article>'
        '<time datetime="0001-01-01T00:00:00+13:00">1 January 1</time>'
        '<a href="/release/x">X</a></article></div></div>'
    )
    [item] = parse_listing(html)
    assert item.published is None


def test_a_long_listing_reads_each_link_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each link's row used to be found by re-reading every link under each of its ancestors:
    # quadratic, 7 minutes for 5,000 links under one wrapper. Now each href is read once.
    from scraper.site import discover

    calls = 0
    real = discover._site_link

    def counted(href: str | None, hosts: frozenset[str]) -> tuple[str, str | None] | None:
        nonlocal calls
        calls += 1
        return real(href, hosts)

    monkeypatch.setattr(discover, "_site_link", counted)
    rows = "".join(
        f'<a href="/release/item-{i}">Item {i}</a><time datetime="2025-01-01T00:00:{i % 60:02d}Z">'
        "</time>"
        for i in range(300)
    )
    items = parse_listing(f"<main><div>{rows}</div></main>")
    assert [item.url for item in items] == [f"{SITE}/release/item-{i}" for i in range(300)]
    # One wrapper holds every link, so no link has a row of its own and none takes a date.
    assert {item.published for item in items} == {None}
    assert calls <= 2 * 300


@pytest.mark.parametrize("encoding", ["uytf-8", "shift_jis", ""])
def test_a_feed_in_an_encoding_no_feed_uses_is_refused(encoding: str) -> None:
    # Found by tests/test_fuzz.py: the XML parser raised LookupError for an unknown encoding.
    real = (FIXTURES / "rss" / "rss-2025-04-04.xml").read_bytes()
    feed = real.replace(b'encoding="utf-8"', f'encoding="{encoding}"'.encode(), 1)
    assert feed != real
    with pytest.raises(ParseError, match=f"declares the encoding '{encoding}'"):
        parse_feed(feed)
