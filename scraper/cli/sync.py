"""`scraper sync`: the one-off sync, its progress display, its summary and its dry run."""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING, Any

import click

from scraper.cli.app import echo_json, echo_summary, main, quiet_stdout, run, run_job
from scraper.cli.options import config_from_options, parse_date, settings_options, wait_option
from scraper.cli.progress import Progress

if TYPE_CHECKING:
    from scraper.sync.engine import DryRun


@main.command("sync")
@settings_options
@click.option("--since", "since_text", metavar="YYYY-MM-DD", help="Only releases from this date.")
@click.option("--full", is_flag=True, help="Walk every government's search pages (a backfill).")
@click.option("--limit", type=click.IntRange(min=1), metavar="N", help="Fetch at most N new pages.")
@click.option(
    "--feed-only",
    is_flag=True,
    help="Read only the feed; write new releases from its text, marked incomplete.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print the URLs a sync would fetch (with --feed-only: write from the feed);"
    " create and write nothing.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary (or plan) as JSON.")
@wait_option("Seconds to wait for another sync holding the archive.")
@click.option("--init", is_flag=True, help="Start a new archive if the folder holds none.")
def sync_command(**opts: Any) -> None:
    """Fetch what the archive lacks from the site and write it."""
    from scraper.sync import SyncOptions, dry_run, sync_archive
    from scraper.sync.report import report_dict, report_lines

    as_json = bool(opts["as_json"])
    if opts["feed_only"] and opts["full"]:
        raise click.BadParameter("--feed-only reads the feed alone: not with --full")
    config = run(lambda: config_from_options(opts), as_json)
    since = parse_date(opts["since_text"], "--since") if opts["since_text"] else None
    options = SyncOptions.from_config(
        config, since=since, full=opts["full"], limit=opts["limit"], feed_only=opts["feed_only"]
    )
    now = dt.datetime.now(dt.UTC)
    progress = Progress(enabled=not as_json and sys.stderr.isatty())
    if opts["dry_run"]:
        plan = run_job(
            lambda: dry_run(config, options, now=now, init=opts["init"]),
            as_json,
            progress,
            "nothing was written",
        )
        _print_plan(plan, as_json)
        sys.exit(plan.report.exit_code)
    again = "sync --full" if opts["full"] else "sync"
    report = run_job(
        lambda: sync_archive(
            config,
            options,
            now=now,
            progress=progress.update,
            lock_wait=opts["lock_wait"],
            init=opts["init"],
        ),
        as_json,
        progress,
        f"every file written so far is complete; run {again} again to carry on",
    )
    echo_summary(report, as_json, report_dict, report_lines)
    sys.exit(report.exit_code)


def _print_plan(result: DryRun, as_json: bool) -> None:
    """A dry run: the URLs to fetch on stdout (or the plan as JSON), problems on stderr."""
    from scraper.sync.plan import Plan, plan_dict, plan_summary
    from scraper.sync.report import report_lines

    plan = result.plan or Plan()
    if as_json:
        echo_json(plan_dict(plan, result.report))
        return
    try:
        for url in [item.url for item in plan.fetch] + [url for url, _ in plan.complete]:
            click.echo(url)
    except BrokenPipeError:
        quiet_stdout()  # `| head`: the reader has all it wanted; the summary still follows
    for line in report_lines(result.report)[:-1]:
        click.echo(line, err=True)
    click.echo(plan_summary(plan, result.report), err=True)
