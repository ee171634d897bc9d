"""A content page: `/release/<slug>`, `/speech/<slug>` or `/feature/<slug>`."""

from __future__ import annotations

import html
from urllib.parse import urlsplit

from tests.standin.layout import document
from tests.standin.markup import summary
from tests.standin.model import PUBLIC_ORIGIN, SECTIONS, Item

FILES_PREFIX = "/sites/default/files/"


def attachment_href(url: str) -> str:
    """Link an attachment relatively when it is under the site's files, absolutely otherwise."""
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" == PUBLIC_ORIGIN and parts.path.startswith(FILES_PREFIX):
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return url


def sidebar(item: Item) -> str:
    """Render the right column, holding the attachment links (if any)."""
    files = "".join(
        f'<div class="file"><a href="{html.escape(attachment_href(u))}">'
        f"{html.escape(urlsplit(u).path.rsplit('/', 1)[-1])}</a></div>\n"
        for u in item.attachments
    )
    block = (
        f'<div class="field field--name-field-attachments">\n<h2>Attachments</h2>\n{files}</div>\n'
    )
    return (
        '<aside class="ds-three-col__right article__related" role="complementary">\n'
        f"{block if files else ''}</aside>\n"
    )


def head(item: Item, origin: str = PUBLIC_ORIGIN) -> str:
    """Render the page-specific head: canonical link (the URL at `origin`) and Open Graph."""
    url, title = html.escape(item.url_at(origin)), html.escape(item.title)
    description = html.escape(summary(item.main))
    return (
        f'<link rel="canonical" href="{url}">\n'
        f'<link rel="shortlink" href="{html.escape(origin)}/node/{item.node_id}">\n'
        f'<meta name="description" content="{description}">\n'
        '<meta property="og:site_name" content="Beehive.govt.nz">\n'
        '<meta property="og:type" content="article">\n'
        f'<meta property="og:url" content="{url}">\n'
        f'<meta property="og:title" content="{title}">\n'
        f'<meta property="og:description" content="{description}">\n'
    )


def render_page(item: Item, origin: str = PUBLIC_ORIGIN) -> str:
    """Render a whole content page around the recorded main column; `origin` names the site."""
    section = SECTIONS[item.kind]
    left = (
        '<div class="ds-three-col__left"><nav class="breadcrumb" aria-label="Breadcrumb">'
        f'<a href="/">Home</a> › <a href="/{section}">{section.capitalize()}</a></nav></div>\n'
    )
    content = (
        f'<article class="node node--type-{item.kind} node--view-mode-full">\n'
        f'<div class="ds-three-col clearfix">\n{left}'
        f'<div class="ds-three-col__main">{item.main}</div>\n{sidebar(item)}</div>\n</article>\n'
    )
    body_class = f"path-node page-node-type-{item.kind}"
    return document(item.title, head(item, origin), body_class, content, origin)
