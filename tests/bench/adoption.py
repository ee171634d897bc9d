"""Adopting the existing archive: a full sync over a copy of it, then no-op syncs."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import unquote

from tests.bench.archive_data import Snapshot, fresh_copy, snapshot, url_line
from tests.bench.cli_runs import SyncRun, describe_failure, scraper_sync
from tests.bench.common import BUILD, heading, mib, show
from tests.golden import PAGES, goldens
from tests.standin import StandIn

ADOPT = BUILD / "adopt"
NO_OP_GOAL_SECONDS = 2.0


def lacking(site: StandIn, archive: Snapshot) -> tuple[int, list[str]]:
    """The stand-in's recorded releases, and the URLs of those the archive holds no file for.

    A release is in the archive when its fixture's archive twin (`pages/<name>.md`, a copy of
    the archive's file) names a URL that some archive file holds, or its own URL is held.
    """
    held = {unquote(url) for url in archive.urls.values()}
    twins = {unquote(g.url): PAGES / f"{g.name}.md" for g in goldens()}
    recorded = [i for i in site.items if i.kind == "release" and not i.test_made]
    missing = []
    for item in recorded:
        url = unquote(item.public_url)
        twin = twins.get(url)
        twin_url = url_line(twin.read_bytes()) if twin is not None and twin.exists() else ""
        if url not in held and unquote(twin_url) not in held:
            missing.append(url)
    return len(recorded), sorted(missing)


def changed(before: Snapshot, after: Snapshot) -> list[str]:
    """Files of `before` whose bytes or modification time differ (or that are gone) after."""
    return sorted(rel for rel, state in before.files.items() if after.files.get(rel) != state)


def check_problem(run: SyncRun) -> None:
    """Print what went wrong with a run, if anything did."""
    problem = run.problem()
    if problem is not None:
        show("  PROBLEM", problem)
        for line in describe_failure(run):
            show("", line)


def show_rewritten(label: str, before: Snapshot, after: Snapshot) -> None:
    """Print how many existing files changed, listing a few."""
    rewritten = changed(before, after)
    show(label, f"{len(rewritten)} of {len(before.files):,} files (bytes and mtime compared)")
    for rel in rewritten[:20]:
        show("", f"changed: {rel}")


def show_added(before: Snapshot, after: Snapshot, run: SyncRun, expected: list[str]) -> None:
    """Print the files the first sync added beside the releases the archive lacked."""
    new = sorted(set(after.urls) - set(before.urls))
    added_urls = sorted(unquote(after.urls[rel]) for rel in new)
    show("added", f"{len(new)} file(s) (report: {len(run.added)}; expected {len(expected)})")
    for rel in new:
        show("", f"+ {rel}  {after.urls[rel]}")
    verdict = "yes" if added_urls == expected else f"NO: expected {expected}"
    show("matches expected", verdict)


def first_sync(site: StandIn, base_url: str, before: Snapshot) -> None:
    """The adopting full sync (cold index): what it added, and that nothing else changed."""
    recorded, expected = lacking(site, before)
    show("stand-in", f"{recorded} recorded releases, {len(expected)} of them not in the archive:")
    for url in expected:
        show("", f"  {url}")
    run = scraper_sync(ADOPT, base_url, "--full", name="adopt-full")
    show(
        "sync --full (cold index)",
        f"{run.seconds:.2f} s wall; {run.requests} requests;"
        f" unchanged {run.report.get('unchanged')}; peak RSS {mib(run.max_rss_kib)}",
    )
    check_problem(run)
    after = snapshot(ADOPT)
    show_added(before, after, run, expected)
    show_rewritten("rewritten", before, after)


def no_op_syncs(site: StandIn, base_url: str, before: Snapshot) -> None:
    """Two plain syncs after the full one; the figures of the last (a warm no-op)."""
    warm = scraper_sync(ADOPT, base_url, name="adopt-plain-1")
    show("sync #2 (plain)", f"{warm.seconds:.2f} s wall; {warm.requests} requests")
    check_problem(warm)
    site.clear_log()
    last = scraper_sync(ADOPT, base_url, name="adopt-plain-2")
    goal = "met" if last.seconds < NO_OP_GOAL_SECONDS else "MISSED"
    show(
        "sync #3 (no-op, warm)",
        f"{last.seconds:.2f} s wall (goal < {NO_OP_GOAL_SECONDS:.0f} s: {goal});"
        f" requests {last.requests} (expected 1; stand-in served {len(site.requests)});"
        f" added {len(last.added)}; peak RSS {mib(last.max_rss_kib)}",
    )
    check_problem(last)
    show_rewritten("rewritten after all syncs", before, snapshot(ADOPT))


def run(extracted: Path) -> None:
    """Copy the archive, adopt it with a full sync, then time a no-op sync."""
    heading("4. adopting the existing archive (copy, sync --full, then plain syncs)")
    start = time.perf_counter()
    removed = fresh_copy(extracted, ADOPT)
    copied = time.perf_counter()
    before = snapshot(ADOPT)
    show(
        "copy + snapshot",
        f"{len(before.files):,} files; removing the last copy {removed:.1f} s,"
        f" copying {copied - start - removed:.1f} s, hashing {time.perf_counter() - copied:.1f} s",
    )
    site = StandIn()
    with site.running() as base_url:
        first_sync(site, base_url, before)
        no_op_syncs(site, base_url, before)
