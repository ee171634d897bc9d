"""`scraper daemon`: keep the archive in sync on a schedule, until stopped."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

import click

from scraper.cli.app import fail, main, run
from scraper.cli.options import config_from_options, settings_options
from scraper.config import Config
from scraper.errors import ScraperError
from scraper.exitcodes import exit_code_for

#: Seconds a stop waits for the job in hand, in all: it must exit within 5 s.
STOP_WAIT = 4.5

#: Daemon options → the settings they set.
_DAEMON_OPTIONS = {
    "sync_every": "daemon.sync_every",
    "verify_every": "daemon.verify_every",
    "verify_cron": "daemon.verify_cron",
    "log_format": "daemon.log_format",
    "log_file": "daemon.log_file",
    "git_commit": "daemon.git_commit",
}


@main.command("daemon")
@settings_options
@click.option("--sync-every", type=float, metavar="SECONDS", help="Seconds between syncs.")
@click.option("--verify-every", type=float, metavar="SECONDS", help="Seconds between verifies.")
@click.option("--verify-cron", metavar="CRON", help='When to verify, e.g. "17 3 * * *".')
@click.option("--once", is_flag=True, help="Run a sync and a verify now, then exit.")
@click.option("--log-format", type=click.Choice(["plain", "json"]), help="One line per event.")
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path), help="Log here.")
@click.option("--git-commit", is_flag=True, default=None, help="Commit each sync's files.")
@click.option("--init", is_flag=True, help="Start a new archive if the folder holds none.")
def daemon_command(**opts: Any) -> None:
    """Keep the archive in sync on a schedule (SIGTERM stops, SIGHUP reloads)."""
    from scraper.archive.store import require_archive
    from scraper.daemon.logs import LineLog
    from scraper.daemon.runfile import holding
    from scraper.daemon.schedule import Daemon

    def load() -> Config:
        """The settings: the file again (on each reload), then the command line."""
        return config_from_options({**opts, "assignments": _assignments(opts)})

    config = run(load)
    run(lambda: require_archive(config.archive, opts["init"]))
    with _log_stream(config.daemon.log_file) as stream:
        log = LineLog(stream, config.daemon.log_format)
        daemon = Daemon(load, log, settings_file=_named(opts.get("config_file")))
        run(daemon.install)
        try:
            with holding(config.archive):
                code = _serve(daemon, once=opts["once"])
        except ScraperError as exc:
            fail(str(exc), exit_code_for(exc))
    sys.exit(code)


def _serve(daemon: Any, *, once: bool) -> int:
    """Run the schedule until a stop (or the jobs once); the exit code."""
    if once:
        return int(daemon.once().exit_code)
    signal.signal(signal.SIGTERM, _stopper(daemon))
    signal.signal(signal.SIGINT, _stopper(daemon))
    signal.signal(signal.SIGHUP, lambda _signum, _frame: daemon.reload())
    daemon.scheduler.start()  # blocks until a stop ends it
    if not daemon.wait_idle(STOP_WAIT):
        daemon.log("stopped", note="a job did not end in time; its files are whole")
        daemon.record()
        os._exit(0)  # the job's thread would hold the process open
    daemon.record()
    daemon.log("daemon stopped")
    return 0


def _stopper(daemon: Any) -> Any:
    """A signal handler that stops the daemon after the page in hand."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        daemon.stop(signal.Signals(signum).name)

    return handler


def _assignments(opts: dict[str, Any]) -> list[str]:
    """The --set assignments, with the daemon's own options as assignments after them."""
    sets = list(opts.get("assignments") or ())
    for option, key in _DAEMON_OPTIONS.items():
        value = opts.get(option)
        if value is None:
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, float):
            text = repr(value)
        else:
            text = '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
        sets.append(f"{key}={text}")
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
        fail(f"cannot open the log file {path}: {exc.strerror or exc}", 2)
    with stream:
        yield stream
