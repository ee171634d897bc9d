"""`scraper format --check` speed over the whole existing archive, in-process."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from scraper.archive.reformat import format_paths
from tests.bench.common import SCRAPER, heading, rate, show

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


def run_verify(root: Path) -> None:
    """Time `scraper verify --offline` over the whole archive, as a user runs it."""
    heading("2b. verify --offline over the existing archive (the command, start-up included)")
    start = time.perf_counter()
    done = subprocess.run(
        [str(SCRAPER), "verify", "--offline", "--archive", str(root), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if not done.stdout.startswith("{"):
        show("failed", done.stderr.strip()[-300:])
        return
    summary = json.loads(done.stdout)["summary"]
    files = summary["files"]
    show(
        "verify --offline",
        f"{rate(files, seconds):,.0f} files/s ({files:,} files in {seconds:.2f} s)",
    )
    show("found", ", ".join(f"{kind} {n}" for kind, n in summary["counts"].items()))
    show("expected", "noncanonical 43, invalid 4, empty-body 59, duplicate 52")
