"""What a sync did, as a dataclass filled in while it runs, and as text or JSON (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scraper.exitcodes import (
    EXIT_BLOCKED,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UNREACHABLE,
)
from scraper.models import Failure
from scraper.net.session import BLOCKED_ADVICE
from scraper.wording import plural

#: Why a run stopped early → its exit code.
_STOP_CODES = {
    "blocked": EXIT_BLOCKED,
    "unreachable": EXIT_UNREACHABLE,
    "down": EXIT_UNREACHABLE,
    "cancelled": EXIT_INTERRUPTED,
}


@dataclass(frozen=True)
class Written:
    """A release written to the archive: its real URL and the file's relative path."""

    url: str
    path: str


@dataclass
class SyncReport:
    """What a sync did; filled in as it runs, printed at the end."""

    added: list[Written] = field(default_factory=list)
    updated: list[Written] = field(default_factory=list)
    unchanged: int = 0
    #: Files removed because their release moved to another path (the new one is in
    #: `updated`, except for a move a killed run left, finished by this one).
    removed: list[str] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    ambiguous: list[Failure] = field(default_factory=list)
    #: Files this tool wrote whose page changed, left alone because they were edited by hand.
    kept: list[Failure] = field(default_factory=list)
    #: Things worth knowing that are not failures (robots.txt rules, state rebuilt, new archive).
    notes: list[str] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0
    #: Why the run ended early, and the kind of reason ("blocked", "unreachable", "down",
    #: "state", "cancelled", "time-limit"), or None.
    stopped: str | None = None
    stop_kind: str | None = None
    #: Readable files in the archive when the run ended.
    archive_files: int = 0
    #: Releases found and not yet in the archive (failed, blocked, beyond --limit).
    pending: int = 0

    @property
    def ok(self) -> bool:
        """Whether everything that was found was synced."""
        # A run its time limit ended did what it could: the rest waits, as after --limit.
        stopped = self.stopped is not None and self.stop_kind != "time-limit"
        return not (self.failed or self.blocked or self.ambiguous or stopped)

    @property
    def exit_code(self) -> int:
        """0 when all was synced; the block or unreachable code when the site stopped us."""
        if self.stop_kind in _STOP_CODES:
            return _STOP_CODES[self.stop_kind]
        if self.blocked:
            return EXIT_BLOCKED
        return EXIT_OK if self.ok else EXIT_FAILED

    def counts(self) -> dict[str, int]:
        """The figures of the summary line, for the record of runs."""
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": self.unchanged,
            "failed": len(self.failed),
            "blocked": len(self.blocked),
            "ambiguous": len(self.ambiguous),
            "kept": len(self.kept),
            "requests": self.requests,
        }


def report_dict(report: SyncReport) -> dict[str, Any]:
    """The report as plain data, the same figures as the text summary."""
    return {
        "ok": report.ok,
        "exit": report.exit_code,
        "added": [written_dict(w) for w in report.added],
        "updated": [written_dict(w) for w in report.updated],
        "removed": report.removed,
        "unchanged": report.unchanged,
        "failed": [{"url": f.url, "reason": f.reason} for f in report.failed],
        "blocked": report.blocked,
        "ambiguous": [{"url": f.url, "reason": f.reason} for f in report.ambiguous],
        "kept": [{"path": f.url, "reason": f.reason} for f in report.kept],
        "notes": report.notes,
        "requests": report.requests,
        "seconds": round(report.seconds, 3),
        "stopped": report.stopped,
        "archive_files": report.archive_files,
        "pending": report.pending,
    }


def written_dict(written: Written) -> dict[str, str]:
    """A written file as plain data."""
    return {"url": written.url, "path": written.path}


def report_lines(report: SyncReport) -> list[str]:
    """A human summary: each problem on a line of its own, then one line of counts."""
    lines = [f"failed: {f.url}: {f.reason}" for f in report.failed]
    lines += [f"blocked: {url}" for url in report.blocked]
    lines += [f"ambiguous: {f.url}: {f.reason}" for f in report.ambiguous]
    lines += [f"kept: {f.url}: {f.reason}" for f in report.kept]
    lines += [f"note: {note}" for note in report.notes]
    if report.stopped:
        lines.append(f"stopped early: {report.stopped}")
    elif report.blocked:
        lines.append(BLOCKED_ADVICE)
    lines.append(
        f"added {len(report.added)}, updated {len(report.updated)},"
        f" unchanged {report.unchanged}, failed {len(report.failed)},"
        f" blocked {len(report.blocked)}, ambiguous {len(report.ambiguous)};"
        f" {plural(report.requests, 'request')} in {report.seconds:.1f} s;"
        f" the archive holds {plural(report.archive_files, 'file')}"
        + (f", {report.pending} more found and pending" if report.pending else "")
    )
    return lines
