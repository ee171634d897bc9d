"""Listing pages (`/releases`, `/speeches`) and search results (`/search?f[0]=…`)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from urllib.parse import urlencode

from tests.standin.clock import iso_z, nz_date_text
from tests.standin.governments import GOVERNMENTS, NODE_LINKED_GOVERNMENTS
from tests.standin.layout import document
from tests.standin.markup import summary
from tests.standin.model import LABELS, PUBLIC_ORIGIN, SECTIONS, Item


def _time(item: Item) -> str:
    """Render an item's date as `<time datetime="…Z">D Month YYYY</time>`, or nothing if undated."""
    when = item.when or item.listed
    if when is None:
        return ""
    return f'<time datetime="{iso_z(when)}">{nz_date_text(when)}</time>'


def teaser(item: Item) -> str:
    """Render one listing entry."""
    return (
        '<div class="views-row">\n<article class="teaser teaser--' + item.kind + '">\n'
        f'<div class="meta">{_time(item)} '
        f'<em class="meta__content-type">{LABELS[item.kind]}</em></div>\n'
        f'<h2 class="teaser__title"><a href="{item.path}">{html.escape(item.title)}</a></h2>\n'
        f'<div class="teaser__summary"><p>{html.escape(summary(item.main, 160))}</p></div>\n'
        "</article>\n</div>\n"
    )


def pager(page: int, has_next: bool, query: Sequence[tuple[str, str]] = ()) -> str:
    """Render Drupal's pager: previous/next links as `?…page=N`."""

    def href(n: int) -> str:
        """Return the link to page `n`."""
        return "?" + urlencode([*query, ("page", str(n))])

    prev = (
        f'<li class="pager__item pager__item--previous"><a href="{html.escape(href(page - 1))}" '
        'title="Go to previous page" rel="prev">‹ Previous</a></li>\n'
        if page > 0
        else ""
    )
    nxt = (
        f'<li class="pager__item pager__item--next"><a href="{html.escape(href(page + 1))}" '
        'title="Go to next page" rel="next">Next ›</a></li>\n'
        if has_next
        else ""
    )
    current = f'<li class="pager__item is-active">Page {page + 1}</li>\n'
    return (
        '<nav class="pager" role="navigation" aria-labelledby="pagination-heading">\n'
        '<h4 id="pagination-heading" class="visually-hidden">Pagination</h4>\n'
        f'<ul class="pager__items js-pager__items">\n{prev}{current}{nxt}</ul>\n</nav>\n'
    )


def page_of(items: Sequence[Item], page: int, size: int) -> tuple[Sequence[Item], bool]:
    """Return one page of items and whether another page follows."""
    start = page * size
    return items[start : start + size], len(items) > start + size


def render_listing(
    kind: str, items: Sequence[Item], page: int, size: int, origin: str = PUBLIC_ORIGIN
) -> str:
    """Render `/releases?page=N` or `/speeches?page=N` (empty results when out of range)."""
    shown, more = page_of(items, page, size)
    rows = "".join(teaser(i) for i in shown)
    label = SECTIONS[kind].capitalize()
    content = (
        f'<h1 class="page-title">{label}</h1>\n'
        f'<div class="view view-{kind}s view-id-{kind}s view-display-id-page_1">\n'
        f'<div class="view-content">\n{rows}</div>\n'
        f"{pager(page, more) if shown else ''}</div>\n"
    )
    return document(label, "", f"path-{kind}s", content, origin)


def search_row(item: Item) -> str:
    """Render one search result; older governments' results link `/node/<id>`."""
    href = f"/node/{item.node_id}" if item.government in NODE_LINKED_GOVERNMENTS else item.path
    return (
        '<div class="views-row">\n'
        '<div class="views-field views-field-title"><span class="field-content">'
        f'<a href="{href}">{html.escape(item.title)}</a></span></div>\n'
        '<div class="views-field views-field-field-issue-date"><div class="field-content">'
        f"{_time(item)}</div></div>\n"
        '<div class="views-field views-field-type"><span class="field-content">'
        f"{LABELS[item.kind]}</span></div>\n</div>\n"
    )


def facets() -> str:
    """Render the facet sidebar (links outside the results)."""
    rows = "".join(
        f'<li><a href="/search?{html.escape(urlencode([("f[0]", f"government_facet:{gid}")]))}">'
        f"Government {gid}</a></li>"
        for gid, _ in GOVERNMENTS
    )
    return f'<aside class="search-facets block-facets"><ul>{rows}</ul></aside>\n'


def render_search(
    items: Sequence[Item],
    page: int,
    size: int,
    query: Sequence[tuple[str, str]],
    origin: str = PUBLIC_ORIGIN,
) -> str:
    """Render a page of search results, 24 a page, with a pager keeping the facets."""
    shown, more = page_of(items, page, size)
    rows = "".join(search_row(i) for i in shown)
    content = (
        '<h1 class="page-title">Search</h1>\n'
        '<div class="view view-search view-id-search view-display-id-page_1">\n'
        f'<div class="view-content">\n{rows}</div>\n'
        f"{pager(page, more, query) if shown else ''}</div>\n{facets()}"
    )
    return document("Search", "", "path-search", content, origin)
