"""The local stand-in site serves what it claims: pages, listings, search, feed and faults."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper.site.blockpage import is_block_page
from tests.standin import StandIn
from tests.standin.blockpages import BLOCKED_DIR

REPO = Path(__file__).resolve().parent.parent
PUBLIC = "https://www.beehive.govt.nz"
APP = "/release/government-app-launched-today"
ENCODED = "/release/t%C4%81maki-makaurau-election-date-set"
WITH_FILE = "/release/tso-review-document-next-step-overhaul"
UNDATED = "/release/challenge-laid-new-zealands-digital-future"
LINK = re.compile(r'<a href="([^"]+)"')
TIME = re.compile(r'<time datetime="([^"]+)">')
CONTENT = ("/release/", "/speech/", "/feature/", "/node/")


@pytest.fixture
def client(site: StandIn) -> Iterator[httpx.Client]:
    """An httpx client for the running stand-in."""
    with httpx.Client(base_url=site.base_url, timeout=5) as http:
        yield http


def results(html: str) -> str:
    """Return the results region (`div.view-content`, up to the pager) of a listing or search."""
    region = html[html.index('<div class="view-content">') :]
    return region[: region.index('<nav class="pager"')] if "pager" in region else region


def result_links(html: str) -> list[str]:
    """Return the content links inside the results region."""
    return [h for h in LINK.findall(results(html)) if h.startswith(CONTENT)]


# --- pages ---------------------------------------------------------------------------------


def test_page_has_public_canonical_head_and_real_main_column(client: httpx.Client) -> None:
    """A page names its public URL whatever host serves it, and wraps the recorded column."""
    response = client.get(APP)
    assert response.status_code == 200
    text = response.text
    assert text.startswith("<!DOCTYPE html>")
    assert f'<link rel="canonical" href="{PUBLIC}{APP}">' in text
    assert f'<meta property="og:url" content="{PUBLIC}{APP}">' in text
    assert '<meta property="og:title" content="Government app launched today">' in text
    assert '<meta property="og:description" content="The Government has today' in text
    assert "<title>Government app launched today | Beehive.govt.nz</title>" in text
    assert '<div class="ds-three-col__main"><div class="field field-name-field-government">' in text
    assert '<time datetime="2025-12-09T21:37:58Z">10 December 2025</time>' in text
    header, footer = text[: text.index("ds-three-col__main")], text[text.index("<footer") :]
    for link in ("/releases", "/speeches", "/minister/", "/portfolio/"):
        assert f'<a href="{link}' in header
    assert '<a href="/copyright">' in footer


def test_attachments_are_in_the_sidebar(site: StandIn, client: httpx.Client) -> None:
    """Files under the site's files folder are linked relatively, others absolutely."""
    page = client.get(WITH_FILE).text
    aside = page.split('<aside class="ds-three-col__right article__related"')[1]
    assert '<div class="file"><a href="/sites/default/files/TSO_Discussiondoc_Aug08.pdf">' in aside
    other = "https://files.example.org/report.pdf"
    site.publish("with-files", attachments=[f"{PUBLIC}/sites/default/files/a%20b.pdf", other])
    aside = client.get("/release/with-files").text.split("article__related")[1]
    assert '<a href="/sites/default/files/a%20b.pdf">' in aside
    assert f'<a href="{other}">' in aside


def test_encoded_slug_matches_encoded_and_decoded_forms(client: httpx.Client) -> None:
    """The percent-encoded path, lower-case hex and the decoded path all reach the page."""
    assert client.get(ENCODED).status_code == 200
    assert client.get(ENCODED.lower()).status_code == 200
    assert client.get("/release/tāmaki-makaurau-election-date-set").status_code == 200
    canonical = f'<link rel="canonical" href="{PUBLIC}{ENCODED}">'
    assert canonical in client.get(ENCODED.lower()).text


def test_raw_utf8_request_path_is_accepted(site: StandIn) -> None:
    """A request line carrying raw UTF-8 (not percent-encoded) still finds the page."""
    address = urlsplit(site.base_url)
    with socket.create_connection((str(address.hostname), address.port or 80), timeout=5) as conn:
        path = "/release/tāmaki-makaurau-election-date-set".encode()
        conn.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200 ")


