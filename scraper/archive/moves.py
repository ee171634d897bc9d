"""Moving a release's file to a new path, so that a kill at any moment loses nothing.

A move is noted in the state first, then the new file is written, then the old one removed.
A run killed between those steps leaves the note; the next run (sync or verify --fix) finds
it and finishes the move: it removes the old file when the new one was written, and
otherwise keeps the old file and forgets the note. So the archive never holds a release
twice, nor loses it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from scraper.archive.state import Entry
from scraper.errors import StateError, StoreError

#: State key prefix: a move of a file to a new path, begun and not yet finished.
MOVE = "move:"


class MoveNotes(Protocol):
    """The lookups that tell which moves a killed run left (an archive's state has them)."""

    def meta_with_prefix(self, prefix: str) -> list[tuple[str, str]]:
        """Kept values whose keys start with a prefix."""
        ...

    def by_url(self, url: str) -> list[Entry]:
        """The files holding exactly this URL."""
        ...

    def holds(self, relpath: str, url: str) -> bool:
        """Whether the file at a path, as it is on disk now, holds this URL."""
        ...


class Mover(Protocol):
    """What moving a file changes in an archive."""

    def put_meta(self, key: str, value: str) -> None:
        """Keep a value between runs."""

    def delete_meta(self, key: str) -> None:
        """Forget a value kept between runs."""

    def remove(self, relpath: str) -> None:
        """Delete a file."""


@dataclass(frozen=True)
class UnfinishedMove:
    """A move a killed run began: the release's new file, if written, makes the old one go."""

    url: str
    old: str
    #: Whether the new file exists (remove the old one) or not (keep it, forget the move).
    remove_old: bool


def unfinished_moves(notes: MoveNotes) -> list[UnfinishedMove]:
    """Moves that a killed run wrote the new file of, or never got to.

    Decided by the disk: the new file is there and holds the release (the state's record of
    it may not have been committed when the run was killed).
    """
    moves = []
    for key, value in notes.meta_with_prefix(MOVE):
        url = key.removeprefix(MOVE)
        old, new = _note(value)
        if new is not None:
            moved = new != old and notes.holds(new, url)
        else:  # a note of an older version: only the old path, so ask the state
            moved = any(e.relpath != old for e in notes.by_url(url) if e.ours)
        moves.append(UnfinishedMove(url, old, moved))
    return moves


def place(
    archive: Mover, url: str, current: str, target: str, write_at: Callable[[str], None]
) -> bool:
    """Write `url`'s file at `target` (`write_at(target)`) in place of the one at `current`:
    moved there, as `move_file` does, when the paths differ; whether it moved."""
    if target == current:
        write_at(target)
        return False
    move_file(archive, url, current, target, partial(write_at, target))
    return True


def move_file(archive: Mover, url: str, old: str, new: str, write_new: Callable[[], None]) -> None:
    """Replace the file at `old` by the one `write_new` writes at `new`, for `url`'s release."""
    archive.put_meta(MOVE + url, json.dumps({"old": old, "new": new}))
    write_new()
    retire(archive, old, url)


def _note(value: str) -> tuple[str, str | None]:
    """A move note: (old path, new path); an older version's note has the old path alone."""
    try:
        note = json.loads(value)
    except ValueError:
        return value, None
    if isinstance(note, dict) and isinstance(note.get("old"), str):
        new = note.get("new")
        return note["old"], new if isinstance(new, str) else None
    return value, None


def retire(archive: Mover, relpath: str, url: str) -> None:
    """Remove a file whose release now lives at another path, and the note of its move."""
    archive.remove(relpath)
    archive.delete_meta(MOVE + url)


def finish_all(
    archive: Mover, moves: list[UnfinishedMove]
) -> tuple[list[str], list[tuple[str, str]]]:
    """Finish the moves a killed run left: the old paths removed, and (old path, why) of
    those that could not be finished (their notes stay: the next run tries again)."""
    removed: list[str] = []
    left: list[tuple[str, str]] = []
    for move in moves:
        try:
            finish(archive, move)
        except StateError:
            raise  # nothing later could be recorded either
        except StoreError as exc:
            left.append((move.old, f"a move left unfinished: {exc}"))
            continue
        if move.remove_old:
            removed.append(move.old)
    return removed, left


def finish(archive: Mover, move: UnfinishedMove) -> None:
    """Finish a move a killed run left: remove the old file, or forget a move never begun."""
    if move.remove_old:
        retire(archive, move.old, move.url)
    else:
        archive.delete_meta(MOVE + move.url)
