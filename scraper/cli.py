"""The command line: the only code that prints, reads argv or exits."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from scraper.errors import BlockedError, BlockPageError, ConfigError, LockedError, ScraperError
from scraper.models import Release, SyncReport

if TYPE_CHECKING:
    from scraper.config import Config
    from scraper.sync import SyncOptions

T = TypeVar("T")

#: Exit codes, documented in the README.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BLOCKED = 3
EXIT_LOCKED = 4
EXIT_INTERRUPTED = 130


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="scraper")
def main() -> None:
    """Keep an archive of beehive.govt.nz releases in sync with the site."""


@main.command("format")
@click.option("--check", is_flag=True, help="Write nothing; list files that are not canonical.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def format_command(check: bool, paths: tuple[Path, ...]) -> None:
    """Rewrite archive files (or folders of them) into the canonical form."""
    from scraper.archive.reformat import format_paths

    report = _run(lambda: format_paths(list(paths), check=check))
    listed = report.not_canonical if check else report.rewritten
    for path in listed:
        click.echo(str(path))
    for problem in report.unreadable:
        click.echo(f"unreadable: {problem.path}: {problem.reason}", err=True)
    verb = "not canonical" if check else "rewritten"
    click.echo(
        f"{report.checked} files checked, {len(listed)} {verb},"
        f" {len(report.unreadable)} unreadable",
        err=True,
    )
    if report.unreadable or (check and report.not_canonical):
        sys.exit(EXIT_FAILED)


@main.command("parse")
@click.argument("page", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", help="The release URL, when the page has no canonical link.")
@click.option(
    "--date",
    "date_text",
    metavar="YYYY-MM-DD",
    help="The release date, when the page has no <time>.",
)
@click.option(
    "--timezone",
    default="Pacific/Auckland",
    show_default=True,
    callback=lambda _ctx, _param, value: _zone(value),
    help='Zone of the written date ("UTC" reproduces the old archive).',
)
def parse_command(page: Path, url: str | None, date_text: str | None, timezone: str) -> None:
    """Print the archive file for one saved page."""
    from scraper.archive.document import dumps
    from scraper.site.parse import ParseOptions, parse_page

    fallback = _parse_date(date_text) if date_text else None
    html = _read_text(page)
    release: Release = _run(
        lambda: parse_page(
            html,
            url=url,
            fallback_date=fallback,
            source=str(page),
            options=ParseOptions(timezone=timezone),
        )
    )
    click.echo(dumps(release), nl=False)


def _parse_date(text: str, option: str = "--date") -> dt.date:
    """A date option's value, or a usage error that shows the expected form."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise click.BadParameter(
            f"{text!r} is not a date like 2025-12-10", param_hint=option
        ) from exc


def _zone(name: str) -> str:
    """A --timezone value that names a real zone, or a usage error."""
    from scraper.dates import time_zone

    try:
        time_zone(name)
    except ScraperError as exc:
        raise click.BadParameter(str(exc), param_hint="--timezone") from exc
    return name


def _read_text(path: Path) -> str:
    """A saved page's text, decoded as UTF-8 (bad bytes replaced, as a browser would)."""
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror}") from exc


def _run(action: Callable[[], T]) -> T:
    """Run library code, turning its errors into a message and exit code."""
    try:
        return action()
    except ScraperError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(_error_code(exc))


def _error_code(exc: ScraperError) -> int:
    """The exit code for an error that ended a command."""
    if isinstance(exc, ConfigError):
        return EXIT_USAGE
    if isinstance(exc, BlockedError | BlockPageError):
        return EXIT_BLOCKED
    if isinstance(exc, LockedError):
        return EXIT_LOCKED
    return EXIT_FAILED


def _config(opts: dict[str, Any]) -> Config:
    """The settings file (or defaults) with command-line overrides applied."""
    from scraper.config import load_config

    config = _run(lambda: load_config(opts.get("config_file")))
    fetch = {
        key: value
        for key, value in (
            ("base_url", opts.get("base_url")),
            ("interval", opts.get("interval")),
            ("concurrency", opts.get("concurrency")),
            ("cookies_file", opts.get("cookies")),
        )
        if value is not None
    }
    archive = opts.get("archive") or config.archive
    return _run(
        lambda: dataclasses.replace(
            config, archive=archive, fetch=dataclasses.replace(config.fetch, **fetch)
        )
    )


