"""Find pages to fetch: parse the feed and listing pages into links. No I/O.

The feed (``/rss.xml``) is seen; the listing and search pages are only reported, so their
parser does not rely on one class chain: it takes every link to a content path inside the
results region, with the ``time[datetime]`` of the same result row. The selectors and paths
below are module constants, to be changed in one place when the real markup is seen.
"""

from __future__ import annotations

import codecs
import datetime as dt
import email.utils
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from urllib.parse import SplitResult, urljoin, urlsplit

import defusedxml.ElementTree as DefusedET
from defusedxml import DefusedXmlException, EntitiesForbidden
from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper.errors import BlockPageError, ParseError
from scraper.site.blockpage import BLOCK_ADVICE, is_block_page
from scraper.site.guard import Budget, check_page
from scraper.site.urls import (
    ASCII_WHITESPACE,
    PUBLIC_SITE,
    SITE_HOSTS,
    canonical_url,
    content_type_of,
    node_id_of,
)

# --- Listing and search URLs (reported) ---------------------------------------------------

#: Listing pages, 0-based ``?page=N``, current government only. Features have no listing
#: reported (only ``/releases`` and ``/speeches`` are), so none is guessed: features are found
#: through the feed and through :func:`search_path`.
LISTING_PATHS: dict[str, str] = {"release": "/releases", "speech": "/speeches"}

#: Government facet ids of the search, newest first (2023–2026 … 1993–96).
SEARCH_GOVERNMENTS: tuple[int, ...] = (
    6700,
    6455,
    6203,
    6064,
    5926,
    4775,
    4637,
    4507,
    4376,
    4265,
    4194,
)

#: Our content type → the search's ``content_type_facet`` value.
SEARCH_TYPES: dict[str, str] = {"release": "article", "speech": "speech", "feature": "feature"}

#: The search path. Brackets are written as the site writes them: httpx sends a query as it
#: is given (``f[0]`` stays ``f[0]``), and Drupal reads ``f%5B0%5D`` the same anyway.
SEARCH_TEMPLATE = (
    "/search?f[0]=government_facet:{government}&f[1]=content_type_facet:{facet}&page={page}"
)

# --- Listing markup (reported, not seen) --------------------------------------------------

#: Elements holding the results. Links are taken from inside any of them; when a page has
#: none of them, from the whole document.
RESULTS_REGION_SELECTORS: tuple[str, ...] = (
    "main",
    "[role=main]",
    ".view-content",
    ".views-element-container",
    ".search-results",
)

#: Links inside these are never results (site chrome, sidebars, pagers), even inside a region.
EXCLUDED_SELECTORS: tuple[str, ...] = (
    "header",
    "nav",
    "footer",
    "aside",
    "[role=banner]",
    "[role=navigation]",
    "[role=contentinfo]",
    "[role=complementary]",
    ".pager",
    ".breadcrumb",
    # Side columns of the site's three-column layout may hold views of their own ("Latest").
    ".ds-three-col__left",
    ".ds-three-col__right",
    "[class*=sidebar]",
)

#: The date of a result: the first of these inside its row with a usable ``datetime``.
TIME_SELECTOR = "time[datetime]"

#: How a listing page is named in errors (the caller reports which page it fetched).
LISTING = "the listing page"

_SPACES = re.compile(r"[ \t\r\n\f\v]+")
_YEAR = re.compile(r"\b[0-9]{4}\b")
_XML_ENCODING = re.compile(rb"<\?xml[^>]*?\sencoding\s*=\s*[\"']([A-Za-z0-9._:-]*)[\"']")
#: Encodings the feed may declare (codecs' names): the site's is UTF-8.
_FEED_ENCODINGS = frozenset({"utf-8", "ascii", "iso8859-1", "cp1252"})
_HTML_START = re.compile(rb"(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html[\s>])", re.I | re.S)


