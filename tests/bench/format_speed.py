"""`scraper format --check` speed over the whole existing archive, in-process."""

from __future__ import annotations

import time
from pathlib import Path

from scraper.archive.reformat import format_paths
from tests.bench.common import heading, rate, show

EXPECTED_NOT_CANONICAL = 43


def run(root: Path) -> None:
    """Time one check of every file of the extracted archive."""
    heading("2. format --check over the existing archive (in-process)")
    start = time.perf_counter()
    report = format_paths([root], check=True)
    seconds = time.perf_counter() - start
    speed = rate(report.checked, seconds)
    show("format --check", f"{speed:,.0f} files/s ({report.checked:,} files in {seconds:.2f} s)")
    show("not canonical", f"{len(report.not_canonical)} (expected {EXPECTED_NOT_CANONICAL})")
    show("unreadable", f"{len(report.unreadable)}")
    for problem in report.unreadable[:5]:
        show("", f"{problem.path}: {problem.reason}")
