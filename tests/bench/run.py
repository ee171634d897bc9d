"""`make bench`: print speed and memory figures of the scraper (no assertions on timing)."""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

if not __package__:  # run as a script: import `tests.*` from the repository root
    sys.path[0] = str(Path(__file__).resolve().parents[2])


def main() -> None:
    """Run every benchmark in turn and print its figures."""
    from tests.bench import (
        adoption,
        export_speed,
        format_speed,
        keep_speed,
        parse_speed,
        soak,
        sync_speed,
    )
    from tests.bench.archive_data import extracted_archive, tarball
    from tests.bench.common import BUILD, heading, show

    started = time.perf_counter()
    BUILD.mkdir(parents=True, exist_ok=True)
    print(
        f"scraper bench: Python {platform.python_version()}, {os.cpu_count()} CPUs,"
        f" {platform.machine()}; scratch in {BUILD}"
    )
    parse_speed.run()
    source = tarball()
    extracted: Path | None = None
    if source.is_file():
        heading("archive data")
        step = time.perf_counter()
        extracted, reused = extracted_archive(source)
        how = "reused" if reused else f"extracted in {time.perf_counter() - step:.1f} s"
        show("archive", f"{extracted} ({how})")
        format_speed.run(extracted)
        format_speed.run_verify(extracted)
    else:
        heading("2. format --check over the existing archive")
        show("skipped", f"tarball not found at {source} (set BEEHIVE_TARBALL to its path)")
    sync_speed.run()
    if extracted is not None:
        adoption.run(extracted)
        export_speed.run(extracted)
    else:
        heading("4. adopting the existing archive")
        show("skipped", f"tarball not found at {source}")
        heading("5. export --sqlite and report over the existing archive")
        show("skipped", f"tarball not found at {source}")
    soak.run()
    keep_speed.run()
    print(f"\nbench done in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
