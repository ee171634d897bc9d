"""A fetched page's bytes: the site serves UTF-8, and bytes that are not are never written."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from scraper.errors import ParseError
from scraper.site.parse import ParseOptions, parse_page, release_from_page
from tests.golden import goldens

FETCHED = "http://mirror:8080/release/x"


def _page() -> bytes:
    """A recorded page with text beyond ASCII."""
    page = next(
        g.whole_page() for g in goldens() if not g.main_column.isascii() and g.fallback_date is None
    )
    return page.encode("utf-8")


@pytest.mark.parametrize(
    ("damage", "offset"),
    [
        (lambda body: body.replace(b"<p>", b"<p>\xff", 1), "byte 0xff"),
        (lambda body: body.decode("utf-8").encode("cp1252", "replace"), "byte 0x"),
    ],
    ids=["stray-byte", "cp1252"],
)
def test_a_page_that_is_not_utf8_is_refused_naming_the_byte(
    damage: Callable[[bytes], bytes], offset: str
) -> None:
    with pytest.raises(ParseError) as caught:
        release_from_page(damage(_page()), FETCHED, None, ParseOptions())
    message = str(caught.value)
    assert message.startswith(f"{FETCHED} is not valid UTF-8 ({offset}")
    assert "nothing was written" in message


def test_a_page_in_utf8_reads_as_its_text_does() -> None:
    page = _page()
    release = release_from_page(page, FETCHED, None, ParseOptions())
    # The bytes read as UTF-8 give what the text itself gives, beyond ASCII included.
    url = "https://www.beehive.govt.nz/release/x"
    assert release == parse_page(page.decode("utf-8"), url=url, options=ParseOptions())
    assert not (release.title + release.body).isascii()
