"""`scraper status`: the archive, its state, the last runs, the daemon, the settings."""

from __future__ import annotations

from typing import Any

import click

from scraper.cli.app import echo_json, main, run
from scraper.cli.options import config_from_options, settings_options


@main.command("status")
@settings_options
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status_command(**opts: Any) -> None:
    """Show the archive, its state, the last runs and the daemon (creates nothing)."""
    from scraper.archive.store import SYNC_ONE, require_archive
    from scraper.config import config_from_mapping, flatten_toml, read_settings
    from scraper.status import archive_status, status_lines

    as_json = bool(opts["as_json"])
    config = run(lambda: config_from_options(opts), as_json)
    # The file alone, to tell its settings from the defaults and from the command line's.
    in_file = run(lambda: read_settings(opts.get("config_file")), as_json)
    file_config = run(lambda: config_from_mapping(in_file), as_json)
    run(lambda: require_archive(config.archive, False, SYNC_ONE), as_json)
    status = run(lambda: archive_status(config, file_config, set(flatten_toml(in_file))), as_json)
    if as_json:
        echo_json(status)
        return
    for line in status_lines(status):
        click.echo(line)
