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
    'xml:base="https://www.beehive.govt.nz/">\n  <channel>\n'
    "    <title>Beehive.govt.nz - The official website of the New Zealand Government</title>\n"
    "    <link>https://www.beehive.govt.nz/</link>\n    <description/>\n"
    "    <language>en</language>\n    \n    "
)
_TAIL = "\n  </channel>\n</rss>\n"


def cdata(text: str) -> str:
    """Wrap text in CDATA, splitting any `]]>` it holds."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def feed_item(item: Item) -> str:
    """Render one `<item>` as the real feed does (its odd indentation included)."""
    date = f"  <pubDate>{rss_date(item.when)}</pubDate>\n" if item.when else ""
    return (
        "<item>\n"
        f"  <title>{html.escape(item.title, quote=False)}</title>\n"
        f"  <link>{html.escape(item.public_url, quote=False)}</link>\n"
        f"  <description>{cdata(feed_text(item.main))}</description>\n"
        f"{date}"
        "    <dc:creator>beehive.govt.nz</dc:creator>\n"
        f'    <guid isPermaLink="true">{PUBLIC_ORIGIN}/{item.node_id}</guid>\n'
        "    </item>\n"
    )


def render_feed(items: Sequence[Item]) -> str:
    """Render the feed for items given newest-created first."""
    return _HEAD + "".join(feed_item(i) for i in items) + _TAIL
