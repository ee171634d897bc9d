"""The export's plan (pure), the governments table, and the index query both rely on."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from scraper.archive.state import Stamped
from scraper.archive.store import Archive
from scraper.export.governments import GOVERNMENTS, government_of
from scraper.export.plan import plan_export
from scraper.site.discover import SEARCH_GOVERNMENTS
from tests.export_support import SMALL, write_archive
from tests.standin import governments as standin


def stamped(relpath: str, url: str, stamp: str = "1:1:1", size: int = 10) -> Stamped:
    """An index entry."""
    return Stamped(relpath, "release", url, dt.date(2020, 1, 1), size, stamp)


def test_an_unchanged_file_is_skipped_and_a_changed_one_written() -> None:
    files = [stamped("a.md", "u/a"), stamped("b.md", "u/b", stamp="2:2:2")]
    kept = {"u/a": ("a.md", 10, "1:1:1"), "u/b": ("b.md", 10, "1:1:1")}
    plan = plan_export(files, kept, set())
    assert [f.relpath for f in plan.write] == ["b.md"]
    assert (plan.remove, plan.unchanged) == ([], 1)


def test_a_file_of_another_size_or_path_is_written() -> None:
    files = [stamped("a.md", "u/a", size=11), stamped("moved.md", "u/b")]
    kept = {"u/a": ("a.md", 10, "1:1:1"), "u/b": ("b.md", 10, "1:1:1")}
    assert [f.relpath for f in plan_export(files, kept, set()).write] == ["a.md", "moved.md"]


def test_rows_of_gone_files_are_removed_but_not_those_of_unreadable_ones() -> None:
    kept = {"u/a": ("a.md", 10, "1:1:1"), "u/b": ("b.md", 10, "1:1:1")}
    plan = plan_export([], kept, {"b.md"})
    assert plan.remove == ["u/a"] and plan.write == []


def test_the_first_path_of_a_shared_url_makes_the_row() -> None:
    files = [stamped("z.md", "u/a"), stamped("a.md", "u/a")]
    plan = plan_export(files, {}, set())
    assert [f.relpath for f in plan.write] == ["a.md"]
    assert [d.path for d in plan.duplicates] == ["z.md"] and "a.md" in plan.duplicates[0].reason


def test_stamped_lists_every_readable_file_with_its_size_and_stamp(tmp_path: Path) -> None:
    files = write_archive(tmp_path)
    (tmp_path / "releases" / "2020" / "bad.md").write_bytes(b"no front matter")
    with Archive.read_only(tmp_path) as archive:
        archive.refresh_index()
        found = archive.stamped()
    assert [f.relpath for f in found] == sorted(files)
    for entry in found:
        item = files[entry.relpath]
        assert (entry.url, entry.date) == (item.url, item.date)
        assert entry.size == (tmp_path / entry.relpath).stat().st_size and entry.stamp
    assert {f.kind for f in found} == {kind for kind, _ in SMALL}


def test_the_governments_are_the_sites_facets_with_the_standins_first_days() -> None:
    assert tuple(g.facet for g in GOVERNMENTS) == SEARCH_GOVERNMENTS
    days = {facet: day for facet, day in standin.GOVERNMENTS}
    for government in GOVERNMENTS:
        expected = days[government.facet]
        assert government.first_day == (None if expected == dt.date.min else expected)


@pytest.mark.parametrize(
    ("day", "facet"),
    [
        (dt.date(2017, 10, 25), 6064),
        (dt.date(2017, 10, 26), 6203),
        (dt.date(2026, 2, 28), 6700),
        (dt.date(1996, 12, 15), 4194),
        (dt.date(1, 1, 2), 4194),
    ],
)
def test_a_day_belongs_to_the_government_in_office(day: dt.date, facet: int) -> None:
    government = government_of(day)
    assert government is not None and government.facet == facet == standin.government_of(day)


def test_the_old_exporters_undated_files_belong_to_no_government() -> None:
    assert government_of(dt.date(1, 1, 1)) is None


def test_a_governments_label_says_when_it_began() -> None:
    labels = [getattr(government_of(dt.date(y, 1, 1)), "label", None) for y in (2018, 1995)]
    assert labels == [
        "Government 2017–2020 (from 2017-10-26)",
        "Government 1993–1996 (the earliest)",
    ]
