"""Commit what a sync wrote, when the archive is a git work tree: the git-scraping habit.

Exactly the run's files are committed (added, updated, and those a move removed), whatever
else is staged or changed; nothing is ever pushed.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from scraper.errors import StoreError

#: Who commits when git knows no one (a service account): named, and plainly a tool.
_IDENTITY = ("-c", "user.name=scraper", "-c", "user.email=scraper@localhost")


def is_work_tree(root: Path) -> bool:
    """Whether the archive folder lies in a git work tree."""
    done = _git(root, "rev-parse", "--is-inside-work-tree", check=False)
    return done.returncode == 0 and done.stdout.strip() == "true"


def commit_paths(root: Path, relpaths: list[str], message: str) -> str:
    """Commit these files of the archive (relative to it) with `message`; the new commit's id.

    A path that is gone from the disk is committed as removed if git tracked it (a move
    within the run may remove a file git never saw).
    """
    wanted = [root.resolve() / p for p in relpaths]
    gone = [str(p) for p in wanted if not p.exists()]
    tracked: set[str] = set()
    if gone:
        listed = _git(root, "ls-files", "--full-name", "-z", "--", *gone).stdout
        tracked = set(listed.split("\0"))
    top = Path(_git(root, "rev-parse", "--show-toplevel").stdout.strip()).resolve()
    paths = [str(p) for p in wanted if p.exists() or p.relative_to(top).as_posix() in tracked]
    if not paths:
        raise StoreError("nothing to commit: the run's files are gone and git never had them")
    # The paths go on stdin, not the command line: a big run would pass its length limit.
    listing = "\0".join(paths)
    _git(root, "add", "--all", "--pathspec-from-file=-", "--pathspec-file-nul", stdin=listing)
    who = () if _git(root, "config", "user.email", check=False).stdout.strip() else _IDENTITY
    _git(
        root,
        *who,
        "commit",
        "--quiet",
        "--no-verify",
        "-m",
        message,
        "--only",
        "--pathspec-from-file=-",
        "--pathspec-file-nul",
        stdin=listing,
    )
    return _git(root, "rev-parse", "--short", "HEAD").stdout.strip()


def _git(
    root: Path, *args: str, check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run git in the archive's folder; StoreError with git's words when it fails."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as exc:
        raise StoreError(f"cannot run git: {exc.strerror or exc}; install git") from exc
    if check and done.returncode != 0:
        said = " ".join((done.stderr or done.stdout).split())[:300]
        raise StoreError(f"git {args[0]} failed in {root}: {said}")
    return done
