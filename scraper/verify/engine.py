"""One verify from end to end: choose files, check them on disk and against the source, fix.

`run_verify` takes an open archive and a page source (None: offline), as `run_sync` does;
`verify_archive` opens both from the settings. Without --fix the archive is opened
read-only (its state read into memory) and no file is written; afterwards, into a state
that exists, go when each file was compared with its page, what was found, the sample drawn
and a record of the run (memory.py). The pages fetched are kept in the WARC files as a
sync keeps them: with --fix under the lock the run holds, else each under the archive's
lock for a moment (so a long verify never holds up a sync; while one runs, none are kept).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from scraper.archive.moves import finish_all, unfinished_moves
from scraper.archive.runs import recorded_if_stopped
from scraper.archive.store import SYNC_ONE, Archive, open_archive, require_archive
from scraper.config import Config
from scraper.dates import is_placeholder
from scraper.errors import StateError
from scraper.keep.pages import Keeping, keeping_for
from scraper.keep.settings import KeepSettings
from scraper.keep.stale import mark_stale
from scraper.net.session import Session, StopCheck, Stopped
from scraper.net.source import Fetched, PageSource, timed
from scraper.site.parse import ParseOptions
from scraper.sync.engine import open_source
from scraper.verify import offline
from scraper.verify.fix import Fixer
from scraper.verify.memory import drawn_sample, remember, remember_later
from scraper.verify.offline import Checked
from scraper.verify.online import OnlineCheck, Progress, Target
from scraper.verify.report import VerifyReport
from scraper.verify.select import Selection, new_seed, sample, select_files


@dataclass(frozen=True)
class VerifyOptions:
    """What one verify checks, and whether it fixes."""

    paths: tuple[Path, ...] = ()
    offline: bool = False
    sample: int | None = None
    seed: int | None = None
    since: dt.date | None = None
    max_requests: int | None = None
    fix: bool = False
    force: bool = False
    block_limit: int = 3
    down_limit: int = 3
    concurrency: int = 1
    parse: ParseOptions = field(default_factory=ParseOptions)
    keep: KeepSettings = field(default_factory=KeepSettings)

    @classmethod
    def from_config(cls, config: Config, **values: object) -> VerifyOptions:
        """A verify under these settings, with the command line's choices in `values`."""
        return cls(
            block_limit=config.sync.block_limit,
            down_limit=config.sync.down_limit,
            concurrency=config.fetch.concurrency,
            parse=config.parse_options(),
            keep=config.keep,
            **values,  # type: ignore[arg-type]
        )


def run_verify(
    archive: Archive,
    source: PageSource | None,
    options: VerifyOptions,
    *,
    now: dt.datetime,
    progress: Progress | None = None,
    stop: StopCheck | None = None,
) -> VerifyReport:
    """Check the chosen files of an open archive (against `source` unless it is None).

    With --fix (and an archive opened to change it), each file is fixed as soon as it is
    judged, so a run cut short keeps what it fixed; what was found is remembered.
    """
    report = VerifyReport()
    with timed(report, source):
        fixer = None
        if options.fix and archive.writable:
            # Before reading: a move a killed run left must not be undone by rewriting its
            # old file; and the index must be fresh for the identity rules and free names.
            _finish_moves(archive, report)
            archive.refresh_index()
            fixer = Fixer(archive, force=options.force, now=now)
        chosen = _choose(archive, options, report)
        checked = _check_offline(archive, chosen, indexed=fixer is not None)
        report.results = [c.result for c in checked]
        try:
            if source is None:
                report.unchecked = None
                mark_stale(archive, checked, options.parse)
            else:
                _check_online(archive, source, checked, options, report, progress, stop, fixer)
            if fixer is not None:
                for check in checked:  # those no page was read for: noncanonical alone
                    fixer.fix(check)
        except StateError as exc:
            report.stopped, report.stop_kind = str(exc), "state"
        if archive.writable:
            remember(archive, report, now)
    return report


def _finish_moves(archive: Archive, report: VerifyReport) -> None:
    """Finish the moves a killed run left; one that cannot be finished is only a note."""
    _, left = finish_all(archive, unfinished_moves(archive))
    report.notes += [f"{path}: {why}" for path, why in left]


def verify_archive(
    config: Config,
    options: VerifyOptions,
    *,
    now: dt.datetime,
    progress: Progress | None = None,
    lock_wait: float = 0.0,
    stop: StopCheck | None = None,
    on_source: Callable[[PageSource], None] | None = None,
) -> VerifyReport:
    """Open the configured archive (locked to fix it) and its site, and verify."""
    require_archive(config.archive, init=False, how=SYNC_ONE)
    with (
        _opened(config.archive, options, lock_wait) as archive,
        _source(config, archive, options) as source,
    ):
        if source is not None and on_source is not None:
            on_source(source)
        with recorded_if_stopped(archive, "verify", now):
            report = run_verify(archive, source, options, now=now, progress=progress, stop=stop)
    if not options.fix:
        remember_later(config.archive, report, now)
    return report


