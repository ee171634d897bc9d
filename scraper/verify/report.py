"""What a verify found: each file's kinds, the counts, and how they are shown (pure)."""

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
from scraper.wording import plural

#: Kinds found on disk alone, in the order the output shows them.
OFFLINE_KINDS = (
    "unreadable",
    "noncanonical",
    "invalid",
    "empty-body",
    "misplaced",
    "duplicate",
    "local-edit",
    "stale-render",
    # From the state: written by `sync --feed-only`, so without ministers, portfolios or
    # attachments until its page is read (a sync, or verify --fix, completes it).
    "incomplete",
)
#: Kinds found against the source.
ONLINE_KINDS = (
    "ok",
    "changed",
    "legacy-date",
    "legacy-url",
    "legacy-format",
    "moved",
    "missing",
    "blocked",
    "error",
)
KINDS = OFFLINE_KINDS + ONLINE_KINDS
#: What --fix rewrites.
FIXABLE = frozenset(
    {"changed", "legacy-date", "legacy-url", "legacy-format", "noncanonical", "incomplete"}
)


@dataclass
class FileResult:
    """One file checked: its kinds, each with a short detail, and what --fix did with it."""

    path: str
    url: str = ""
    kinds: dict[str, str] = field(default_factory=dict)
    #: The file as it was read, and as it would be written from the source (for --diff).
    text: str | None = None
    expected: str | None = None
    #: What --fix did: "rewritten", "moved to …", "kept: …".
    fixed: str | None = None

    def add(self, kind: str, detail: str = "") -> None:
        """Record a kind; a second detail of the same kind is appended."""
        old = self.kinds.get(kind)
        self.kinds[kind] = detail if not old else f"{old}; {detail}"

    @property
    def detail(self) -> str:
        """What was said of each kind, in one line."""
        return "; ".join(f"{kind}: {detail}" for kind, detail in self.kinds.items() if detail)

    @property
    def ok(self) -> bool:
        """Whether nothing but `ok` was found."""
        return set(self.kinds) <= {"ok"}

    @property
    def mended(self) -> bool:
        """Whether --fix rewrote (or moved) the file, so what was found of it is gone."""
        return self.fixed is not None and not self.fixed.startswith(("kept", "not fixed"))


@dataclass
class VerifyReport:
    """What a verify found and did."""

    results: list[FileResult] = field(default_factory=list)
    #: Files not checked against the source (budget spent, or the run stopped); None offline.
    unchecked: int | None = 0
    seed: int | None = None
    #: The files a sample drew (kept in the state, so that its seed draws them again).
    sampled: list[str] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    stopped: str | None = None
    stop_kind: str | None = None
    #: The session's log of fetches that failed (each also a finding of its file).
    failed: list[Failure] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Files per kind, in the order of KINDS (kinds with none left out)."""
        tally = {kind: 0 for kind in KINDS}
        for result in self.results:
            for kind in result.kinds:
                tally[kind] += 1
        return {kind: n for kind, n in tally.items() if n}

    @property
    def exit_code(self) -> int:
        """0 when every checked file is ok; 3 blocked, 5 unreachable; 1 when anything found."""
        if self.stop_kind == "blocked" or self.blocked:
            return EXIT_BLOCKED
        if self.stop_kind in ("unreachable", "down"):
            return EXIT_UNREACHABLE
        if self.stop_kind == "cancelled":
            return EXIT_INTERRUPTED
        found = any(not r.ok for r in self.results)
        stopped = self.stop_kind not in (None, "time-limit")
        return EXIT_FAILED if found or stopped else EXIT_OK


def report_dict(report: VerifyReport) -> dict[str, Any]:
    """The report as one JSON-ready object."""
    return {
        "ok": report.exit_code == EXIT_OK,
        "exit": report.exit_code,
        "findings": [
            {
                "path": r.path,
                "url": r.url,
                "kinds": list(r.kinds),
                "detail": r.detail,
                **({"fixed": r.fixed} if r.fixed else {}),
            }
            for r in report.results
            if not r.ok
        ],
        "summary": {
            "counts": report.counts(),
            "files": len(report.results),
            "unchecked_against_source": report.unchecked,
            **({"sampled": report.sampled} if report.sampled else {}),
            "requests": report.requests,
            "seconds": round(report.seconds, 3),
            "seed": report.seed,
        },
        "notes": report.notes,
        "stopped": report.stopped,
    }


def report_lines(report: VerifyReport) -> list[str]:
    """A table of counts per kind, then the findings by kind, one line each; then a summary."""
    counts = report.counts()
    lines = [f"{kind:>14}  {n}" for kind, n in counts.items()]
    for kind in KINDS:
        if kind == "ok":
            continue
        found = [r for r in report.results if kind in r.kinds]
        if found:
            lines.append(f"\n{kind}:")
            lines += [_line(r, kind) for r in found]
    fixed = [r for r in report.results if r.fixed]
    if fixed:
        lines.append("\nfix:")
        lines += [f"  {r.path}: {r.fixed}" for r in fixed]
    lines += [f"note: {note}" for note in report.notes]
    if report.stopped:
        lines.append(f"stopped early: {report.stopped}")
    lines.append(summary_line(report))
    return lines


def summary_line(report: VerifyReport) -> str:
    """One line: files checked, found, not reached, requests, time, seed."""
    found = sum(1 for r in report.results if not r.ok)
    seed = f"; sample seed {report.seed}" if report.seed is not None else ""
    if report.unchecked is None:
        where = " on disk only"
        fetched = "nothing fetched"
    else:
        where = ""
        fetched = plural(report.requests, "request")
    if report.unchecked:
        where = f", {plural(report.unchecked, 'file')} not checked against the source"
    return (
        f"{plural(len(report.results), 'file')} checked{where}, {found:,} with findings;"
        f" {fetched} in {report.seconds:.1f} s{seed}"
    )


def _line(result: FileResult, kind: str) -> str:
    """One finding: path, url, short detail."""
    detail = result.kinds[kind]
    return f"  {result.path}  {result.url}" + (f"  ({detail})" if detail else "")
