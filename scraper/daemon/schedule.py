"""The daemon: APScheduler 3 runs a sync on an interval and a budgeted verify on a schedule.

The only importer of APScheduler. One worker runs the jobs one at a time, so the site never
sees two runs at once and the politeness limits hold across jobs; `max_instances=1` and
`coalesce=True` make missed runs (a machine asleep, a long run) one run, not a burst.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import threading
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_SCHEDULER_STARTED,
    JobExecutionEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from scraper.archive.state import RunRecord
from scraper.archive.store import Archive
from scraper.config import Config, flat_settings
from scraper.daemon.jobs import Outcome, Runner
from scraper.daemon.logs import EventLog
from scraper.daemon.pace import TROUBLE, Pace
from scraper.daemon.runfile import DaemonInfo, write_info
from scraper.errors import ConfigError, ScraperError
from scraper.exitcodes import EXIT_FAILED, EXIT_INTERRUPTED
from scraper.net.session import StopRequest
from scraper.net.source import PageSource

#: Seconds a stop waits for the page in hand before closing the site's client under it.
STOP_GRACE = 3.5


class Daemon:
    """Keeps one archive in sync: schedules the jobs, paces them, stops and reloads cleanly."""

    def __init__(
        self,
        load: Callable[[], Config],
        log: EventLog,
        *,
        runner: Runner | None = None,
        scheduler: BaseScheduler | None = None,
        now: Callable[[], dt.datetime] | None = None,
        clock: Callable[[], float] = time.monotonic,
        settings_file: str | None = None,
    ) -> None:
        """Run under the settings `load` gives (again on each reload), logging to `log`.

        `scheduler`, `now` and `clock` are for tests: a scheduler driven by hand, and the
        wall and monotonic clocks it should believe.
        """
        self.load = load
        self.log = log
        self.config = load()
        self.runner = runner or Runner(log)
        self.now = now or (lambda: dt.datetime.now(dt.UTC))
        self.clock = clock
        self.settings_file = settings_file
        self.scheduler = scheduler or BlockingScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=1)}
        )
        self.pace = Pace(self.config.daemon.sync_every, self.config.daemon.backoff_max)
        self.started = self.now()
        self.runs: dict[str, int] = {"sync": 0, "verify": 0}
        self._stopping: str | None = None
        self._not_before: dt.datetime | None = None  # no sync before this (backing off)
        self._deadline: float | None = None
        self._source: PageSource | None = None
        self._job: tuple[str, dt.datetime] | None = None  # the job in hand, and its start
        self._idle = threading.Event()
        # The info file is written from the job thread and from the signals' thread: one at a
        # time, each from what it reads inside, so the last written is never the older view.
        self._info_lock = threading.Lock()
        self._idle.set()

    # -- the schedule ------------------------------------------------------------------------

    def install(self) -> None:
        """Add the two jobs, timed by the settings."""
        daemon = self.config.daemon
        common = {
            "max_instances": 1,
            "coalesce": True,
            "misfire_grace_time": int(daemon.misfire_grace),
            "replace_existing": True,
        }
        sync, verify = self._triggers(self.config)
        # The first sync now: a trigger made before the scheduler starts would put it an
        # interval away.
        first = {"next_run_time": self.now()}
        self.scheduler.add_job(self._sync_job, sync, id="sync", name="sync", **common, **first)
        self.scheduler.add_job(self._verify_job, verify, id="verify", name="verify", **common)
        # Jobs have their first run times only once the scheduler has started.
        self.scheduler.add_listener(self.started_log, EVENT_SCHEDULER_STARTED)
        self.scheduler.add_listener(
            self._scheduler_said, EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES
        )

    def _triggers(self, config: Config, first_now: bool = True) -> tuple[BaseTrigger, BaseTrigger]:
        """The sync's trigger and the verify's, under some settings (ConfigError if bad)."""
        return self._sync_trigger(config, first_now), self._verify_trigger(config)

    def _sync_trigger(self, config: Config, first_now: bool) -> BaseTrigger:
        """Every sync_every seconds with jitter; the first run now, or an interval from now."""
        daemon = config.daemon
        first = self.now() + dt.timedelta(seconds=0 if first_now else daemon.sync_every)
        return IntervalTrigger(
            seconds=daemon.sync_every,
            jitter=min(daemon.sync_jitter, daemon.sync_every) or None,
            start_date=first,
            timezone=dt.UTC,
        )

    def _verify_trigger(self, config: Config) -> BaseTrigger:
        """Every verify_every seconds, or on verify_cron in the archive's time zone."""
        daemon = config.daemon
        if daemon.verify_every:
            return IntervalTrigger(seconds=daemon.verify_every, timezone=dt.UTC)
        return cron_trigger(daemon.verify_cron, config.date_timezone)

    def next_runs(self) -> dict[str, str]:
        """When each job runs next (a sync backing off: not before then), as status says it."""
        runs = {}
        for job in self.scheduler.get_jobs():
            when = getattr(job, "next_run_time", None)
            if when is not None:
                if job.id == "sync" and self._not_before is not None:
                    when = max(when, self._not_before)
                runs[job.id] = when.astimezone(dt.UTC).isoformat(timespec="seconds")
        return runs

    # -- the jobs ----------------------------------------------------------------------------

    def _sync_job(self) -> Outcome:
        """Run a sync, unless backing off."""
        return self._paced("sync", self.runner.sync)

    def _verify_job(self) -> Outcome:
        """Run a budgeted verify, unless backing off."""
        return self._paced("verify", self.runner.verify)

    def _paced(self, job: str, run: Callable[..., Outcome]) -> Outcome:
        """Run a job unless backing off; after trouble at the site (either job's), back off.

        A trigger keeps its interval; runs it brings before the back-off ends are skipped.
        (Moving the job's next run from inside it would race the scheduler, which sets the
        next run from the trigger once it has handed the job to its worker.)
        """
        if self._not_before is not None and self.now() < self._not_before:
            self.log(f"{job} skipped", reason="backing off", until=self._not_before.isoformat())
            return Outcome(job, 0, skipped=True)
        outcome = self._run(job, run)
        delay = self.pace.after(outcome.stop_kind)
        if delay is None or self._stopping is not None:
            self._not_before = None
        else:
            self._not_before = self.now() + dt.timedelta(seconds=delay)
            until = self._not_before.isoformat()
            self.log("backing off", job=job, reason=outcome.stop_kind, until=until)
        self._say()
        return outcome

    def _run(self, job: str, run: Callable[..., Outcome]) -> Outcome:
        """Run one job under the current settings, with its time limit and the stop check."""
        self._idle.clear()
        self._job = (job, self.now())
        self._deadline = self.clock() + self.config.daemon.time_limit
        try:
            if self._stopping is not None:
                return Outcome(job, 0, "cancelled", skipped=True)
            try:
                outcome = run(self.config, self._stop_check, self._hold_source)
            except Exception as exc:  # a bug in a job: one log line, and the daemon goes on
                error = f"unexpected {type(exc).__name__}: {exc} (please report)"
                self.log(f"{job} failed", error=error)
                outcome = Outcome(job, EXIT_FAILED)
            self.runs[job] += not outcome.skipped
            return outcome
        finally:
            self._source = None
            self._deadline = None
            self._job = None
            # A run leaves reference cycles (tenacity's retry objects hold themselves, and
            # through them the HTTP client and its buffers) that Python frees only on a rare
            # full collection: one now keeps a months-long daemon's memory flat (make bench:
            # +25 KiB a run without it, +2.6 KiB with it), for milliseconds once a run.
            gc.collect()
            self._idle.set()

    def once(self) -> Outcome:
        """Run a sync, then a verify, now; the first that did not end well, else the sync's."""
        sync = self._run("sync", self.runner.sync)
        if sync.stop_kind in TROUBLE:
            # The site blocked the sync or is down: a verify now would only meet it again.
            self.log("verify skipped", reason=f"the sync stopped: {sync.stop_kind}")
            return sync
        verify = self._run("verify", self.runner.verify)
        return sync if sync.exit_code or not verify.exit_code else verify

    def _stop_check(self) -> StopRequest | None:
        """Why the job in hand must stop at this page, if it must."""
        if self._stopping is not None:
            return StopRequest(f"the daemon is stopping ({self._stopping})")
        if self._deadline is not None and self.clock() > self._deadline:
            limit = self.config.daemon.time_limit
            return StopRequest(
                f"the run's time limit ({limit:g} s) was reached; the rest waits for the next",
                "time-limit",
            )
        return None

    def _hold_source(self, source: PageSource) -> None:
        """Keep the job's site client, so that a stop can close it under a hung request."""
        self._source = source

    # -- stopping and reloading --------------------------------------------------------------

    def stop(self, reason: str) -> None:
        """Stop after the page in hand (or sooner, if it hangs), and end the schedule."""
        if self._stopping is not None:
            return
        self._stopping = reason
        self.log("stopping", reason=reason)
        timer = threading.Timer(STOP_GRACE, self._cut_short)
        timer.daemon = True
        timer.start()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def _cut_short(self) -> None:
        """Close the site's client under a request that has not ended: it fails at once."""
        source = self._source
        if source is not None and not self._idle.is_set():
            source.close()

    def wait_idle(self, seconds: float) -> bool:
        """Wait for the job in hand to end; whether it did within `seconds`."""
        return self._idle.wait(seconds)

    def reload(self) -> None:
        """Read the settings again; a bad file is refused and the old settings kept."""
        try:
            config = self.load()
            sync, verify = self._triggers(config, first_now=False)
        except ScraperError as exc:
            self.log("reload refused", error=str(exc), kept="the settings in use")
            return
        if config.archive.resolve() != self.config.archive.resolve():
            self.log("reload refused", error="the archive cannot change while the daemon runs")
            return
        self.config = config
        self.pace = Pace(config.daemon.sync_every, config.daemon.backoff_max, self.pace.troubled)
        self.scheduler.reschedule_job("sync", trigger=sync)
        self.scheduler.reschedule_job("verify", trigger=verify)
        self.log("reloaded", **self.next_runs())
        self._say()

    # -- what the daemon says of itself ------------------------------------------------------

    def _say(self) -> None:
        """Write the info file: pid, start, next runs (status reads it); not once stopping,
        as the file goes when the daemon does."""
        with self._info_lock:
            if self._stopping is not None:
                return
            info = DaemonInfo(
                os.getpid(),
                self.started.isoformat(timespec="seconds"),
                self.next_runs(),
                self.settings_file,
                flat_settings(self.config),
            )
            try:
                write_info(self.config.archive, info)
            except ScraperError as exc:
                self.log("note", text=f"cannot write the daemon's info file: {exc}")

    def started_log(self, _event: object = None) -> None:
        """Log the start, and say when each job runs first (as the scheduler starts)."""
        if self._stopping is not None:  # a signal came before the schedule began
            self.scheduler.shutdown(wait=False)
            return
        self._say()
        self.log(
            "daemon started",
            pid=os.getpid(),
            archive=str(self.config.archive.resolve()),
            **{f"next_{job}": when for job, when in self.next_runs().items()},
        )

    def record(self) -> None:
        """Keep a record of the daemon's life for status (and of a job a stop cut off)."""
        seconds = (self.now() - self.started).total_seconds()
        counts = {"syncs": self.runs["sync"], "verifies": self.runs["verify"]}
        note = f"stopped: {self._stopping}" if self._stopping else None
        records = [RunRecord("daemon", self.started, max(0.0, seconds), 0, counts, note)]
        if (job := self._job) is not None:
            name, began = job
            cut = f"stopped by {self._stopping} while a request hung; its files are whole"
            took = max(0.0, (self.now() - began).total_seconds())
            records.insert(0, RunRecord(name, began, took, EXIT_INTERRUPTED, {}, cut))
        try:
            # A short wait for the state: the stop must be over within 5 s.
            with Archive(self.config.archive, busy_timeout=0.5) as archive:
                for record in records:
                    if (problem := archive.try_record_run(record)) is not None:
                        self.log("note", text=problem)
        except ScraperError as exc:
            self.log("note", text=f"the daemon's run could not be recorded: {exc}")

    # -- what APScheduler itself says -------------------------------------------------------

    def _scheduler_said(self, event: JobExecutionEvent) -> None:
        """One log line for a job that raised, was missed, or was still running when due."""
        if event.code == EVENT_JOB_ERROR:
            self.log(
                f"{event.job_id} failed",
                error=f"{type(event.exception).__name__}: {event.exception}",
            )
        elif event.code == EVENT_JOB_MISSED:
            self.log(f"{event.job_id} missed", scheduled=str(event.scheduled_run_time))
        else:
            self.log(f"{event.job_id} skipped", reason="the last run is still going")


