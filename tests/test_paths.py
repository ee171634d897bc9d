"""Archive paths: the natural name, the tagged one, and names too long for a file system."""

from __future__ import annotations

import datetime as dt

from scraper.archive.paths import NAME_MAX, candidate_relpaths, untagged_stem, url_tag

DAY = dt.date(2026, 3, 4)
URL = "https://www.beehive.govt.nz/release/budget-day"


def test_the_natural_name_then_the_tagged_one() -> None:
    tag = url_tag(URL)
    assert candidate_relpaths("release", DAY, URL) == (
        "releases/2026/03/2026-03-04-budget-day.md",
        f"releases/2026/03/2026-03-04-budget-day--{tag}.md",
    )
    assert len(tag) == 8 and tag == url_tag(URL)


def test_an_over_long_slug_gets_one_shortened_tagged_name_that_fits() -> None:
    url = "https://www.beehive.govt.nz/release/" + "a" * 300
    [only] = candidate_relpaths("release", DAY, url)
    name = only.rsplit("/", 1)[1]
    assert len(name.encode()) <= NAME_MAX
    assert name.startswith("2026-03-04-aaaa") and name.endswith(f"--{url_tag(url)}.md")


def test_a_slug_just_short_enough_keeps_its_natural_name() -> None:
    fits = "a" * (NAME_MAX - len("2026-03-04-.md"))
    url = "https://www.beehive.govt.nz/release/" + fits
    assert candidate_relpaths("release", DAY, url)[0].endswith(f"-{fits}.md")
    assert len(candidate_relpaths("release", DAY, url + "a")) == 1


def test_the_tag_is_taken_off_a_name() -> None:
    assert untagged_stem("releases/2026/03/2026-03-04-budget-day--0a1b2c3d.md") == (
        "2026-03-04-budget-day"
    )
    assert untagged_stem("releases/2026/03/2026-03-04-budget--day.md") == "2026-03-04-budget--day"
