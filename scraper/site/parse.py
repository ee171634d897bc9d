"""A release page (whole, or only its main column) → Release. No I/O; a clock bounds its time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from scraper.dates import publication_date
from scraper.errors import BlockPageError, ConfigError, ParseError
from scraper.models import Release
from scraper.site.blockpage import BLOCK_ADVICE, is_block_page
from scraper.site.guard import Budget, budget, check_page, check_title
from scraper.site.markdown import node_to_markdown
from scraper.site.urls import PUBLIC_SITE, canonical_url, content_type_of, normalise_path

#: Where the site keeps the files that releases attach.
FILES_PATH = "/sites/default/files/"


@dataclass(frozen=True)
class Selectors:
    """CSS selectors for the fields of a page; in configuration because the markup moves."""

    title: str = "h1.article__title"
    main: str = "div.ds-three-col__main"
    # The outer <time class="meta__date" datetime=""> is empty; the instant is on the inner one.
    # Tried in order: the meta date first, then any dated <time> in the main column.
    dates: tuple[str, ...] = ("time.meta__date time[datetime]", "time[datetime]")
    ministers: str = "ul.meta--ministers > li"
    minister_name: str = ".minister__title, span.is-archived"
    portfolios: str = "em.tag--portfolio"
    body: str = "div.field--name-body"
    attachments: str = (
        "aside.article__related a[href], aside.ds-three-col__right .file a[href],"
        " .ds-three-col__right .file a[href]"
    )
    canonical: str = 'link[rel="canonical"], meta[property="og:url"]'

    def __post_init__(self) -> None:
        """Refuse a selector that is empty or that the CSS engine cannot read, naming it."""
        for name, value in vars(self).items():
            for selector in value if isinstance(value, tuple) else (value,):
                _check_selector(f"selectors.{name}", selector)
        if not self.dates:
            raise ConfigError("selectors.dates must list at least one selector")


def _check_selector(name: str, selector: str) -> None:
    """A ConfigError naming the setting when `selector` is not a usable CSS selector."""
    try:
        LexborHTMLParser("<p></p>").css(selector)
    except SelectolaxError as exc:
        raise ConfigError(
            f"{name} = {selector!r} is not a CSS selector the parser can read ({exc});"
            " see config/scraper.toml for the defaults"
        ) from exc


@dataclass(frozen=True)
class ParseOptions:
    """How to read a page: the public site, the date's time zone and the selectors."""

    site: str = PUBLIC_SITE
    timezone: str = "Pacific/Auckland"
    selectors: Selectors = Selectors()


def parse_page(
    html: str,
    *,
    url: str | None = None,
    fallback_date: dt.date | None = None,
    source: str = "<page>",
    options: ParseOptions = ParseOptions(),
    spend: Budget | None = None,
) -> Release:
    """Parse a release, speech or feature page into the archive's fields.

    A page too large or too deeply nested is refused before it is parsed, and one that takes
    longer than its time budget (`spend`, by default guard.TIME_BUDGET) is given up: both
    with a ParseError naming `source`.
    """
    if is_block_page(html):
        raise BlockPageError(
            f"{source} is the site's bot-protection page, not a release: nothing was written;"
            f" {BLOCK_ADVICE}"
        )
    spent = spend or Budget(source)  # its time runs from here: the tag scan counts too
    check_page(html, source)
    with budget(spent):
        tree = LexborHTMLParser(html)
        spent.check("the HTML parser")
        return _release(tree, url, fallback_date, source, options)


def _release(
    tree: LexborHTMLParser,
    url: str | None,
    fallback_date: dt.date | None,
    source: str,
    options: ParseOptions,
) -> Release:
    """The fields of a parsed page (see parse_page)."""
    sel = options.selectors
    # Fields come from the main column when the page has one, so that navigation, sidebars
    # and footers (with links and dates of their own) cannot leak into them.
    main = tree.css_first(sel.main) or tree.root
    if main is None:
        raise ParseError(f"{source} is empty: it is not a release page")
    title = _title(main, sel, source)
    page_url = _url(tree, url, sel, options.site, source)
    stated = _stated_date(main, sel, options.timezone, page_url)
    ministers = _ministers(main, sel)
    body = _body(main, sel)
    if stated is None and not ministers and not body:
        # Every release of the archive has a body or a minister; a page with a title and
        # neither, nor a date, is the site's "page not found" or an error page served as 200.
        raise ParseError(
            f"{source} has the title {title!r} but no date, ministers or body: it is not a"
            " release page (a 'page not found' or error page served with status 200)"
        )
    return Release(
        title=title,
        date=_date(stated, fallback_date, page_url),
        url=page_url,
        ministers=ministers,
        portfolios=_texts(main.css(sel.portfolios)),
        attachments=_attachments(tree, sel, options.site),
        body=body,
    )


def release_from_page(
    body: bytes, fetched_url: str, fallback_date: dt.date | None, options: ParseOptions
) -> Release:
    """A fetched page → the Release it holds; the URL it was fetched from names it.

    `fetched_url` is where the page was finally served (after redirects, on any host);
    `fallback_date` is the date a listing or feed gave it, for pages that carry none.
    """
    final = canonical_url(fetched_url, options.site)
    return parse_page(
        _page_text(body, fetched_url),
        url=final if content_type_of(final) else None,
        fallback_date=fallback_date,
        source=fetched_url,
        options=options,
    )


