"""A progress bar on a terminal, plain log lines otherwise (sync, verify and export)."""

from __future__ import annotations

from typing import Any

import click


class Progress:
    """A progress bar on a terminal, plain log lines otherwise."""

    def __init__(self, enabled: bool, quiet: bool = False, every: int = 0) -> None:
        """Show a bar only when `enabled` (stderr is a terminal and not --json).

        Without a bar, each item is a log line, unless `quiet` (the summary says it all);
        `every` N items a quiet run says how far it is, so a long run in a log is not silent.
        """
        self._quiet = quiet
        self._every = every
        self._bar: Any = None
        self._task: Any = None
        self._finding: Any = None
        if enabled:
            from rich.progress import Progress

            self._bar = Progress(transient=True)

    def __enter__(self) -> Progress:
        """Start the bar."""
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop the bar."""
        if self._bar is not None:
            self._bar.stop()

    def update(self, done: int, total: int, url: str, outcome: str) -> None:
        """Record one finished item, or (total 0) one feed or listing page read."""
        if self._bar is None:
            if not self._quiet:
                if outcome != "unchanged":
                    click.echo(f"{outcome}: {url}", err=True)
            elif self._every and total and (done % self._every == 0 or done == total):
                click.echo(f"{done:,} of {total:,} checked", err=True)
            return
        if total == 0:
            if self._finding is None:
                self._finding = self._bar.add_task("reading listings", total=None)
            self._bar.update(self._finding, description=f"reading {url}")
            return
        if self._task is None:
            if self._finding is not None:
                self._bar.remove_task(self._finding)
            self._task = self._bar.add_task("working", total=total)
        self._bar.update(self._task, completed=done, description=outcome)