def test_unknown_paths_are_404(client: httpx.Client) -> None:
    """Anything the site does not have is a 404, with the site's "page not found" page."""
    for path in ("/", "/release/no-such-thing", "/releases/", "/features", "/node/1", "/node/x"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "<title>Page not found | Beehive.govt.nz</title>" in response.text
        assert "etag" not in response.headers and "last-modified" not in response.headers


def test_undated_page_has_no_time(client: httpx.Client) -> None:
    """The undated fixture is served without any time element."""
    text = client.get(UNDATED).text
    assert "<time" not in text and "Challenge laid for New Zealand" in text


def test_test_made_speeches_and_features_exist(site: StandIn, client: httpx.Client) -> None:
    """Three speeches and two features are derived from releases and marked test-made."""
    made = [i for i in site.items if i.test_made]
    assert sorted(i.kind for i in made) == ["feature", "feature", "speech", "speech", "speech"]
    for item in made:
        text = client.get(item.path).text
        assert f'<link rel="canonical" href="{PUBLIC}{item.path}">' in text


def test_other_pages_folder(tmp_path: Path) -> None:
    """A pages folder of records loads; an empty or missing time means undated."""
    main = '<h1 class="article__title">\n  T\n</h1>\n<div class="field--name-body"><p>b</p></div>'
    for n, time in enumerate(["", None, "2024-05-01T01:02:03Z"]):
        record = {"url": f"{PUBLIC}/release/r%C4%81-{n}", "title": "T", "content": main}
        if time is not None:
            record["time"] = time
        (tmp_path / f"{n}.json").write_text(json.dumps(record), encoding="utf-8")
    site = StandIn(tmp_path)
    assert [i.when is None for i in site.items] == [False, True, True]
    assert [i for i in site.items if i.test_made] == []
    with site.running() as base:
        assert httpx.get(base + "/release/r%C4%81-1").status_code == 200
        assert len(result_links(httpx.get(base + "/releases").text)) == 1


# --- listings and search -------------------------------------------------------------------


def test_releases_listing_paginates_newest_first(client: httpx.Client) -> None:
    """Ten teasers a page, newest first, current government only, `rel=next` until the end."""
    seen: list[str] = []
    times: list[str] = []
    page = 0
    while True:
        text = client.get("/releases", params={"page": page}).text
        region = results(text)
        assert region.count('<article class="teaser') == len(result_links(text))
        assert '<em class="meta__content-type">Release</em>' in region
        seen += result_links(text)
        times += TIME.findall(region)
        if 'rel="next"' not in text:
            break
        assert f'href="?page={page + 1}"' in text
        page += 1
    assert page == 1 and len(seen) == 18 and len(set(seen)) == 18
    assert times == sorted(times, reverse=True)
    assert min(times) >= "2023-11-26T11:00:00Z"
    assert all(h.startswith("/release/") for h in seen)


def test_listing_out_of_range_is_empty(client: httpx.Client) -> None:
    """A page past the end is a 200 with an empty results region, as Drupal answers."""
    response = client.get("/releases?page=50")
    assert response.status_code == 200
    assert result_links(response.text) == [] and 'rel="next"' not in response.text


def test_speeches_listing(client: httpx.Client) -> None:
    """`/speeches` lists the current government's (test-made) speeches."""
    text = client.get("/speeches?page=0").text
    assert len(result_links(text)) == 2
    assert '<em class="meta__content-type">Speech</em>' in text


@pytest.mark.parametrize(
    "brackets",
    [
        "f[0]=government_facet:{g}&f[1]=content_type_facet:{t}",
        "f%5B0%5D=government_facet%3A{g}&f%5B1%5D=content_type_facet%3A{t}",
    ],
)
def test_search_filters_by_government_and_type(client: httpx.Client, brackets: str) -> None:
    """Search returns a government's items of one type, plain or with encoded brackets."""
    text = client.get("/search?" + brackets.format(g=6455, t="article")).text
    links = result_links(text)
    assert len(links) == 11 and all(h.startswith("/release/") for h in links)
    assert text.count('views-field-field-issue-date"><div class="field-content"><time') == 11
    speeches = result_links(client.get("/search?" + brackets.format(g=6700, t="speech")).text)
    assert len(speeches) == 2 and all(h.startswith("/speech/") for h in speeches)
    features = result_links(client.get("/search?" + brackets.format(g=5926, t="feature")).text)
    assert features == ["/feature/feature-pm-welcomes-police-decision-letter-regret"]


def test_search_before_2008_links_nodes_and_dates_undated_pages(
    site: StandIn, client: httpx.Client
) -> None:
    """Older results link `/node/<id>`; an undated page is listed with its issue date."""
    query = "/search?f[0]=government_facet:4637&f[1]=content_type_facet:article"
    text = client.get(query).text
    links = result_links(text)
    assert len(links) == 12 and all(re.fullmatch(r"/node/\d+", h) for h in links)
    assert len(TIME.findall(results(text))) == 12
    target = client.get(links[-1], follow_redirects=True)
    assert target.url.path == UNDATED
    assert "<time" not in target.text.split("ds-three-col__main", 1)[1].split("<aside", 1)[0]
    site.publish("nowhere-dated", undated=True)
    text = client.get(query).text
    assert len(result_links(text)) == 13 and len(TIME.findall(results(text))) == 12


def test_search_paginates_24_a_page(site: StandIn, client: httpx.Client) -> None:
    """Search pages hold 24 rows, with a pager that keeps the facets (brackets encoded)."""
    for n in range(10):
        site.publish(f"more-{n}")
    query = "/search?f[0]=government_facet:6700&f[1]=content_type_facet:article"
    first = client.get(query).text
    assert len(result_links(first)) == 24
    facets = "f%5B0%5D=government_facet%3A6700&amp;f%5B1%5D=content_type_facet%3Aarticle"
    assert f'href="?{facets}&amp;page=1" title="Go to next page" rel="next"' in first
    second = client.get(query + "&page=1").text
    assert len(result_links(second)) == 4 and 'rel="next"' not in second
    assert result_links(client.get(query + "&page=2").text) == []


def test_page_sizes_are_configurable() -> None:
    """Listing and search page sizes can be made small for tests."""
    site = StandIn(listing_size=3, search_size=5)
    with site.running() as base, httpx.Client(base_url=base) as http:
        assert len(result_links(http.get("/releases").text)) == 3
        query = "/search?f[0]=government_facet:6064&f[1]=content_type_facet:article&page=2"
        assert len(result_links(http.get(query).text)) == 4


def test_node_redirects_to_item(site: StandIn, client: httpx.Client) -> None:
    """`/node/<id>` is a 301 to the item's path."""
    item = site.item(ENCODED)
    assert item is not None
    response = client.get(f"/node/{item.node_id}")
    assert response.status_code == 301
    assert urlsplit(response.headers["location"]).path == ENCODED


# --- feed and robots -------------------------------------------------------------------------


def test_rss_has_the_real_feed_shape(site: StandIn, client: httpx.Client) -> None:
    """`/rss.xml` parses, holds 30 items with public links, node guids and NZ-offset dates."""
    response = client.get("/rss.xml")
    assert response.headers["content-type"].startswith("application/rss+xml")
    channel = ET.fromstring(response.content).find("channel")
    assert channel is not None
    assert channel.findtext("link") == f"{PUBLIC}/"
    items = channel.findall("item")
    assert len(items) == 30
    dc = "{http://purl.org/dc/elements/1.1/}creator"
    for item in items:
        assert str(item.findtext("link")).startswith(f"{PUBLIC}/")
        assert re.fullmatch(rf"{PUBLIC}/\d+", str(item.findtext("guid")))
        assert re.fullmatch(
            r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+1[23]00", str(item.findtext("pubDate"))
        )
        assert item.findtext(dc) == "beehive.govt.nz"
    newest = max(site.items, key=lambda i: i.node_id)
    assert items[0].findtext("link") == newest.public_url
    assert "<![CDATA[" in response.text and "&nbsp;" in response.text


def test_robots_txt_is_configurable(site: StandIn, client: httpx.Client) -> None:
    """Drupal's robots.txt by default; a Crawl-delay or other text on request."""
    text = client.get("/robots.txt").text
    assert "User-agent: *" in text and "Disallow: /search/" in text and "Crawl-delay" not in text
    site.set_robots(crawl_delay=2)
    assert "User-agent: *\nCrawl-delay: 2\n" in client.get("/robots.txt").text
    site.set_robots("User-agent: *\nDisallow: /\n")
    assert client.get("/robots.txt").text == "User-agent: *\nDisallow: /\n"


# --- mirror links ----------------------------------------------------------------------------


def test_public_links_are_the_default(site: StandIn, client: httpx.Client) -> None:
    """By default absolute links name www.beehive.govt.nz, whatever host serves the page."""
    assert site.links == "public" and site.origin == PUBLIC
    assert f'<link rel="shortlink" href="{PUBLIC}/node/' in client.get(APP).text
    assert f'href="{PUBLIC}/rss.xml"' in client.get("/releases").text
    assert f'xml:base="{PUBLIC}/"' in client.get("/rss.xml").text


def test_own_links_name_the_stand_in() -> None:
    """With links="own", the head, feed, listings and search name the stand-in's own URL."""
    site = StandIn(links="own")
    with site.running() as base, httpx.Client(base_url=base) as http:
        assert site.origin == base and base.startswith("http://127.0.0.1:")
        item = site.item(ENCODED)
        assert item is not None
        page = http.get(ENCODED).text
        assert f'<link rel="canonical" href="{base}{ENCODED}">' in page
        assert f'<meta property="og:url" content="{base}{ENCODED}">' in page
        assert f'<link rel="shortlink" href="{base}/node/{item.node_id}">' in page
        head = page[: page.index("ds-three-col__main")]
        assert PUBLIC not in head
        feed = http.get("/rss.xml")
        assert PUBLIC not in feed.text.split("<description>", 1)[0]
        channel = ET.fromstring(feed.content).find("channel")
        assert channel is not None and channel.findtext("link") == f"{base}/"
        for entry in channel.findall("item"):
            assert str(entry.findtext("link")).startswith(f"{base}/")
            assert re.fullmatch(rf"{re.escape(base)}/\d+", str(entry.findtext("guid")))
        query = "/search?f[0]=government_facet:6700&f[1]=content_type_facet:article"
        for path in ("/releases?page=0", query, "/no-such-page"):
            text = http.get(path).text
            assert PUBLIC not in text and f'href="{base}/rss.xml"' in text, path
        # Result links stay relative in both modes, so following them stays on the mirror.
        assert result_links(http.get("/releases?page=0").text)[0].startswith("/release/")
    with pytest.raises(ValueError):
        StandIn(links="mirror")


# --- validators ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [APP, "/releases?page=0", "/rss.xml", "/robots.txt", "/search?f[0]=government_facet:6700"],
)
def test_conditional_requests_get_304(client: httpx.Client, path: str) -> None:
    """Every 200 has a strong ETag and Last-Modified; matching validators get a bodyless 304."""
    first = client.get(path)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    by_etag = client.get(path, headers={"If-None-Match": etag})
    assert by_etag.status_code == 304 and by_etag.content == b""
    assert by_etag.headers["etag"] == etag
    by_date = client.get(path, headers={"If-Modified-Since": modified})
    assert by_date.status_code == 304 and by_date.content == b""
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_head_has_headers_only(client: httpx.Client) -> None:
    """HEAD answers with the GET headers and no body."""
    response = client.head(APP)
    assert response.status_code == 200 and response.content == b""
    assert int(response.headers["content-length"]) == len(client.get(APP).content)


