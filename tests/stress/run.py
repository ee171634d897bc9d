"""`make stress`: run every stress part, then print the table of what they counted.

``python -m tests.stress.run [--short]`` runs, each with SCRAPER_STRESS_TALLY naming one
temporary file where the parts append their counts (`tests/tally.py`): the kill trials;
pytest on the fault, hostile-archive and fuzz tests that exist (SCRAPER_FUZZ_EXAMPLES
inputs per property); then every other `tests/stress/` module that runs as a program.
It exits 1 when a part failed, a bad count is not 0, or a peak is over its bound.
`--short` (about 2 minutes) is what CI runs; it sets SCRAPER_STRESS_SHORT=1 for the parts.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.tally import TALLY_ENV

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
#: The pytest parts, in the order they run; the ones not here yet are skipped.
TESTS = ("tests/test_faults.py", "tests/test_hostile.py", "tests/test_fuzz.py")
#: Modules here that are not parts to run: this runner, the kill trials (run first), helpers.
NOT_PARTS = frozenset({"__init__", "run", "kills"})
FUZZ_EXAMPLES = {"full": "2000", "short": "100"}
KILLS = {"full": ["--trials", "100"], "short": ["--trials", "20", "--pages", "60"]}


@dataclass
class Part:
    """One part of the run: what it ran, how it ended, how long it took."""

    name: str
    status: str
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        """Whether the part ran and failed."""
        return self.status.startswith("FAILED")


def discover(folder: Path = HERE) -> list[str]:
    """Modules of `folder` that run as programs (a `main` and an `if __name__` block)."""
    found = []
    for path in sorted(folder.glob("*.py")):
        if path.stem in NOT_PARTS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        runs = any(isinstance(n, ast.If) and "__main__" in ast.unparse(n.test) for n in tree.body)
        if "main" in names and runs:
            found.append(path.stem)
    return found


def run_part(name: str, command: list[str], env: Mapping[str, str]) -> Part:
    """Run one part with its output shown as it comes."""
    print(f"\n== {name}: {' '.join(command[1:])}", flush=True)
    began = time.monotonic()
    code = subprocess.run(command, cwd=ROOT, env=dict(env), check=False).returncode
    seconds = time.monotonic() - began
    return Part(name, "ok" if code == 0 else f"FAILED (exit {code})", seconds)


def run_all(mode: str, env: Mapping[str, str]) -> list[Part]:
    """Every part in turn: kills, the pytest parts, the discovered modules."""
    py = sys.executable
    parts = [run_part("kills", [py, "-m", "tests.stress.kills", *KILLS[mode]], env)]
    present = [t for t in TESTS if (ROOT / t).exists()]
    for missing in sorted(set(TESTS) - set(present)):
        parts.append(Part(missing, "skipped: not in this tree yet"))
    if present:
        pytest = [py, "-m", "pytest", "-q", "-p", "no:logging", "-p", "no:cacheprovider"]
        parts.append(run_part("pytest", [*pytest, *present], env))
    for module in discover():
        parts.append(run_part(module, [py, "-m", f"tests.stress.{module}"], env))
    return parts


def read_tally(path: Path) -> dict[str, list[dict[str, Any]]]:
    """The tally lines, grouped by row."""
    rows: dict[str, list[dict[str, Any]]] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                rows.setdefault(str(record.pop("row")), []).append(record)
    return rows


def summed(records: Iterable[Mapping[str, Any]]) -> dict[str, float]:
    """The numeric counts of a row's records, added up."""
    total: dict[str, float] = {}
    for record in records:
        for key, value in record.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                total[key] = total.get(key, 0) + value
    return total


#: Each summed row: its label, the count of what was tried, and the counts that must be 0.
SUMMED = {
    "kills": (
        "kill trials",
        ("trials", "kills"),
        (
            ("lost", "files lost"),
            ("partial", "partial"),
            ("duplicated", "duplicated"),
            ("different", "different"),
            ("verify_bad", "new verify findings"),
            ("state_bad", "damaged states"),
            ("failed_runs", "failed runs"),
            ("unrecorded", "files no longer recorded as this tool's own"),
        ),
    ),
    "faults": ("network faults", ("cases", "cases"), (("wrong_files", "wrong files written"),)),
    "hostile": (
        "hostile archives",
        ("cases", "cases"),
        (("outside_writes", "writes outside the archive"),),
    ),
    "fuzz": ("parser fuzzing", ("inputs", "inputs"), (("unexpected", "unexpected exceptions"),)),
    "warc-kills": (
        "WARC kills",
        ("trials", "kills"),
        (
            ("unreadable", "unreadable WARC files"),
            ("duplicated", "duplicated index rows"),
            ("dangling", "dangling index rows"),
            ("sync_failed", "failed syncs after"),
        ),
    ),
    "disk": (
        "full disk",
        ("cases", "cases"),
        (
            ("unreported", "not reported"),
            ("partial", "partial files"),
            ("state_bad", "damaged states"),
            ("incomplete", "incomplete once room was made"),
        ),
    ),
}


