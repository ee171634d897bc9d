"""The identity rules: which archive file holds a release."""

from __future__ import annotations

import datetime as dt

from scraper.archive.identify import identify, identify_listed
from scraper.archive.store import Entry

SITE = "https://www.beehive.govt.nz/release/"
D = dt.date


class FakeIndex:
    """An index over a list of entries."""

    def __init__(self, *entries: Entry) -> None:
        self.entries = entries

    def by_url(self, url: str) -> list[Entry]:
        return [e for e in self.entries if e.url == url]

    def by_folded(self, kind: str, folded: str) -> list[Entry]:
        return [e for e in self.entries if e.kind == kind and e.folded == folded]

    def by_title(self, kind: str, title: str) -> list[Entry]:
        return [e for e in self.entries if e.kind == kind and e.title == title]


def _old(folded: str, date: dt.date, title: str, name: str = "") -> Entry:
    """A file as the old exporter wrote it: the ASCII-folded URL, the UTC date."""
    return Entry(
        name or f"releases/{date:%Y/%m/%Y-%m-%d}-{folded}.md",
        "release",
        SITE + folded,
        folded,
        date,
        title,
    )


PULSE_A = _old(
    "pulse-nation-report-exposes-digital-divide",
    D(2017, 12, 4),
    "'Pulse of the Nation' report exposes digital divide",
)
PULSE_B = _old(
    "pulse-nation-report-exposes-digital-divide",
    D(2017, 12, 5),
    "‘Pulse of the Nation’ report exposes digital divide",
)


def test_exact_real_url_wins() -> None:
    ours = Entry("releases/x.md", "release", SITE + "t%C4%81maki", "tamaki", D(2025, 7, 14), "T")
    assert identify(FakeIndex(ours), "release", SITE + "t%C4%81maki", None, None).entry == ours


def test_old_file_is_adopted_by_folded_id_and_the_day_before() -> None:
    old = _old("tamaki-makaurau-election-date-set", D(2025, 7, 13), "Tāmaki Makaurau")
    url = SITE + "t%C4%81maki-makaurau-election-date-set"
    assert identify(FakeIndex(old), "release", url, D(2025, 7, 14), None).entry == old


def test_old_file_two_days_off_is_another_release() -> None:
    old = _old("x", D(2025, 7, 12), "X")
    assert identify(FakeIndex(old), "release", SITE + "x", D(2025, 7, 14), None).entry is None


def test_shared_folded_url_is_told_apart_by_date() -> None:
    index = FakeIndex(PULSE_A, PULSE_B)
    curly = SITE + "%E2%80%98pulse-nation%E2%80%99-report-exposes-digital-divide"
    assert identify(index, "release", curly, D(2017, 12, 6), None).entry == PULSE_B
    plain = SITE + "pulse-nation-report-exposes-digital-divide"
    assert identify(index, "release", plain, D(2017, 12, 4), None).entry == PULSE_A


def test_shared_folded_url_on_the_same_days_is_told_apart_by_title() -> None:
    b = _old(PULSE_B.folded, D(2017, 12, 4), PULSE_B.title, name="releases/b.md")
    index = FakeIndex(PULSE_A, b)
    match = identify(index, "release", SITE + PULSE_A.folded, D(2017, 12, 5), PULSE_B.title)
    assert match.entry == b


def test_two_candidates_left_are_reported_not_guessed() -> None:
    b = _old(PULSE_A.folded, D(2017, 12, 4), PULSE_A.title, name="releases/b.md")
    match = identify(FakeIndex(PULSE_A, b), "release", SITE + PULSE_A.folded, None, None)
    assert match.entry is None
    assert set(match.ambiguous) == {PULSE_A, b}


def test_a_file_with_another_real_url_is_another_release() -> None:
    other = Entry("releases/o.md", "release", SITE + "x%E2%80%99y", "xy", D(2020, 1, 1), "X")
    assert identify(FakeIndex(other), "release", SITE + "xy", D(2020, 1, 1), None).entry is None


def test_content_types_do_not_mix() -> None:
    old = _old("same", D(2020, 1, 1), "S")
    url = "https://www.beehive.govt.nz/speech/same"
    assert identify(FakeIndex(old), "speech", url, D(2020, 1, 1), None).entry is None


def test_an_undated_old_file_matches_any_date() -> None:
    old = _old("challenge-laid", D(1, 1, 1), "Challenge laid")
    assert (
        identify(FakeIndex(old), "release", SITE + "challenge-laid", D(2007, 5, 3), None).entry
        == old
    )


def test_a_listed_title_and_date_identify_a_link_without_a_slug() -> None:
    index = FakeIndex(PULSE_A, PULSE_B)
    assert identify_listed(index, "release", PULSE_B.title, D(2017, 12, 6)) == [PULSE_B]
    assert identify_listed(index, "release", PULSE_B.title, D(2017, 12, 9)) is None
    assert identify_listed(index, "release", "Another title", D(2017, 12, 6)) is None
    # Without a date any release of that title could be it: nothing is sure.
    assert identify_listed(index, "release", PULSE_B.title, None) is None


def test_a_file_we_wrote_for_an_ascii_sibling_is_not_taken_for_the_macron_release() -> None:
    ascii_one = Entry(
        "releases/a.md",
        "release",
        SITE + "tamaki-hui",
        "tamaki-hui",
        D(2025, 7, 14),
        "Tamaki hui",
        ours=True,
    )
    url = SITE + "t%C4%81maki-hui"
    assert identify(FakeIndex(ascii_one), "release", url, D(2025, 7, 14), None).entry is None


def test_a_file_we_wrote_matches_its_url_whatever_its_date() -> None:
    ours = Entry("releases/x.md", "release", SITE + "x", "x", D(2025, 7, 14), "X", ours=True)
    assert identify(FakeIndex(ours), "release", SITE + "x", D(2025, 7, 20), None).entry == ours