# --- faults --------------------------------------------------------------------------------


def test_fault_429_with_seconds_and_date(site: StandIn, client: httpx.Client) -> None:
    """429 carries Retry-After as seconds or as an HTTP date, once, then content again."""
    site.fail(APP, "429", retry_after=7)
    response = client.get(APP)
    assert response.status_code == 429 and response.headers["retry-after"] == "7"
    when = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    site.fail(APP, "429", retry_after=when)
    assert client.get(APP).headers["retry-after"] == "Wed, 02 Jan 2030 03:04:05 GMT"
    assert client.get(APP).status_code == 200


def test_fault_503_with_and_without_retry_after(site: StandIn, client: httpx.Client) -> None:
    """503 has Retry-After only when asked for."""
    site.fail(APP, "503")
    site.fail(APP, "503", retry_after=3)
    first, second = client.get(APP), client.get(APP)
    assert first.status_code == 503 and "retry-after" not in first.headers
    assert second.status_code == 503 and second.headers["retry-after"] == "3"


def test_fault_reset_closes_without_response(site: StandIn, client: httpx.Client) -> None:
    """A reset drops the connection (RST by default, a plain close with hard=False)."""
    site.fail(APP, "reset")
    with pytest.raises(httpx.TransportError):
        client.get(APP)
    site.fail(APP, "reset", hard=False)
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(APP)
    assert client.get(APP).status_code == 200


