"""Pages that are not content, in the site's frame: Drupal's "page not found" and notices."""

from __future__ import annotations

import html

from tests.standin.layout import document
from tests.standin.model import PUBLIC_ORIGIN

NOT_FOUND_TITLE = "Page not found"
#: Drupal's stock text for its 404 page (system.404).
NOT_FOUND_TEXT = "The requested page could not be found."
#: Drupal's search block form, which themes commonly put on the 404 page.
SEARCH_FORM = (
    '<form class="search-block-form" action="/search" method="get" accept-charset="UTF-8">\n'
    '<label for="edit-keys" class="visually-hidden">Search</label>\n'
    '<input title="Enter the terms you wish to search for." type="search" id="edit-keys" '
    'name="keys" value="" size="15" maxlength="128" class="form-search">\n'
    '<input type="submit" value="Search" class="button form-submit">\n</form>\n'
)
#: Notices served instead of a page, by variant: (title, text). Drupal's stock wording.
NOTICES: dict[str, tuple[str, str]] = {
    "maintenance": (
        "Site under maintenance",
        "The site is undergoing maintenance. We should be back shortly. "
        "Thank you for your patience.",
    ),
    "error": ("Error", "The website encountered an unexpected error. Try again later."),
}


def framed(title: str, main: str, body_class: str, origin: str = PUBLIC_ORIGIN) -> str:
    """Render a page that is not a node: the frame and three columns around a main column."""
    left = (
        '<div class="ds-three-col__left"><nav class="breadcrumb" aria-label="Breadcrumb">'
        '<a href="/">Home</a></nav></div>\n'
    )
    content = (
        f'<div class="ds-three-col clearfix">\n{left}'
        f'<div class="ds-three-col__main">{main}</div>\n'
        '<aside class="ds-three-col__right article__related" role="complementary">\n</aside>\n'
        "</div>\n"
    )
    return document(title, "", body_class, content, origin)


def not_found_page(origin: str = PUBLIC_ORIGIN) -> str:
    """Render the site's 404 page: an article title, one sentence, a search form; no date."""
    main = (
        f'<h1 class="article__title">{NOT_FOUND_TITLE}</h1>\n<p>{NOT_FOUND_TEXT}</p>\n{SEARCH_FORM}'
    )
    return framed(NOT_FOUND_TITLE, main, "path-system page-not-found", origin)


def notice_page(variant: str, origin: str = PUBLIC_ORIGIN) -> str:
    """Render a maintenance or error notice: a page title and a sentence, no article title."""
    title, text = NOTICES[variant]
    main = f'<h1 class="page-title">{html.escape(title)}</h1>\n<p>{html.escape(text)}</p>\n'
    return framed(title, main, f"path-system page-{variant}", origin)
