"""SIGKILL during WARC writes, tens of times: the files stay readable, no record is indexed
twice, and the next sync carries on.

`python -m tests.stress.warc_kills [--trials N]`. Each trial starts a child that keeps pages
as fast as it can (the keeper a sync uses, into one archive) and kills it at a random moment;
half the time the newest file is then torn as a cut-short write leaves it; then the next
run's opening mends the files, and every file and index row is checked.
"""

from __future__ import annotations

import argparse
import gzip
import random
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from scraper.archive.store import Archive
from scraper.keep.index import all_records
from scraper.keep.pages import PageKeeper, archive_warc
from scraper.keep.settings import KeepSettings
from scraper.keep.warcfiles import warc_files
from scraper.net.source import Fetched
from tests.standin import StandIn
from tests.support import engine_sync
from tests.tally import tally

#: Pages the children keep, by URL: some again with the same bytes (revisits).
_URLS = [f"https://www.beehive.govt.nz/release/stress-{n}" for n in range(20)]


def child(root: Path) -> None:
    """Keep pages until killed (small WARC files, so that rotation is killed too)."""
    rng = random.Random()
    with Archive(root) as archive:
        keeper = PageKeeper(archive, archive_warc(archive), KeepSettings(file_mb=1))
        while True:
            url = rng.choice(_URLS)
            body = rng.randbytes(rng.randint(1_000, 60_000)) if rng.random() < 0.7 else b"same"
            keeper.keep(Fetched(url, 200, body, None, None))


def unreadable_files(root: Path) -> int:
    """WARC files gzip cannot read to the end, or warcio cannot read every record of."""
    bad = 0
    folder = root / ".scraper" / "warc"
    for name in warc_files(folder):
        data = (folder / name).read_bytes()
        try:
            gzip.decompress(data)
            with (folder / name).open("rb") as stream:
                for record in ArchiveIterator(stream):
                    record.content_stream().read()
        except (EOFError, OSError, zlib.error, ValueError):
            bad += 1
    return bad


def duplicated_rows(root: Path) -> tuple[int, int]:
    """Index rows of a record indexed before, and rows that name no record of theirs."""
    folder = root / ".scraper" / "warc"
    ids: dict[tuple[str, int], str] = {}
    for name in warc_files(folder):
        with (folder / name).open("rb") as stream:
            iterator = ArchiveIterator(stream)
            for record in iterator:
                at = iterator.get_record_offset()
                ids[(name, at)] = str(record.rec_headers.get_header("WARC-Record-ID"))
    with Archive.read_only(root) as archive:
        rows = all_records(archive)
    seen = [r.record_id for r in rows]
    dangling = sum(ids.get((r.file, r.at)) != r.record_id for r in rows)
    return len(seen) - len(set(seen)), dangling


def tear(root: Path, rng: random.Random) -> None:
    """Leave the newest file as a write cut short leaves it (a kill seldom splits a write(2),
    a power cut does): cut into what follows the last indexed record, or add half a member."""
    folder = root / ".scraper" / "warc"
    names = warc_files(folder)
    if not names:
        return
    path = folder / names[-1]
    with Archive.read_only(root) as archive:
        end = max((r.at + r.size for r in all_records(archive) if r.file == names[-1]), default=0)
    size = path.stat().st_size
    if size > end + 1:
        with path.open("r+b") as stream:
            stream.truncate(rng.randint(end + 1, size - 1))
    else:
        member = gzip.compress(rng.randbytes(5000))
        with path.open("ab") as stream:
            stream.write(member[: rng.randint(1, len(member) - 1)])


def mend(root: Path) -> int:
    """What the next run does first: open the WARC folder, cutting a torn end. Bytes cut."""
    with Archive(root) as archive:
        return PageKeeper(archive, archive_warc(archive), KeepSettings(file_mb=1)).files.mend()


def trial(root: Path, rng: random.Random) -> bool:
    """One child killed at a random moment while it writes; whether a torn end was cut."""
    command = [sys.executable, "-m", "tests.stress.warc_kills", "--child", str(root)]
    process = subprocess.Popen(command)
    folder = root / ".scraper" / "warc"
    try:
        deadline = time.monotonic() + 60
        while not warc_files(folder) and time.monotonic() < deadline:
            time.sleep(0.01)  # the child's first write: from now on a kill lands mid-writing
        time.sleep(rng.uniform(0.0, 0.4))
    finally:
        process.kill()
        process.wait()
    if rng.random() < 0.5:
        tear(root, rng)
    return mend(root) > 0


def main(argv: list[str] | None = None) -> None:
    """Run the trials, then a sync into the same archive; print and tally the counts."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        child(args.child)
        return
    rng = random.Random()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "archive"
        torn = sum(trial(root, rng) for _ in range(args.trials))
        unreadable = unreadable_files(root)
        duplicated, dangling = duplicated_rows(root)
        report = engine_sync(StandIn(), root)
        carried_on = int(report.exit_code == 0 and bool(report.added))
        unreadable = max(unreadable, unreadable_files(root))
        files = len(warc_files(root / ".scraper" / "warc"))
    print(
        f"warc-kills: {args.trials} kills, {torn} torn ends cut, {files} WARC files,"
        f" {unreadable} unreadable, {duplicated} duplicated and {dangling} dangling index rows,"
        f" next sync {'carried on' if carried_on else 'FAILED'}"
    )
    tally(
        "warc-kills",
        trials=args.trials,
        torn=torn,
        unreadable=unreadable,
        duplicated=duplicated,
        dangling=dangling,
        sync_failed=int(not carried_on),
    )
    if unreadable or duplicated or dangling or not carried_on:
        sys.exit(1)


if __name__ == "__main__":
    main()
