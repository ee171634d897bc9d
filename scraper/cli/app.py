"""The command group and what every command shares: running library code, errors, exits."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import NoReturn, TypeVar

import click

from scraper.errors import ScraperError
from scraper.exitcodes import exit_code_for

T = TypeVar("T")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="scraper")
def main() -> None:
    """Keep an archive of beehive.govt.nz releases in sync with the site."""


def run(action: Callable[[], T], as_json: bool = False) -> T:
    """Run library code, turning its errors into a message and exit code."""
    try:
        return action()
    except ScraperError as exc:
        fail(str(exc), exit_code_for(exc), as_json)


def fail(message: str, code: int, as_json: bool = False) -> NoReturn:
    """End the command with an error: on stderr, and with --json also as JSON on stdout."""
    if as_json:
        click.echo(json.dumps({"ok": False, "exit": code, "error": message}, ensure_ascii=False))
    click.echo(f"error: {message}", err=True)
    sys.exit(code)
