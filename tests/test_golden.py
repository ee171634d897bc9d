"""Every recorded page against the archive file expected from it."""

from __future__ import annotations

import dataclasses

import pytest

from scraper.document import dumps
from scraper.parse import parse_page
from tests.golden import KNOWN_BODY_DIFFERENCES, Golden, comparable, goldens

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
    ours = comparable(_split(_parsed(golden))[1])
    theirs = comparable(_split(golden.expected)[1])
    if golden.name in KNOWN_BODY_DIFFERENCES:
        # A listed difference that went away must leave the list, so the README stays true.
        assert ours != theirs, f"{golden.name} now matches: remove it from the known list"
    else:
        assert ours == theirs


@pytest.mark.parametrize(
    "golden",
    [g for g in GOLDENS if "table" in KNOWN_BODY_DIFFERENCES.get(g.name, "")],
    ids=lambda g: g.name,
)
def test_tables_become_gfm_tables(golden: Golden) -> None:
    body = _split(_parsed(golden))[1]
    assert "| --- |" in body


def test_known_differences_stay_under_five_percent() -> None:
    assert len(KNOWN_BODY_DIFFERENCES) <= 0.05 * len(GOLDENS)


def test_every_known_difference_names_a_fixture() -> None:
    assert set(KNOWN_BODY_DIFFERENCES) <= {g.name for g in GOLDENS}


@pytest.mark.parametrize("golden", GOLDENS[::10], ids=lambda g: g.name)
def test_main_column_alone_gives_the_same_file_but_attachments(golden: Golden) -> None:
    alone = parse_page(golden.main_column, url=golden.url, fallback_date=golden.fallback_date)
    whole = parse_page(golden.whole_page(), fallback_date=golden.fallback_date)
    assert alone == dataclasses.replace(whole, attachments=())
