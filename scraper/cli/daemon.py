"""`scraper daemon`: keep the archive in sync on a schedule, until stopped."""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import click

from scraper.cli.app import fail, main, run
from scraper.cli.options import DEFAULTS, config_from_options, default_help, settings_options
from scraper.config import Config, toml_value
from scraper.daemon.settings import LOG_FORMATS
from scraper.exitcodes import EXIT_USAGE

#: Seconds a stop waits for the job in hand, in all: it must exit within 5 s.
STOP_WAIT = 4.5

_DAEMON = DEFAULTS.daemon

#: Daemon options → the settings they set.
_DAEMON_OPTIONS = {
    "sync_every": "daemon.sync_every",
    "verify_every": "daemon.verify_every",
    "verify_cron": "daemon.verify_cron",
    "log_format": "daemon.log_format",
    "log_file": "daemon.log_file",
    "git_commit": "daemon.git_commit",
    "feed_only_when_blocked": "daemon.feed_only_when_blocked",
}


@main.command("daemon")
@settings_options
@click.option(
    "--sync-every",
    type=float,
    metavar="SECONDS",
    help="Seconds between syncs." + default_help(f"{_DAEMON.sync_every:g}"),
)
@click.option(
    "--verify-every",
    type=float,
    metavar="SECONDS",
    help="Seconds between verifies; 0: on --verify-cron."
    + default_help(f"{_DAEMON.verify_every:g}"),
)
@click.option(
    "--verify-cron",
    metavar="CRON",
    help="When to verify, as in crontab." + default_help(f'"{_DAEMON.verify_cron}"'),
)
@click.option("--once", is_flag=True, help="Run a sync and a verify now, then exit.")
@click.option(
    "--log-format",
    type=click.Choice(LOG_FORMATS),
    help="One line per event." + default_help(_DAEMON.log_format),
)
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append the log here." + default_help("stderr"),
)
@click.option(
    "--git-commit",
    is_flag=True,
    default=None,
    help="Commit each sync's files (in a git work tree)." + default_help("off"),
)
@click.option(
    "--feed-only-when-blocked",
    is_flag=True,
    default=None,
    help="After a sync blocked on its pages but not on the feed, write the new releases"
    " from the feed (marked incomplete)." + default_help("off"),
)
@click.option("--init", is_flag=True, help="Start a new archive if the folder holds none.")
def daemon_command(**opts: Any) -> None:
    """Keep the archive in sync on a schedule (SIGTERM or Ctrl-C stops, SIGHUP reloads)."""
    from scraper.archive.store import START_ONE, require_archive
    from scraper.daemon.logs import LineLog
    from scraper.daemon.runfile import holding
    from scraper.daemon.schedule import Daemon

    def load() -> Config:
        """The settings: the file again (on each reload), then the command line."""
        config = config_from_options({**opts, "assignments": _assignments(opts)})
        _check_browser(config)
        return config

    config = run(load)
    run(lambda: require_archive(config.archive, opts["init"], START_ONE))
    with _log_stream(config.daemon.log_file) as stream:
        log = LineLog(stream, config.daemon.log_format)
        _library_warnings_to(log)
        daemon = Daemon(load, log, settings_file=_named(opts.get("config_file")))
        run(daemon.install)

        def serve() -> int:
            with holding(config.archive):
                return _serve(daemon, once=opts["once"])

        code = run(serve)
        stream.flush()
    # Threads a stop abandoned (a fetch in a long wait) must not hold the process open.
    sys.stderr.flush()
    os._exit(code)


def _serve(daemon: Any, *, once: bool) -> int:
    """Run the schedule until a stop (or the jobs once); the exit code."""
    if once:
        return int(daemon.once().exit_code)
    _take_signals(daemon)
    daemon.scheduler.start()  # blocks until a stop ends it
    if not daemon.wait_idle(STOP_WAIT):
        daemon.log("stopped", note="a job did not end in time; its files are whole")
    daemon.record()
    daemon.log("daemon stopped")
    return 0


def _take_signals(daemon: Any) -> None:
    """SIGTERM and SIGINT stop the daemon, SIGHUP reloads it: on a thread of their own.

    A signal handler only queues the signal (SimpleQueue.put may be called from one): the
    work (logging, rescheduling) must not run inside whatever the main thread was doing.
    """
    signals: queue.SimpleQueue[int] = queue.SimpleQueue()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda number, _frame: signals.put(number))

    def act() -> None:
        while True:
            number = signals.get()
            if number == signal.SIGHUP:
                daemon.reload()
            else:
                daemon.stop(signal.Signals(number).name)

    threading.Thread(target=act, name="signals", daemon=True).start()


def _library_warnings_to(log: Any) -> None:
    """The library's warnings (retries, cookies) as lines of the event log, in its format."""

    class ToEventLog(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            log("warning", text=record.getMessage())

    library = logging.getLogger("scraper")
    library.handlers = [ToEventLog(logging.WARNING)]
    library.propagate = False
    # APScheduler's own lines: what matters of them the daemon logs from its events.
    logging.getLogger("apscheduler").addHandler(logging.NullHandler())
    logging.getLogger("apscheduler").propagate = False


def _assignments(opts: dict[str, Any]) -> list[str]:
    """The --set assignments, with the daemon's own options as assignments after them."""
    sets = list(opts.get("assignments") or ())
    for option, key in _DAEMON_OPTIONS.items():
        value = opts.get(option)
        if value is None:
            continue
        sets.append(f"{key}={toml_value(value)}")
    return sets


def _named(path: Path | None) -> str | None:
    """A settings file's absolute path, as the info file names it."""
    return str(path.resolve()) if path is not None else None


@contextlib.contextmanager
def _log_stream(path: Path | None) -> Iterator[TextIO]:
    """Where the log lines go: a file (appended to), or stderr."""
    if path is None:
        yield sys.stderr
        return
    try:
        stream = path.open("a", encoding="utf-8", buffering=1)
    except OSError as exc:
        fail(f"cannot open the log file {path}: {exc.strerror or exc}", EXIT_USAGE)
    with stream:
        yield stream


def _check_browser(config: Config) -> None:
    """ConfigError now for a browser setting every job would fail on (at start: exit 2; on a
    reload: refused), not a failure in each job, which a service would repeat for ever."""
    from scraper.net.browser import browser_for

    browser_for(config.fetch.browser)
