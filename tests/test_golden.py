"""Every recorded page against the archive file expected from it."""

from __future__ import annotations

import dataclasses

import pytest

from scraper.archive.document import dumps
from scraper.site.parse import parse_page
from tests.golden import EXPECTED, PAGES, Golden, comparable, goldens

GOLDENS = list(goldens())


def _split(text: str) -> tuple[str, str]:
    """Front matter and body of an archive file's text."""
    head, _, body = text.partition("\n---\n\n")
    return head, body


def _parsed(golden: Golden) -> str:
    """The file text our parser makes from the whole page."""
    release = parse_page(
        golden.whole_page(), fallback_date=golden.fallback_date, source=golden.name
    )
    return dumps(release)


@pytest.mark.parametrize("golden", GOLDENS, ids=lambda g: g.name)
def test_front_matter_equals_the_corrected_twin(golden: Golden) -> None:
    assert comparable(_split(_parsed(golden))[0]) == comparable(_split(golden.expected)[0])


@pytest.mark.parametrize("golden", GOLDENS, ids=lambda g: g.name)
def test_body_equals_the_twin(golden: Golden) -> None:
    ours, theirs = _split(_parsed(golden))[1], _split(golden.expected)[1]
    if golden.exact:
        assert ours == theirs
    else:
        assert comparable(ours) == comparable(theirs)


TABLE_PAGES = [g for g in GOLDENS if "<table" in g.main_column]


def test_reviewed_expectations_are_table_pages_and_pages_without_a_twin() -> None:
    # A table page's expected file is its twin with the tables written as GFM tables, and
    # nothing else changed; a page the archive never had gets a file written by hand.
    untwinned = {g.name for g in GOLDENS if not (PAGES / f"{g.name}.md").exists()}
    reviewed = {p.stem for p in EXPECTED.glob("*.md")}
    assert reviewed == {g.name for g in TABLE_PAGES} | untwinned


@pytest.mark.parametrize("golden", TABLE_PAGES, ids=lambda g: g.name)
def test_tables_become_gfm_tables(golden: Golden) -> None:
    assert "\n| --- |" in _split(_parsed(golden))[1]


def test_most_pages_are_compared_byte_for_byte() -> None:
    # Only records that lost no-break spaces the restoration did not need to put back are
    # compared with no-break spaces read as spaces.
    assert sum(g.exact for g in GOLDENS) >= 90


@pytest.mark.parametrize("golden", GOLDENS[::10], ids=lambda g: g.name)
def test_main_column_alone_gives_the_same_file_but_attachments(golden: Golden) -> None:
    alone = parse_page(golden.main_column, url=golden.url, fallback_date=golden.fallback_date)
    whole = parse_page(golden.whole_page(), fallback_date=golden.fallback_date)
    assert alone == dataclasses.replace(whole, attachments=())
