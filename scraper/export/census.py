"""What `scraper report` shows, gathered from an archive and its state (opened read-only).

The counts come from the files (the index gives each one's date and type; ministers are read
from the front matter); runs, findings and pending releases come from the state.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from scraper.archive.state import Finding, RunRecord, Stamped
from scraper.archive.store import SYNC_ONE, Archive, read_release, require_archive
from scraper.dates import UNDATED, is_placeholder
from scraper.errors import DocumentError
from scraper.export.governments import GOVERNMENTS, Government, government_of
from scraper.models import CONTENT_FOLDERS
from scraper.verify.report import KINDS

__all__ = [
    "JOBS",
    "Census",
    "Incomplete",
    "MinisterCount",
    "Pending",
    "gather",
    "incomplete_releases",
    "minister_name",
    "month_span",
]

#: The jobs whose last runs the report shows, whether or not they have run yet.
JOBS = ("sync", "verify", "daemon")
#: Runs shown per job.
RUNS_SHOWN = 10
#: Titles a minister's name carries on some pages and not on others (from late 2017 on).
_HONORIFICS = re.compile(r"^(?:(?:Rt|Right)\.? )?(?:Hon|Honourable)\.? |,? (?:KC|QC|MP)$")


@dataclass(frozen=True)
class MinisterCount:
    """How many files name a minister, and over which dates."""

    name: str
    files: int
    first: dt.date
    last: dt.date


@dataclass(frozen=True)
class Pending:
    """A release found by a sync and not yet in the archive."""

    url: str
    kind: str
    published: str | None
    title: str | None


@dataclass(frozen=True)
class Incomplete:
    """A release the archive holds only as the feed gave it (no page fetched yet)."""

    url: str
    kind: str
    published: dt.date
    title: str


@dataclass
class Census:
    """Everything the report page shows."""

    archive: Path
    generated: dt.datetime
    files: int = 0
    #: Content types present, in the archive's order (release, speech, feature).
    types: tuple[str, ...] = ()
    #: Files per type.
    by_type: Counter[str] = field(default_factory=Counter)
    #: Files per month ("YYYY-MM") and type, for every month of the span, empty ones too.
    months: list[tuple[str, Counter[str]]] = field(default_factory=list)
    #: Files dated 0001-01-01 (undated by the old exporter): in no month and no government.
    undated: int = 0
    #: Files per government and type, newest government first.
    governments: list[tuple[Government, Counter[str]]] = field(default_factory=list)
    ministers: list[MinisterCount] = field(default_factory=list)
    #: The last runs of each job, newest first.
    runs: dict[str, list[RunRecord]] = field(default_factory=dict)
    #: Each file's latest verify findings, by kind (a file with two kinds is under both).
    findings: dict[str, list[Finding]] = field(default_factory=dict)
    pending: list[Pending] = field(default_factory=list)
    incomplete: list[Incomplete] = field(default_factory=list)
    #: Files the index could not read, with the reason each.
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def gather(root: Path, now: dt.datetime) -> Census:
    """Read the archive at `root` and its state, creating and changing nothing."""
    require_archive(root, init=False, how=SYNC_ONE)
    census = Census(root, now)
    with Archive.read_only(root) as archive:
        archive.refresh_index()
        files = archive.stamped()
        census.unreadable = archive.unreadable()
        census.runs = {job: archive.runs(job, RUNS_SHOWN) for job in JOBS}
        census.findings = _by_kind(archive.findings())
        census.pending = [Pending(*row) for row in archive.pending(tuple(CONTENT_FOLDERS))]
        census.incomplete = incomplete_releases(archive)
        if archive.state_problem:
            census.notes.append(archive.state_problem)
    census.files = len(files)
    census.by_type = Counter(f.kind for f in files)
    census.types = tuple(kind for kind in CONTENT_FOLDERS if census.by_type[kind])
    dated = [f for f in files if not is_placeholder(f.date)]
    census.undated = len(files) - len(dated)
    census.months = _months(dated)
    census.governments = _governments(dated)
    census.ministers = _ministers(root, files, census)
    return census


def incomplete_releases(archive: Archive) -> list[Incomplete]:
    """Releases held only as the feed gave them (`sync --feed-only`), by path, as indexed."""
    found = []
    for url, relpath in archive.incomplete():
        entry = archive.at(relpath)
        if entry is not None and entry.url == url:
            found.append(Incomplete(url, entry.kind, entry.date, entry.title))
    return found


def month_span(first: dt.date, last: dt.date) -> list[str]:
    """Every month from the one of `first` to the one of `last`, as "YYYY-MM"."""
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def minister_name(written: str) -> str:
    """A minister's name without the titles the site added from late 2017 ("Rt Hon", "KC").

    So that "Winston Peters" and "Rt Hon Winston Peters" count as one person.
    """
    name = written.strip()
    while (bare := _HONORIFICS.sub("", name, count=1).strip()) != name:
        name = bare
    return name


def _months(files: list[Stamped]) -> list[tuple[str, Counter[str]]]:
    """Files per month and type over the whole span of their dates."""
    if not files:
        return []
    tally: dict[str, Counter[str]] = {}
    for file in files:
        tally.setdefault(f"{file.date.year:04d}-{file.date.month:02d}", Counter())[file.kind] += 1
    span = month_span(min(f.date for f in files), max(f.date for f in files))
    return [(month, tally.get(month, Counter())) for month in span]


def _governments(files: list[Stamped]) -> list[tuple[Government, Counter[str]]]:
    """Files per government and type, every government listed, newest first (undated files
    are in none)."""
    tally: dict[int, Counter[str]] = {g.facet: Counter() for g in GOVERNMENTS}
    for file in files:
        if (government := government_of(file.date)) is not None:
            tally[government.facet][file.kind] += 1
    return [(g, tally[g.facet]) for g in GOVERNMENTS]


def _ministers(root: Path, files: list[Stamped], census: Census) -> list[MinisterCount]:
    """Files per minister (by name without titles), most first."""
    count: Counter[str] = Counter()
    first: dict[str, dt.date] = {}
    last: dict[str, dt.date] = {}
    for file in files:
        try:
            release = read_release(root, file.relpath)
        except DocumentError as exc:  # changed since the index read it
            census.unreadable.append((file.relpath, str(exc)))
            continue
        for name in dict.fromkeys(minister_name(m) for m in release.ministers):
            count[name] += 1
            if not is_placeholder(file.date):
                first[name] = min(first.get(name, file.date), file.date)
                last[name] = max(last.get(name, file.date), file.date)
    return [
        MinisterCount(name, n, first.get(name, UNDATED), last.get(name, UNDATED))
        for name, n in sorted(count.items(), key=lambda item: (-item[1], item[0]))
    ]


def _by_kind(findings: list[Finding]) -> dict[str, list[Finding]]:
    """Findings grouped by kind, in the order verify reports kinds (unknown kinds last)."""
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        for kind in finding.kinds:
            grouped.setdefault(kind, []).append(finding)
    order = {kind: i for i, kind in enumerate(KINDS)}
    return dict(sorted(grouped.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))