def test_fault_slow_trips_a_short_timeout(site: StandIn) -> None:
    """A slow response outlasts a short client timeout; stopping the site ends the wait."""
    site.fail(APP, "slow", delay=30)
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(site.base_url + APP, timeout=0.2)


def test_fault_slow_still_answers(site: StandIn) -> None:
    """A slow response does arrive when the client waits long enough."""
    site.fail(APP, "slow", delay=0.05)
    assert httpx.get(site.base_url + APP, timeout=5).status_code == 200


def test_fault_truncate(site: StandIn, client: httpx.Client) -> None:
    """A truncated body is shorter than its Content-Length, then the connection closes."""
    site.fail(APP, "truncate")
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(APP)
    assert client.get(APP).status_code == 200


def test_fault_challenge_variants(site: StandIn, client: httpx.Client) -> None:
    """The block page comes with status 200: the real 212 bytes, or a variant."""
    site.fail(APP, "challenge")
    site.fail(APP, "challenge", variant="pardon")
    site.fail(APP, "challenge", variant="incapsula-long")
    real = client.get(APP)
    assert real.status_code == 200
    assert real.content == (BLOCKED_DIR / "incapsula-212.html").read_bytes()
    assert len(real.content) == 212 and "etag" not in real.headers
    assert "Pardon Our Interruption" in client.get(APP).text
    assert "_Incapsula_Resource" in client.get(APP).text


