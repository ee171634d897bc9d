"""The command group and what every command shares: running library code, errors, exits."""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from types import FrameType
from typing import Any, NoReturn, TypeVar

import click

from scraper.errors import ScraperError
from scraper.exitcodes import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, exit_code_for

T = TypeVar("T")
R = TypeVar("R")

#: What writing the output may fail with: the disk behind a redirection is full, or broken.
_OUTPUT_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})
#: Exit status after SIGTERM (128 + 15), as a service manager expects.
EXIT_TERMINATED = 143


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: stop as for Ctrl-C (what catches one catches both), and say so."""

    #: The exit code a run record keeps for it (Ctrl-C's is 130).
    exit_code = EXIT_TERMINATED


class _Group(click.Group):
    """The command group, ending every command the same way (errors, --json, pipes)."""

    def main(  # type: ignore[override]
        self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: Any
    ) -> NoReturn:
        """Run a command; a usage error with --json is JSON too; a closed pipe is quiet."""
        argv = list(sys.argv[1:] if args is None else args)
        extra["standalone_mode"] = False
        try:
            code = super().main(argv, prog_name, **extra)
        except click.UsageError as exc:
            fail(exc.format_message(), EXIT_USAGE, "--json" in argv, usage=exc)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except OSError as exc:
            if exc.errno not in _OUTPUT_ERRORS:
                raise
            write_failed(exc)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="scraper")
def main() -> None:
    """Keep an archive of beehive.govt.nz releases in sync with the site."""
    _log_to_stderr()


def run(action: Callable[[], T], as_json: bool = False) -> T:
    """Run library code, turning its errors into a message and exit code."""
    try:
        return action()
    except ScraperError as exc:
        fail(str(exc), exit_code_for(exc), as_json)


def run_job(
    action: Callable[[], T], as_json: bool, progress: AbstractContextManager[object], kept: str
) -> T:
    """Run a long job inside its progress display; Ctrl-C or SIGTERM end it at once.

    `kept` says, in the one line printed on a stop, what the stop leaves and what to run next.
    """
    try:
        with terminated_as_interrupt(), progress:
            return run(action, as_json)
    except KeyboardInterrupt as stop:  # Terminated (SIGTERM) is one too
        interrupted(stop, kept, as_json)


def echo_json(data: object) -> None:
    """One JSON document on stdout, as every --json prints it (dates as text)."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def echo_summary(
    report: R,
    as_json: bool,
    as_dict: Callable[[R], object],
    as_lines: Callable[[R], list[str]],
) -> None:
    """A run's summary: one JSON object on stdout with --json, else its lines on stderr."""
    if as_json:
        echo_json(as_dict(report))
        return
    for line in as_lines(report):
        click.echo(line, err=True)


def _echo_error_json(code: int, message: str) -> None:
    """The one JSON object on stdout of a --json run that ends without its report."""
    click.echo(json.dumps({"ok": False, "exit": code, "error": message}, ensure_ascii=False))


def fail(
    message: str, code: int, as_json: bool = False, usage: click.UsageError | None = None
) -> NoReturn:
    """End the command with an error: on stderr, and with --json also as JSON on stdout."""
    if as_json:
        _echo_error_json(code, message)
    if usage is not None:
        usage.show()
    else:
        click.echo(f"error: {message}", err=True)
    sys.exit(code)


@contextmanager
def terminated_as_interrupt() -> Iterator[None]:
    """While a command runs, SIGTERM raises Terminated, so it stops as Ctrl-C stops it."""

    def handler(_signum: int, _frame: FrameType | None) -> None:
        raise Terminated

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (a test runner): nothing to install
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def interrupted(stop: BaseException, message: str, as_json: bool = False) -> NoReturn:
    """Stop at once on Ctrl-C or SIGTERM, with one line: `message` says what is kept.

    Writes are atomic and happen on the main thread only, so leaving now loses nothing but
    requests in flight; os._exit does not wait for their retries to run out. With --json
    the line is also the error of a JSON object, so a script reads why there is no report.
    """
    terminated = isinstance(stop, Terminated)
    code = EXIT_TERMINATED if terminated else EXIT_INTERRUPTED
    line = f"{'terminated' if terminated else 'interrupted'}: {message}"
    if as_json:
        with contextlib.suppress(OSError):
            _echo_error_json(code, line)
            sys.stdout.flush()
    click.echo(line, err=True)
    sys.stderr.flush()
    os._exit(code)


def write_failed(exc: OSError) -> NoReturn:
    """The output could not be written (a full disk behind a redirection): say so, exit 1."""
    quiet_stdout()
    click.echo(f"error: cannot write the output: {exc.strerror or exc}", err=True)
    sys.exit(EXIT_FAILED)


class _ClickHandler(logging.Handler):
    """Log records as lines on the current stderr (which tests swap), via click."""

    def emit(self, record: logging.LogRecord) -> None:
        """Write one record."""
        click.echo(f"{record.levelname.lower()}: {record.getMessage()}", err=True)


def _log_to_stderr() -> None:
    """The library's warnings (retries, cookies) as lines on stderr: the CLI prints them."""
    logger = logging.getLogger("scraper")
    if not any(isinstance(h, _ClickHandler) for h in logger.handlers):
        logger.addHandler(_ClickHandler(logging.WARNING))
        logger.propagate = False


def quiet_stdout() -> None:
    """Point stdout at nothing, so that flushing it at exit raises nothing more."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file behind stdout (a test runner)
        pass
    finally:
        os.close(devnull)
