"""`/rss.xml`: RSS 2.0 in the real feed's shape, the 30 most recently created items."""

from __future__ import annotations

import html
from collections.abc import Sequence

from tests.standin.clock import rss_date
from tests.standin.markup import feed_text
from tests.standin.model import PUBLIC_ORIGIN, Item

FEED_SIZE = 30
_HEAD = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<rss xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0" '
    'xml:base="{origin}/">\n  <channel>\n'
    "    <title>Beehive.govt.nz - The official website of the New Zealand Government</title>\n"
    "    <link>{origin}/</link>\n    <description/>\n"
    "    <language>en</language>\n    \n    "
)
_TAIL = "\n  </channel>\n</rss>\n"


def cdata(text: str) -> str:
    """Wrap text in CDATA, splitting any `]]>` it holds."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def feed_item(item: Item, origin: str = PUBLIC_ORIGIN) -> str:
    """Render one `<item>` as the real feed does (its odd indentation included)."""
    date = f"  <pubDate>{rss_date(item.when)}</pubDate>\n" if item.when else ""
    return (
        "<item>\n"
        f"  <title>{html.escape(item.title, quote=False)}</title>\n"
        f"  <link>{html.escape(item.url_at(origin), quote=False)}</link>\n"
        f"  <description>{cdata(feed_text(item.main))}</description>\n"
        f"{date}"
        "    <dc:creator>beehive.govt.nz</dc:creator>\n"
        f'    <guid isPermaLink="true">{html.escape(origin, quote=False)}/{item.node_id}</guid>\n'
        "    </item>\n"
    )


def render_feed(items: Sequence[Item], origin: str = PUBLIC_ORIGIN) -> str:
    """Render the feed for items given newest-created first; `origin` starts every link."""
    head = _HEAD.format(origin=html.escape(origin, quote=False))
    return head + "".join(feed_item(i, origin) for i in items) + _TAIL
