"""Shared paths, timing and printing for the benchmarks."""

from __future__ import annotations

import gc
import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build" / "bench"
SCRAPER = ROOT / ".venv" / "bin" / "scraper"
LABEL_WIDTH = 30


def show(label: str, text: str) -> None:
    """Print one labelled figure line."""
    print(f"  {label:<{LABEL_WIDTH}} {text}", flush=True)


def heading(title: str) -> None:
    """Print a section heading."""
    print(f"\n{title}", flush=True)


def mib(kib: int) -> str:
    """A ru_maxrss figure (KiB on Linux) in MiB."""
    return f"{kib / 1024:.0f} MiB"


def rate(count: float, seconds: float) -> float:
    """Count per second (0 when no time passed)."""
    return count / seconds if seconds > 0 else 0.0


def time_rounds(work: Callable[[], int], rounds: int = 3, min_seconds: float = 1.0) -> float:
    """Median seconds per item of `work` (which returns its item count) over timed rounds."""
    start = time.perf_counter()
    work()
    once = time.perf_counter() - start
    repeats = max(1, int(min_seconds / once) + 1) if once > 0 else 1
    per_item: list[float] = []
    for _ in range(rounds):
        gc.collect()
        start = time.perf_counter()
        done = sum(work() for _ in range(repeats))
        per_item.append((time.perf_counter() - start) / max(done, 1))
    return statistics.median(per_item)


@contextmanager
def one_core() -> Iterator[str]:
    """Pin this process to one CPU for the block (where the OS allows); yield a note."""
    if not hasattr(os, "sched_setaffinity"):
        yield "not pinned"
        return
    before = os.sched_getaffinity(0)
    cpu = min(before)
    os.sched_setaffinity(0, {cpu})
    try:
        yield f"pinned to CPU {cpu}"
    finally:
        os.sched_setaffinity(0, before)
