"""`make demo`: sync from a local stand-in of the site into build/demo-archive.

The first run starts a new archive with a full backfill; every later run is the everyday
incremental sync, which finds nothing new with one request. Nothing leaves this machine.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
from pathlib import Path

from scraper.archive.store import STATE_DIR, Archive
from scraper.sync.finder import BACKFILL
from tests.standin import StandIn

ARCHIVE = Path("build/demo-archive")
#: A fixed port, so that the second run's conditional request meets the first run's
#: validators (they are kept per site address); another one when it is taken.
PORT = int(os.environ.get("DEMO_PORT", "8787"))
TYPES = "release,speech,feature"


def main() -> int:
    """Start the stand-in, run the real CLI against it, show what it did, stop it."""
    first = _backfill_due()
    site = StandIn()
    with site.running(port=_free(PORT)) as base_url:
        print(
            f"A local stand-in of www.beehive.govt.nz is serving {base_url}: recorded real"
            " pages (tests/standin/); no request leaves this machine."
        )
        if first:
            print(f"\nA backfill into {ARCHIVE}/ from every listing (the first run).")
        else:
            print(f"\n{ARCHIVE}/ exists: the everyday sync, which asks only for the feed.")
        code = _sync(base_url, first)
    if first:
        _show_files()
        print("\nRun `make demo` again: the sync finds nothing new, with one request.")
    print(
        "\nTo keep an archive of the real site: .venv/bin/scraper sync --init --archive DIR"
        " (README: Quick start, and 'When the site blocks plain HTTP clients')."
        f"\nTo start the demo afresh: rm -r {ARCHIVE}"
    )
    return code


def _sync(base_url: str, first: bool) -> int:
    """Run `scraper sync` against the stand-in and return its exit code."""
    scraper = Path(sys.executable).with_name("scraper")
    extra = ["--init", "--full"] if first else []  # --init: nothing if the archive exists
    command = [
        str(scraper),
        "sync",
        *extra,
        "--archive",
        str(ARCHIVE),
        "--base-url",
        base_url,
        "--interval",
        "0",
        "--types",
        TYPES,
    ]
    print("$", " ".join(command), flush=True)
    return subprocess.run(command, check=False).returncode


def _backfill_due() -> bool:
    """Whether the demo archive still lacks a whole backfill (none yet, or one cut short)."""
    if not (ARCHIVE / STATE_DIR).is_dir():
        return True
    with Archive.read_only(ARCHIVE) as state:
        return state.get_meta(BACKFILL) is not None


def _show_files() -> None:
    """Print the start of a few of the files written."""
    files = sorted(ARCHIVE.rglob("*.md"))
    print(f"\n{len(files)} files under {ARCHIVE}/; a few of them:")
    for path in files[:: max(1, len(files) // 4)][:4]:
        print(f"\n==> {path} <==")
        print(_preview(path.read_text(encoding="utf-8")))


def _preview(text: str) -> str:
    """A file's front matter whole, then the start of its body (long lists make it long)."""
    _, front, body = text.split("---\n", 2)
    lines = [line for line in body.splitlines() if line.strip()][:3]
    shown = [line if len(line) <= 96 else line[:95] + "…" for line in lines]
    return "\n".join(["---", front.rstrip("\n"), "---", *shown, "…"])


def _free(port: int) -> int:
    """`port` when nothing listens on it, else 0 (any free port)."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            print(f"(port {port} is taken; using another, so this run fetches the feed anew)")
            return 0
    return port


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        # The sync, if it was running, has said what it kept; nothing more to add.
        sys.exit(130)
