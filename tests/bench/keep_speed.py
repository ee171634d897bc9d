"""What keeping pages costs (ms and bytes per page; a sync's, a verify's), the feed and
listings kept too (keep.discovery), and `rebuild` over every kept page."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from pathlib import Path

from scraper.archive.store import Archive
from scraper.config import Config
from scraper.keep.index import all_records
from scraper.keep.pages import MomentaryKeeping, PageKeeper, archive_warc, read_page
from scraper.keep.rebuild import rebuild_archive
from scraper.keep.settings import KeepSettings
from scraper.net.source import Fetched
from scraper.site.urls import content_type_of
from tests.bench.cli_runs import scraper_sync
from tests.bench.common import BUILD, heading, rate, show
from tests.standin import StandIn

#: Times each kept page is kept again, under a new URL, to time keeping alone.
ROUNDS = 5


def _demo_archive() -> Path:
    """A full sync of the stand-in, pages kept: the demo archive."""
    archive = BUILD / "keep-demo"
    shutil.rmtree(archive, ignore_errors=True)
    with StandIn().running() as base_url:
        keep = ("--set", "keep.discovery=true")
        run = scraper_sync(archive, base_url, "--full", *keep, name="keep-demo")
    if run.code != 0:
        raise SystemExit(f"the demo sync failed ({run.code}): {run.stderr[-500:]}")
    return archive


def _pages(archive: Path) -> list[Fetched]:
    """Every kept page read back, as the Fetcher would hand it over."""
    with Archive.read_only(archive) as opened:
        urls = sorted({r.url for r in all_records(opened) if content_type_of(r.url)})
        pages = [read_page(opened, archive_warc(opened), url) for url in urls]
    return [Fetched(p.url, 200, p.body, None, None) for p in pages if p is not None]


def _keeping(pages: list[Fetched]) -> tuple[float, float]:
    """Keep the pages ROUNDS times into a fresh archive: (ms per page, bytes per page)."""
    scratch = BUILD / "keep-scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    count = 0
    with Archive(scratch) as archive:
        keeper = PageKeeper(archive, archive_warc(archive), KeepSettings())
        started = time.perf_counter()
        for round_ in range(ROUNDS):
            for page in pages:
                keeper.keep(Fetched(f"{page.url}-{round_}", 200, page.body, None, None))
                count += 1
        seconds = time.perf_counter() - started
        size = sum(p.stat().st_size for p in archive_warc(archive).iterdir())
    return seconds * 1000 / count, size / count


def _keeping_momentarily(pages: list[Fetched]) -> float:
    """Keep the pages as a verify without --fix does, the lock taken for each: ms per page."""
    scratch = BUILD / "keep-scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    with Archive(scratch):
        pass  # the state a verify finds there
    notes: list[str] = []
    keep = MomentaryKeeping(scratch, KeepSettings(), notes)
    started = time.perf_counter()
    for page in pages:
        keep(page, None)
    seconds = time.perf_counter() - started
    if notes:
        raise SystemExit(f"a verify's keeping failed: {notes}")
    return seconds * 1000 / len(pages)


def _sizes(archive: Path) -> tuple[float, float, int]:
    """Bytes on disk per release page and per feed or listing page kept, and how many of
    the latter (request and response together)."""
    with Archive.read_only(archive) as opened:
        records = all_records(opened)
    content = [r.at - r.start + r.size for r in records if content_type_of(r.url)]
    listing = [r.at - r.start + r.size for r in records if not content_type_of(r.url)]
    return sum(content) / len(content), sum(listing) / max(len(listing), 1), len(listing)


def _rebuild(archive: Path, *, delete: bool) -> tuple[int, float]:
    """Rebuild the whole archive (after deleting every file, with `delete`): (pages, s)."""
    if delete:
        for path in archive.rglob("*.md"):
            path.unlink()
    config = Config(archive=archive)
    started = time.perf_counter()
    report = rebuild_archive(config, now=dt.datetime.now(dt.UTC))
    seconds = time.perf_counter() - started
    return len(report.rewritten) + report.unchanged, seconds


def run() -> None:
    """Measure keeping pages and rebuilding from them."""
    heading("7. kept pages (WARC) and rebuild")
    archive = _demo_archive()
    pages = _pages(archive)
    ms, size = _keeping(pages)
    show("keeping", f"{ms:.2f} ms/page, {size / 1024:.1f} KiB/page on disk ({len(pages)} pages)")
    show("keeping, a verify's", f"{_keeping_momentarily(pages):.2f} ms/page (the lock each time)")
    page, listing, listings = _sizes(archive)
    show("size as a sync keeps", f"{page / 1024:.1f} KiB/page on disk")
    show("keep.discovery", f"{listing / 1024:.1f} KiB per feed or listing page ({listings})")
    done, seconds = _rebuild(archive, delete=False)
    show("rebuild, no change", f"{rate(done, seconds):.1f} pages/s ({done} in {seconds:.2f} s)")
    done, seconds = _rebuild(archive, delete=True)
    show("rebuild, all gone", f"{rate(done, seconds):.1f} pages/s ({done} in {seconds:.2f} s)")


if __name__ == "__main__":
    run()
