"""The system's Chromium, driven headless by Playwright (which never downloads a browser here).

Shared by the report's browser test and `make report-demo`.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser

#: Debian's package, and the names other systems give it.
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "/usr/bin/chromium")
#: Flags that let Chromium run headless as root in a container, and keep it off the network.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = "install Debian's chromium (apt-get install chromium), as .ci/run does"


def find_chromium() -> Path | None:
    """The Chromium binary on this machine, or None."""
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium (a fresh profile each time); RuntimeError when there is none."""
    from playwright.sync_api import sync_playwright

    binary = find_chromium()
    if binary is None:
        raise RuntimeError(f"no Chromium found: {INSTALL_HINT}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=binary, headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()
