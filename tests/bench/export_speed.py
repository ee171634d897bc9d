"""`scraper export --sqlite` and `scraper report` over a copy of the existing archive."""

from __future__ import annotations

import os
import time
from pathlib import Path

from scraper.archive.store import Archive
from tests.bench.archive_data import fresh_copy
from tests.bench.cli_runs import SyncRun, describe_failure, scraper_run
from tests.bench.common import BUILD, SCRAPER, heading, mib, rate, show

COPY = BUILD / "export-archive"
DATABASE = BUILD / "export.db"
REPORT = BUILD / "report.html"
FULL_GOAL_SECONDS = 30.0
NO_OP_GOAL_SECONDS = 2.0
#: Files the incremental case edits, and files it deletes.
EDITED, DELETED = 100, 10


def _export(name: str, archive: Path = COPY) -> SyncRun:
    """Run `scraper export --sqlite --json` on the copy, as a child process."""
    argv = [str(SCRAPER), "export", "--sqlite", str(DATABASE), "--archive", str(archive)]
    return scraper_run([*argv, "--json"], name)


def _check(run: SyncRun) -> None:
    """Print what went wrong with a run, if anything did."""
    if run.code != 0 or not run.report:
        show("  PROBLEM", f"exit {run.code}")
        for line in describe_failure(run):
            show("", line)


def _goal(seconds: float, goal: float) -> str:
    """Whether a time met its goal."""
    return f"goal ≤ {goal:.0f} s: {'met' if seconds <= goal else 'MISSED'}"


def _edit_some(root: Path) -> tuple[int, int]:
    """Change the body of some files and delete a few others; how many of each."""
    files = sorted(root.glob("releases/20*/*/*.md"))
    step = len(files) // (EDITED + DELETED)
    chosen = files[::step][: EDITED + DELETED]
    for path in chosen[:EDITED]:
        path.write_text(path.read_text(encoding="utf-8") + " (edited)", encoding="utf-8")
    for path in chosen[EDITED:]:
        path.unlink()
    return EDITED, DELETED


def run(extracted: Path) -> None:
    """Export a copy without a state; then index it once, export it in full, again with
    nothing changed, and after some edits; then make its report."""
    heading("5. export --sqlite and report over the existing archive (CLI subprocess)")
    fresh_copy(extracted, COPY)
    _without_state()
    start = time.perf_counter()
    with Archive(COPY) as archive:  # the index a sync or verify keeps (export only reads it)
        files = archive.refresh_index().files
    show("index made once", f"{files:,} files in {time.perf_counter() - start:.1f} s (a sync's)")
    _with_state()
    page = scraper_run(
        [str(SCRAPER), "report", "--archive", str(COPY), "--output", str(REPORT)], "report"
    )
    show(
        "report",
        f"{page.seconds:.1f} s wall; {REPORT.stat().st_size / 1024:,.0f} KiB page;"
        f" peak RSS {mib(page.max_rss_kib)}",
    )
    if page.code != 0:
        for line in describe_failure(page):
            show("", line)


def _fresh_database() -> None:
    """Remove the database of an earlier export, and its metadata file."""
    for old in (DATABASE, DATABASE.with_name("export.metadata.json")):
        old.unlink(missing_ok=True)


def _without_state() -> None:
    """An archive without `.scraper/`: the index is made in memory on every export."""
    _fresh_database()
    first = _export("export-no-state")
    again = _export("export-no-state-again")
    show(
        "without a state",
        f"first export {first.seconds:.1f} s, nothing changed {again.seconds:.1f} s"
        " (every file's front matter is read for the index each time)",
    )
    _check(first)
    _check(again)
    _fresh_database()


def _with_state() -> None:
    """The figures of the README: a full export, a no-op, and one after some edits."""
    full = _export("export-full")
    rows = int(full.report.get("rows", 0))
    show(
        "full export",
        f"{full.seconds:.1f} s wall, {rate(rows, full.seconds):,.0f} rows/s ({rows:,} rows,"
        f" {len(full.report.get('duplicates', []))} duplicate files left out);"
        f" peak RSS {mib(full.max_rss_kib)}; {_goal(full.seconds, FULL_GOAL_SECONDS)}",
    )
    _check(full)
    size = DATABASE.stat().st_size
    show("database size", f"{size / 2**20:,.0f} MiB ({size:,} bytes)")
    # The full export's 300 MiB are still being written out to disk: wait for that, so that it
    # is not timed as part of the next export.
    os.sync()
    noop = _export("export-no-op")
    show(
        "export, nothing changed",
        f"{noop.seconds:.2f} s wall; written {noop.report.get('written')};"
        f" {_goal(noop.seconds, NO_OP_GOAL_SECONDS)}",
    )
    _check(noop)
    edited, deleted = _edit_some(COPY)
    some = _export("export-some")
    show(
        f"export, {edited} edited {deleted} gone",
        f"{some.seconds:.2f} s wall; written {some.report.get('written')},"
        f" removed {some.report.get('removed')}",
    )
    _check(some)
