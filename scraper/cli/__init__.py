"""The command line: the only code that prints, reads argv or exits.

`app.py` holds the command group and error handling, `options.py` the options shared by the
commands that read the settings, `progress.py` the progress display; each other module
holds a command or two.
"""

from scraper.cli import (
    daemon,
    export,
    files,
    rebuild,
    report,
    settings,
    status,
    sync,
    verify,
)
from scraper.cli.app import main
from scraper.exitcodes import (
    EXIT_BLOCKED,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
)

__all__ = [
    "EXIT_BLOCKED",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_LOCKED",
    "EXIT_OK",
    "EXIT_UNREACHABLE",
    "EXIT_USAGE",
    "daemon",
    "export",
    "files",
    "main",
    "rebuild",
    "report",
    "settings",
    "status",
    "sync",
    "verify",
]
