"""Fixtures shared by the test modules: the stand-in site, a no-wait settings file, an archive."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import INSTALL_HINT, find_chromium
from tests.standin import StandIn
from tests.support import NO_WAIT


@pytest.fixture
def site() -> Iterator[StandIn]:
    """A fresh stand-in site, running."""
    stand_in = StandIn()
    with stand_in.running():
        yield stand_in


@pytest.fixture(scope="session")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A settings file under which retries and request spacing wait for nothing."""
    path = tmp_path_factory.mktemp("config") / "scraper.toml"
    path.write_text(NO_WAIT, encoding="utf-8")
    return path


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """Where a new archive goes (not created yet)."""
    return tmp_path / "archive"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Where a browser is required (CI), its absence fails the run, not a quiet skip."""
    if os.environ.get("SCRAPER_REQUIRE_BROWSER") and find_chromium() is None:
        raise pytest.UsageError(
            f"SCRAPER_REQUIRE_BROWSER is set but no Chromium is found: {INSTALL_HINT}"
        )