@dataclass(frozen=True)
class Discovered:
    """A page found in the feed or a listing, not yet fetched."""

    #: Canonical public URL (see ``urls.canonical_url``); ``/node/<id>`` links stay
    #: ``https://www.beehive.govt.nz/node/<id>``.
    url: str
    #: "release", "speech" or "feature"; None for ``/node/<id>`` links (known once fetched).
    content_type: str | None
    #: Aware UTC instant when the source gave one.
    published: dt.datetime | None
    title: str | None


# --- Shared helpers -----------------------------------------------------------------------


def _clean(text: str | None) -> str | None:
    """Trim and collapse ASCII whitespace (no-break spaces are kept); None when empty."""
    if text is None:
        return None
    cleaned = _SPACES.sub(" ", text).strip(" ")
    return cleaned or None


def _site_link(href: str | None, hosts: frozenset[str]) -> tuple[str, str | None] | None:
    """(canonical URL, content type) for a link to a content or node path of the site, else None.

    Relative links are resolved against the site root (listings are top-level pages);
    absolute links count only on the site's hosts (`hosts`: names, or ``name:port``).
    """
    cleaned = (href or "").strip(ASCII_WHITESPACE)
    if not cleaned:
        return None
    try:
        parts = urlsplit(urljoin(PUBLIC_SITE + "/", cleaned))
    except ValueError:  # e.g. "http://[broken"
        return None
    if parts.scheme not in ("http", "https") or not _on_hosts(parts, hosts):
        return None
    content_type = content_type_of(parts.path)
    if content_type is None and node_id_of(parts.path) is None:
        return None
    return canonical_url(parts.path), content_type


def _on_hosts(parts: SplitResult, hosts: frozenset[str]) -> bool:
    """Whether a link's host (with its port, when it names one) is one of the site's."""
    host = (parts.hostname or "").lower()
    try:
        netloc = f"{host}:{parts.port}" if parts.port else host
    except ValueError:  # a port that is not a number
        return False
    return host in hosts or netloc in hosts


