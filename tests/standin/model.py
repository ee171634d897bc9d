"""The site's content: items loaded from recorded pages, plus a few test-made ones."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tests.standin.clock import nz_day, parse_record_time, utc_now
from tests.standin.governments import UNDATED_GOVERNMENT, government_of
from tests.standin.markup import retime, retitle

PUBLIC_ORIGIN = "https://www.beehive.govt.nz"
#: How absolute links name the site: `public` (www.beehive.govt.nz) or `own` (the stand-in's URL).
LINK_MODES: tuple[str, ...] = ("public", "own")
DEFAULT_PAGES = Path(__file__).resolve().parent.parent / "fixtures" / "pages"
KINDS: tuple[str, ...] = ("release", "speech", "feature")
#: Search facet value of each content type.
TYPE_FACETS: dict[str, str] = {"article": "release", "speech": "speech", "feature": "feature"}
LABELS: dict[str, str] = {"release": "Release", "speech": "Speech", "feature": "Feature"}
SECTIONS: dict[str, str] = {"release": "releases", "speech": "speeches", "feature": "features"}
NODE_BASE = 100_001
#: Last-Modified of undated items (they have no date of their own).
UNDATED_CHANGED = dt.datetime(2009, 1, 1, tzinfo=dt.UTC)
#: The date a listing shows for a page that has no <time> of its own (the site's search index
#: keeps an issue date even where the page prints none). Shared with the golden tests.
LISTED: dict[str, dt.datetime] = {
    "challenge-laid-new-zealands-digital-future": dt.datetime(2007, 5, 2, 22, tzinfo=dt.UTC),
}
#: TEST-MADE items: (content type, slug of the release fixture they copy). Not real pages.
DERIVED: tuple[tuple[str, str], ...] = (
    ("speech", "government-app-launched-today"),
    ("speech", "t%C4%81maki-makaurau-election-date-set"),
    ("speech", "education-wellbeing-budget-2019"),
    ("feature", "uae-deal-passes-unlocking500-billionmarket"),
    ("feature", "pm-welcomes-police-decision-letter-regret"),
)


@dataclasses.dataclass(frozen=True)
class Item:
    """One page of the site."""

    kind: str
    slug: str
    node_id: int
    when: dt.datetime | None
    title: str
    main: str
    attachments: tuple[str, ...] = ()
    government: int = UNDATED_GOVERNMENT
    changed: dt.datetime = UNDATED_CHANGED
    test_made: bool = False
    #: What listings show as the date: the page's own time, else the index's issue date.
    listed: dt.datetime | None = None

    @property
    def path(self) -> str:
        """Return the path as served, percent-encoded: `/release/<slug>`."""
        return f"/{self.kind}/{self.slug}"

    @property
    def public_url(self) -> str:
        """Return the page's URL on the public site."""
        return self.url_at(PUBLIC_ORIGIN)

    def url_at(self, origin: str) -> str:
        """Return the page's URL on a site (`scheme://host[:port]`, no trailing slash)."""
        return origin + self.path

    @property
    def key(self) -> str:
        """Return the decoded path, used to match requests."""
        return unquote(self.path)


@dataclasses.dataclass(frozen=True)
class Record:
    """The fields of a recorded page that the stand-in uses."""

    kind: str
    slug: str
    when: dt.datetime | None
    title: str
    main: str
    attachments: tuple[str, ...]


def government_for(when: dt.datetime | None) -> int:
    """Return the government facet id of an item's time."""
    return UNDATED_GOVERNMENT if when is None else government_of(nz_day(when))


def make_item(record: Record, node_id: int, test_made: bool = False) -> Item:
    """Build an item from a record."""
    # A page cannot have been saved after it was loaded: a record dated in the future (up to
    # 9999) keeps a Last-Modified that later changes can still move forward from.
    changed = UNDATED_CHANGED if record.when is None else min(record.when, utc_now())
    return Item(
        kind=record.kind,
        slug=record.slug,
        node_id=node_id,
        when=record.when,
        title=record.title,
        main=record.main,
        attachments=record.attachments,
        government=government_for(record.when),
        changed=changed,
        test_made=test_made,
        listed=record.when or LISTED.get(record.slug),
    )


def _record(raw: dict[str, object]) -> Record:
    """Turn one fixture JSON object into a record."""
    kind, _, slug = urlsplit(str(raw["url"])).path.strip("/").partition("/")
    attachments = raw.get("attachments") or []
    assert isinstance(attachments, list)
    time = raw.get("time")
    return Record(
        kind=kind,
        slug=slug,
        when=parse_record_time(time if isinstance(time, str) else None),
        title=str(raw["title"]).strip(),
        main=str(raw["content"]),
        attachments=tuple(str(a) for a in attachments),
    )


