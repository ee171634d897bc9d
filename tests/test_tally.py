"""The stress table's counts: appended only when a stress run names a file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.tally import TALLY_ENV, tally


def test_tally_appends_a_line_per_call(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "tally.jsonl"
    monkeypatch.setenv(TALLY_ENV, str(target))
    tally("faults", cases=1, wrong_files=0)
    tally("faults", cases=1, wrong_files=2)
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert lines == [
        {"row": "faults", "cases": 1, "wrong_files": 0},
        {"row": "faults", "cases": 1, "wrong_files": 2},
    ]


def test_tally_writes_nothing_outside_a_stress_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TALLY_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    tally("faults", cases=1)
    assert list(tmp_path.iterdir()) == []
