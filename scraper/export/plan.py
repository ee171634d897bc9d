"""Which rows an export must write and remove: the archive's index against the last export.

Pure: the files the index holds and the stamps the database kept in, a plan out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scraper.archive.state import Stamped

__all__ = ["ExportPlan", "Kept", "Skipped", "plan_export"]

#: What the export database keeps of each row's file: its path, size and stamp.
Kept = tuple[str, int, str]


@dataclass(frozen=True)
class Skipped:
    """An archive file whose row was not written, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class ExportPlan:
    """What one export does to the database."""

    #: Files whose rows are new or changed (or made from another file now), by path.
    write: list[Stamped]
    #: Urls of rows whose files are gone.
    remove: list[str]
    #: Rows whose files have not changed since the last export.
    unchanged: int
    #: Files that hold a url another file's row has (the url is the primary key).
    duplicates: list[Skipped] = field(default_factory=list)


def plan_export(files: list[Stamped], kept: dict[str, Kept], unreadable: set[str]) -> ExportPlan:
    """Compare the index's files with what the database kept of each row (by url).

    Of the files that share a url, the first by path makes the row, so that the choice is the
    same from run to run. The row of a file that cannot be read now is left as it was
    exported, not removed: the file is still there, and the export lists it as a failure.
    """
    chosen: dict[str, Stamped] = {}
    duplicates: list[Skipped] = []
    for file in sorted(files, key=lambda f: f.relpath):
        held = chosen.setdefault(file.url, file)
        if held is not file:
            duplicates.append(
                Skipped(
                    file.relpath,
                    f"holds the url {file.url}, whose row is made from {held.relpath};"
                    " remove one of the two files (scraper verify lists such duplicates)",
                )
            )
    write = [
        file
        for url, file in chosen.items()
        if kept.get(url) != (file.relpath, file.size, file.stamp)
    ]
    remove = sorted(
        url for url, (path, _, _) in kept.items() if url not in chosen and path not in unreadable
    )
    return ExportPlan(write, remove, len(chosen) - len(write), duplicates)
