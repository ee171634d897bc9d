"""A hostile feed: entities (an XML bomb, a local file) are refused by name, wherever they sit."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from scraper.errors import ParseError
from scraper.site.discover import parse_feed

ITEM = (
    b'<rss version="2.0"><channel><item><title>&x;</title>'
    b"<link>https://www.beehive.govt.nz/release/a</link></item></channel></rss>"
)
#: A comment long enough to push a DOCTYPE past any look at the first few KiB.
PADDING = b"<!--" + b"-x" * 8192 + b"-->\n"


def laughs(depth: int = 9) -> bytes:
    """The billion laughs: each entity ten of the one before; `&x;` is 10**depth "lol"s."""
    names = [f"l{i}".encode() for i in range(depth)]
    declared = [b'<!ENTITY l0 "lol">']
    for before, name in itertools.pairwise(names):
        declared.append(b"<!ENTITY " + name + b' "' + (b"&" + before + b";") * 10 + b'">')
    declared.append(b'<!ENTITY x "&' + names[-1] + b';">')
    return b"<!DOCTYPE rss [" + b"".join(declared) + b"]>"


def external(target: Path) -> bytes:
    """A DOCTYPE whose entity `&x;` is the text of a local file."""
    return b'<!DOCTYPE rss [<!ENTITY x SYSTEM "' + target.as_uri().encode() + b'">]>'


@pytest.mark.parametrize("padded", [False, True], ids=["at-start", "after-8k-comment"])
def test_an_xml_bomb_is_refused_naming_entities(padded: bool) -> None:
    feed = b'<?xml version="1.0"?>\n' + (PADDING if padded else b"") + laughs() + ITEM
    with pytest.raises(ParseError) as caught:
        parse_feed(feed)
    message = str(caught.value)
    assert "the feed declares XML entities (<!ENTITY l0 …>)" in message and "refused" in message


@pytest.mark.parametrize("padded", [False, True], ids=["at-start", "after-8k-comment"])
def test_an_external_entity_is_refused_and_the_file_never_read(
    tmp_path: Path, padded: bool
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do-not-read-me")
    feed = b'<?xml version="1.0"?>\n' + (PADDING if padded else b"") + external(secret) + ITEM
    with pytest.raises(ParseError) as caught:
        parse_feed(feed)
    message = str(caught.value)
    assert f'(<!ENTITY x SYSTEM "{secret.as_uri()}" …>)' in message and "refused" in message
    assert "do-not-read-me" not in message


def test_an_external_parameter_entity_is_refused(tmp_path: Path) -> None:
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY x "from-a-local-file">')
    feed = (
        b'<?xml version="1.0"?>\n'
        + PADDING
        + b'<!DOCTYPE rss [<!ENTITY % d SYSTEM "'
        + dtd.as_uri().encode()
        + b'"> %d;]>'
        + ITEM
    )
    with pytest.raises(ParseError, match="the feed declares XML entities"):
        parse_feed(feed)


def test_a_doctype_without_entities_still_parses() -> None:
    # RSS 0.91 feeds carry Netscape's DOCTYPE: harmless, and not a reason to refuse a feed.
    feed = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS '
        b'0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n'
        + ITEM.replace(b"&x;", b"A title")
    )
    [item] = parse_feed(feed)
    assert item.title == "A title"