@pytest.mark.parametrize("kind", ["404", "410"])
def test_fault_status_pages(site: StandIn, client: httpx.Client, kind: str) -> None:
    """404 and 410 faults answer with that status."""
    site.fail(APP, kind)
    assert client.get(APP).status_code == int(kind)


def framed_main(text: str) -> LexborNode:
    """Check a page has the site's frame; return its main column."""
    tree = LexborHTMLParser(text)
    for selector in ("header.site-header nav.main-nav", "footer.site-footer", "main#main-content"):
        assert tree.css_first(selector) is not None, selector
    for column in ("left", "right"):
        assert tree.css_first(f".ds-three-col > .ds-three-col__{column}") is not None, column
    main = tree.css_first(".ds-three-col > div.ds-three-col__main")
    assert main is not None
    return main


def test_fault_not_found_is_the_404_page_with_status_200(
    site: StandIn, client: httpx.Client
) -> None:
    """A soft 404: the site's 404 page, byte for byte, with status 200 and no validators."""
    site.fail(APP, "not-found")
    soft = client.get(APP)
    assert soft.status_code == 200
    assert "etag" not in soft.headers and "last-modified" not in soft.headers
    assert soft.content == client.get("/release/no-such-thing").content
    tree = LexborHTMLParser(soft.text)
    title = tree.css_first("title")
    assert title is not None and title.text() == "Page not found | Beehive.govt.nz"
    assert tree.css("link[rel=canonical]") == [] and tree.css('meta[property="og:url"]') == []
    main = framed_main(soft.text)
    heading = main.css_first("h1.article__title")
    assert heading is not None and heading.text() == "Page not found"
    assert main.css("time") == [] and main.css("ul.meta--ministers") == []
    assert main.css("div.field--name-body") == []
    assert [p.text() for p in main.css("p")] == ["The requested page could not be found."]
    assert main.css_first('form[action="/search"] input[name="keys"]') is not None
    assert client.get(APP).status_code == 200 and TIME.search(client.get(APP).text)


@pytest.mark.parametrize(
    ("variant", "words"),
    [(None, "The site is undergoing maintenance."), ("error", "unexpected error")],
)
def test_fault_not_a_release(
    site: StandIn, client: httpx.Client, variant: str | None, words: str
) -> None:
    """A notice in the site's frame, status 200, whose main column has no article title."""
    if variant is None:
        site.fail("/release/*", "not-a-release")  # maintenance by default
    else:
        site.fail("/release/*", "not-a-release", variant=variant)
    response = client.get(APP)
    assert response.status_code == 200
    assert "etag" not in response.headers and "last-modified" not in response.headers
    main = framed_main(response.text)
    assert words in main.text()
    assert main.css("h1.article__title") == [] and main.css("time") == []
    assert main.css("div.field--name-body") == []
    assert "canonical" not in response.text
    with pytest.raises(ValueError):
        site.fail(APP, "not-a-release", variant="teapot")


def test_fault_redirect_to_another_host(site: StandIn, client: httpx.Client) -> None:
    """A redirect fault sends the given status and Location, which may be another host."""
    site.fail(APP, "redirect", location="https://elsewhere.example/x")
    site.fail(APP, "redirect", location="/release/te-huia-service-extension-welcomed", status=302)
    first = client.get(APP)
    assert first.status_code == 301 and first.headers["location"] == "https://elsewhere.example/x"
    second = client.get(APP, follow_redirects=True)
    assert second.url.path == "/release/te-huia-service-extension-welcomed"


