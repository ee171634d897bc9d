"""A sync report as text lines or as a JSON-ready mapping (pure; the CLI prints them)."""

from __future__ import annotations

from typing import Any

from scraper.models import SyncReport
from scraper.net.session import BLOCKED_ADVICE


def report_dict(report: SyncReport) -> dict[str, Any]:
    """The report as plain data, the same figures as the text summary."""
    return {
        "ok": report.ok,
        "added": report.added,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "failed": [{"url": f.url, "reason": f.reason} for f in report.failed],
        "blocked": report.blocked,
        "ambiguous": [{"url": f.url, "reason": f.reason} for f in report.ambiguous],
        "kept": [{"path": f.url, "reason": f.reason} for f in report.kept],
        "notes": report.notes,
        "planned": report.planned,
        "requests": report.requests,
        "seconds": round(report.seconds, 3),
        "stopped": report.stopped,
    }


def report_lines(report: SyncReport) -> list[str]:
    """A human summary: one line of counts, then each problem on a line of its own."""
    lines = [
        f"added {len(report.added)}, updated {len(report.updated)},"
        f" unchanged {report.unchanged}, failed {len(report.failed)},"
        f" blocked {len(report.blocked)}, ambiguous {len(report.ambiguous)};"
        f" {report.requests} requests in {report.seconds:.1f} s"
    ]
    lines += [f"would fetch: {url}" for url in report.planned]
    lines += [f"failed: {f.url}: {f.reason}" for f in report.failed]
    lines += [f"blocked: {url}" for url in report.blocked]
    lines += [f"ambiguous: {f.url}: {f.reason}" for f in report.ambiguous]
    lines += [f"kept: {f.url}: {f.reason}" for f in report.kept]
    lines += [f"note: {note}" for note in report.notes]
    if report.stopped:
        lines.append(f"stopped early: {report.stopped}")
    elif report.blocked:
        lines.append(BLOCKED_ADVICE)
    return lines
