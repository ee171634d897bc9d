"""Records of runs that end other than by returning: cut short by Ctrl-C or SIGTERM.

A run opened read-only (a verify without --fix) keeps its record, like what it found, in a
short moment under the archive's lock, and only in a state that is already there.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
from collections.abc import Iterator
from pathlib import Path

from scraper.archive.state import RunRecord
from scraper.archive.store import STATE_DIR, Archive, hold_lock
from scraper.errors import ScraperError
from scraper.exitcodes import EXIT_INTERRUPTED

#: The note of a run that a stop cut short.
CUT_SHORT = "cut short by Ctrl-C or SIGTERM; files written before are whole"


@contextlib.contextmanager
def existing_state(root: Path) -> Iterator[Archive | None]:
    """The archive's state, writable for a moment under its lock; None when there is none.

    None, too, when the state is not this user's to write; LockedError when a sync holds it.
    """
    state = root / STATE_DIR
    if not state.is_dir() or not os.access(state, os.W_OK):
        yield None  # no state to keep it in (a read-only run creates none), or not ours
        return
    with hold_lock(root) as lock, Archive(root, lock=lock, busy_timeout=0.5) as archive:
        yield archive


@contextlib.contextmanager
def recorded_if_stopped(archive: Archive, job: str, now: dt.datetime) -> Iterator[None]:
    """Keep a record of the run when Ctrl-C or SIGTERM ends it inside, then let the stop go on.

    The stop's `exit_code` (SIGTERM's 143) is the record's, else Ctrl-C's 130; a record that
    cannot be kept, or a second Ctrl-C while it is written, does not hold the stop up.
    """
    began = time.monotonic()
    try:
        yield
    except KeyboardInterrupt as stop:
        code = int(getattr(stop, "exit_code", EXIT_INTERRUPTED))
        record = RunRecord(job, now, time.monotonic() - began, code, {}, CUT_SHORT)
        with contextlib.suppress(ScraperError, KeyboardInterrupt):
            if archive.writable:
                archive.try_record_run(record)
            else:
                with existing_state(archive.root) as state:
                    if state is not None:
                        state.try_record_run(record)
        raise
