"""Run the real `scraper sync` as a child process; record its wall time, report and peak RSS."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.bench.common import BUILD, SCRAPER

CONFIG = BUILD / "bench.toml"
LOGS = BUILD / "logs"


@dataclass(frozen=True)
class SyncRun:
    """What one `scraper sync` run did."""

    argv: list[str]
    code: int
    seconds: float
    max_rss_kib: int
    stdout: str
    stderr: str
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def added(self) -> list[str]:
        """The relative paths the run added."""
        return [str(p) for p in self.report.get("added", [])]

    @property
    def requests(self) -> int:
        """The requests the run reports having made."""
        return int(self.report.get("requests", -1))

    def problem(self) -> str | None:
        """Why the run looks wrong (non-zero exit, no JSON report, failures), else None."""
        if not self.report:
            return f"exit {self.code}, no JSON report on stdout"
        if self.code != 0 or not self.report.get("ok", False):
            return f"exit {self.code}, ok={self.report.get('ok')}"
        return None


def config_file() -> Path:
    """A settings file that makes retries wait for nothing."""
    CONFIG.parent.mkdir(parents=True, exist_ok=True)
    CONFIG.write_text("[fetch]\nbackoff_initial = 0.0\n", encoding="utf-8")
    return CONFIG


def _parse(stdout: str) -> dict[str, Any]:
    """The --json report, or {} when stdout is not one."""
    try:
        report = json.loads(stdout)
    except ValueError:
        return {}
    return report if isinstance(report, dict) else {}


def _usage(path: Path) -> dict[str, Any]:
    """What `child_usage.py` recorded; exit code -1 and zeros when it recorded nothing."""
    try:
        usage: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"code": -1, "seconds": 0.0, "max_rss_kib": 0}
    return usage


def scraper_sync(archive: Path, base_url: str, *args: str, name: str = "sync") -> SyncRun:
    """Run `scraper sync --json` under `child_usage.py`, which measures only that process."""
    argv = [str(SCRAPER), "sync", "--init", "--archive", str(archive), "--base-url", base_url]
    argv += ["--interval", "0", "--json", "--config", str(config_file()), *args]
    return scraper_run(argv, name)


def scraper_run(argv: list[str], name: str) -> SyncRun:
    """Run a scraper command under `child_usage.py`; its output is kept in build/bench/logs."""
    LOGS.mkdir(parents=True, exist_ok=True)
    out_path, err_path, usage_path = (LOGS / f"{name}.{ext}" for ext in ("out", "err", "usage"))
    usage_path.unlink(missing_ok=True)
    wrapper = [sys.executable, str(Path(__file__).with_name("child_usage.py")), str(usage_path)]
    with out_path.open("wb") as out, err_path.open("wb") as err:
        subprocess.run(wrapper + argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
    stdout = out_path.read_text(encoding="utf-8", errors="replace")
    stderr = err_path.read_text(encoding="utf-8", errors="replace")
    usage = _usage(usage_path)
    return SyncRun(
        argv,
        int(usage["code"]),
        float(usage["seconds"]),
        int(usage["max_rss_kib"]),
        stdout,
        stderr,
        _parse(stdout),
    )


def describe_failure(run: SyncRun) -> list[str]:
    """Lines that show a misbehaving run: the command, the exit, the output's tail."""
    lines = [f"command: {' '.join(run.argv)}", f"exit code: {run.code}"]
    lines += [f"stdout: {line}" for line in run.stdout.strip().splitlines()[-15:]]
    lines += [f"stderr: {line}" for line in run.stderr.strip().splitlines()[-15:]]
    return lines
