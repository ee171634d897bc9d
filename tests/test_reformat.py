"""Tests for scraper.archive.reformat (``scraper format``) and scraper.archive.atomic."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from scraper.archive.atomic import atomic_write
from scraper.archive.document import is_canonical
from scraper.archive.reformat import FileProblem, format_paths, iter_markdown_files
from scraper.errors import StoreError

ARCHIVE = Path(__file__).parent / "fixtures" / "archive"
CANONICAL = "2007-10-10-major-health-milestone-reached.md"
TE_ARAWHITI = "2018-05-25-government-mourns-passing-kingi-taurua.md"
NESTED_LIST = "2001-11-02-genetic-modification.md"

OLD = 1_000_000_000  # an mtime in 2001: any rewrite would change it


def build_tree(root: Path) -> dict[str, Path]:
    """An archive folder with canonical, non-canonical and unreadable files."""
    releases = root / "releases"
    (releases / "2007" / "10").mkdir(parents=True)
    (releases / "2018" / "05").mkdir(parents=True)
    (releases / "2001" / "11").mkdir(parents=True)
    (releases / "bad").mkdir()
    files = {
        "canonical": releases / "2007" / "10" / CANONICAL,
        "te_arawhiti": releases / "2018" / "05" / TE_ARAWHITI,
        "nested": releases / "2001" / "11" / NESTED_LIST,
        "bom": releases / "2007" / "10" / "bom.md",
        "crlf": releases / "2007" / "10" / "crlf.md",
        "trailing_newline": releases / "2007" / "10" / "trailing.md",
        "latin1": releases / "bad" / "latin1.md",
        "no_front_matter": releases / "bad" / "plain.md",
        "broken_yaml": releases / "bad" / "broken.md",
    }
    shutil.copy(ARCHIVE / CANONICAL, files["canonical"])
    shutil.copy(ARCHIVE / TE_ARAWHITI, files["te_arawhiti"])
    shutil.copy(ARCHIVE / NESTED_LIST, files["nested"])
    good = (ARCHIVE / CANONICAL).read_bytes()
    files["bom"].write_bytes(b"\xef\xbb\xbf" + good)
    files["crlf"].write_bytes(good.replace(b"\n", b"\r\n"))
    files["trailing_newline"].write_bytes(good + b"\n")
    files["latin1"].write_bytes(b'---\ntitle: "M\xe2ori"\ndate: 2020-01-01\nurl: u\n---\n\nx')
    files["no_front_matter"].write_bytes(b"# Just Markdown\n\nNo front matter here.")
    files["broken_yaml"].write_bytes(b'---\ntitle: "unclosed\ndate: 2020-01-01\nurl: u\n---\n\nx')
    (releases / "notes.txt").write_bytes(b"not markdown")
    for path in [*files.values(), releases / "notes.txt"]:
        os.utime(path, ns=(OLD * 10**9, OLD * 10**9))
    return files


def snapshot(root: Path) -> dict[Path, tuple[bytes, int]]:
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


NON_CANONICAL = ("te_arawhiti", "nested", "bom", "crlf", "trailing_newline")
UNREADABLE = {
    "latin1": "not UTF-8 (byte 0xe2 at offset 13)",
    "no_front_matter": "no front matter",
    "broken_yaml": "broken YAML",
}


def test_check_lists_non_canonical_and_unreadable_files_and_writes_nothing(
    tmp_path: Path,
) -> None:
    files = build_tree(tmp_path)
    before = snapshot(tmp_path)
    report = format_paths([tmp_path], check=True)
    assert snapshot(tmp_path) == before
    assert report.checked == len(files)
    assert report.not_canonical == tuple(sorted(files[k] for k in NON_CANONICAL))
    assert report.rewritten == ()
    assert [p.path for p in report.unreadable] == sorted(files[k] for k in UNREADABLE)
    for problem in report.unreadable:
        key = next(k for k in UNREADABLE if files[k] == problem.path)
        assert UNREADABLE[key] in problem.reason
        assert str(problem.path) not in problem.reason


def test_fix_rewrites_only_non_canonical_files(tmp_path: Path) -> None:
    files = build_tree(tmp_path)
    before = snapshot(tmp_path)
    report = format_paths([tmp_path], check=False)
    after = snapshot(tmp_path)

    assert report.not_canonical == report.rewritten
    assert report.rewritten == tuple(sorted(files[k] for k in NON_CANONICAL))
    for key, path in files.items():
        if key in NON_CANONICAL:
            assert after[path] != before[path]
            assert is_canonical(path.read_bytes().decode("utf-8"))
        else:  # canonical and unreadable files are untouched, mtime included
            assert after[path] == before[path]
    good = (ARCHIVE / CANONICAL).read_bytes()
    for key in ("bom", "crlf", "trailing_newline"):
        assert files[key].read_bytes() == good
    assert b'  - "M\xc4\x81ori Crown Relations: Te Arawhiti"\n' in files["te_arawhiti"].read_bytes()
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]

    again = format_paths([tmp_path], check=True)
    assert again.not_canonical == ()
    assert len(again.unreadable) == len(UNREADABLE)


def test_fix_keeps_the_file_mode(tmp_path: Path) -> None:
    path = tmp_path / TE_ARAWHITI
    shutil.copy(ARCHIVE / TE_ARAWHITI, path)
    path.chmod(0o640)
    format_paths([path], check=False)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_missing_paths_are_reported_not_fatal(tmp_path: Path) -> None:
    shutil.copy(ARCHIVE / CANONICAL, tmp_path / CANONICAL)
    missing = tmp_path / "nope.md"
    report = format_paths([missing, tmp_path], check=True)
    assert report.checked == 2
    assert report.unreadable == (
        FileProblem(missing, "cannot be read (No such file or directory)"),
    )
    assert report.not_canonical == ()


def test_iter_markdown_files(tmp_path: Path) -> None:
    for rel in ("b/2.md", "b/1.md", "a/z/9.md", "a/0.md", "a/x.txt", "c.md"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    given_file = tmp_path / "a" / "x.txt"
    found = list(iter_markdown_files([given_file, tmp_path, tmp_path / "b"]))
    assert found == [
        given_file,  # a file is taken as given, whatever its name
        tmp_path / "a" / "0.md",
        tmp_path / "a" / "z" / "9.md",
        tmp_path / "b" / "1.md",
        tmp_path / "b" / "2.md",
        tmp_path / "c.md",
    ]
    assert list(iter_markdown_files([tmp_path / "missing"])) == [tmp_path / "missing"]


# ---------------------------------------------------------------------------
# atomic_write
# ---------------------------------------------------------------------------


def test_atomic_write_creates_and_replaces(tmp_path: Path) -> None:
    path = tmp_path / "f.md"
    atomic_write(path, b"one")
    assert path.read_bytes() == b"one"
    path.chmod(0o600)
    atomic_write(path, b"two")
    assert path.read_bytes() == b"two"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["f.md"]


@pytest.mark.parametrize("failing", ["replace", "fsync", "write"])
def test_atomic_write_failure_leaves_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    path = tmp_path / "f.md"
    path.write_bytes(b"old")

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, boom)
    with pytest.raises(StoreError, match=r"f\.md: could not write the file \(No space left"):
        atomic_write(path, b"new")
    monkeypatch.undo()
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.md"]


def test_atomic_write_into_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="missing"):
        atomic_write(tmp_path / "missing" / "f.md", b"x")


def test_fix_stops_on_write_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / TE_ARAWHITI
    shutil.copy(ARCHIVE / TE_ARAWHITI, path)
    before = path.read_bytes()

    def boom(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(StoreError):
        format_paths([tmp_path], check=False)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [TE_ARAWHITI]
