"""`make report-demo`: the report of the demo archive, and a screenshot of it in Chromium.

Writes build/report.html with the real CLI (`scraper report`), then build/report.png as
headless Chromium shows the whole page. `make demo` makes the demo archive first.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.browser import chromium
from tests.demo import ARCHIVE

PAGE = Path("build/report.html")
SCREENSHOT = Path("build/report.png")


def main() -> int:
    """Write the page with the CLI, then screenshot it; say where both are."""
    if not ARCHIVE.is_dir():
        print(f"{ARCHIVE}/ does not exist: run `make demo` first", file=sys.stderr)
        return 1
    scraper = Path(sys.executable).with_name("scraper")
    command = [str(scraper), "report", "--archive", str(ARCHIVE), "--output", str(PAGE)]
    print("$", " ".join(command), flush=True)
    code = subprocess.run(command, check=False).returncode
    if code != 0:
        return code
    try:
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(PAGE.resolve().as_uri())
            page.screenshot(path=str(SCREENSHOT), full_page=True)
    except RuntimeError as exc:
        print(f"{PAGE} is written; no screenshot: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {PAGE} and {SCREENSHOT} (the page as headless Chromium shows it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
