"""`make demo`, the README's first command: a backfill, then the one-request everyday sync."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    """A port nothing listens on now."""
    with contextlib.closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _demo(cwd: Path, port: int) -> str:
    """Run the demo in `cwd` and return what it printed."""
    env = {**os.environ, "DEMO_PORT": str(port), "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "tests.demo"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_the_demo_backfills_then_finds_nothing_new_with_one_request(tmp_path: Path) -> None:
    port = _free_port()
    first = _demo(tmp_path, port)
    assert "no request leaves this machine" in first and "sync --init --full" in first
    files = list((tmp_path / "build" / "demo-archive").rglob("*.md"))
    assert len(files) > 100
    assert f"added {len(files)}, updated 0" in first
    second = _demo(tmp_path, port)
    assert "added 0, updated 0, unchanged 0, failed 0" in second
    assert "; 1 request in " in second and "--full" not in second
    assert "scraper sync --init --archive DIR" in second
