"""The full disk: a sync into a small tmpfs until ENOSPC, then the same disk made larger.

``python -m tests.stress.disk`` (root only: it mounts a tmpfs) syncs the stand-in into an
archive on a tmpfs too small for it. The run must fail saying so (exit non-zero, the disk
named), leave no partial or temporary file and a whole state; once the tmpfs is grown,
the next sync must complete it byte for byte as a sync into a roomy folder does. Counts
go to the stress table's "disk" row; where it cannot mount, it says why and skips.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.stress.kills import ROOT, TYPES, stand_in
from tests.stress.look import look, state_whole
from tests.tally import tally

#: The tmpfs: room for the state and some files, not for the whole archive.
SMALL, LARGE = "600k", "64m"
PAGES = 150


def mount(target: Path, size: str, remount: bool = False) -> str | None:
    """Mount (or grow) a tmpfs at `target`; why it could not be, or None."""
    options = f"remount,size={size}" if remount else f"size={size}"
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    return None if done.returncode == 0 else (done.stderr.strip() or f"exit {done.returncode}")


def sync(base_url: str, archive: Path) -> subprocess.CompletedProcess[str]:
    """A backfill of the stand-in into `archive`."""
    command = [sys.executable, "-m", "scraper", "sync", "--init", "--full"]
    site = ["--base-url", base_url, "--interval", "0", "--types", TYPES]
    return subprocess.run(
        [*command, "--archive", str(archive), *site],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def trial(base_url: str, work: Path, disk: Path) -> dict[str, int]:
    """Fill the small disk, check what is left, grow it, complete; the counts."""
    roomy = work / "roomy"
    if sync(base_url, roomy).returncode != 0:
        raise RuntimeError("the sync into a roomy folder failed")
    reference = look(roomy)
    archive = disk / "archive"
    full = sync(base_url, archive)
    # The store's words for ENOSPC: "the disk has room" (a file), "disk is full" (the state).
    said = [line for line in full.stderr.splitlines() if "room" in line or "full" in line]
    reported = full.returncode != 0 and bool(said)
    print(f"sync into a {SMALL} tmpfs: exit {full.returncode}; it said: {said[:1]}")
    seen = look(archive)
    partial = [p.name for p in seen.temps] + seen.unreadable
    partial += [r for r, b in seen.files.items() if reference.files.get(r) != b]
    whole = state_whole(archive)
    print(
        f"  {len(seen.files)} of {len(reference.files)} files written; {len(partial)} partial"
        f" or temporary; state {'whole' if whole else 'DAMAGED'}"
    )
    if why := mount(disk, LARGE, remount=True):
        raise RuntimeError(f"could not grow the tmpfs: {why}")
    again = sync(base_url, archive)
    after = look(archive)
    same = again.returncode == 0 and after.files == reference.files
    print(f"  after growing it to {LARGE}: exit {again.returncode}, archive complete: {same}")
    return {
        "cases": 1,
        "unreported": 0 if reported else 1,
        "partial": len(partial),
        "state_bad": 0 if whole and state_whole(archive) else 1,
        "incomplete": 0 if same else 1,
    }


def main() -> int:
    """Run the full-disk case where a tmpfs can be mounted; skip, saying why, elsewhere."""
    if os.geteuid() != 0:
        print("full disk: skipped (mounting a tmpfs needs root)")
        tally("disk", skipped="not root")
        return 0
    # Stopped (SIGTERM), it unmounts all the same: the finally below runs on SystemExit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    site = stand_in(PAGES, random.Random(0))
    with tempfile.TemporaryDirectory(prefix="disk-") as work:
        disk = Path(work) / "disk"
        disk.mkdir()
        if why := mount(disk, SMALL):
            print(f"full disk: skipped (mount -t tmpfs failed: {why})")
            tally("disk", skipped=f"mount failed: {why}")
            return 0
        try:
            with site.running() as base_url:
                counts = trial(base_url, Path(work), disk)
        finally:
            subprocess.run(["umount", str(disk)], check=False)
    tally("disk", **counts)
    return 1 if any(v for k, v in counts.items() if k != "cases") else 0


if __name__ == "__main__":
    sys.exit(main())
