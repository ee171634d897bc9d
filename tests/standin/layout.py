"""The page frame shared by every HTML page: head, header with navigation, footer."""

from __future__ import annotations

import html

from tests.standin.model import PUBLIC_ORIGIN

#: Navigation links of the header; a parser must not mistake them for content.
NAV_LINKS: tuple[tuple[str, str], ...] = (
    ("/", "Home"),
    ("/releases", "Releases"),
    ("/speeches", "Speeches"),
    ("/features", "Features"),
    ("/ministers", "Ministers"),
    ("/minister/rt-hon-christopher-luxon", "Prime Minister"),
    ("/portfolios", "Portfolios"),
    ("/portfolio/nationalactnew-zealand-first-coalition-government-2023-2026/finance", "Finance"),
)
FOOTER_LINKS: tuple[tuple[str, str], ...] = (
    ("/about-site", "About this site"),
    ("/copyright", "Copyright"),
    ("/privacy", "Privacy"),
    ("/rss.xml", "RSS"),
    ("https://www.govt.nz/", "New Zealand Government"),
)


def links(pairs: tuple[tuple[str, str], ...]) -> str:
    """Render a list of links."""
    items = "".join(f'<li><a href="{html.escape(h)}">{html.escape(t)}</a></li>' for h, t in pairs)
    return f"<ul>{items}</ul>"


def header() -> str:
    """Render the site header and main navigation."""
    return (
        '<header class="site-header" role="banner">\n'
        '<a href="/" class="site-logo" rel="home">Beehive.govt.nz</a>\n'
        f'<nav class="main-nav" role="navigation" aria-label="Main">{links(NAV_LINKS)}</nav>\n'
        '<form class="search-form" action="/search" method="get">'
        '<input type="search" name="keys"><button type="submit">Search</button></form>\n'
        "</header>\n"
    )


def footer() -> str:
    """Render the site footer."""
    return (
        '<footer class="site-footer" role="contentinfo">\n'
        f'<nav aria-label="Footer">{links(FOOTER_LINKS)}</nav>\n'
        "<p>Crown Copyright. New Zealand Government.</p>\n</footer>\n"
    )


def document(
    title: str, head: str, body_class: str, content: str, origin: str = PUBLIC_ORIGIN
) -> str:
    """Render a whole HTML document around the page's content; `origin` starts absolute links."""
    return (
        '<!DOCTYPE html>\n<html lang="en" dir="ltr">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
        f"<title>{html.escape(title)} | Beehive.govt.nz</title>\n"
        '<link rel="alternate" type="application/rss+xml" title="Beehive.govt.nz" '
        f'href="{html.escape(origin)}/rss.xml">\n'
        f'{head}</head>\n<body class="{body_class}">\n'
        '<a href="#main-content" class="visually-hidden skip-link">Skip to main content</a>\n'
        f'{header()}<main id="main-content" role="main">\n{content}</main>\n{footer()}'
        "</body>\n</html>\n"
    )
