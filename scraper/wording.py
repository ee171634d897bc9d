"""Words for figures, the same in every report."""

from __future__ import annotations


def plural(count: int, noun: str) -> str:
    """``1 request``, ``2 requests``."""
    return f"{count:,} {noun if count == 1 else noun + 's'}"