def test_fault_times_patterns_and_checks(site: StandIn, client: httpx.Client) -> None:
    """`times` counts down (None: forever); `*` matches a prefix; bad rules are refused."""
    site.fail("/release/*", "challenge", times=None)
    site.fail("/rss.xml", "503", times=2)
    for _ in range(3):
        assert len(client.get(APP).content) == 212
    assert [client.get("/rss.xml").status_code for _ in range(3)] == [503, 503, 200]
    assert (
        client.get("/releases").status_code == 200 and "views-row" in client.get("/releases").text
    )
    site.clear_faults()
    assert client.get(APP).status_code == 200
    site.fail("/releases?page=1", "404")
    assert client.get("/releases?page=0").status_code == 200
    assert client.get("/releases?page=1").status_code == 404
    with pytest.raises(ValueError):
        site.fail(APP, "teapot")
    with pytest.raises(ValueError):
        site.fail(APP, "slow")
    with pytest.raises(ValueError):
        site.fail(APP, "redirect")
    with pytest.raises(ValueError):
        site.fail(APP, "429", delay=1)


def test_latency_delays_every_response() -> None:
    """A global latency is added to each response (the only server-side wait besides slow)."""
    site = StandIn(latency=0.05)
    with site.running() as base:
        response = httpx.get(base + "/robots.txt")
    assert response.status_code == 200 and response.elapsed >= dt.timedelta(seconds=0.05)


# --- a site that is down -----------------------------------------------------------------


def test_down_503_everywhere(site: StandIn, client: httpx.Client) -> None:
    """`fail("*", "503", times=None)` answers every path and method with 503 until cleared."""
    site.fail("*", "503", times=None, retry_after=120)
    paths = (
        "/robots.txt",
        "/rss.xml",
        APP,
        "/releases?page=0",
        "/search?f[0]=government_facet:6700",
        "/no-such-page",
        "/node/100001",
    )
    for path in paths:
        response = client.get(path)
        assert response.status_code == 503 and response.headers["retry-after"] == "120", path
    assert client.head(APP).status_code == 503
    site.clear_faults()
    assert client.get(APP).status_code == 200


def test_down_silent_until_the_server_stops(site: StandIn) -> None:
    """`silent` reads the request and never answers; stopping the site closes the connection."""
    site.fail("*", "silent", times=None)
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(site.base_url + APP, timeout=0.2)
    arrived = threading.Event()
    site.on_request = lambda target: arrived.set()
    errors: list[httpx.HTTPError] = []

    def fetch() -> None:
        """Wait far longer than the test takes for an answer that never comes."""
        try:
            httpx.get(site.base_url + "/rss.xml", timeout=60)
        except httpx.HTTPError as exc:
            errors.append(exc)

    thread = threading.Thread(target=fetch)
    thread.start()
    assert arrived.wait(60)
    site.stop()
    thread.join(10)
    assert not thread.is_alive()
    assert [type(e) for e in errors] == [httpx.RemoteProtocolError]
    assert [r.target for r in site.requests] == [APP, "/rss.xml"]


def test_down_connection_refused_then_back_on_the_same_port() -> None:
    """A stopped stand-in refuses connections; started on its old port, it serves again."""
    site = StandIn()
    base = site.start()
    site.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(base + "/robots.txt")
    with pytest.raises(RuntimeError):
        site.base_url  # noqa: B018 -- the property raises when not running
    assert site.start(port=urlsplit(base).port or 0) == base
    try:
        assert httpx.get(base + "/robots.txt").status_code == 200
    finally:
        site.stop()


# --- changes -------------------------------------------------------------------------------


