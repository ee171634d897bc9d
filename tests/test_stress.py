"""The stress run's own parts: the kill points, what a trial looks for, the table."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.stress.killpoint import CHILD
from tests.stress.kills import Counts
from tests.stress.look import look, state_whole
from tests.stress.run import discover, read_tally, table

ROOT = Path(__file__).resolve().parents[1]
RELEASE = (
    '---\ntitle: "A"\ndate: 2024-01-02\nurl: https://www.beehive.govt.nz/release/a\n---\n\nBody.'
)


def child(point: str, nth: int, code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `code` in a child armed at a kill point, as the trials run scraper."""
    armed = CHILD.split(" sys.argv = ")[0]
    return subprocess.run(
        [sys.executable, "-c", f"{armed}\n{code}", point, str(nth)],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "WORK": str(cwd)},
        capture_output=True,
        text=True,
        check=False,
    )


RENAMES = """
import os
for n in range(3):
    open(os.path.join(os.environ["WORK"], f"t{n}"), "w").close()
    os.replace(os.path.join(os.environ["WORK"], f"t{n}"), os.path.join(os.environ["WORK"], f"f{n}"))
"""


def test_a_kill_point_kills_at_the_nth_rename_before_or_after_it(tmp_path: Path) -> None:
    before = child("tmp-written", 2, RENAMES, tmp_path)
    assert before.returncode == -9
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f0", "t1"]
    for path in tmp_path.iterdir():
        path.unlink()
    after = child("renamed", 2, RENAMES, tmp_path)
    assert after.returncode == -9
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f0", "f1"]


COMMITS = """
import os, sqlite3
db = sqlite3.connect(os.path.join(os.environ["WORK"], "s.db"), isolation_level=None)
db.execute("CREATE TABLE t (n)")
for n in range(3):
    db.execute("BEGIN"); db.execute("INSERT INTO t VALUES (?)", (n,)); db.execute("COMMIT")
"""


def test_a_kill_point_kills_in_a_commit_and_counts_when_unarmed(tmp_path: Path) -> None:
    killed = child("commit", 2, COMMITS, tmp_path)
    assert killed.returncode == -9
    db = sqlite3.connect(tmp_path / "s.db")
    assert db.execute("SELECT n FROM t").fetchall() == [(0,)]  # the second never committed
    db.close()
    (tmp_path / "s.db").unlink()
    counted = child("commit", 0, COMMITS, tmp_path)
    assert counted.returncode == 0 and "killpoint-count commit 3" in counted.stderr


def test_a_look_finds_litter_unreadable_files_and_urls_held_twice(tmp_path: Path) -> None:
    folder = tmp_path / "releases" / "2024" / "01"
    folder.mkdir(parents=True)
    (folder / "2024-01-02-a.md").write_text(RELEASE, encoding="utf-8")
    (folder / "2024-01-02-a--0123abcd.md").write_text(RELEASE, encoding="utf-8")
    (folder / "2024-01-02-b.md").write_text(RELEASE[:30], encoding="utf-8")
    (folder / ".2024-01-02-c.md.0123abcd.tmp").write_text(RELEASE, encoding="utf-8")
    seen = look(tmp_path)
    assert seen.duplicated == {"https://www.beehive.govt.nz/release/a"}
    assert seen.unreadable == ["releases/2024/01/2024-01-02-b.md"]
    assert [p.name for p in seen.temps] == [".2024-01-02-c.md.0123abcd.tmp"]


def test_a_damaged_state_fails_the_integrity_check(tmp_path: Path) -> None:
    state = tmp_path / ".scraper" / "state.db"
    state.parent.mkdir()
    db = sqlite3.connect(state)
    db.execute("CREATE TABLE t (n)")
    db.executemany("INSERT INTO t VALUES (?)", [(str(n) * 500,) for n in range(200)])
    db.commit()
    db.close()
    assert state_whole(tmp_path)
    data = bytearray(state.read_bytes())
    data[4096 + 100 : 4096 + 300] = b"\xff" * 200  # a page of the table's b-tree
    state.write_bytes(bytes(data))
    assert not state_whole(tmp_path)


def test_the_table_counts_what_went_wrong_and_peaks_over_their_bounds(tmp_path: Path) -> None:
    lines = [
        {"row": "kills", "trials": 10, "lost": 0, "partial": 0, "duplicated": 0},
        {"row": "kills", "trials": 5, "lost": 1, "partial": 0, "duplicated": 0},
        {"row": "faults", "cases": 4, "wrong_files": 0},
        {"row": "memory", "case": "big page", "peak_mib": 80.0, "bound_mib": 100},
        {"row": "memory", "case": "huge feed", "peak_mib": 120.5, "bound_mib": 100},
        {"row": "memory", "case": "bomb", "peak_mib": 200.0, "bound_mib": 400},
        {"row": "warc-kills", "trials": 3, "torn": 2, "unreadable": 0, "sync_failed": 1},
    ]
    tally = tmp_path / "tally.jsonl"
    tally.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    shown, bad = table(read_tally(tally))
    text = "\n".join(shown)
    assert "15 kills: 1 files lost, 0 partial, 0 duplicated" in text
    assert "4 cases: 0 wrong files written" in text
    assert "largest bomb 200.0 MiB (bound 400)" in text
    assert "nearest its bound huge feed 120.5 MiB (bound 100); 1 of 3 cases over" in text
    assert "3 kills: 0 unreadable WARC files" in text and "1 failed syncs after" in text
    assert "2 torn ends cut off on the next open" in text
    assert "hostile archives   not run (no part counted it)" in text
    assert bad == 3  # the lost file, the peak over its bound, the sync after WARC kills


def test_a_file_a_kill_left_unrecorded_as_this_tools_own_is_a_bad_count(tmp_path: Path) -> None:
    assert Counts(trials=3, litter=2).bad() == 0
    assert Counts(trials=3, litter=2, unrecorded=1).bad() == 1
    lines = [{"row": "kills", "trials": 4, "lost": 0, "litter": 2, "unrecorded": 1}]
    tally = tmp_path / "tally.jsonl"
    tally.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    shown, bad = table(read_tally(tally))
    assert "1 files no longer recorded as this tool's own" in "\n".join(shown)
    assert bad == 1


def test_modules_that_run_as_programs_are_found_and_helpers_are_not(tmp_path: Path) -> None:
    (tmp_path / "memory.py").write_text(
        'def main() -> int:\n    return 0\n\nif __name__ == "__main__":\n    main()\n'
    )
    (tmp_path / "helper.py").write_text("def main() -> int:\n    return 0\n")
    (tmp_path / "kills.py").write_text(
        'def main() -> int:\n    return 0\n\nif __name__ == "__main__":\n    main()\n'
    )
    assert discover(tmp_path) == ["memory"]
