"""`scraper report`: what the page counts and lists, read from a small archive and its state."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest

from scraper.archive.document import loads
from scraper.archive.store import STATE_DIR, Archive
from scraper.errors import ConfigError
from scraper.export.census import gather, minister_name, month_span
from scraper.export.charts import month_chart, nice_step
from scraper.export.report import make_report
from tests.export_support import NOW, RAIL, SPAN, with_state, write_archive
from tests.support import invoke


def test_the_census_counts_months_governments_and_ministers(tmp_path: Path) -> None:
    census = gather(with_state(tmp_path / "archive"), NOW)
    assert [month for month, _ in census.months] == SPAN
    totals = {month: sum(counts.values()) for month, counts in census.months}
    assert totals == {"2019-11": 2, "2019-12": 1, "2020-01": 0, "2020-02": 1, "2020-03": 1}
    assert census.months[1][1] == Counter({"speech": 1})
    assert census.types == ("release", "speech")
    by_government = {g.years: counts for g, counts in census.governments}
    assert by_government["2017–2020"] == Counter({"release": 4, "speech": 1})
    assert sum(sum(c.values()) for c in by_government.values()) == census.files == 5
    ministers = {m.name: (m.files, m.first, m.last) for m in census.ministers}
    # "Rt Hon Winston Peters" and "Winston Peters" are one person, on two files.
    assert ministers["Winston Peters"] == (2, dt.date(2019, 11, 20), dt.date(2020, 2, 14))
    assert census.ministers[0].name == "Winston Peters"
    assert set(ministers) == {
        "Winston Peters",
        "Damien O'Connor",
        "Phil Twyford",
        "Grant Robertson",
    }


def test_the_census_reads_runs_findings_and_pending_from_the_state(tmp_path: Path) -> None:
    census = gather(with_state(tmp_path / "archive"), NOW)
    assert [r.exit_code for r in census.runs["sync"]] == [3, 0], "newest first"
    assert [r.job for r in census.runs["daemon"]] == ["daemon"]
    assert [f.relpath for f in census.findings["changed"]] == [RAIL]
    assert [p.title for p in census.pending] == ["Late <b>news</b>"]
    assert census.incomplete == []


def test_the_report_lists_the_files_written_from_the_feed_alone(tmp_path: Path) -> None:
    root = with_state(tmp_path / "archive")
    text = (root / RAIL).read_text(encoding="utf-8")
    release = loads(text, RAIL)
    with Archive(root) as archive:
        archive.refresh_index()
        archive.write(RAIL, text, release.url, release.date, NOW, incomplete=True)
    census = gather(root, NOW)
    assert [(i.url, i.kind, i.published, i.title) for i in census.incomplete] == [
        (release.url, "release", release.date, release.title)
    ]
    html = make_report(root, None, NOW).html
    section = html.split("Incomplete (feed-only) releases", 1)[1]
    assert f"href='{release.url}'" in section and "No release is held only" not in html


def test_the_page_shows_it_all_and_links_to_the_files(tmp_path: Path) -> None:
    root = with_state(tmp_path / "archive")
    out = tmp_path / "site" / "report.html"
    out.parent.mkdir()
    html = make_report(root, out, NOW).html
    assert out.read_text(encoding="utf-8") == html
    months = re.findall(r'<g class="month" data-month="([0-9-]+)"', html)
    assert months == SPAN
    assert "Months with no file: 2020-01." in html
    assert "Government 2017–2020 (from 2017-10-26)" in html
    assert f"href='../archive/{RAIL}'" in html, "links are relative to the page"
    printed = make_report(root, None, NOW).html
    assert f"href='{root.resolve().as_uri()}/{RAIL}'" in printed, "or absolute, when printed"
    assert "Late &lt;b&gt;news&lt;/b&gt;" in html and "<b>news" not in html
    assert "No release is held only as the feed gave it." in html
    for job in ("sync", "verify", "daemon"):
        assert f"<h3>{job}</h3>" in html
    assert "<span class='bad'>blocked 3</span>" in html
    assert "2026-03-01 10:30 UTC" in html
    # Self-contained: no script, nothing loaded from anywhere.
    assert "<script" not in html and " src=" not in html and "<link" not in html


def test_a_page_without_a_state_says_no_run_is_recorded(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    write_archive(root)
    html = make_report(root, None, NOW).html
    assert "No sync run recorded." in html and "no verify run is recorded" in html
    assert not (root / STATE_DIR).exists(), "a report must not create the archive's state"


def test_the_command_writes_the_page_or_prints_it(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    write_archive(root)
    out = tmp_path / "report.html"
    run = invoke("report", "--archive", str(root), "--output", str(out))
    assert run.code == 0 and run.stdout == ""
    assert f"wrote {out}: 5 files, 2019-11 to 2020-03" in run.stderr
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    run = invoke("report", "--archive", str(root), "--output", "-")
    assert run.code == 0 and run.stdout.startswith("<!doctype html>")
    assert not (root / STATE_DIR).exists()


def test_the_command_refuses_a_folder_without_an_archive(tmp_path: Path) -> None:
    run = invoke("report", "--archive", str(tmp_path / "none"), "--output", "-")
    assert run.code == 2 and "no archive" in run.stderr and run.stdout == ""
    with pytest.raises(ConfigError):
        gather(tmp_path / "none", NOW)


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ("Rt Hon Winston Peters", "Winston Peters"),
        ("Hon Judith Collins KC", "Judith Collins"),
        ("Hon Dr Shane Reti", "Dr Shane Reti"),
        ("Winston Peters", "Winston Peters"),
        ("Honiara Smith", "Honiara Smith"),
    ],
)
def test_minister_names_lose_their_titles(written: str, name: str) -> None:
    assert minister_name(written) == name


def test_month_span_crosses_years() -> None:
    assert month_span(dt.date(2019, 11, 30), dt.date(2020, 2, 1)) == [
        "2019-11",
        "2019-12",
        "2020-01",
        "2020-02",
    ]
    assert month_span(dt.date(2020, 1, 1), dt.date(2020, 1, 31)) == ["2020-01"]


@pytest.mark.parametrize(("largest", "step"), [(3, 1), (40, 10), (330, 100), (7180, 2000)])
def test_gridlines_fall_on_round_numbers(largest: int, step: int) -> None:
    assert nice_step(largest) == step


def test_an_empty_month_gets_the_gap_mark_and_a_full_one_none() -> None:
    svg = month_chart([("2020-01", Counter()), ("2020-02", Counter({"release": 2}))], ("release",))
    empty, full = svg.split('<g class="month"')[1:]
    assert 'class="gap"' in empty and 'class="gap"' not in full
    assert "Jan 2020: nothing" in empty and "Feb 2020: 2 releases" in full


def test_a_long_list_of_gaps_is_cut_short_under_the_chart(tmp_path: Path) -> None:
    from scraper.export.census import Census
    from scraper.export.page import GAPS_SHOWN, file_links, render_page

    span = month_span(dt.date(2000, 1, 1), dt.date(2005, 12, 1))
    months = [(m, Counter({"release": 1}) if i % 2 else Counter()) for i, m in enumerate(span)]
    census = Census(tmp_path, NOW, files=36, types=("release",), months=months)
    html = render_page(census, file_links(""))
    assert html.count('class="gap"') == 36, "the chart marks every empty month"
    assert "Months with no file: 2000-01, 2000-03," in html
    assert f"and {36 - GAPS_SHOWN} more gaps." in html


@pytest.mark.parametrize("placeholder", ["0001-01-01", "9999-12-31"])
def test_undated_files_are_in_no_month_and_no_government(tmp_path: Path, placeholder: str) -> None:
    from tests.export_support import SMALL, release

    root = tmp_path / "archive"
    write_archive(root, (*SMALL, release("no-date", placeholder)))
    census = gather(root, NOW)
    assert census.files == 6 and census.undated == 1
    assert census.by_type == Counter({"release": 5, "speech": 1})
    assert [month for month, _ in census.months] == SPAN  # not months on to the year 9999
    assert sum(sum(counts.values()) for _, counts in census.governments) == 5
