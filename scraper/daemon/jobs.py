"""The daemon's jobs: a sync or a verify through the same engines as the one-off commands."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from scraper.config import Config
from scraper.daemon.gitcommit import commit_paths, is_work_tree
from scraper.daemon.logs import EventLog
from scraper.errors import LockedError, ScraperError
from scraper.exitcodes import EXIT_FAILED, EXIT_LOCKED, exit_code_for
from scraper.net.session import StopCheck
from scraper.net.source import PageSource
from scraper.sync import SyncOptions, sync_archive
from scraper.sync.engine import feed_only_may_help
from scraper.sync.report import SyncReport
from scraper.verify.engine import VerifyOptions, verify_archive

#: Hands the run's site client to the daemon, which may close it to stop at once.
SourceHook = Callable[[PageSource], None]


@dataclass(frozen=True)
class Outcome:
    """How one job's run ended."""

    job: str
    exit_code: int
    #: Why it stopped early ("blocked", "unreachable", "down", "cancelled", "state"), if so.
    stop_kind: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    #: Not run at all: another run held the archive.
    skipped: bool = False


class Runner:
    """Runs the daemon's jobs, each as the one-off command would, logging what happened."""

    def __init__(self, log: EventLog, now: Callable[[], dt.datetime] | None = None) -> None:
        """Log through `log`; `now` stamps the runs (the wall clock by default)."""
        self.log = log
        self.now = now or (lambda: dt.datetime.now(dt.UTC))

    def sync(self, config: Config, stop: StopCheck, on_source: SourceHook) -> Outcome:
        """One sync of the configured archive (then, when its pages were blocked but not the
        feed and the settings ask for it, one from the feed alone), and a commit of its
        files, when asked."""
        options = SyncOptions.from_config(config)
        report = self._synced("sync", config, options, stop, on_source)
        if isinstance(report, Outcome):
            return report
        written, counts = _written(report), report.counts()
        wanted = config.daemon.feed_only_when_blocked and stop() is None
        if wanted and feed_only_may_help(report, options):
            # The run stays a blocked one (the daemon backs off); the feed's news lands.
            feed_options = dataclasses.replace(options, feed_only=True)
            fed = self._synced("feed-only sync", config, feed_options, stop, on_source)
            if not isinstance(fed, Outcome):
                written, more = written + _written(fed), fed.counts()
                counts = {key: value + more[key] for key, value in counts.items()}
        code = report.exit_code
        if config.daemon.git_commit and not self._commit(config.archive, written, counts):
            code = code or EXIT_FAILED
        return Outcome("sync", code, report.stop_kind, counts)

    def _synced(
        self,
        job: str,
        config: Config,
        options: SyncOptions,
        stop: StopCheck,
        on_source: SourceHook,
    ) -> SyncReport | Outcome:
        """One sync run, logged as `job`: its report, or the Outcome of a run refused."""
        self.log(f"{job} started", archive=str(config.archive))
        try:
            report = sync_archive(config, options, now=self.now(), stop=stop, on_source=on_source)
        except ScraperError as exc:
            return self._refused(job, exc)
        self.log(
            f"{job} finished",
            exit=report.exit_code,
            **report.counts(),
            seconds=round(report.seconds, 1),
            **({"stopped": report.stopped} if report.stopped else {}),
        )
        for note in report.notes:
            self.log("note", job=job, text=note)
        return report

    def verify(self, config: Config, stop: StopCheck, on_source: SourceHook) -> Outcome:
        """One budgeted verify: a sample of files, within a request budget."""
        daemon = config.daemon
        self.log("verify started", sample=daemon.verify_sample)
        options = VerifyOptions.from_config(
            config, sample=daemon.verify_sample, max_requests=daemon.verify_max_requests
        )
        try:
            report = verify_archive(config, options, now=self.now(), stop=stop, on_source=on_source)
        except ScraperError as exc:
            return self._refused("verify", exc)
        counts = {**report.counts(), "files": len(report.results), "requests": report.requests}
        self.log(
            "verify finished",
            exit=report.exit_code,
            **counts,
            seconds=round(report.seconds, 1),
            **({"stopped": report.stopped} if report.stopped else {}),
        )
        return Outcome("verify", report.exit_code, report.stop_kind, counts)

    def _refused(self, job: str, exc: ScraperError) -> Outcome:
        """A run that could not start: the archive in use (skipped), or worse (logged)."""
        if isinstance(exc, LockedError):
            self.log(f"{job} skipped", reason=str(exc))
            return Outcome(job, EXIT_LOCKED, skipped=True)
        self.log(f"{job} failed", error=str(exc))
        return Outcome(job, exit_code_for(exc))

    def _commit(self, root: Path, paths: list[str], counts: dict[str, int]) -> bool:
        """Commit the run's files, when there are any and the archive is a git work tree;
        whether nothing went wrong."""
        if not paths:
            return True
        if not is_work_tree(root):
            self.log("commit skipped", reason=f"{root} is not in a git work tree")
            return True
        message = f"{counts['added']} added, {counts['updated']} updated (scraper sync)"
        try:
            commit = commit_paths(root, paths, message)
        except ScraperError as exc:
            self.log("commit failed", error=str(exc))
            return False
        self.log("committed", commit=commit, files=len(paths), message=message)
        return True


def _written(report: SyncReport) -> list[str]:
    """The archive paths a sync wrote or removed."""
    return [w.path for w in report.added + report.updated] + report.removed
