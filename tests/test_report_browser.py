"""The report page in a real browser: headless Chromium shows it without an error or a request."""

from __future__ import annotations

from pathlib import Path

import pytest

from scraper.export.report import make_report
from tests.browser import INSTALL_HINT, chromium, find_chromium
from tests.export_support import NOW, SPAN, with_state

pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed: pip install '.[browser]'"
)
pytestmark = pytest.mark.skipif(find_chromium() is None, reason=f"no Chromium: {INSTALL_HINT}")


def test_the_page_opens_cleanly_with_one_bar_per_month(tmp_path: Path) -> None:
    root = with_state(tmp_path / "archive")
    page_file = tmp_path / "report.html"
    make_report(root, page_file, NOW)
    url = page_file.as_uri()
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        problems: list[str] = []
        requests: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.on("request", lambda r: requests.append(r.url) if r.url != url else None)
        page.goto(url)
        months = page.eval_on_selector_all(
            "svg.monthly g.month", "groups => groups.map(g => g.dataset.month)"
        )
        lefts = page.eval_on_selector_all(
            "svg.monthly g.month", "groups => groups.map(g => g.getBoundingClientRect().left)"
        )
        bars = page.eval_on_selector_all(
            "svg.monthly rect.bar", "rects => rects.map(r => r.getBoundingClientRect().height)"
        )
        gaps = page.eval_on_selector_all(
            "svg.monthly rect.gap", "rects => rects.map(r => r.parentNode.dataset.month)"
        )
        heading = page.inner_text("h1")
    assert problems == [], "the page must show no console error"
    assert requests == [], "the page must load nothing: it is self-contained"
    assert months == SPAN, "one bar per month of the archive's span, in order"
    assert lefts == sorted(lefts) and len(set(lefts)) == len(SPAN), "side by side"
    # Four months hold files (one type each); the empty one is marked, not drawn.
    assert len(bars) == 4 and all(height > 0 for height in bars)
    assert gaps == ["2020-01"]
    assert heading == "Archive report"


def test_a_console_error_would_be_seen(tmp_path: Path) -> None:
    """The check above can fail: a page that breaks its own policy is caught."""
    page_file = tmp_path / "bad.html"
    page_file.write_text(
        "<!doctype html><meta http-equiv='Content-Security-Policy' content=\"default-src 'none'\">"
        "<img src='https://www.beehive.govt.nz/x.png'><p>x</p>",
        encoding="utf-8",
    )
    with chromium() as browser:
        page = browser.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.goto(page_file.as_uri())
        page.wait_for_load_state("load")
    assert problems and "Content Security Policy" in problems[0]
