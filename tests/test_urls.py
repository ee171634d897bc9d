"""Tests for scraper.site.urls: content types, canonical URLs, folded ids and archive paths."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scraper.archive.paths import archive_relpath
from scraper.site.urls import (
    PUBLIC_SITE,
    canonical_url,
    content_type_of,
    folded_id,
    node_id_of,
    normalise_path,
    slug_of,
)

FIXTURES = Path(__file__).parent / "fixtures"

TAMAKI = "https://www.beehive.govt.nz/release/t%C4%81maki-makaurau-election-date-set"
CONDOLENCES = (
    "https://www.beehive.govt.nz/release/government%E2%80%99s-condolences-passing-"
    "k%C4%ABngi-t%C5%ABheitia-pootatau-te-wherowhero-vii"
)

# (path in the archive, its `date:` line, its `url:` line), copied from the existing archive
# (marcus-crane/beehive-markdown, 2026-02-28): a random sample plus its odd names (leading
# "-", "--", numeric ids, a -17 suffix, an undated 0001-01-01 file).
ARCHIVE_SAMPLE: list[tuple[str, str, str]] = [
    (
        "releases/0001/01/0001-01-01-challenge-laid-new-zealands-digital-future.md",
        "0001-01-01",
        "https://www.beehive.govt.nz/release/challenge-laid-new-zealands-digital-future",
    ),
    (
        "releases/1998/11/1998-11-25-overseas-visitors-be-targetted--overseas.md",
        "1998-11-25",
        "https://www.beehive.govt.nz/release/overseas-visitors-be-targetted--overseas",
    ),
    (
        "releases/1998/11/1998-11-27-hauraki-gulf-marine-park-bill-introduced.md",
        "1998-11-27",
        "https://www.beehive.govt.nz/release/hauraki-gulf-marine-park-bill-introduced",
    ),
    (
        "releases/1999/04/1999-04-12-nz-ready-offer-refuge-and-aid-albanian-refugees.md",
        "1999-04-12",
        "https://www.beehive.govt.nz/release/nz-ready-offer-refuge-and-aid-albanian-refugees",
    ),
    (
        "releases/1999/09/1999-09-23--wait-theres-more--how-about-loopy-land-tax.md",
        "1999-09-23",
        "https://www.beehive.govt.nz/release/-wait-theres-more--how-about-loopy-land-tax",
    ),
    (
        "releases/2000/03/2000-03-20-10000.md",
        "2000-03-20",
        "https://www.beehive.govt.nz/release/10000",
    ),
    (
        "releases/2000/11/2000-11-30--roads-no-playground-pulls-more-heavyweight-support.md",
        "2000-11-30",
        "https://www.beehive.govt.nz/release/-roads-no-playground-pulls-more-heavyweight-support",
    ),
    (
        "releases/2002/01/2002-01-25-border-control-boosted-new-mobile-x-ray.md",
        "2002-01-25",
        "https://www.beehive.govt.nz/release/border-control-boosted-new-mobile-x-ray",
    ),
    (
        "releases/2004/06/2004-06-09-anderton-chair-p-alcohol-other-drugs-forum-jun-17.md",
        "2004-06-09",
        "https://www.beehive.govt.nz/release/anderton-chair-p-alcohol-other-drugs-forum-jun-17",
    ),
    (
        "releases/2009/12/2009-12-16-nz-supports-relief-efforts-after-fiji-cyclone.md",
        "2009-12-16",
        "https://www.beehive.govt.nz/release/nz-supports-relief-efforts-after-fiji-cyclone",
    ),
    (
        "releases/2017/07/2017-07-14-waikoropupu-springs-tribunal-appointed.md",
        "2017-07-14",
        "https://www.beehive.govt.nz/release/waikoropupu-springs-tribunal-appointed",
    ),
    (
        "releases/2025/04/2025-04-02-statement-minister-todd-mcclay-followingus-tariff-announcement.md",
        "2025-04-02",
        "https://www.beehive.govt.nz/release/statement-minister-todd-mcclay-followingus-tariff-announcement",
    ),
    (
        "releases/2025/06/2025-06-11-foreign-minister-strengthens-relationship-italy.md",
        "2025-06-11",
        "https://www.beehive.govt.nz/release/foreign-minister-strengthens-relationship-italy",
    ),
]

# Real URLs (as the site links them) and the ids of the archive's files for them.
REAL_URLS_AND_IDS: list[tuple[str, str | None]] = [
    # None: the id is the slug itself
    (TAMAKI, "tamaki-makaurau-election-date-set"),
    (CONDOLENCES, "governments-condolences-passing-kingi-tuheitia-pootatau-te-wherowhero-vii"),
    (
        "https://www.beehive.govt.nz/release/sport-minister-congratulates-nz%E2%80%99s-olympians",
        "sport-minister-congratulates-nzs-olympians",
    ),
    (
        "https://www.beehive.govt.nz/release/crown-settles-ng%C4%81ti-p%C4%81oa-after-14-years",
        "crown-settles-ngati-paoa-after-14-years",
    ),
    (  # from the 2025-04-05 feed; the archive holds 2025-04-02-…-followingus-tariff-…
        "https://www.beehive.govt.nz/release/"
        "statement-minister-todd-mcclay-following%C2%A0us-tariff-announcement",
        "statement-minister-todd-mcclay-followingus-tariff-announcement",
    ),
    ("https://www.beehive.govt.nz/release/new-district-court-judge-appointed-17", None),
    ("https://www.beehive.govt.nz/release/23908", None),
]


# --- content_type_of / node_id_of --------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/release/petrol-decisions-announced", "release"),
        (TAMAKI, "release"),
        ("https://www.beehive.govt.nz/speech/speech-project-auckland", "speech"),
        ("/feature/some-feature/", "feature"),
        ("/release/foo?page=2#top", "release"),
        ("http://localhost:8080/release/foo", "release"),
        ("/releases", None),
        ("/releases?page=3", None),
        ("/release/", None),
        ("/release/foo/edit", None),
        ("/node/124732", None),
        ("/minister/hon-judith-collins", None),
        ("/portfolio/nationalactnew-zealand-first-coalition-government-2023-2026/finance", None),
        ("/sites/default/files/2019-03/report.pdf", None),
        ("", None),
        ("http://[broken/release/x", None),
    ],
)
def test_content_type_of(url: str, expected: str | None) -> None:
    assert content_type_of(url) == expected


def test_node_id_of() -> None:
    assert node_id_of("/node/124732") == 124732
    assert node_id_of("https://www.beehive.govt.nz/node/5") == 5
    assert node_id_of("/node/abc") is None
    assert node_id_of("/release/foo") is None
    assert node_id_of("https://www.beehive.govt.nz/124732") is None


# --- canonical_url / slug_of -------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/release/foo", f"{PUBLIC_SITE}/release/foo"),
        ("release/foo", f"{PUBLIC_SITE}/release/foo"),
        (TAMAKI, TAMAKI),
        (CONDOLENCES, CONDOLENCES),
        # a mirror's scheme and host are replaced; query and fragment dropped
        ("http://localhost:8080/release/foo?utm=x#body", f"{PUBLIC_SITE}/release/foo"),
        ("//beehive.govt.nz/speech/bar", f"{PUBLIC_SITE}/speech/bar"),
        # raw non-ASCII and spaces are encoded with uppercase escapes
        ("/release/tāmaki-makaurau-election-date-set", TAMAKI),
        ("/release/a b", f"{PUBLIC_SITE}/release/a%20b"),
        ("/release/foo\u00a0", f"{PUBLIC_SITE}/release/foo%C2%A0"),
        # existing escapes kept, their hex uppercased; a stray % escaped
        ("/release/t%c4%81maki-makaurau-election-date-set", TAMAKI),
        ("/release/100%", f"{PUBLIC_SITE}/release/100%25"),
        ("/release/100%zz", f"{PUBLIC_SITE}/release/100%25zz"),
        ("/node/123", f"{PUBLIC_SITE}/node/123"),
    ],
)
def test_canonical_url(given: str, expected: str) -> None:
    assert canonical_url(given) == expected


def test_canonical_url_other_site() -> None:
    assert canonical_url(TAMAKI, site="http://mirror.test/") == (
        "http://mirror.test/release/t%C4%81maki-makaurau-election-date-set"
    )


@given(st.text())
def test_normalise_path_is_idempotent_and_ascii(path: str) -> None:
    once = normalise_path(path)
    assert once.isascii()
    assert " " not in once
    assert normalise_path(once) == once


def test_slug_of() -> None:
    assert slug_of(TAMAKI) == "t%C4%81maki-makaurau-election-date-set"
    assert slug_of("/release/t%c4%81maki/") == "t%C4%81maki"
    assert slug_of("/release/tāmaki?x=1") == "t%C4%81maki"
    assert slug_of("https://www.beehive.govt.nz/release/23908") == "23908"
    with pytest.raises(ValueError, match="no path segment"):
        slug_of("https://www.beehive.govt.nz/")


# --- folded_id ---------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "expected"), REAL_URLS_AND_IDS)
def test_folded_id_of_real_urls(url: str, expected: str | None) -> None:
    assert folded_id(url) == (expected if expected is not None else url.rsplit("/", 1)[1])


def test_folded_id_doc_examples() -> None:
    assert folded_id("/release/t%C4%81maki-makaurau") == "tamaki-makaurau"
    assert folded_id("/release/government%E2%80%99s-condolences") == "governments-condolences"
    assert folded_id("/release/trailing-nbsp%C2%A0") == "trailing-nbsp"
    assert folded_id("/release/tāmaki-makaurau") == "tamaki-makaurau"  # raw Unicode too


def test_folded_id_keeps_ascii_as_is() -> None:
    assert folded_id("/release/-wait-theres-more--how-about-loopy-land-tax") == (
        "-wait-theres-more--how-about-loopy-land-tax"
    )
    assert folded_id("/release/Mixed-Case_1.2") == "Mixed-Case_1.2"


def test_folded_id_empty_falls_back_to_encoded_slug() -> None:
    # “” only: nothing ASCII is left, so the percent-encoded slug without "%" is the id
    assert folded_id("/release/%E2%80%9C%E2%80%9D") == "e2809ce2809d"
    assert folded_id("/release/\u201c\u201d") == "e2809ce2809d"
    assert folded_id("/release/%E2%80%9C") != folded_id("/release/%E2%80%9D")


def test_folded_id_never_contains_a_path_separator() -> None:
    assert folded_id("/release/a%2Fb") == "ab"
    assert folded_id("/release/a%5Cb%00") == "ab"
    assert folded_id("/release/%2F") == "2f"


@given(st.text(min_size=1))
def test_folded_id_is_a_safe_nonempty_ascii_name(slug: str) -> None:
    url = "/release/" + slug.replace("/", "-").replace("?", "-").replace("#", "-")
    folded = folded_id(url)
    assert folded
    assert folded.isascii()
    assert "/" not in folded
    assert "\\" not in folded


def test_folded_id_matches_fixture_file_names() -> None:
    records = sorted((FIXTURES / "pages").glob("*.json"))
    assert len(records) > 100
    encoded = 0
    for record in records:
        url = json.loads(record.read_text(encoding="utf-8"))["url"]
        encoded += "%" in url
        assert folded_id(url) == record.stem[len("YYYY-MM-DD-") :], record.name
    assert encoded >= 6


def test_fixture_md_url_lines_are_the_folded_urls() -> None:
    # the old exporter's url: line is the public URL rebuilt from the folded id
    for md in sorted((FIXTURES / "pages").glob("*.md")):
        line = next(x for x in md.read_text(encoding="utf-8").splitlines() if x.startswith("url:"))
        url = line.removeprefix("url: ")
        assert folded_id(url) == md.stem[len("YYYY-MM-DD-") :], md.name


@pytest.mark.parametrize(("path", "date", "url"), ARCHIVE_SAMPLE)
def test_archive_relpath_reproduces_archive_names(path: str, date: str, url: str) -> None:
    assert archive_relpath("release", dt.date.fromisoformat(date), url) == PurePosixPath(path)


# --- archive_relpath ---------------------------------------------------------------------


def test_archive_relpath_folders() -> None:
    day = dt.date(2025, 7, 14)
    assert archive_relpath("release", day, TAMAKI) == PurePosixPath(
        "releases/2025/07/2025-07-14-tamaki-makaurau-election-date-set.md"
    )
    assert archive_relpath("speech", day, "/speech/speech-project-auckland") == PurePosixPath(
        "speeches/2025/07/2025-07-14-speech-project-auckland.md"
    )
    assert archive_relpath("feature", dt.date(2001, 2, 3), "/feature/x-0") == PurePosixPath(
        "features/2001/02/2001-02-03-x-0.md"
    )


def test_archive_relpath_refuses_unknown_type_and_datetimes() -> None:
    with pytest.raises(ValueError, match="unknown content type"):
        archive_relpath("diary", dt.date(2025, 1, 1), "/release/x")
    with pytest.raises(TypeError, match="New Zealand date"):
        archive_relpath("release", dt.datetime(2025, 1, 1, tzinfo=dt.UTC), "/release/x")


def test_a_slug_of_non_latin_words_and_hyphens_gets_a_readable_distinct_id() -> None:
    first = folded_id(f"{PUBLIC_SITE}/release/%E4%B8%AD-%E6%96%87")
    second = folded_id(f"{PUBLIC_SITE}/release/%E6%97%A5-%E6%9C%AC")
    assert first != second and first != "-"
    assert first == "e4b8ad-e69687"


def test_a_trailing_slash_is_the_same_page() -> None:
    assert canonical_url(f"{PUBLIC_SITE}/release/x/") == f"{PUBLIC_SITE}/release/x"
