"""`scraper export --sqlite`: the archive as one SQLite database for Datasette and friends."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import click

from scraper.cli.app import echo_summary, main, run, run_job
from scraper.cli.options import archive_options, config_from_options
from scraper.cli.progress import Progress


@main.command("export")
@click.option(
    "--sqlite",
    "database",
    required=True,
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="The SQLite database to write (made, or brought up to date).",
)
@archive_options
@click.option("--rebuild", is_flag=True, help="Make the database afresh from every file.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def export_command(database: Path, **opts: Any) -> None:
    """Write the archive to an SQLite database (for Datasette)."""
    from scraper.export.sqlite import export_sqlite
    from scraper.export.summary import report_dict, report_lines

    as_json = bool(opts["as_json"])
    archive = run(lambda: config_from_options(opts), as_json).archive
    progress = Progress(enabled=not as_json and sys.stderr.isatty(), quiet=True)
    report = run_job(
        lambda: export_sqlite(
            archive,
            database,
            now=dt.datetime.now(dt.UTC),
            rebuild=opts["rebuild"],
            progress=lambda done, total, path: progress.update(done, total, path, "exporting"),
        ),
        as_json,
        progress,
        f"{database} is as the last export left it; export again",
    )
    echo_summary(report, as_json, report_dict, report_lines)
    sys.exit(report.exit_code)
