"""Map a request target to a response from a snapshot of the site (no faults here)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from urllib.parse import parse_qsl, unquote_to_bytes

from tests.standin.feed import FEED_SIZE, render_feed
from tests.standin.governments import CURRENT_GOVERNMENT
from tests.standin.listing import render_listing, render_search
from tests.standin.model import PUBLIC_ORIGIN, TYPE_FACETS, UNDATED_CHANGED, Site
from tests.standin.page import render_page
from tests.standin.response import Response, html_response
from tests.standin.system_pages import not_found_page

RSS = "application/rss+xml; charset=utf-8"
TEXT = "text/plain; charset=UTF-8"
LISTINGS: dict[str, str] = {"/releases": "release", "/speeches": "speech"}
_FACET_KEY = re.compile(r"^f\[\d+\]$")


@dataclasses.dataclass(frozen=True)
class Settings:
    """Page sizes and robots text of the stand-in."""

    listing_size: int = 10
    search_size: int = 24
    robots: str = ""
    robots_changed: dt.datetime = UNDATED_CHANGED


def decode_path(raw: str) -> str:
    """Decode a request path; raw UTF-8 (read by http.server as Latin-1) is accepted too."""
    return unquote_to_bytes(raw.encode("latin-1", "replace")).decode("utf-8", "replace")


def page_number(query: list[tuple[str, str]]) -> int:
    """Return the 0-based `page` parameter; anything unusable means 0, as in Drupal."""
    value = dict(query).get("page", "0")
    return int(value) if value.isdigit() else 0


def revision(site: Site) -> dt.datetime:
    """Return the time of the latest change anywhere on the site."""
    return max((i.changed for i in site.items), default=UNDATED_CHANGED)


def listing(
    site: Site, kind: str, query: list[tuple[str, str]], settings: Settings, origin: str
) -> Response:
    """Respond to `/releases` or `/speeches`: the current government's items, newest first."""
    items = site.select(kind, CURRENT_GOVERNMENT)
    text = render_listing(kind, items, page_number(query), settings.listing_size, origin)
    return html_response(200, text, revision(site))


def facets(query: list[tuple[str, str]]) -> tuple[str | None, int | None, bool]:
    """Read the facets: (content type, government id, whether every facet was understood)."""
    kind: str | None = None
    government: int | None = None
    valid = True
    for key, value in query:
        if not _FACET_KEY.match(key):
            continue
        name, _, arg = value.partition(":")
        if name == "government_facet" and arg.isdigit():
            government = int(arg)
        elif name == "content_type_facet" and arg in TYPE_FACETS:
            kind = TYPE_FACETS[arg]
        else:
            valid = False
    return kind, government, valid


def search(site: Site, query: list[tuple[str, str]], settings: Settings, origin: str) -> Response:
    """Respond to `/search?f[0]=government_facet:<id>&f[1]=content_type_facet:<type>&page=N`."""
    kind, government, valid = facets(query)
    items = site.select(kind, government) if valid else []
    kept = [(k, v) for k, v in query if _FACET_KEY.match(k)]
    text = render_search(items, page_number(query), settings.search_size, kept, origin)
    return html_response(200, text, revision(site))


def node(site: Site, node_id: str, host: str | None, origin: str) -> Response:
    """Redirect `/node/<id>` to the item's path (301), as Drupal does."""
    item = site.by_node.get(int(node_id)) if node_id.isdigit() else None
    if item is None:
        return not_found(origin)
    location = f"http://{host}{item.path}" if host else item.path
    body = f'<a href="{location}">Moved Permanently</a>\n'.encode()
    return Response(301, body, headers=(("Location", location),))


def not_found(origin: str = PUBLIC_ORIGIN) -> Response:
    """Respond with the site's 404 page (no validators, as Drupal sends none for it)."""
    return html_response(404, not_found_page(origin))


def route(
    site: Site,
    target: str,
    host: str | None,
    settings: Settings,
    origin: str = PUBLIC_ORIGIN,
) -> Response:
    """Answer one GET request target; `origin` starts the absolute links written."""
    raw_path, _, raw_query = target.partition("?")
    path = decode_path(raw_path)
    query = parse_qsl(raw_query, keep_blank_values=True)
    if path == "/rss.xml":
        body = render_feed(site.latest_created(FEED_SIZE), origin).encode("utf-8")
        return Response(200, body, RSS, (), revision(site))
    if path == "/robots.txt":
        return Response(200, settings.robots.encode("utf-8"), TEXT, (), settings.robots_changed)
    if path in LISTINGS:
        return listing(site, LISTINGS[path], query, settings, origin)
    if path == "/search":
        return search(site, query, settings, origin)
    if path.startswith("/node/"):
        return node(site, path.removeprefix("/node/"), host, origin)
    item = site.find(path)
    if item is None:
        return not_found(origin)
    return html_response(200, render_page(item, origin), item.changed)
