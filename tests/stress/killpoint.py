"""Kill a scraper command at a chosen point: the child-process side of the kill trials.

The trials run a command as ``python -c CHILD POINT N scraper-args...``. `arm` patches, in
that child only, the calls the point names, and sends the process SIGKILL at the Nth one;
nothing in the code under test knows. ``N = 0`` kills nothing and, at exit, prints how many
such calls the run made (one ``killpoint-count POINT COUNT`` line on stderr).
"""

from __future__ import annotations

import atexit
import os
import signal
import sqlite3
import sys
from collections.abc import Callable
from typing import Any

#: The points: a temporary file written (just before its rename), a rename done, a state
#: transaction with its writes made but not committed, and one just committed.
POINTS = ("tmp-written", "renamed", "commit", "committed")

#: What the trials run: arm the point, then the command line as `scraper` would.
CHILD = (
    "import sys; from tests.stress.killpoint import arm; arm(sys.argv[1], int(sys.argv[2]));"
    " sys.argv = ['scraper', *sys.argv[3:]]; from scraper.cli import main; main()"
)


def arm(points: str, nth: int) -> None:
    """Patch the calls each point (comma-separated) names: the `nth` of them kills."""
    for point in points.split(","):
        if point not in POINTS:
            raise SystemExit(f"killpoint: unknown point {point!r}; one of {', '.join(POINTS)}")
        counter = _Counter(point, nth)
        if point in ("tmp-written", "renamed"):
            _patch_replace(counter, before=point == "tmp-written")
        else:
            _patch_commit(counter, before=point == "commit")


class _Counter:
    """Counts the calls of one point and kills at the chosen one."""

    def __init__(self, point: str, nth: int) -> None:
        """Kill at call `nth` (from 1); 0: never, and report the count at exit."""
        self.point, self.nth, self.calls = point, nth, 0
        if nth == 0:
            atexit.register(self._report)

    def tick(self) -> None:
        """One more call; SIGKILL (no cleanup, no flush, as a crash) when it is the chosen one."""
        self.calls += 1
        if self.calls == self.nth:
            os.kill(os.getpid(), signal.SIGKILL)

    def _report(self) -> None:
        """Say how many calls a whole run made, so the trials can choose where to kill."""
        print(f"killpoint-count {self.point} {self.calls}", file=sys.stderr, flush=True)


def _patch_replace(counter: _Counter, *, before: bool) -> None:
    """Count os.replace calls: kill before the rename (temp file written) or after it."""
    real = os.replace

    def replace(src: Any, dst: Any, **kwargs: Any) -> None:
        if before:
            counter.tick()
        real(src, dst, **kwargs)
        if not before:
            counter.tick()

    os.replace = replace


def _patch_commit(counter: _Counter, *, before: bool) -> None:
    """Count state commits: connections come from a subclass that watches `COMMIT`."""
    real_connect: Callable[..., sqlite3.Connection] = sqlite3.connect

    class Watched(sqlite3.Connection):
        """A connection that counts its commits (the state commits with `COMMIT`)."""

        def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
            commit = sql.strip().upper() == "COMMIT"
            if commit and before:
                counter.tick()
            cursor = super().execute(sql, *args)
            if commit and not before:
                counter.tick()
            return cursor

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        kwargs.setdefault("factory", Watched)
        return real_connect(*args, **kwargs)

    sqlite3.connect = connect  # type: ignore[assignment]
