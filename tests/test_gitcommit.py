"""The daemon's git commit: exactly a run's files, whatever else is staged or changed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from scraper.daemon.gitcommit import commit_paths, is_work_tree
from scraper.errors import StoreError


def git(repo: Path, *args: str) -> str:
    """Run git in the repository; its output."""
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository whose `archive/` holds two committed files."""
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "user.email", "someone@example.org")
    git(tmp_path, "config", "user.name", "Someone")
    archive = tmp_path / "archive" / "releases"
    archive.mkdir(parents=True)
    for name in ("moved.md", "updated.md", "untouched.md"):
        (archive / name).write_text(f"{name}\n", encoding="utf-8")
    git(tmp_path, "add", "--all")
    git(tmp_path, "commit", "-q", "-m", "the archive")
    return tmp_path


def test_a_commit_holds_the_runs_files_and_leaves_what_the_user_staged(repo: Path) -> None:
    archive = repo / "archive"
    (repo / "staged.txt").write_text("the user's, staged\n", encoding="utf-8")
    git(repo, "add", "staged.txt")
    (archive / "releases" / "untouched.md").write_text("edited by hand\n", encoding="utf-8")
    (archive / "releases" / "moved.md").unlink()  # the run moved it ...
    (archive / "releases" / "new-path.md").write_text("moved\n", encoding="utf-8")  # ... here
    (archive / "releases" / "updated.md").write_text("updated\n", encoding="utf-8")
    run = ["releases/moved.md", "releases/new-path.md", "releases/updated.md"]
    commit_paths(archive, run, "1 added, 1 updated (scraper sync)")
    shown = git(repo, "show", "--name-status", "--format=%s", "HEAD").split("\n")
    assert shown[0] == "1 added, 1 updated (scraper sync)"
    assert sorted(line.split("\t") for line in shown[1:] if "\t" in line) == [
        ["A", "archive/releases/new-path.md"],
        ["D", "archive/releases/moved.md"],
        ["M", "archive/releases/updated.md"],
    ]
    assert git(repo, "diff", "--cached", "--name-only").split() == ["staged.txt"]
    assert git(repo, "diff", "--name-only").split() == ["archive/releases/untouched.md"]


def test_a_file_written_and_removed_within_a_run_is_nothing_to_commit(repo: Path) -> None:
    archive = repo / "archive"
    with pytest.raises(StoreError, match="nothing to commit"):
        commit_paths(archive, ["releases/never-seen-by-git.md"], "0 added (scraper sync)")
    assert git(repo, "rev-list", "--count", "HEAD").strip() == "1"


def test_only_a_folder_in_a_repository_is_a_work_tree(
    repo: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = tmp_path_factory.mktemp("plain")
    # Keeps git from finding a repository in a folder above the test's own.
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(plain.parent))
    assert is_work_tree(repo / "archive") and not is_work_tree(plain)
