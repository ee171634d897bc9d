"""What a verify leaves in the state: when each file was checked, what was found, the sample
drawn (so its seed draws it again), and a record of the run.

A verify without --fix reads the archive read-only; it writes these few rows at the end, in
a short moment under the archive's lock, and only into a state that is already there.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from scraper.archive.runs import existing_state
from scraper.archive.state import Finding, RunRecord
from scraper.archive.store import Archive
from scraper.errors import LockedError, ScraperError
from scraper.verify.report import ONLINE_KINDS, VerifyReport

#: Kinds that say the file was compared with its page (or its page is gone).
JUDGED = frozenset(ONLINE_KINDS) - {"blocked", "error"}
#: State key prefix: the files of a drawn sample, by its seed.
SAMPLE = "sample:"
#: How many drawn samples are kept.
SAMPLES_KEPT = 10


def remember(archive: Archive, report: VerifyReport, now: dt.datetime) -> None:
    """Write what the run found into an archive opened to change it."""
    at = now.timestamp()
    # A file whose page could not be judged (blocked, not reached) stays due for a check.
    judged = [r for r in report.results if r.kinds.keys() & JUDGED]
    archive.mark_verified([r.path for r in judged], at)
    found = [
        Finding(r.path, r.url, tuple(k for k in r.kinds if k != "ok"), r.detail)
        for r in judged
        if not r.ok and not r.mended
    ]
    # A file --fix mended has nothing left to say, judged against its page or not.
    cleared = [r.path for r in judged if r.ok] + [r.path for r in report.results if r.mended]
    archive.put_findings(found, cleared, at)
    if report.seed is not None and report.sampled:
        _keep_sample(archive, report.seed, report.sampled, at)
    counts = {**report.counts(), "files": len(report.results), "requests": report.requests}
    record = RunRecord("verify", now, report.seconds, report.exit_code, counts, report.stopped)
    if (note := archive.try_record_run(record)) is not None:
        report.notes.append(note)


def remember_later(root: Path, report: VerifyReport, now: dt.datetime) -> None:
    """After a read-only verify: write what it found, if there is a state to write it to."""
    try:
        with existing_state(root) as archive:
            if archive is not None:
                remember(archive, report, now)
    except LockedError:
        report.notes.append("a sync holds the archive: when files were checked is not kept")
    except ScraperError as exc:
        report.notes.append(f"what this run found could not be kept: {exc}")


def drawn_sample(archive: Archive, seed: int) -> list[str] | None:
    """The files a sample with this seed was drawn as before, if the state kept it."""
    kept = archive.get_meta(SAMPLE + str(seed))
    try:
        files = json.loads(kept)["files"] if kept else None
    except (ValueError, KeyError, TypeError):
        return None
    return [str(f) for f in files] if isinstance(files, list) else None


def _keep_sample(archive: Archive, seed: int, files: list[str], at: float) -> None:
    """Keep a drawn sample by its seed; only the newest SAMPLES_KEPT are kept."""
    archive.put_meta(SAMPLE + str(seed), json.dumps({"at": at, "files": files}))
    kept = []
    for key, value in archive.meta_with_prefix(SAMPLE):
        try:
            kept.append((float(json.loads(value)["at"]), key))
        except (ValueError, KeyError, TypeError):
            kept.append((0.0, key))
    for _, key in sorted(kept, reverse=True)[SAMPLES_KEPT:]:
        archive.delete_meta(key)