@functools.cache
def _read(files: tuple[tuple[Path, int], ...]) -> tuple[Record, ...]:
    """Read records from (file, modification time) pairs; cached while files are unchanged."""
    return tuple(
        _with_restored(f, _record(json.loads(f.read_text(encoding="utf-8")))) for f, _ in files
    )


def _with_restored(path: Path, record: Record) -> Record:
    """The record, serving its main column with lost no-break spaces put back when known.

    The records lost the page's no-break spaces (fixtures/README.md); `restored/` next to
    the pages folder holds the main columns as served, where they could be rebuilt.
    """
    restored = path.parent.parent / "restored" / f"{path.stem}.html"
    if not restored.exists():
        return record
    return dataclasses.replace(record, main=restored.read_text(encoding="utf-8"))


def load_records(pages_dir: Path) -> tuple[Record, ...]:
    """Read every `*.json` record of a pages folder, in file-name order."""
    files = sorted(pages_dir.glob("*.json"))
    return _read(tuple((f, f.stat().st_mtime_ns) for f in files))


def derive(records: Sequence[Record]) -> list[Record]:
    """Make the TEST-MADE speeches and features from release records (skip absent ones)."""
    by_slug = {r.slug: r for r in records if r.kind == "release"}
    made = []
    for kind, slug in DERIVED:
        source = by_slug.get(slug)
        if source is None:
            continue
        when = None if source.when is None else source.when + dt.timedelta(hours=1)
        title = f"{kind.capitalize()}: {source.title}"
        main = retitle(retime(source.main, when), title)
        made.append(
            dataclasses.replace(
                source, kind=kind, slug=f"{kind}-{slug}", when=when, title=title, main=main
            )
        )
    return made


def _order(record: Record) -> tuple[bool, dt.datetime, str]:
    """Sort key giving creation order: undated first, then by time."""
    when = record.when or dt.datetime.min.replace(tzinfo=dt.UTC)
    return (record.when is not None, when, f"{record.kind}/{record.slug}")


def build_items(pages_dir: Path | None = None, with_derived: bool = True) -> list[Item]:
    """Load the pages folder (default: the fixtures) and number the items in creation order."""
    records = list(load_records((pages_dir or DEFAULT_PAGES).resolve()))
    made = derive(records) if with_derived else []
    made_ids = {id(r) for r in made}
    ordered = sorted([*records, *made], key=_order)
    return [make_item(r, NODE_BASE + i, id(r) in made_ids) for i, r in enumerate(ordered)]


def _newest_key(item: Item) -> tuple[bool, dt.datetime, int]:
    """Sort key putting the newest item first and undated items last (use reversed)."""
    when = item.when or dt.datetime.min.replace(tzinfo=dt.UTC)
    return (item.when is not None, when, item.node_id)


@dataclasses.dataclass(frozen=True, eq=False)
class Site:
    """An immutable snapshot of all items, indexed; changes make a new snapshot."""

    items: tuple[Item, ...]
    by_key: dict[str, Item]
    by_node: dict[int, Item]

    @classmethod
    def of(cls, items: Iterable[Item]) -> Site:
        """Index a collection of items."""
        ordered = tuple(sorted(items, key=_newest_key, reverse=True))
        return cls(ordered, {i.key: i for i in ordered}, {i.node_id: i for i in ordered})

    def find(self, decoded_path: str) -> Item | None:
        """Return the item at a decoded path, if any."""
        return self.by_key.get(decoded_path)

    def select(self, kind: str | None, government: int | None) -> list[Item]:
        """Return items of a type and government (None: any), newest first."""
        return [
            i
            for i in self.items
            if (kind is None or i.kind == kind)
            and (government is None or i.government == government)
        ]

    def latest_created(self, count: int) -> list[Item]:
        """Return the most recently created items (highest node ids), as the feed lists them."""
        return sorted(self.items, key=lambda i: i.node_id, reverse=True)[:count]

    def next_node_id(self) -> int:
        """Return the node id a new item gets."""
        return max(self.by_node, default=NODE_BASE - 1) + 1

    def with_item(self, item: Item) -> Site:
        """Return a snapshot with an item added, or replacing the one with its node id."""
        others = [i for i in self.items if i.node_id != item.node_id]
        return Site.of([*others, item])
