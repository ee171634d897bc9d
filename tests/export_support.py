"""A small archive for the export and report tests: a few files over a span with a gap."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from scraper.archive.document import dumps
from scraper.archive.paths import archive_relpath
from scraper.archive.state import Finding, RunRecord
from scraper.archive.store import Archive
from scraper.models import Release

PUBLIC = "https://www.beehive.govt.nz"
NOW = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
#: The small archive's span: 2019-11 to 2020-03, with nothing in 2020-01.
SPAN = ["2019-11", "2019-12", "2020-01", "2020-02", "2020-03"]
RAIL = "releases/2019/11/2019-11-20-rail-upgrade.md"


def release(
    slug: str,
    date: str,
    *,
    kind: str = "release",
    title: str | None = None,
    ministers: tuple[str, ...] = (),
    portfolios: tuple[str, ...] = (),
    attachments: tuple[str, ...] = (),
    body: str = "",
) -> tuple[str, Release]:
    """A content type and a release of it, with a url made from the slug."""
    return kind, Release(
        title=title or slug.replace("-", " ").capitalize(),
        date=dt.date.fromisoformat(date),
        url=f"{PUBLIC}/{kind}/{slug}",
        ministers=ministers,
        portfolios=portfolios,
        attachments=attachments,
        body=body or f"The body of {slug}.",
    )


#: Files from 2019-11 to 2020-03 (2020-01 has none); two types; names with and without titles.
SMALL: tuple[tuple[str, Release], ...] = (
    release(
        "kiwifruit-exports-grow",
        "2019-11-05",
        title="Kiwifruit exports grow",
        ministers=("Hon Damien O'Connor",),
        portfolios=("Trade and Export Growth", "Agriculture"),
        attachments=(f"{PUBLIC}/sites/default/files/2019-11/fact%20sheet.pdf",),
        body="Exports of **kiwifruit** rose.\n\n| year | tonnes |\n|---|---|\n| 2019 | 5 |",
    ),
    release(
        "rail-upgrade",
        "2019-11-20",
        ministers=("Rt Hon Winston Peters", "Hon Phil Twyford"),
        portfolios=("Transport",),
        body="Te Huia trains run between Hamilton and Auckland. Māori place names: Kirikiriroa.",
    ),
    release(
        "budget-speech",
        "2019-12-02",
        kind="speech",
        title='Budget speech: "wellbeing" first',
        ministers=("Hon Grant Robertson",),
        portfolios=("Finance",),
    ),
    release("flood-response", "2020-02-14", ministers=("Winston Peters",)),
    release("school-lunches", "2020-03-31", portfolios=("Education",)),
)


def write_archive(root: Path, files: tuple[tuple[str, Release], ...] = SMALL) -> dict[str, Release]:
    """Write an archive of these files (no state) and return them by relative path."""
    written = {}
    for kind, item in files:
        relpath = str(archive_relpath(kind, item.date, item.url))
        write_file(root, relpath, item)
        written[relpath] = item
    return written


def write_file(root: Path, relpath: str, item: Release) -> None:
    """Write one archive file, with a modification time that differs from the last one's."""
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    existed = path.exists()
    path.write_text(dumps(item), encoding="utf-8")
    if existed:
        # A rewrite within the same clock tick must still look changed to the index.
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def with_state(root: Path) -> Path:
    """The small archive, with runs of each job, a finding and a pending release kept."""
    write_archive(root)
    with Archive(root) as archive:
        archive.refresh_index()
        archive.record_run(RunRecord("sync", NOW, 12.5, 0, {"added": 3, "blocked": 0}))
        archive.record_run(
            RunRecord("sync", NOW + dt.timedelta(hours=1), 2.0, 3, {"added": 0, "blocked": 3})
        )
        archive.record_run(RunRecord("verify", NOW, 40.0, 1, {"changed": 1, "files": 5}))
        archive.record_run(RunRecord("daemon", NOW, 0.5, 0, {}, "started"))
        archive.put_findings(
            [Finding(RAIL, f"{PUBLIC}/release/rail-upgrade", ("changed",), "differs: title")],
            [],
            NOW.timestamp(),
        )
        archive.keep_pending(
            [(f"{PUBLIC}/release/late", "release", "2020-04-01T10:00:00+13:00", "Late <b>news</b>")]
        )
    return root
