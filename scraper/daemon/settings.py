"""The daemon's settings: how often each job runs, its limits, its logs (no scheduler here)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from scraper.errors import ConfigError

LOG_FORMATS = ("plain", "json")
#: The settings with a range: least, most (seconds, or a count).
_LIMITS: dict[str, tuple[float, float]] = {
    "sync_every": (1, 7 * 86400),
    "sync_jitter": (0, 86400),
    "verify_every": (0, 30 * 86400),
    "verify_sample": (1, 1_000_000),
    "verify_max_requests": (1, 1_000_000),
    "time_limit": (1, 86400),
    "backoff_max": (1, 7 * 86400),
    "misfire_grace": (1, 86400),
}


@dataclass(frozen=True)
class DaemonSettings:
    """How the daemon keeps an archive in sync: the jobs' timing, limits, logs."""

    sync_every: float = 3600.0  # seconds between syncs
    sync_jitter: float = 300.0  # up to this many seconds added to each, so runs spread out
    verify_every: float = 0.0  # seconds between verifies; 0: on verify_cron instead
    verify_cron: str = "17 3 * * *"  # minute hour day month weekday, in date_timezone
    verify_sample: int = 200  # files each verify checks
    verify_max_requests: int = 250  # requests each verify may make
    time_limit: float = 3000.0  # a run still going after this stops at its next page
    backoff_max: float = 21600.0  # after blocks or a site down, waits double up to this
    misfire_grace: float = 600.0  # a run missed by more (the machine slept) is skipped
    log_format: str = "plain"  # "plain" or "json", one line per event
    log_file: Path | None = None  # None: stderr
    git_commit: bool = False  # commit each sync's files, when the archive is a git work tree
    #: A sync blocked on its pages but not on the feed is followed by a feed-only sync.
    feed_only_when_blocked: bool = False

    def __post_init__(self) -> None:
        """Refuse a value out of its range, naming the setting."""
        for name, (least, most) in _LIMITS.items():
            value = getattr(self, name)
            if not (math.isfinite(value) and least <= value <= most):
                raise ConfigError(
                    f"daemon.{name} must be from {least:g} to {most:g}, got {value!r}"
                )
        if self.log_format not in LOG_FORMATS:
            raise ConfigError(f"daemon.log_format must be plain or json, not {self.log_format!r}")
        fields = self.verify_cron.split()
        if len(fields) != 5:
            raise ConfigError(
                f"daemon.verify_cron {self.verify_cron!r} must have five fields:"
                " minute hour day month weekday (as in crontab)"
            )
