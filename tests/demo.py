"""`make demo`: sync from the local stand-in site into a fresh archive under build/."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.standin import StandIn

ARCHIVE = Path("build/demo-archive")


def main() -> int:
    """Start the stand-in, run the real CLI against it, show a few files, stop it."""
    shutil.rmtree(ARCHIVE, ignore_errors=True)
    scraper = Path(sys.executable).with_name("scraper")
    site = StandIn()
    with site.running() as base_url:
        print(f"stand-in site serving {base_url}")
        command = [
            str(scraper),
            "sync",
            "--archive",
            str(ARCHIVE),
            "--base-url",
            base_url,
            "--interval",
            "0",
            "--full",
            "--types",
            "release,speech,feature",
        ]
        print("$", " ".join(command), flush=True)
        code = subprocess.run(command, check=False).returncode
    files = sorted(ARCHIVE.rglob("*.md"))
    print(f"\n{len(files)} files written under {ARCHIVE}/; a few of them:")
    for path in files[:: max(1, len(files) // 4)][:4]:
        print(f"\n==> {path} <==")
        print("\n".join(path.read_text(encoding="utf-8").splitlines()[:14]))
    return code


if __name__ == "__main__":
    sys.exit(main())
