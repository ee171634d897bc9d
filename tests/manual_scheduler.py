"""An APScheduler scheduler that runs due jobs only when told: for tests and the soak bench."""

from __future__ import annotations

from apscheduler.schedulers.base import BaseScheduler


class ByHand(BaseScheduler):  # type: ignore[misc]  # APScheduler 3 has no type hints
    """A scheduler that runs due jobs only when the caller says (no thread, no wait)."""

    def wakeup(self) -> None:
        """Nothing to wake: the caller calls tick()."""

    def shutdown(self, wait: bool = True) -> None:
        """Stop, as a real one would."""
        super().shutdown(wait)

    def tick(self) -> None:
        """Run the jobs due now."""
        self._process_jobs()