def cron_trigger(expression: str, zone: str) -> BaseTrigger:
    """A crontab line as a trigger; ConfigError naming the setting when it is wrong.

    Weekdays are crontab's (0 and 7 Sunday, 1 Monday), not APScheduler's (0 Monday): they
    are spelt out as names before APScheduler reads them. A line that never fires (31
    February) is refused rather than left to schedule nothing.
    """
    fields = expression.split()
    try:
        if len(fields) != 5:
            raise ValueError("it must have five fields: minute hour day month weekday")
        minute, hour, day, month, weekday = fields
        trigger = CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=crontab_weekdays(weekday),
            timezone=ZoneInfo(zone),
        )
    except ValueError as exc:
        raise ConfigError(
            f"daemon.verify_cron {expression!r} is not a crontab line: {exc}"
        ) from exc
    if trigger.get_next_fire_time(None, dt.datetime.now(dt.UTC)) is None:
        raise ConfigError(f"daemon.verify_cron {expression!r} never comes round: no such date")
    return trigger


_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def crontab_weekdays(field: str) -> str:
    """A crontab weekday field (0-7, names, ranges, steps, lists) as APScheduler's names."""
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in field.lower().split(","):
        span, _, step = part.partition("/")
        every = int(step) if step else 1
        if span == "*":
            first, last = 0, 6
        else:
            start, _, end = span.partition("-")
            first = _weekday(start)
            last = _weekday(end) if end else (6 if step else first)
            if end and last == 0 and end.strip() == "7":
                last = 7  # 5-7: Friday to Sunday
        if every < 1 or last < first:
            raise ValueError(f"the weekday {part!r} is not a range crontab reads")
        days |= {day % 7 for day in range(first, last + 1, every)}
    return ",".join(_WEEKDAYS[day] for day in sorted(days))


def _weekday(text: str) -> int:
    """One crontab weekday (0-7 or a name) as 0 (Sunday) to 6; 7 is Sunday too."""
    text = text.strip()
    if text.isdigit() and 0 <= int(text) <= 7:
        return int(text) % 7
    if text[:3] in _WEEKDAYS:
        return _WEEKDAYS.index(text[:3])
    raise ValueError(f"{text!r} is not a weekday (0-7, or sun … sat)")
