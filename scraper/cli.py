"""The command line: the only code that prints, reads argv or exits."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from scraper.errors import ScraperError
from scraper.models import Release

T = TypeVar("T")

#: Exit codes, documented in the README.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BLOCKED = 3
EXIT_LOCKED = 4


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="scraper")
def main() -> None:
    """Keep an archive of beehive.govt.nz releases in sync with the site."""


@main.command("format")
@click.option("--check", is_flag=True, help="Write nothing; list files that are not canonical.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def format_command(check: bool, paths: tuple[Path, ...]) -> None:
    """Rewrite archive files (or folders of them) into the canonical form."""
    from scraper.reformat import format_paths

    report = format_paths(list(paths), check=check)
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
    help='Zone of the written date ("UTC" reproduces the old archive).',
)
def parse_command(page: Path, url: str | None, date_text: str | None, timezone: str) -> None:
    """Print the archive file for one saved page."""
    from scraper.document import dumps
    from scraper.parse import ParseOptions, parse_page

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


def _parse_date(text: str) -> dt.date:
    """A --date value, or a usage error that shows the expected form."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise click.BadParameter(f"{text!r} is not a date like 2025-12-10", param_hint="--date") from exc


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
        sys.exit(EXIT_FAILED)