def _aware_utc(value: dt.datetime) -> dt.datetime | None:
    """The instant as an aware UTC datetime (naive: UTC already); None when off the calendar."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:  # 0001-01-01 with a positive offset lies before the first instant
        return None


def _parse_instant(text: str | None) -> dt.datetime | None:
    """An RFC 822 (``Tue, 01 Apr 2025 17:42:54 +1300``) or ISO 8601 date-time, as aware UTC.

    A bare date (no time of day) is not an instant and gives None, as does anything
    unreadable.
    """
    cleaned = _clean(text)
    if cleaned is None:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(cleaned)
    except (TypeError, ValueError, IndexError):
        pass
    else:
        # The email parser takes years below 100 for two-digit ones ("0001" → 2001).
        year = _YEAR.search(cleaned)
        return _aware_utc(parsed) if year is None or int(year[0]) == parsed.year else None
    if "T" not in cleaned and " " not in cleaned:
        return None  # a bare date
    try:
        return _aware_utc(dt.datetime.fromisoformat(cleaned))
    except ValueError:
        return None


def _dedupe(found: list[Discovered]) -> list[Discovered]:
    """One entry per URL, at its first position; missing fields filled from later duplicates."""
    by_url: dict[str, Discovered] = {}
    for item in found:
        first = by_url.get(item.url)
        if first is None:
            by_url[item.url] = item
        elif first.title is None or first.published is None:
            by_url[item.url] = replace(
                first,
                title=first.title if first.title is not None else item.title,
                published=first.published if first.published is not None else item.published,
            )
    return list(by_url.values())


# --- Feed ---------------------------------------------------------------------------------


def parse_feed(xml: bytes, hosts: frozenset[str] = SITE_HOSTS) -> list[Discovered]:
    """The content pages listed in an RSS 2.0 feed (``/rss.xml``), in feed order.

    ``link`` gives the URL (canonicalised), ``title`` the title (whitespace collapsed),
    ``pubDate`` the instant (RFC 822 with its offset, returned as aware UTC; None when missing
    or unreadable). Items whose link is not a release, speech, feature or ``/node/<id>`` page
    of the site are skipped; a URL listed twice is kept once. A valid feed with no such items
    gives an empty list. Absolute links count on `hosts` (see ``urls.site_hosts``).

    Raises BlockPageError for the bot-protection page and ParseError for anything else that
    is not an RSS 2.0 document (an HTML page, broken XML, a document with entity
    declarations anywhere: refused unexpanded, so no bomb or external entity is read).
    """
    found: list[Discovered] = []
    for item in _feed_channel(xml).findall("item"):
        link = _site_link(item.findtext("link"), hosts)
        if link is None:
            continue
        url, content_type = link
        found.append(
            Discovered(
                url=url,
                content_type=content_type,
                published=_parse_instant(item.findtext("pubDate")),
                title=_clean(item.findtext("title")),
            )
        )
    return _dedupe(found)


def feed_texts(xml: bytes, hosts: frozenset[str] = SITE_HOSTS) -> dict[str, str]:
    """Each listed page's plain text (the item's ``description``), by canonical URL.

    The first non-empty text of a URL listed twice is kept; items without text are left
    out. Raises as `parse_feed` does.
    """
    texts: dict[str, str] = {}
    for item in _feed_channel(xml).findall("item"):
        link = _site_link(item.findtext("link"), hosts)
        text = item.findtext("description") or ""
        if link is not None and text.strip() and link[0] not in texts:
            texts[link[0]] = text
    return texts


def _feed_channel(xml: bytes) -> ET.Element:
    """The ``<channel>`` of an RSS 2.0 document; BlockPageError or ParseError otherwise."""
    data = xml.lstrip(b"\xef\xbb\xbf \t\r\n")
    _check_encoding(data)
    if is_block_page(data):
        raise BlockPageError(
            f"the feed response is the site's bot-protection page, not RSS: {BLOCK_ADVICE}"
        )
    if _HTML_START.match(data):
        start = data[:60].decode("utf-8", "replace")
        raise ParseError(
            f"the feed response is an HTML page, not RSS 2.0 (it starts {start!r}): "
            "check that the URL serves /rss.xml; the site may have sent an error page"
        )
    try:
        # defusedxml: any entity declaration is refused before it is expanded, so neither
        # an XML bomb nor an external entity (a local file, a URL) is ever read.
        root = DefusedET.fromstring(data)
    except DefusedXmlException as exc:
        raise ParseError(
            f"the feed declares XML entities ({_entity(exc)}), which a real RSS feed never "
            "does: refused unread, since they could be an XML bomb or read local files; "
            "check that base_url is the site and not something posing as it"
        ) from None
    except ET.ParseError as exc:
        start = data[:60].decode("utf-8", "replace")
        raise ParseError(
            f"the feed is not well-formed XML ({exc}); it starts {start!r}: "
            "check that the URL serves /rss.xml and not an HTML page"
        ) from None
    if root.tag != "rss":
        raise ParseError(
            f"the feed's root element is <{root.tag}>, not <rss>: "
            "the response is not an RSS 2.0 feed (an HTML page?); check the feed URL"
        )
    channel = root.find("channel")
    if channel is None:
        raise ParseError("the RSS document has no <channel>: it is not a usable feed")
    return channel


def _entity(exc: DefusedXmlException) -> str:
    """The entity defusedxml refused, as a declaration would name it."""
    if isinstance(exc, EntitiesForbidden):
        where = f' SYSTEM "{exc.sysid}"' if exc.sysid else ""
        return f"<!ENTITY {exc.name}{where} …>"
    return str(exc)


def _check_encoding(data: bytes) -> None:
    """Refuse a feed declaring an encoding the XML parser cannot read (it raises LookupError)."""
    declared = _XML_ENCODING.match(data)
    if declared is None:
        return
    name = declared[1].decode("ascii")
    try:
        known = codecs.lookup(name).name
    except LookupError:
        known = ""
    if known not in _FEED_ENCODINGS:
        raise ParseError(
            f"the feed declares the encoding {name!r}, which is not one an RSS feed of the site"
            " uses (UTF-8): check that the URL serves /rss.xml"
        )


# --- Listings -----------------------------------------------------------------------------


def _ids(tree: LexborHTMLParser, selectors: tuple[str, ...]) -> set[int]:
    return {node.mem_id for selector in selectors for node in tree.css(selector)}


#: A subtree's content links: None (none), the one URL it links to, or _MANY (two or more).
_MANY = object()


@dataclass(slots=True)
class _Element:
    """One element of a listing page, seen once in document order."""

    node: LexborNode
    parent: int  # index of the parent element, -1 for the root
    link: tuple[str, str | None] | None  # its own content link, for an a[href]
    #: Whether an ancestor (not the element itself) is site chrome, or a results region.
    under_excluded: bool
    under_region: bool
    urls: object = None  # the subtree's content links, see _MANY


def _elements(
    tree: LexborHTMLParser,
    hosts: frozenset[str],
    region_ids: set[int],
    excluded_ids: set[int],
    spent: Budget,
) -> list[_Element]:
    """Every element in document order, each link read once, with what its subtree links to.

    One pass down (ancestors' marks) and one back up (subtree links) keep a listing linear
    in its size: finding each link's row by re-reading its ancestors' links was quadratic.
    """
    root = tree.root
    if root is None:
        return []
    elements: list[_Element] = []
    index: dict[int, int] = {}
    for node in (root, *root.traverse(include_text=False)):
        if len(elements) % 1024 == 0:
            spent.check("reading the listing's links")
        parent_node = node.parent
        parent = -1 if parent_node is None else index.get(parent_node.mem_id, -1)
        up = elements[parent] if parent >= 0 else None
        href = node.attributes.get("href") if node.tag == "a" else None
        link = _site_link(href, hosts) if href is not None else None
        index[node.mem_id] = len(elements)
        elements.append(
            _Element(
                node=node,
                parent=parent,
                link=link,
                under_excluded=up is not None
                and (up.under_excluded or up.node.mem_id in excluded_ids),
                under_region=up is not None and (up.under_region or up.node.mem_id in region_ids),
                urls=None if link is None else link[0],
            )
        )
    for element in reversed(elements):  # children come after their parent: fold upwards
        if element.parent >= 0:
            up = elements[element.parent]
            up.urls = _union(up.urls, element.urls)
    return elements


def _union(a: object, b: object) -> object:
    """Two subtrees' content links together (None, one URL, or _MANY)."""
    if a is None:
        return b
    if b is None or a == b:
        return a
    return _MANY


def _row_tops(elements: list[_Element], stop_ids: set[int]) -> list[int]:
    """For each element, the highest ancestor-or-self linking to its one URL alone.

    Climbing stops below any element in ``stop_ids`` (the results region) and below body,
    so a lone result never takes in the page around it. Parents come first, so each top is
    its parent's when the parent links to the same one URL: one step per element.
    """
    tops: list[int] = []
    for i, element in enumerate(elements):
        top = i
        if element.parent >= 0 and isinstance(element.urls, str):
            up = elements[element.parent]
            if (
                up.urls == element.urls
                and up.node.mem_id not in stop_ids
                and up.node.tag not in ("body", "html")
            ):
                top = tops[element.parent]
        tops.append(top)
    return tops


def _published_in(row: LexborNode) -> dt.datetime | None:
    for node in row.css(TIME_SELECTOR):
        instant = _parse_instant(node.attributes.get("datetime"))
        if instant is not None:
            return instant
    return None


def parse_listing(
    html: str, hosts: frozenset[str] = SITE_HOSTS, spend: Budget | None = None
) -> list[Discovered]:
    """The content pages linked from a listing or search results page, in page order.

    For ``/releases?page=N``, ``/speeches?page=N`` and ``/search?…``. Every link to a
    release, speech, feature or ``/node/<id>`` path inside the results region
    (:data:`RESULTS_REGION_SELECTORS`, or the whole page when none is present) and outside
    site chrome (:data:`EXCLUDED_SELECTORS`) is a result. Its row is its largest ancestor
    that links to no other content page; ``published`` is the first ``time[datetime]`` in
    that row that holds an instant (None when the row has none: never a neighbour's date);
    ``title`` is the link text. A URL linked twice (image and title links) is kept once, at
    its first place, with the title and date of whichever link has them. Absolute links
    count on `hosts` (see ``urls.site_hosts``).

    Raises BlockPageError for the bot-protection page, and ParseError for a page too large
    or too deeply nested to read, or one that takes longer than its time budget (`spend`).
    """
    spent = spend or Budget(LISTING)
    return _items(_listing_tree(html), hosts, spent)


def _items(tree: LexborHTMLParser, hosts: frozenset[str], spent: Budget) -> list[Discovered]:
    """The content links of a parsed listing page (see parse_listing)."""
    spent.check("the HTML parser")
    region_ids = _ids(tree, RESULTS_REGION_SELECTORS)
    elements = _elements(tree, hosts, region_ids, _ids(tree, EXCLUDED_SELECTORS), spent)
    tops = _row_tops(elements, region_ids)
    dates: dict[int, dt.datetime | None] = {}  # by row: rows of one URL are often shared
    found: list[Discovered] = []
    for i, element in enumerate(elements):
        if element.link is None or element.under_excluded:
            continue
        if region_ids and not element.under_region:
            continue
        url, content_type = element.link
        # A link holding another content link is its own row (its subtree links to two).
        row = tops[i] if element.urls == url else i
        if row not in dates:
            dates[row] = _published_in(elements[row].node)
        found.append(
            Discovered(
                url=url,
                content_type=content_type,
                published=dates[row],
                title=_clean(element.node.text(deep=True, separator=" ")),
            )
        )
    return _dedupe(found)


def _listing_tree(html: str) -> LexborHTMLParser:
    """A listing page parsed; the bot-protection page is neither "no results" nor "last"."""
    if is_block_page(html):
        raise BlockPageError(
            f"the listing response is the site's bot-protection page, not results: {BLOCK_ADVICE}"
        )
    check_page(html, LISTING)
    return LexborHTMLParser(html)


def listing_path(content_type: str, page: int) -> str:
    """``/releases?page=N`` or ``/speeches?page=N`` (0-based).

    Raises ValueError for features (no ``/features`` listing is reported: use
    :func:`search_path` with "feature") and for a negative page.
    """
    if page < 0:
        raise ValueError(f"page must be 0 or more, not {page}")
    try:
        base = LISTING_PATHS[content_type]
    except KeyError:
        raise ValueError(
            f"no listing is known for content type {content_type!r} "
            f"(known: {', '.join(sorted(LISTING_PATHS))}); "
            "use search_path() to list it by government"
        ) from None
    return f"{base}?page={page}"


def search_path(government: int, content_type: str, page: int) -> str:
    """``/search?f[0]=government_facet:<id>&f[1]=content_type_facet:<type>&page=N`` (0-based).

    ``government`` is a facet id such as those in :data:`SEARCH_GOVERNMENTS` (not limited to
    them: a new government gets a new id); ``content_type`` a key of :data:`SEARCH_TYPES`.
    """
    if page < 0:
        raise ValueError(f"page must be 0 or more, not {page}")
    if government <= 0:
        raise ValueError(f"government facet id must be a positive number, not {government}")
    try:
        facet = SEARCH_TYPES[content_type]
    except KeyError:
        raise ValueError(
            f"unknown content type {content_type!r} (known: {', '.join(sorted(SEARCH_TYPES))})"
        ) from None
    return SEARCH_TEMPLATE.format(government=government, facet=facet, page=page)
