"""`scraper verify`: check archive files on disk and against the source; fix them on request."""

from __future__ import annotations

import datetime as dt
import difflib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from scraper.cli.app import echo_json, main, run, run_job
from scraper.cli.options import config_from_options, parse_date, settings_options, wait_option
from scraper.cli.progress import Progress

if TYPE_CHECKING:
    from scraper.verify.report import VerifyReport


@main.command("verify")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@settings_options
@click.option("--offline", is_flag=True, help="Check the files on disk only; fetch nothing.")
@click.option("--sample", type=click.IntRange(min=1), metavar="N", help="Check N files at random.")
@click.option("--seed", type=int, metavar="N", help="The seed of --sample (printed each run).")
@click.option("--since", "since_text", metavar="YYYY-MM-DD", help="Only files from this date.")
@click.option(
    "--max-requests",
    type=click.IntRange(min=1),
    metavar="N",
    help="Make at most N requests (robots.txt aside).",
)
@click.option(
    "--fix", is_flag=True, help="Rewrite changed, legacy, incomplete and noncanonical files."
)
@click.option("--force", is_flag=True, help="With --fix: overwrite files edited by hand too.")
@click.option("--diff", is_flag=True, help="Show a diff of each file against its page.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@wait_option("With --fix: seconds to wait for a sync holding the archive.")
def verify_command(paths: tuple[Path, ...], **opts: Any) -> None:
    """Check archive files on disk and against the site.

    The pages fetched are kept in the archive's WARC files ([keep] pages), each under the
    archive's lock for a moment (--fix holds it throughout); while a sync holds it, they
    are not kept, and a note says so.
    """
    from scraper.verify.engine import VerifyOptions, verify_archive

    as_json = bool(opts["as_json"])
    if opts["force"] and not opts["fix"]:
        raise click.BadParameter("--force only goes with --fix", param_hint="--force")
    config = run(lambda: config_from_options(opts), as_json)
    since = parse_date(opts["since_text"], "--since") if opts["since_text"] else None
    options = VerifyOptions.from_config(
        config,
        paths=paths,
        offline=opts["offline"],
        sample=opts["sample"],
        seed=opts["seed"],
        since=since,
        max_requests=opts["max_requests"],
        fix=opts["fix"],
        force=opts["force"],
    )
    terminal = sys.stderr.isatty()
    progress = Progress(enabled=not as_json and terminal, quiet=True, every=0 if as_json else 100)
    report = run_job(
        lambda: verify_archive(
            config,
            options,
            now=dt.datetime.now(dt.UTC),
            progress=progress.update,
            lock_wait=opts["lock_wait"],
        ),
        as_json,
        progress,
        "no file was left half written; run verify again",
    )
    _print(report, as_json, opts["diff"])
    sys.exit(report.exit_code)


def _print(report: VerifyReport, as_json: bool, diff: bool) -> None:
    """The findings: JSON on stdout, or a table and lines (and diffs) on stdout."""
    from scraper.verify.report import report_dict, report_lines

    if as_json:
        data = report_dict(report)
        if diff:
            diffs = {r.path: _diff(r.path, r.text, r.expected) for r in report.results if not r.ok}
            for finding in data["findings"]:
                finding["diff"] = diffs.get(finding["path"], "")
        echo_json(data)
        return
    *lines, summary = report_lines(report)
    for line in lines:
        click.echo(line)
    if diff:
        for result in report.results:
            if not result.ok and result.expected is not None:
                click.echo(_diff(result.path, result.text, result.expected), nl=False)
    # Last, so that the line a user reads first at the prompt is the summary.
    click.echo(summary)


def _diff(path: str, old: str | None, new: str | None) -> str:
    """A unified diff of a file against the file its page makes."""
    if old is None or new is None:
        return ""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=f"a/{path}",
        tofile=f"b/{path} (from the page)",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
