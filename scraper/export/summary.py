"""An export's summary, as lines for a person and as data for --json."""

from __future__ import annotations

from typing import Any

from scraper.export.sqlite import ExportReport
from scraper.wording import plural

__all__ = ["report_dict", "report_lines"]


def report_lines(report: ExportReport) -> list[str]:
    """Each problem on a line, then the figures, then how to open the database."""
    lines = [f"unreadable: {s.path}: {s.reason}" for s in report.unreadable]
    lines += [f"duplicate: {s.path}: {s.reason}" for s in report.duplicates]
    lines += [f"note: {note}" for note in report.notes]
    how = "made afresh" if report.rebuilt else "updated"
    lines.append(
        f"{report.database} {how}: {report.rows:,} rows;"
        f" {report.written:,} written, {report.removed:,} removed, {report.unchanged:,}"
        f" unchanged; {plural(len(report.duplicates), 'duplicate file')} and"
        f" {plural(len(report.unreadable), 'unreadable file')} left out; {report.seconds:.1f} s"
    )
    lines.append(f"open it with: datasette {report.database} --metadata {report.metadata}")
    return lines


def report_dict(report: ExportReport) -> dict[str, Any]:
    """The summary as plain data: the same figures as the lines."""
    return {
        "ok": report.exit_code == 0,
        "exit": report.exit_code,
        "database": str(report.database),
        "metadata": str(report.metadata),
        "rebuilt": report.rebuilt,
        "rows": report.rows,
        "written": report.written,
        "removed": report.removed,
        "unchanged": report.unchanged,
        "duplicates": [{"path": s.path, "reason": s.reason} for s in report.duplicates],
        "unreadable": [{"path": s.path, "reason": s.reason} for s in report.unreadable],
        "notes": report.notes,
        "seconds": round(report.seconds, 3),
    }
