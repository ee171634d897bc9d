"""Counts for the table that `make stress` prints: tests and stress parts append them."""

from __future__ import annotations

import json
import os
from pathlib import Path

#: The environment variable naming the JSON-lines file a stress run collects counts in.
TALLY_ENV = "SCRAPER_STRESS_TALLY"


def tally(row: str, **counts: float | str) -> None:
    """Append counts for one row of the stress table; nothing unless a stress run asked."""
    target = os.environ.get(TALLY_ENV)
    if not target:
        return
    # One short line per write, opened for appending: writers in parallel do not mix lines.
    with Path(target).open("a", encoding="utf-8") as out:
        out.write(json.dumps({"row": row, **counts}) + "\n")
