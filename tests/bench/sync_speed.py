"""`scraper sync --full` into an empty archive against the stand-in, at a few latencies."""

from __future__ import annotations

import shutil

from tests.bench.cli_runs import SyncRun, describe_failure, scraper_sync
from tests.bench.common import BUILD, heading, mib, rate, show
from tests.standin import StandIn

#: (label, stand-in latency in seconds, extra CLI arguments)
CASES: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("latency 0", 0.0, ()),
    ("latency 20 ms", 0.02, ()),
    ("latency 20 ms, conc. 4", 0.02, ("--concurrency", "4")),
)


def one_case(name: str, latency: float, extra: tuple[str, ...]) -> tuple[SyncRun, int]:
    """Sync a fresh, empty archive from a fresh stand-in; return the run and requests served."""
    archive = BUILD / f"sync-{name}"
    shutil.rmtree(archive, ignore_errors=True)
    site = StandIn(latency=latency)
    with site.running() as base_url:
        run = scraper_sync(archive, base_url, "--full", *extra, name=f"sync-{name}")
        served = len(site.requests)
    return run, served


def report(label: str, run: SyncRun, served: int) -> None:
    """Print one run's figures, or what went wrong."""
    pages = len(run.added)
    show(
        label,
        f"{rate(pages, run.seconds):6.1f} pages/s  ({pages} added in {run.seconds:.2f} s wall;"
        f" {run.requests} requests, {served} served; peak RSS {mib(run.max_rss_kib)})",
    )
    problem = run.problem()
    if problem is not None:
        show("  PROBLEM", problem)
        for line in describe_failure(run):
            show("", line)


def run() -> None:
    """Measure sync throughput and memory of the real CLI."""
    heading("3. scraper sync --full into an empty archive (CLI subprocess vs the stand-in)")
    for index, (label, latency, extra) in enumerate(CASES):
        result, served = one_case(str(index), latency, extra)
        report(label, result, served)
