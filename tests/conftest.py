"""Fixtures shared by the test modules: the stand-in site, a no-wait settings file, an archive."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

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
