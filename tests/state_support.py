"""An archive whose state has rows in every table, made through the API as a sync would."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
from pathlib import Path

from scraper.archive.state import Finding, Learnt
from scraper.archive.store import Archive, RunRecord
from scraper.keep.pages import keeping
from scraper.keep.settings import KeepSettings
from scraper.net.source import Fetched

SEED = Path(__file__).parent.parent / "seeds"
SEED_FILE = "releases/2007/11/2007-11-20-north-korea-leads-peters-talks-washington.md"
SEED_URL = "https://www.beehive.govt.nz/release/north-korea-leads-peters-talks-washington"
WRITTEN_FILE = "releases/2030/01/2030-01-01-written-by-scraper.md"
WRITTEN_URL = "https://www.beehive.govt.nz/release/written-by-scraper"
INTENT_FILE = "releases/2030/01/2030-01-02-left-by-a-kill.md"
INTENT_URL = "https://www.beehive.govt.nz/release/left-by-a-kill"
NOW = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)


def seed_text() -> str:
    """The text of the seed release."""
    return (SEED / SEED_FILE).read_text(encoding="utf-8")


def synced_archive(root: Path) -> Path:
    """Make an archive at `root` with the seed release and a state with rows in every table."""
    shutil.copytree(SEED / "releases", root / "releases")
    bad = root / "releases" / "2020" / "01" / "2020-01-01-bad.md"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"no front matter")
    with Archive(root) as archive:
        archive.refresh_index()
        text = seed_text().replace(SEED_URL, WRITTEN_URL)
        archive.write(WRITTEN_FILE, text, WRITTEN_URL, dt.date(2030, 1, 1), NOW, incomplete=True)
        archive.put_validators(WRITTEN_URL, '"etag-1"', "Tue, 01 Jan 2030 00:00:00 GMT")
        archive.remember_node("https://www.beehive.govt.nz/node/1", WRITTEN_URL)
        archive.put_meta("listing_floor:release", "2030-01-01")
        archive.keep_pending(
            [("https://www.beehive.govt.nz/release/p", "release", NOW.isoformat(), "P")]
        )
        archive.save_robots("https://www.beehive.govt.nz/", "User-agent: *\nDisallow:\n")
        archive.record_run(RunRecord("sync", NOW, 1.5, 0, {"added": 1}, None))
        archive.put_learnt(
            {"releases/2007/11/x.md": Learnt("https://www.beehive.govt.nz/release/x", NOW.date())}
        )
        archive.mark_verified([WRITTEN_FILE], NOW.timestamp())
        archive.put_findings(
            [Finding(WRITTEN_FILE, WRITTEN_URL, ("changed",), "changed: differs: title")],
            [],
            NOW.timestamp(),
        )
        page = Fetched(WRITTEN_URL, 200, b"<html></html>", None, None, WRITTEN_URL)
        source = keeping(archive, KeepSettings(), [])(page, NOW.date())
        assert source is not None
        archive.note_source(WRITTEN_FILE, source)
        _killed_before_its_rename(archive, text.replace(WRITTEN_URL, INTENT_URL))
    return root


class _Killed(BaseException):
    """A kill of the process at this point, as far as the archive can tell."""


def _killed_before_its_rename(archive: Archive, text: str) -> None:
    """A write a kill cut off before its rename: it leaves its intent, and no file."""

    def killed(*_args: object, **_options: object) -> None:
        raise _Killed

    real = os.replace
    os.replace = killed
    try:
        archive.write(INTENT_FILE, text, INTENT_URL, dt.date(2030, 1, 2), NOW, source="<urn:x>")
    except _Killed:
        pass
    finally:
        os.replace = real


def state_file(root: Path) -> Path:
    """Where an archive's state database is."""
    return root / ".scraper" / "state.db"


def row_counts(path: Path) -> dict[str, int]:
    """How many rows each table of a state database holds (read without changing it)."""
    db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    finally:
        db.close()


def snapshot(root: Path) -> dict[str, tuple[bytes | None, int]]:
    """Every path under `root` (and root itself): its bytes (None for a folder) and mtime."""
    if not root.exists():
        return {}
    found: dict[str, tuple[bytes | None, int]] = {".": (None, root.stat().st_mtime_ns)}
    for folder, folders, files in os.walk(root):
        for name in folders:
            path = Path(folder) / name
            found[str(path.relative_to(root))] = (None, path.stat().st_mtime_ns)
        for name in files:
            path = Path(folder) / name
            found[str(path.relative_to(root))] = (path.read_bytes(), path.stat().st_mtime_ns)
    return found