#: Counts shown after a row's checks that say what happened, not that anything went wrong.
INFO = {
    "kills": (("litter", "temporary files left by kills (tidied)"),),
    "warc-kills": (("torn", "torn ends cut off on the next open"),),
}


def table(rows: Mapping[str, list[dict[str, Any]]]) -> tuple[list[str], int]:
    """The table's lines and how many of its figures are bad."""
    lines, bad = [], 0
    for row, (label, (tried, noun), checks) in SUMMED.items():
        if row not in rows:
            lines.append(f"  {label:<18} not run (no part counted it)")
            continue
        total = summed(rows[row])
        shown = [f"{int(total.get(key, 0))} {words}" for key, words in checks]
        bad += sum(1 for key, _ in checks if total.get(key, 0))
        info = [f"{int(total[key])} {words}" for key, words in INFO.get(row, ()) if key in total]
        notes = sorted({str(r["skipped"]) for r in rows[row] if "skipped" in r})
        extra = f" (skipped: {'; '.join(notes)})" if notes else ""
        said = "; ".join([", ".join(shown), *([", ".join(info)] if info else [])])
        lines.append(f"  {label:<18} {int(total.get(tried, 0))} {noun}: {said}{extra}")
    memory_lines, memory_bad = _memory(rows.get("memory", []))
    lines.extend(memory_lines)
    bad += memory_bad
    for row in sorted(set(rows) - set(SUMMED) - {"memory"}):
        lines.append(f"  {row:<18} {summed(rows[row])}")
    return lines, bad


def _memory(records: list[dict[str, Any]]) -> tuple[list[str], int]:
    """The largest peak, the one nearest its bound, and how many are over their bounds."""
    if not records:
        return [f"  {'peak memory':<18} not run (no part counted it)"], 0
    over = [r for r in records if float(r["peak_mib"]) > float(r["bound_mib"])]
    largest = max(records, key=lambda r: float(r["peak_mib"]))
    nearest = max(records, key=lambda r: float(r["peak_mib"]) / float(r["bound_mib"]))
    line = (
        f"  {'peak memory':<18} largest {_peak(largest)}; nearest its bound {_peak(nearest)};"
        f" {len(over)} of {len(records)} cases over their bounds"
    )
    return [line], len(over)


def _peak(record: Mapping[str, Any]) -> str:
    """One case's peak and bound, for the table."""
    return (
        f"{record['case']} {float(record['peak_mib']):.1f} MiB"
        f" (bound {float(record['bound_mib']):.0f})"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the parts, print the table; 1 when anything failed or counted a loss."""
    parser = argparse.ArgumentParser(prog="python -m tests.stress.run", description=__doc__)
    parser.add_argument("--short", action="store_true", help="the quick run (about 2 minutes)")
    mode = "short" if parser.parse_args(argv).short else "full"
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="stress-") as work:
        tally_file = Path(work) / "tally.jsonl"
        env = {
            **os.environ,
            TALLY_ENV: str(tally_file),
            "SCRAPER_FUZZ_EXAMPLES": FUZZ_EXAMPLES[mode],
        }
        if mode == "short":
            env["SCRAPER_STRESS_SHORT"] = "1"
        parts = run_all(mode, env)
        lines, bad = table(read_tally(tally_file))
    minutes, seconds = divmod(round(time.monotonic() - began), 60)
    print(f"\nstress ({mode}) in {minutes} min {seconds:02d} s")
    print("\n".join(lines))
    print("parts: " + "; ".join(f"{p.name} {p.status} {p.seconds:.0f} s" for p in parts))
    failed = [p.name for p in parts if p.failed]
    if failed or bad:
        print(f"FAILED: {len(failed)} parts failed, {bad} bad figures")
        return 1
    print("every part that ran passed, and every figure that must be 0 is 0")
    return 0


if __name__ == "__main__":
    sys.exit(main())