def test_change_title_and_html(site: StandIn, client: httpx.Client) -> None:
    """A change alters body, ETag and Last-Modified; old validators then get a 200."""
    before = client.get(APP)
    site.change(APP, "A new title")
    after = client.get(APP, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
    assert after.headers["last-modified"] != before.headers["last-modified"]
    assert (
        "A new title" in after.text
        and '<meta property="og:title" content="A new title">' in after.text
    )
    assert "A new title" in client.get("/rss.xml").text
    html = '<h1 class="article__title">\n  Replaced\n</h1>\n<div class="field--name-body">x</div>'
    site.change(APP, html)
    assert "Replaced" in client.get(APP).text


def test_listing_validators_change_on_publish(site: StandIn, client: httpx.Client) -> None:
    """After a publish, a listing's old If-Modified-Since no longer gets a 304."""
    before = client.get("/releases")
    site.publish("brand-new")
    after = client.get("/releases", headers={"If-Modified-Since": before.headers["last-modified"]})
    assert after.status_code == 200


def test_publish_appears_everywhere(site: StandIn, client: httpx.Client) -> None:
    """A published item has its page, and tops the feed, the listing and search."""
    item = site.publish("new-release-ā", copy_of=APP, title="Brand new release")
    assert item.path == "/release/new-release-%C4%81" and item.test_made
    page = client.get(item.path).text
    assert "Brand new release" in page and f'href="{PUBLIC}/release/new-release-%C4%81"' in page
    assert TIME.findall(page)[0][:10] == dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    feed = ET.fromstring(client.get("/rss.xml").content).findall("channel/item")
    assert len(feed) == 30 and feed[0].findtext("link") == item.public_url
    assert result_links(client.get("/releases").text)[0] == item.path
    search = "/search?f[0]=government_facet:6700&f[1]=content_type_facet:article"
    assert result_links(client.get(search).text)[0] == item.path
    assert client.get(f"/node/{item.node_id}").headers["location"].endswith(item.path)


def test_publish_variants(site: StandIn, client: httpx.Client) -> None:
    """Backdated, undated, test-made and speech items; duplicates are refused."""
    old = site.publish("backdated", when=dt.datetime(2010, 5, 1, tzinfo=dt.UTC))
    assert old.government == 4775
    assert result_links(client.get("/releases").text)[0] != old.path
    first = ET.fromstring(client.get("/rss.xml").content).find("channel/item")
    assert first is not None and first.findtext("link") == old.public_url
    undated = site.publish("no-date", undated=True)
    assert "<time" not in client.get(undated.path).text
    speech = site.publish("a-speech", kind="speech", title="A speech")
    assert result_links(client.get("/speeches").text)[0] == "/speech/a-speech"
    assert "A speech" in client.get(speech.path).text
    nbsp = site.publish("trailing-space\xa0")
    assert nbsp.path == "/release/trailing-space%C2%A0"
    assert client.get(nbsp.path).status_code == 200
    with pytest.raises(ValueError):
        site.publish("a-speech", kind="speech")
    with pytest.raises(ValueError):
        site.publish("x", kind="diary")


# --- absurd and extreme items ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "iso", "text", "pub_date", "government"),
    [
        # Before 1868 New Zealand kept local mean time, +11:39:04; the feed rounds it.
        (
            dt.datetime(1, 1, 1, tzinfo=dt.UTC),
            "0001-01-01T00:00:00Z",
            "1 January 1",
            "Mon, 01 Jan 0001 11:39:00 +1139",
            4194,
        ),
        # An hour before datetime's end it is already year 10000 in New Zealand.
        (
            dt.datetime(9999, 12, 31, 23, 0, tzinfo=dt.UTC),
            "9999-12-31T23:00:00Z",
            "1 January 10000",
            "Sat, 01 Jan 10000 12:00:00 +1300",
            6700,
        ),
    ],
)
def test_publish_at_the_ends_of_time(
    site: StandIn,
    client: httpx.Client,
    when: dt.datetime,
    iso: str,
    text: str,
    pub_date: str,
    government: int,
) -> None:
    """Items dated year 1 or 9999 are served on their page, feed, listing and search."""
    item = site.publish(f"edge-{when.year}", when=when)
    assert item.government == government
    assert item.node_id == max(i.node_id for i in site.items)
    page = client.get(item.path)
    assert page.status_code == 200
    assert f'<time datetime="{iso}">{text}</time>' in page.text
    since = {"If-Modified-Since": page.headers["last-modified"]}
    assert client.get(item.path, headers=since).status_code == 304
    first = ET.fromstring(client.get("/rss.xml").content).find("channel/item")
    assert first is not None and first.findtext("link") == item.public_url
    assert first.findtext("pubDate") == pub_date
    listing = client.get("/releases?page=0").text
    assert (result_links(listing)[0] == item.path) == (government == 6700)
    search = client.get(
        f"/search?f[0]=government_facet:{government}&f[1]=content_type_facet:article"
    ).text
    href = item.path if government == 6700 else f"/node/{item.node_id}"
    row = re.search(
        rf'<a href="{href}">[^<]*</a>.*?<time datetime="([^"]+)">([^<]*)<', search, re.S
    )
    assert row is not None and row.groups() == (iso, text)
    assert client.get(href, follow_redirects=True).url.path == item.path


def test_record_dated_9999_loads_and_changes(tmp_path: Path) -> None:
    """A pages folder record dated 9999 gets a Last-Modified no later than now, and can change."""
    main = '<h1 class="article__title">\n  T\n</h1>\n<div class="field--name-body"><p>b</p></div>'
    record = {"url": f"{PUBLIC}/release/far", "title": "T", "content": main}
    record["time"] = "9999-12-31T23:59:59Z"
    (tmp_path / "far.json").write_text(json.dumps(record), encoding="utf-8")
    site = StandIn(tmp_path)
    with site.running() as base, httpx.Client(base_url=base) as http:
        before = http.get("/release/far").headers["last-modified"]
        assert dt.datetime.strptime(before, "%a, %d %b %Y %H:%M:%S GMT").year < 9999
        site.change("/release/far", "Changed")
        assert http.get("/release/far", headers={"If-Modified-Since": before}).status_code == 200


