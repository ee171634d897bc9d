"""`scraper report`: the archive on one self-contained HTML page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from scraper.cli.app import main, run
from scraper.cli.options import archive_options, config_from_options
from scraper.wording import plural


@main.command("report")
@archive_options
@click.option(
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    default=Path("report.html"),
    show_default=True,
    metavar="FILE.html",
    help="Where to write the page; - prints it.",
)
def report_command(output: Path, **opts: Any) -> None:
    """Write a one-page HTML report of the archive."""
    from scraper.export.report import make_report

    archive = run(lambda: config_from_options(opts)).archive
    to_stdout = str(output) == "-"
    report = run(
        lambda: make_report(archive, None if to_stdout else output, dt.datetime.now(dt.UTC))
    )
    if to_stdout:
        click.echo(report.html, nl=False)
        return
    census = report.census
    span = f", {census.months[0][0]} to {census.months[-1][0]}" if census.months else ""
    click.echo(
        f"wrote {output}: {plural(census.files, 'file')}{span},"
        f" {plural(len(census.unreadable), 'unreadable file')}; open it in a browser",
        err=True,
    )
