"""Options shared by the commands that read the settings, and their values turned into a Config."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from scraper.config import Config, load_config, with_overrides
from scraper.errors import ScraperError

F = TypeVar("F", bound=Callable[..., Any])

#: The defaults, shown in the help of the options that override them.
DEFAULTS = Config()


def default_help(value: object) -> str:
    """How an option's help shows the setting it overrides."""
    return f" [default: {value}, or the settings file's]"


#: --config and --archive: which settings file, and which archive (every command's).
_WHICH = [
    click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Settings file (TOML); see config/scraper.toml. [default: none]",
    ),
    click.option(
        "--archive",
        type=click.Path(file_okay=False, path_type=Path),
        help="Archive folder." + default_help(DEFAULTS.archive),
    ),
]


def archive_options(command: F) -> F:
    """Add --config and --archive alone: for the commands that only read an archive."""
    for decorator in reversed(_WHICH):
        command = decorator(command)
    return command


def settings_options(command: F) -> F:
    """Add the options that override the settings file (--config, --archive, --base-url, …)."""
    fetch = DEFAULTS.fetch
    decorators = [
        *_WHICH,
        click.option(
            "--base-url",
            help="Where requests go (a mirror); files keep the public URL."
            + default_help(fetch.base_url),
        ),
        click.option(
            "--types",
            metavar="LIST",
            help="Content types, comma-separated: release,speech,feature."
            + default_help(",".join(DEFAULTS.sync.types)),
        ),
        click.option(
            "--interval",
            type=float,
            metavar="SECONDS",
            help="Seconds between requests." + default_help(fetch.interval),
        ),
        click.option(
            "--concurrency",
            type=int,
            metavar="N",
            help="Requests in flight at once." + default_help(fetch.concurrency),
        ),
        click.option(
            "--cookies",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="Cookies from a browser that passed the site's bot check: Netscape"
            " cookies.txt or a JSON export; only the site's are sent.",
        ),
        click.option(
            "--browser",
            metavar="[auto|PATH]",
            is_flag=False,
            flag_value="auto",
            help="Open pages the bot check blocks in this Chromium/Chrome (alone or auto: the"
            " one on PATH); needs pip install 'scraper[browser]'. [default: off]",
        ),
        click.option(
            "--user-agent",
            metavar="TEXT",
            help="User-Agent sent with every request (name yourself and a contact).",
        ),
        click.option(
            "--set",
            "assignments",
            multiple=True,
            metavar="KEY=VALUE",
            help="Any setting of the settings file, e.g. --set fetch.timeout=10 (repeatable).",
        ),
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def wait_option(help_text: str) -> Callable[[F], F]:
    """--wait SECONDS: how long to wait for another run holding the archive's lock."""
    return click.option(
        "--wait",
        "lock_wait",
        type=click.FloatRange(min=0, max=86400),
        default=0.0,
        show_default=True,
        metavar="SECONDS",
        help=help_text,
    )


def config_from_options(opts: dict[str, Any]) -> Config:
    """The settings file (or defaults) with the command line's values put over them."""
    config = load_config(opts.get("config_file"), opts.get("assignments") or ())
    return with_overrides(
        config,
        archive=opts.get("archive"),
        types=_types(opts.get("types")),
        base_url=opts.get("base_url"),
        interval=opts.get("interval"),
        concurrency=opts.get("concurrency"),
        cookies_file=opts.get("cookies"),
        user_agent=opts.get("user_agent"),
        browser=opts.get("browser"),
    )


def _types(text: str | None) -> tuple[str, ...] | None:
    """--types as a tuple (None: not given); an empty list is refused, never the default."""
    if text is None:
        return None
    return tuple(t.strip() for t in text.split(",") if t.strip())


def parse_date(text: str, option: str) -> dt.date:
    """A date option's value, or a usage error that shows the expected form."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise click.BadParameter(
            f"{text!r} is not a date like 2025-12-10", param_hint=option
        ) from exc


def zone_option(_ctx: click.Context, _param: click.Parameter, name: str) -> str:
    """A --timezone value that names a real zone, or a usage error."""
    from scraper.dates import time_zone

    try:
        time_zone(name)
    except ScraperError as exc:
        raise click.BadParameter(str(exc), param_hint="--timezone") from exc
    return name
