"""The sync engine's branches, run in-process against the stand-in over a MockTransport."""

from __future__ import annotations

from pathlib import Path

import pytest

from scraper.archive.store import Archive
from scraper.site import parse as parse_module
from scraper.sync.report import report_lines
from tests.standin import StandIn
from tests.support import engine_sync, files, written_paths

TE_HUIA = "/release/te-huia-service-extension-welcomed"
PUBLIC = "https://www.beehive.govt.nz"


@pytest.fixture
def model() -> StandIn:
    """A stand-in site that is not serving: the engine reaches it through a MockTransport."""
    return StandIn()


def test_a_backfill_names_releases_by_their_urls_never_node_links(
    model: StandIn, archive: Path
) -> None:
    seen: list[tuple[str, str]] = []
    report = engine_sync(
        model,
        archive,
        full=True,
        progress=lambda _d, total, url, outcome: seen.append((url, outcome)),
    )
    assert report.ok, report.failed
    added = [url for url, outcome in seen if outcome == "added"]
    assert len(added) == len(report.added) > 100
    assert not [url for url in added if "/node/" in url]
    assert [w.url for w in report.added] == added


def test_the_feed_is_shown_as_a_source_and_every_item_is_counted_once(
    model: StandIn, archive: Path
) -> None:
    shown: list[tuple[str, str]] = []
    report = engine_sync(
        model,
        archive,
        progress=lambda _d, total, url, outcome: (
            shown.append((url, outcome)) if total == 0 else None
        ),
    )
    assert report.ok, report.failed
    assert shown[0][0] == "/rss.xml" and shown[0][1].startswith("feed, ")
    announced = sum(int(outcome.split(", ")[1].split()[0]) for _, outcome in shown)
    assert announced == len(report.added)


def test_a_page_without_a_release_title_is_failed_kept_pending_and_written_once_fixed(
    model: StandIn, archive: Path
) -> None:
    original = model.item(TE_HUIA)
    assert original is not None
    model.change(TE_HUIA, "<div><h2>Scheduled maintenance</h2><p>Back soon.</p></div>")
    report = engine_sync(model, archive)
    [failure] = report.failed
    assert failure.url == PUBLIC + TE_HUIA and "no release title" in failure.reason
    assert not [p for p in files(archive) if "te-huia" in p]
    assert len(report.added) > 10
    with Archive(archive) as state:
        assert [row[0] for row in state.pending(("release",))] == [PUBLIC + TE_HUIA]
    model.change(TE_HUIA, original.main)
    again = engine_sync(model, archive)
    assert again.ok and [w.url for w in again.added] == [PUBLIC + TE_HUIA]


def test_a_page_not_found_template_served_as_200_is_never_written(
    model: StandIn, archive: Path
) -> None:
    model.change(
        TE_HUIA,
        '<div><h1 class="article__title">Page not found</h1>'
        "<p>The requested page could not be found.</p></div>",
    )
    report = engine_sync(model, archive)
    [failure] = report.failed
    assert "not a release page" in failure.reason
    assert not [text for text in files(archive).values() if "Page not found" in text]


def test_an_unexpected_error_on_one_page_loses_no_other(
    model: StandIn, archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = parse_module.parse_page

    def broken(html: str, **kwargs: object) -> object:
        if "te-huia" in str(kwargs.get("source")):
            raise IndexError("a converter bug")
        return real(html, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(parse_module, "parse_page", broken)
    report = engine_sync(model, archive)
    [failure] = report.failed
    assert "IndexError: a converter bug" in failure.reason and "please report" in failure.reason
    assert len(report.added) > 10


def test_a_site_down_on_its_pages_stops_the_run_after_a_few_urls(
    model: StandIn, archive: Path
) -> None:
    model.fail("/release/*", "503", times=None)
    report = engine_sync(model, archive, down_limit=3)
    assert report.stop_kind == "down" and "seems to be down" in str(report.stopped)
    assert len(report.failed) == 3
    assert model.count("/release/") == 3 * 3  # three URLs, each tried max_attempts times
    assert report.exit_code == 5


def test_a_recovered_url_resets_the_count_of_failures_in_a_row(
    model: StandIn, archive: Path
) -> None:
    for slug in ("te-huia-service-extension-welcomed", "government-app-launched-today"):
        model.fail(f"/release/{slug}", "503", times=None)
    report = engine_sync(model, archive, down_limit=3)
    assert report.stopped is None
    assert len(report.failed) == 2 and len(report.added) > 10


def test_robots_txt_behind_the_block_page_names_robots_txt_and_stops(
    model: StandIn, archive: Path
) -> None:
    model.fail("/robots.txt", "challenge", times=None)
    report = engine_sync(model, archive)
    assert report.blocked == ["http://standin.test/robots.txt"]
    assert report.stop_kind == "blocked" and report.exit_code == 3
    assert [r.target for r in model.requests] == ["/robots.txt"]


def test_the_summary_counts_in_words_and_says_how_big_the_archive_is(
    model: StandIn, archive: Path
) -> None:
    engine_sync(model, archive)
    report = engine_sync(model, archive)
    assert report.requests == 1 and report.added == []
    assert report.archive_files == len(files(archive))
    last = report_lines(report)[-1]
    assert "; 1 request in " in last and f"the archive holds {len(files(archive))} files" in last


def test_written_files_carry_their_url_and_path(model: StandIn, archive: Path) -> None:
    report = engine_sync(model, archive)
    for written in report.added:
        assert files(archive)[written.path].split("\nurl: ", 1)[1].startswith(written.url)
    assert sorted(written_paths(report.added)) == sorted(files(archive))