@pytest.mark.parametrize("length", [250, 2000])
def test_over_long_slug(site: StandIn, client: httpx.Client, length: int) -> None:
    """A slug hundreds of characters long is served, listed and named in the page head."""
    item = site.publish("a" * length)
    assert item.path == "/release/" + "a" * length
    page = client.get(item.path)
    assert page.status_code == 200
    assert f'<link rel="canonical" href="{PUBLIC}{item.path}">' in page.text
    assert result_links(client.get("/releases?page=0").text)[0] == item.path
    assert client.get(item.path + "a").status_code == 404


# --- log, control and command line ---------------------------------------------------------


def test_request_log_and_count(site: StandIn, client: httpx.Client) -> None:
    """Requests are logged raw with their headers; count matches raw or decoded prefixes."""
    client.get(ENCODED, headers={"User-Agent": "probe/1"})
    client.get("/releases?page=1")
    log = site.requests
    assert (log[0].method, log[0].target) == ("GET", ENCODED)
    assert log[0].headers["user-agent"] == "probe/1"
    assert log[1].target == "/releases?page=1"
    assert site.count("/release") == 2 and site.count("/release/tā") == 1
    site.clear_log()
    assert site.requests == [] and site.count("/") == 0


def test_concurrent_requests(site: StandIn) -> None:
    """Many clients at once all get answers, while the content changes under them."""
    codes: list[int] = []

    def fetch() -> None:
        """Fetch three paths with a client of its own."""
        with httpx.Client(base_url=site.base_url, timeout=5) as http:
            codes.extend(http.get(p).status_code for p in (APP, "/rss.xml", "/releases"))

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for n in range(5):
        site.publish(f"concurrent-{n}")
    for thread in threads:
        thread.join()
    assert codes == [200] * 24 and site.count("/") == 24


def test_stop_frees_the_port() -> None:
    """After the `with` block, nothing listens any more."""
    site = StandIn()
    with site.running() as base:
        assert httpx.get(base + "/robots.txt").status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(base + "/robots.txt")


@contextlib.contextmanager
def command_line(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`python -m tests.standin --port 0 ARGS`, its first line read: the process and that
    line; killed if still running when the block ends."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.standin", "--port", "0", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield process, process.stdout.readline()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize("links", ["public", "own"])
def test_command_line_serves_and_exits_on_sigterm(links: str) -> None:
    """`python -m tests.standin --port 0` prints one line, serves, and exits 0 on SIGTERM."""
    with command_line("--links", links) as (process, line):
        assert re.fullmatch(r"serving http://127\.0\.0\.1:\d+\n", line)
        base = line.split()[1]
        feed = httpx.get(base + "/rss.xml")
        assert feed.status_code == 200
        origin = base if links == "own" else PUBLIC
        assert f"<link>{origin}/</link>" in feed.text
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=10)
    assert process.returncode == 0 and out == ""


@pytest.mark.parametrize(("given", "valid_for"), [([], None), (["3"], 3), (["all"], None)])
def test_command_line_clearance_sets_the_check(given: list[str], valid_for: int | None) -> None:
    """`--clearance [K|all]` puts the pages behind the check a browser passes."""
    from tests.standin.__main__ import parse_args

    assert parse_args([]).clearance is False
    args = parse_args(["--clearance", *given])
    assert args.clearance == valid_for


@pytest.mark.parametrize("bad", ["0", "-2", "soon"])
def test_command_line_clearance_refuses_a_bad_count(
    bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A count that is not a positive number: a usage error naming the flag."""
    from tests.standin.__main__ import parse_args

    with pytest.raises(SystemExit) as stop:
        parse_args(["--clearance", bad])
    assert stop.value.code == 2 and "--clearance" in capsys.readouterr().err


def test_command_line_with_clearance_serves_the_block_page() -> None:
    """With `--clearance`, a page without the cookie is the block page; robots.txt is not."""
    with command_line("--clearance") as (process, line):
        base = line.split()[1]
        page = httpx.get(base + "/releases?page=0")
        assert page.status_code == 200 and is_block_page(page.text)
        assert "Disallow" in httpx.get(base + "/robots.txt").text
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)
    assert process.returncode == 0
