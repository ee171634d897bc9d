"""`scraper parse` and `scraper format`: one saved page, and archive files on disk."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from scraper.cli.app import main, run
from scraper.cli.options import parse_date, zone_option
from scraper.exitcodes import EXIT_FAILED
from scraper.models import Release
from scraper.wording import plural


@main.command("format")
@click.option("--check", is_flag=True, help="Write nothing; list files that are not canonical.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def format_command(check: bool, paths: tuple[Path, ...]) -> None:
    """Rewrite archive files into the canonical form (--check: list them)."""
    from scraper.archive.reformat import format_paths

    report = run(lambda: format_paths(list(paths), check=check))
    listed = report.not_canonical if check else report.rewritten
    for path in listed:
        click.echo(str(path))
    for problem in report.unreadable:
        click.echo(f"unreadable: {problem.path}: {problem.reason}", err=True)
    litter_verb = "left by a killed write" if check else "removed: left by a killed write"
    for temp in report.litter:
        click.echo(f"temporary file {litter_verb}: {temp}", err=True)
    verb = "not canonical" if check else "rewritten"
    click.echo(
        f"{plural(report.checked, 'file')} checked, {len(listed)} {verb},"
        f" {len(report.unreadable)} unreadable",
        err=True,
    )
    if report.unreadable or (check and (report.not_canonical or report.litter)):
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
    callback=zone_option,
    help='Zone of the written date ("UTC" reproduces the old archive).',
)
def parse_command(page: Path, url: str | None, date_text: str | None, timezone: str) -> None:
    """Print the archive file for one saved page."""
    from scraper.archive.document import dumps
    from scraper.site.parse import ParseOptions, parse_page

    fallback = parse_date(date_text, "--date") if date_text else None
    html = run(lambda: _read_page(page))
    release: Release = run(
        lambda: parse_page(
            html,
            url=url,
            fallback_date=fallback,
            source=str(page),
            options=ParseOptions(timezone=timezone),
        )
    )
    click.echo(dumps(release), nl=False)


def _read_page(path: Path) -> str:
    """A saved page's text; one too large to be a page is refused before it is read whole."""
    from scraper.site.guard import check_page_bytes

    try:
        check_page_bytes(path.stat().st_size, str(path))
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror}") from exc
    return _read_text(path)


def _read_text(path: Path) -> str:
    """A saved page's text, decoded as UTF-8 (bad bytes replaced, as a browser would)."""
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror}") from exc