@contextlib.contextmanager
def _opened(root: Path, options: VerifyOptions, lock_wait: float) -> Iterator[Archive]:
    """The archive: locked to fix it; otherwise read-only (its state copied into memory).

    Without the lock nothing may change the state: not even a migration, or setting aside
    a damaged one. What a read-only verify found is kept afterwards (memory.remember_later).
    """
    if options.fix:
        with open_archive(root, wait=lock_wait) as archive:
            yield archive
    else:
        with Archive.read_only(root) as archive:
            yield archive


@contextlib.contextmanager
def _source(
    config: Config, archive: Archive, options: VerifyOptions
) -> Iterator[PageSource | None]:
    """The site's polite client, with the request budget; None offline."""
    if options.offline:
        yield None
        return
    with open_source(config, archive, options.max_requests) as fetcher:
        yield fetcher


def _choose(archive: Archive, options: VerifyOptions, report: VerifyReport) -> Selection:
    """The files to check: under the paths, from --since, a sample of them.

    A seed given again draws the files it drew before, when the state kept them (which
    files were verified longest ago changes with each run, and with it a fresh draw).
    """
    selected = select_files(archive.root, options.paths, options.since)
    if options.sample is None:
        return selected
    relpaths = selected.relpaths
    report.seed = options.seed if options.seed is not None else new_seed()
    before = drawn_sample(archive, report.seed) if options.seed is not None else None
    if before is not None:
        present = set(relpaths)
        chosen = [p for p in before if p in present][: options.sample]
    else:
        chosen = sample(relpaths, options.sample, report.seed, archive.verified_at())
    report.sampled = chosen
    return Selection(chosen, whole=False)


def _check_offline(archive: Archive, chosen: Selection, *, indexed: bool) -> list[Checked]:
    """Read and check each file; duplicates among all the archive's files (`indexed`: the
    archive's index was brought up to date already)."""
    digests = archive.written_digests()
    checked = [
        offline.check_file(relpath, _read(archive, relpath), digests.get(relpath))
        for relpath in chosen.relpaths
    ]
    offline.mark_incomplete(checked, archive.incomplete())
    if chosen.whole:  # the duplicates are among these; otherwise the index knows them
        offline.mark_duplicates(checked)
    else:
        if not indexed:
            archive.refresh_index()
        _mark_duplicates_in_index(archive, checked)
    return checked


def _read(archive: Archive, relpath: str) -> bytes | OSError:
    """A file's bytes, or why it cannot be read (an unreadable finding)."""
    try:
        return (archive.root / relpath).read_bytes()
    except OSError as exc:
        return exc


def _mark_duplicates_in_index(archive: Archive, checked: list[Checked]) -> None:
    """For a part of the archive: other files of the whole archive that hold the same url."""
    for check in checked:
        if check.release is None:
            continue
        others = [e.relpath for e in archive.by_url(check.release.url)]
        others = [p for p in others if p != check.result.path]
        if others:
            check.result.add(
                "duplicate", f"{check.release.url} is also held by {', '.join(others)}"
            )


def _check_online(
    archive: Archive,
    source: PageSource,
    checked: list[Checked],
    options: VerifyOptions,
    report: VerifyReport,
    progress: Progress | None,
    stop: StopCheck | None,
    fixer: Fixer | None,
) -> None:
    """Check each readable file against its page (fixing it at once, with a fixer)."""
    session = Session(
        source,
        report,
        block_limit=options.block_limit,
        down_limit=options.down_limit,
        validators=archive if archive.writable else None,
        stop=stop,
    )
    targets = _targets(archive, checked)
    judged = fixer.fix if fixer is not None else None
    kept = _kept_for(keeping_for(archive, options.keep, report.notes), fixer)
    check = OnlineCheck(session, options.parse, options.concurrency, progress, judged, kept)
    try:
        check.run(targets)
    except Stopped as stop_:
        report.stopped, report.stop_kind = str(stop_), stop_.kind
    report.unchecked = len(targets) - check.done


def _kept_for(keeping: Keeping, fixer: Fixer | None) -> Callable[[Fetched, dt.date | None], None]:
    """Keep each page fetched; tell a fixer the record kept, which it writes the file from."""

    def kept(fetched: Fetched, fallback: dt.date | None) -> None:
        source = keeping(fetched, fallback)
        if fixer is not None:
            fixer.source = source

    return kept


def _targets(archive: Archive, checked: list[Checked]) -> list[Target]:
    """The files that name a page of the site, with where to fetch it and how.

    Those never or longest ago verified come first, so that runs on a budget of requests
    work their way through the archive rather than checking the same files each time.
    """
    learnt = archive.learnt()
    verified = archive.verified_at()
    targets = []
    for check in sorted(checked, key=lambda c: verified.get(c.result.path, float("-inf"))):
        if not check.on_site:
            continue
        assert check.release is not None
        known = learnt.get(check.result.path)
        own = None if is_placeholder(check.release.date) else check.release.date
        fallback = own or (known.listed if known else None)
        url = known.url if known else check.release.url
        targets.append(Target(check, url, fallback))
    return targets