def _sync_options(config: Config, opts: dict[str, Any]) -> SyncOptions:
    """A sync's options from the settings and the command line."""
    from scraper.config import content_types
    from scraper.sync import SyncOptions

    types = config.sync.types
    if opts.get("types"):
        given = tuple(t.strip() for t in opts["types"].split(",") if t.strip())
        try:
            types = content_types(given, "--types")
        except ConfigError as exc:
            raise click.BadParameter(str(exc), param_hint="--types") from exc
    since = _parse_date(opts["since_text"], "--since") if opts.get("since_text") else None
    return SyncOptions(
        types=types,
        since=since,
        full=opts["full"],
        limit=opts.get("limit"),
        dry_run=opts["dry_run"],
        recheck_days=config.sync.recheck_days,
        block_limit=config.sync.block_limit,
        concurrency=config.fetch.concurrency,
    )


def _print_report(report: SyncReport, as_json: bool) -> None:
    """The end-of-run summary: JSON on stdout, or text lines on stderr."""
    from scraper.sync.report import report_dict, report_lines

    if as_json:
        click.echo(json.dumps(report_dict(report), indent=2, ensure_ascii=False))
        return
    for line in report_lines(report):
        click.echo(line, err=True)


def _exit_code(report: SyncReport) -> int:
    """0 when all was synced; the block code when the site blocked us; else failure."""
    if report.blocked:
        return EXIT_BLOCKED
    return EXIT_OK if report.ok else EXIT_FAILED


class _Progress:
    """A progress bar on a terminal, plain log lines otherwise."""

    def __init__(self, enabled: bool) -> None:
        """Show a bar only when `enabled` (stderr is a terminal and not --json)."""
        self._bar: Any = None
        self._task: Any = None
        self._finding: Any = None
        if enabled:
            from rich.progress import Progress

            self._bar = Progress(transient=True)

    def __enter__(self) -> _Progress:
        """Start the bar."""
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop the bar."""
        if self._bar is not None:
            self._bar.stop()

    def update(self, done: int, total: int, url: str, outcome: str) -> None:
        """Record one finished item, or (total 0) one listing page read."""
        if self._bar is None:
            if outcome != "unchanged":
                click.echo(f"{outcome}: {url}", err=True)
            return
        if total == 0:
            if self._finding is None:
                self._finding = self._bar.add_task("reading listings", total=None)
            self._bar.update(self._finding, description=f"reading {url}")
            return
        if self._task is None:
            if self._finding is not None:
                self._bar.remove_task(self._finding)
            self._task = self._bar.add_task("syncing", total=total)
        self._bar.update(self._task, completed=done, description=outcome)


@main.command("sync")
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), help="Archive folder.")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Settings file (TOML); see config/scraper.toml.",
)
@click.option("--base-url", help="Where requests go (a mirror); files keep the public URL.")
@click.option("--types", help="Content types, comma-separated: release,speech,feature.")
@click.option("--since", "since_text", metavar="YYYY-MM-DD", help="Only releases from this date.")
@click.option("--full", is_flag=True, help="Walk every government's search pages (a backfill).")
@click.option("--limit", type=click.IntRange(min=1), help="Fetch at most N new pages.")
@click.option("--dry-run", is_flag=True, help="List what would be fetched; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--interval", type=click.FloatRange(min=0), help="Seconds between requests.")
@click.option("--concurrency", type=click.IntRange(min=1), help="Requests in flight at once.")
@click.option(
    "--cookies",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Netscape cookies.txt from a browser that passed the site's bot check.",
)
@click.option(
    "--wait",
    "lock_wait",
    type=click.FloatRange(min=0),
    default=0.0,
    help="Seconds to wait for another sync holding the archive.",
)
def sync_command(**opts: Any) -> None:
    """Fetch what the archive lacks from the site and write it."""
    from scraper.sync import sync_archive

    config = _config(opts)
    options = _sync_options(config, opts)
    progress = _Progress(enabled=not opts["as_json"] and sys.stderr.isatty())
    try:
        with progress:
            report = _run(
                lambda: sync_archive(
                    config,
                    options,
                    now=dt.datetime.now(dt.UTC),
                    progress=progress.update,
                    lock_wait=opts["lock_wait"],
                )
            )
    except KeyboardInterrupt:
        # Writes are atomic and happen on this thread only, so leaving now loses nothing but
        # requests in flight; os._exit does not wait for their retries to run out.
        click.echo(
            "interrupted: every file written so far is complete; run sync again to carry on",
            err=True,
        )
        sys.stderr.flush()
        os._exit(EXIT_INTERRUPTED)
    _print_report(report, opts["as_json"])
    sys.exit(_exit_code(report))
