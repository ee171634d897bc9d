"""When the next sync runs: on its interval, or later after blocks and a site down (pure)."""

from __future__ import annotations

from dataclasses import dataclass

#: How a run ended that makes the next one wait longer: the site would not serve us.
TROUBLE = frozenset({"blocked", "unreachable", "down"})


@dataclass
class Pace:
    """Doubles the wait after each troubled run, up to a cap; one good run resets it."""

    every: float
    cap: float
    troubled: int = 0

    def after(self, stop_kind: str | None) -> float | None:
        """Seconds until the next run after one that ended so (None: its usual interval)."""
        if stop_kind not in TROUBLE:
            self.troubled = 0
            return None
        self.troubled += 1
        # The exponent stops growing long before a float would overflow (2**1024).
        doubled = self.every * 2.0 ** min(self.troubled, 40)
        return float(min(doubled, max(self.cap, self.every)))
