"""Golden pages: a recorded page, and the archive file expected from it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from scraper.archive.document import dumps, loads
from tests.standin.model import LISTED, Item, build_items
from tests.standin.page import render_page

FIXTURES = Path(__file__).parent / "fixtures"
PAGES = FIXTURES / "pages"
EXPECTED = FIXTURES / "expected"
RESTORED = FIXTURES / "restored"
NZ = ZoneInfo("Pacific/Auckland")

#: Pages with no <time>: the date a listing gives (the stand-in site shows the same).
LISTING_DATES = {slug: when.astimezone(NZ).date() for slug, when in LISTED.items()}


@dataclass(frozen=True)
class Golden:
    """One recorded page and the file expected from it."""

    name: str
    record: dict[str, object]
    #: None when the page has neither an archive twin nor a reviewed file: a failing test.
    expected_text: str | None

    @property
    def expected(self) -> str:
        """The expected file text; a page without one fails its tests."""
        if self.expected_text is None:
            raise AssertionError(f"no expected file for {self.name}: add {EXPECTED}/{self.name}.md")
        return self.expected_text

    @property
    def main_column(self) -> str:
        """The main column as the stand-in site serves it (lost no-break spaces restored)."""
        return _served()[self.url].main

    @property
    def url(self) -> str:
        """The release URL the record holds."""
        return str(self.record["url"])

    @property
    def fallback_date(self) -> dt.date | None:
        """The listing date for an undated page, else None."""
        return LISTING_DATES.get(str(self.record["id"]))

    @property
    def exact(self) -> bool:
        """Whether the body can be compared byte for byte: the page as served is known.

        It is when its lost no-break spaces were restored, or when the expected file has
        none to lose.
        """
        return (RESTORED / f"{self.name}.html").exists() or "\u00a0" not in self.expected

    def whole_page(self) -> str:
        """The whole page as the stand-in site serves it: head, navigation, sidebar, footer."""
        return render_page(_served()[self.url])


@functools.cache
def _served() -> dict[str, Item]:
    """The stand-in site's recorded pages, by public URL."""
    return {item.public_url: item for item in build_items(with_derived=False)}


def comparable(text: str) -> str:
    """File text with no-break spaces read as spaces: the records lost them (fixtures/README).

    In a quoted title the twin has the escape \\u00a0 where the recorded page has a space.
    """
    return text.replace("\u00a0", " ").replace("\\u00a0", " ")


def record_date(record: dict[str, object]) -> dt.date | None:
    """The New Zealand date of a record's UTC instant, or None when it had no <time>."""
    stamp = str(record.get("time") or "")
    if not stamp or stamp.startswith("0001-"):
        return None
    instant = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return instant.astimezone(NZ).date()


def corrected_twin(record: dict[str, object], twin: str) -> str:
    """The archive's twin with the deliberate corrections applied, and nothing else."""
    release = loads(twin, source="twin")
    date = record_date(record) or LISTING_DATES[str(record["id"])]
    return dumps(dataclasses.replace(release, date=date, url=str(record["url"])))


def goldens() -> Iterator[Golden]:
    """Every recorded page with its expected file (a reviewed one wins over the twin)."""
    for path in sorted(PAGES.glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        twin = path.with_suffix(".md")
        reviewed = EXPECTED / f"{path.stem}.md"
        expected: str | None
        if reviewed.exists():
            expected = reviewed.read_text(encoding="utf-8")
        elif twin.exists():
            expected = corrected_twin(record, twin.read_text(encoding="utf-8"))
        else:
            expected = None
        yield Golden(path.stem, record, expected)
