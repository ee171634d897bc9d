"""`scraper settings`: the settings a run would use, and where the archive and its state are."""

from __future__ import annotations

from typing import Any

import click

from scraper.cli.app import main, run
from scraper.cli.options import config_from_options, settings_options


@main.command("settings")
@settings_options
def settings_command(**opts: Any) -> None:
    """Print the settings in effect, and where the archive is."""
    from scraper.archive.state import STATE_FILE
    from scraper.archive.store import STATE_DIR, is_archive
    from scraper.config import config_to_toml

    config = run(lambda: config_from_options(opts))
    root = config.archive.resolve()
    state = root / STATE_DIR / STATE_FILE
    kind = "an archive" if is_archive(root) else "no archive yet: sync --init starts one"
    click.echo(f"# archive folder: {root} ({kind})")
    click.echo(f"# state: {state}{'' if state.exists() else ' (not made yet)'}")
    click.echo(f"# settings file: {opts.get('config_file') or 'none (defaults)'}")
    click.echo(config_to_toml(config), nl=False)
