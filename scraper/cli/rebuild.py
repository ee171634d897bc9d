"""`scraper rebuild`: re-render the archive's files from their kept pages, offline."""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from pathlib import Path
from typing import Any

import click

from scraper.cli.app import echo_summary, main, run, run_job
from scraper.cli.options import archive_options, config_from_options, wait_option


@main.command("rebuild")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@archive_options
@click.option("--dry-run", is_flag=True, help="List the files that would change; write nothing.")
@click.option(
    "--force", is_flag=True, help="Rewrite files changed by hand since this tool wrote them too."
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@wait_option("Seconds to wait for a sync holding the archive.")
def rebuild_command(paths: tuple[Path, ...], **opts: Any) -> None:
    """Re-render files this tool wrote from their kept pages, with no request."""
    from scraper.keep.rebuild import RebuildReport, rebuild_archive

    as_json = bool(opts["as_json"])
    config = run(lambda: config_from_options(opts), as_json)
    report = run_job(
        lambda: rebuild_archive(
            config,
            paths,
            now=dt.datetime.now(dt.UTC),
            dry_run=opts["dry_run"],
            lock_wait=opts["lock_wait"],
            force=opts["force"],
        ),
        as_json,
        contextlib.nullcontext(),
        "every file written so far is whole; run rebuild again",
    )
    if not as_json and report.dry_run:
        for _, path in report.rewritten:
            click.echo(path)
    echo_summary(report, as_json, RebuildReport.as_dict, RebuildReport.lines)
    sys.exit(report.exit_code)
