"""Peak memory of `scraper sync` against the worst network cases: `python -m tests.stress.memory`.

Starts the stand-in, then runs `scraper sync` in a fresh child process per case: first with
no fault (the baseline), then with the target page answering a gzip bomb (one layer, and
`gzip, gzip`) or a 20 MB body (with and without Content-Length). Each child's peak RSS
comes from `os.wait4`, which reports that one child's usage.

The bound (README, "Reliability"): a case may use at most `BOUND_BODIES` times
max_body_bytes more than the baseline sync. Prints a line per case, tallies it for the
`make stress` table, and exits 1 if a case goes over its bound or ends other than with the
page failing (exit 1) while the rest is written.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scraper.net.settings import FetchSettings
from tests.standin import StandIn
from tests.support import NO_WAIT
from tests.tally import tally

MIB = 1024 * 1024
#: How many max_body_bytes a faulted sync may use over an unfaulted one.
BOUND_BODIES = 4
#: What the bombs decode to: far past the cap, so an unbounded decoder shows at once.
BOMB_SIZE = 1024 * MIB
TARGET = "/release/t%C4%81maki-makaurau-election-date-set"


@dataclass(frozen=True)
class Case:
    """A worst case: its name and the fault that makes it."""

    name: str
    arrange: Callable[[StandIn], object]


CASES = (
    Case("gzip-bomb-1GiB", lambda s: s.fail(TARGET, "gzip-bomb", None, size=BOMB_SIZE)),
    Case(
        "gzip-gzip-bomb-1GiB",
        lambda s: s.fail(TARGET, "gzip-bomb", None, layers=2, size=BOMB_SIZE),
    ),
    Case("body-20MB", lambda s: s.fail(TARGET, "body", None, body=bytes(20 * 10**6))),
    Case(
        "body-20MB-no-length",
        lambda s: s.fail(TARGET, "body", None, body=bytes(20 * 10**6), length=False),
    ),
)


def peak_sync(site: StandIn, folder: Path) -> tuple[int, float]:
    """Run `scraper sync` in a fresh child; its exit code and peak RSS in MiB."""
    config = folder / "scraper.toml"
    config.write_text(NO_WAIT, encoding="utf-8")
    argv = [sys.executable, "-m", "scraper", "sync", "--init", "--json"]
    argv += ["--archive", str(folder / "archive"), "--base-url", site.base_url]
    argv += ["--config", str(config)]
    with (folder / "out.txt").open("wb") as out:
        child = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        # wait4, not RUSAGE_CHILDREN: the latter is the largest of all children so far.
        _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    # Linux reports ru_maxrss in KiB.
    return child.returncode, usage.ru_maxrss / 1024


def measure(site: StandIn, case: Case | None) -> tuple[int, float]:
    """A sync under one case (None: no fault) in a fresh folder."""
    site.clear_faults()
    if case is not None:
        case.arrange(site)
    with tempfile.TemporaryDirectory(prefix="scraper-memory-") as folder:
        return peak_sync(site, Path(folder))


def main() -> int:
    """Measure every case; 1 if any went over its bound or ended wrongly."""
    cap_mib = FetchSettings().max_body_bytes / MIB
    site = StandIn()
    failed = False
    with site.running():
        code, baseline = measure(site, None)
        print(f"{'baseline (no fault)':<22} peak {baseline:8.1f} MiB  exit {code}")
        if code != 0:
            print("the unfaulted sync failed: nothing to compare with", file=sys.stderr)
            return 1
        bound = baseline + BOUND_BODIES * cap_mib
        for case in CASES:
            code, peak = measure(site, case)
            good = peak <= bound and code == 1
            failed = failed or not good
            verdict = "ok" if good else ("OVER" if peak > bound else f"exit {code}, not 1")
            print(
                f"{case.name:<22} peak {peak:8.1f} MiB  bound {bound:8.1f} MiB  "
                f"exit {code}  {verdict}"
            )
            tally("memory", case=case.name, peak_mib=round(peak, 1), bound_mib=round(bound, 1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