def _page_text(body: bytes, source: str) -> str:
    """A page's text; ParseError for bytes that are not UTF-8, whatever the headers said.

    The site serves UTF-8 (its pages say so in a meta tag); other bytes mean a damaged
    response or a server that re-encoded it, and replacing them would write a wrong file.
    """
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(
            f"{source} is not valid UTF-8 (byte 0x{body[exc.start]:02x} at offset {exc.start}),"
            " which the site always serves: the response was damaged or re-encoded on the way;"
            " nothing was written, the page is tried again next run"
        ) from None


def stated_date(body: bytes, url: str, zone: str, options: ParseOptions) -> dt.date | None:
    """The date a fetched page states, in `zone`, reading nothing else of it (no body)."""
    html = body.decode("utf-8", "replace")
    check_page(html, url)
    tree = LexborHTMLParser(html)
    main = tree.css_first(options.selectors.main) or tree.root
    return None if main is None else _stated_date(main, options.selectors, zone, url)


def _title(tree: LexborNode, sel: Selectors, source: str) -> str:
    """The page's release title, stripped; a page without one is no release."""
    node = tree.css_first(sel.title)
    title = node.text().strip() if node is not None else ""
    if not title:
        raise ParseError(
            f"{source} has no release title ({sel.title}): it is not a release page;"
            " check the URL, or report the page if the site's markup changed"
        )
    check_title(title, source)
    return title


def _url(tree: LexborHTMLParser, given: str | None, sel: Selectors, site: str, source: str) -> str:
    """The release's public URL: as given, else the page's canonical link."""
    candidate = given
    if candidate is None:
        node = tree.css_first(sel.canonical)
        if node is not None:
            candidate = node.attributes.get("href") or node.attributes.get("content")
    if not candidate:
        raise ParseError(f"{source} has no canonical link: pass the release URL with --url")
    url = canonical_url(candidate, site)
    if content_type_of(url) is None:
        raise ParseError(
            f"{source}: {candidate} is not a release, speech or feature URL;"
            " pass the page's real URL with --url"
        )
    return url


def _stated_date(tree: LexborNode, sel: Selectors, timezone: str, url: str) -> dt.date | None:
    """The release date the page states, in the chosen zone; None when it states none.

    A <time> inside the body is some date the text mentions, never the release's; a
    placeholder instant (0001-01-01) is no date at all.
    """
    body = tree.css_first(sel.body)
    for selector in sel.dates:
        for node in tree.css(selector):
            stamp = (node.attributes.get("datetime") or "").strip()
            if stamp and not (body is not None and _within(node, body)):
                date = _local_date(stamp, timezone, url)
                if date is not None:
                    return date
    return None


def _date(stated: dt.date | None, fallback: dt.date | None, url: str) -> dt.date:
    """The page's own date, else the fallback (a listing's or the feed's); never a placeholder."""
    if stated is not None:
        return stated
    if fallback is not None:
        return fallback
    raise ParseError(
        f"no publication date in {url}: neither time[datetime] nor a listing date;"
        " it cannot be dated (`scraper parse` takes --date YYYY-MM-DD); report the page"
    )


def _within(node: LexborNode, ancestor: LexborNode) -> bool:
    """Whether `node` lies inside `ancestor`."""
    parent = node.parent
    while parent is not None:
        if parent.mem_id == ancestor.mem_id:
            return True
        parent = parent.parent
    return False


def _local_date(stamp: str, timezone: str, url: str) -> dt.date | None:
    """An ISO instant such as 2025-12-09T21:37:58Z as a date in `timezone` (None: no date)."""
    try:
        instant = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ParseError(f"{url}: unreadable time datetime={stamp!r}: {exc}") from exc
    return publication_date(instant, timezone)


def _ministers(tree: LexborNode, sel: Selectors) -> tuple[str, ...]:
    """Minister names from the meta list only, in both the linked and the archived form."""
    names = []
    for item in tree.css(sel.ministers):
        name_node = item.css_first(sel.minister_name)
        name = _clean(name_node if name_node is not None else item)
        if name:
            names.append(name)
    return tuple(names)


def _texts(nodes: list[LexborNode]) -> tuple[str, ...]:
    """The stripped, non-empty texts of some nodes, in order."""
    return tuple(text for text in (_clean(node) for node in nodes) if text)


def _clean(node: LexborNode) -> str:
    """A node's text, stripped only: the archive keeps inner runs such as 'Associate  Minister'."""
    return node.text().strip()


def _attachments(tree: LexborHTMLParser, sel: Selectors, site: str) -> tuple[str, ...]:
    """The site's files linked from the sidebar: public, percent-encoded, de-duplicated.

    Only paths under /sites/default/files/ count (the sidebar may link other releases,
    portfolios or phone numbers); whatever host served them, they are written on `site`.
    """
    seen: dict[str, None] = {}
    for node in tree.css(sel.attachments):
        parts = urlsplit(urljoin(site + "/", (node.attributes.get("href") or "").strip()))
        if parts.scheme in ("http", "https") and parts.path.startswith(FILES_PATH):
            query = f"?{parts.query}" if parts.query else ""
            seen.setdefault(site.rstrip("/") + normalise_path(parts.path) + query, None)
    return tuple(seen)


def _body(tree: LexborNode, sel: Selectors) -> str:
    """The body converted to Markdown; a page without a body has an empty one."""
    node = tree.css_first(sel.body)
    return node_to_markdown(node) if node is not None else ""
