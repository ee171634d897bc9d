"""A soak of the daemon: 1,000 scheduled syncs in one process against the stand-in.

The schedule is driven by hand with no interval between runs, so the figures are those of
the runs themselves: memory and open file descriptors at the start and at the end.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from pathlib import Path

from apscheduler.executors.debug import DebugExecutor

from scraper.config import Config, load_config
from scraper.daemon.schedule import Daemon
from tests.bench.common import BUILD, heading, show
from tests.manual_scheduler import ByHand
from tests.standin import StandIn

RUNS = 1000
#: Runs before the steady state: caches (SQLite's, the allocator's arenas) fill in these.
WARM_UP = 100


def rss_mib() -> float:
    """This process's resident memory now, in MiB (Linux)."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def open_fds() -> int:
    """How many file descriptors this process holds open (Linux)."""
    return len(os.listdir("/proc/self/fd"))


def run() -> None:
    """Run the daemon's sync job RUNS times and print the growth of memory and descriptors."""
    heading(f"6. daemon soak: {RUNS:,} scheduled syncs in one process (stand-in, no interval)")
    archive = BUILD / "soak-archive"
    shutil.rmtree(archive, ignore_errors=True)
    (archive / "releases").mkdir(parents=True)
    settings = BUILD / "soak.toml"
    site = StandIn()
    with site.running() as base_url:
        settings.write_text(
            f'archive = "{archive}"\n[fetch]\nbase_url = "{base_url}"\ninterval = 0.0\n'
            "[daemon]\nsync_every = 1.0\nsync_jitter = 0.0\n",
            encoding="utf-8",
        )
        daemon = _daemon(settings)
        daemon.scheduler.tick()  # the first sync fills the archive
        start_rss, start_fds, started = rss_mib(), open_fds(), time.perf_counter()
        for run_number in range(1, RUNS):
            daemon.scheduler.modify_job("sync", next_run_time=dt.datetime.now(dt.UTC))
            daemon.scheduler.tick()
            if run_number == WARM_UP:
                warm_rss = rss_mib()
        seconds = time.perf_counter() - started
        end_rss, end_fds = rss_mib(), open_fds()
        daemon.scheduler.shutdown(wait=False)
    show(
        "runs",
        f"{daemon.runs['sync']:,} syncs in {seconds:.1f} s ({seconds / RUNS * 1000:.1f} ms each)",
    )
    show(
        "memory (RSS)",
        f"{start_rss:.1f} MiB after the first run, {warm_rss:.1f} MiB after {WARM_UP},"
        f" {end_rss:.1f} MiB after {RUNS:,}",
    )
    show(
        "  steady growth",
        f"{end_rss - warm_rss:+.1f} MiB over the last {RUNS - WARM_UP:,} runs"
        f" ({(end_rss - warm_rss) * 1024 / (RUNS - WARM_UP):.1f} KiB a run; the bar: under"
        " 10 MiB)",
    )
    show(
        "open descriptors",
        f"{start_fds} at the start, {end_fds} at the end"
        f" (growth {end_fds - start_fds:+d}; the bar: 0)",
    )


def _daemon(settings: Path) -> Daemon:
    """A daemon of the soak archive on a scheduler driven by hand, logging nothing."""

    def load() -> Config:
        return load_config(settings)

    daemon = Daemon(
        load, lambda event, **fields: None, scheduler=ByHand(executors={"default": DebugExecutor()})
    )
    daemon.install()
    daemon.scheduler.start()
    return daemon
