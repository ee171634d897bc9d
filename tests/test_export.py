"""`scraper export --sqlite`: the rows equal the files, search, and incremental updates."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from scraper.archive.store import STATE_DIR, Archive
from scraper.errors import ConfigError, StoreError
from scraper.export.governments import government_of
from scraper.export.sqlite import export_sqlite
from scraper.models import CONTENT_FOLDERS, Release
from tests.export_support import PUBLIC, release, write_archive, write_file
from tests.support import invoke

NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def export(root: Path, target: Path, **options: Any) -> Any:
    """Export in-process at a fixed time."""
    return export_sqlite(root, target, now=NOW, **options)


def rows(target: Path) -> dict[str, dict[str, Any]]:
    """Every row of the releases table, by url."""
    db = sqlite3.connect(target)
    db.row_factory = sqlite3.Row
    try:
        return {row["url"]: dict(row) for row in db.execute("SELECT * FROM releases")}
    finally:
        db.close()


def query(target: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    """Rows of a query on the export."""
    db = sqlite3.connect(target)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def expected_row(relpath: str, item: Release) -> dict[str, Any]:
    """The row a file must make: every field of the file, lists as JSON arrays."""
    return {
        "url": item.url,
        "type": {folder: kind for kind, folder in CONTENT_FOLDERS.items()}[relpath.split("/")[0]],
        "title": item.title,
        "date": item.date.isoformat(),
        "government": getattr(government_of(item.date), "name", None),
        "body": item.body,
        "path": relpath,
        "ministers": json.dumps(list(item.ministers), ensure_ascii=False),
        "portfolios": json.dumps(list(item.portfolios), ensure_ascii=False),
        "attachments": json.dumps(list(item.attachments), ensure_ascii=False),
    }


def search(target: Path, words: str) -> list[str]:
    """The urls whose title or body match a full-text query."""
    found = query(
        target,
        "SELECT r.url FROM releases_fts JOIN releases r ON r.rowid = releases_fts.rowid"
        " WHERE releases_fts MATCH ? ORDER BY r.url",
        words,
    )
    return [url for (url,) in found]


def links(target: Path, lookup: str) -> dict[str, list[str]]:
    """The names each release is linked to through a many-to-many table, by url."""
    found: dict[str, list[str]] = {}
    for url, name in query(
        target,
        f"SELECT l.releases_id, t.name FROM {lookup}_releases l JOIN {lookup} t"
        f" ON t.id = l.{lookup}_id ORDER BY t.name",
    ):
        found.setdefault(url, []).append(name)
    return found


@pytest.fixture
def small(tmp_path: Path) -> tuple[Path, dict[str, Release]]:
    """The small archive, written (with no state), and its files by path."""
    root = tmp_path / "archive"
    return root, write_archive(root)


def test_rows_equal_the_files_in_every_field(
    small: tuple[Path, dict[str, Release]], tmp_path: Path
) -> None:
    root, files = small
    target = tmp_path / "out" / "beehive.db"
    target.parent.mkdir()
    report = export(root, target)
    assert report.rebuilt and report.exit_code == 0
    assert (report.rows, report.written, report.removed) == (len(files), len(files), 0)
    assert rows(target) == {item.url: expected_row(path, item) for path, item in files.items()}
    for lookup in ("ministers", "portfolios"):
        expected = {
            item.url: sorted(getattr(item, lookup))
            for item in files.values()
            if getattr(item, lookup)
        }
        assert links(target, lookup) == expected
    assert not (root / STATE_DIR).exists(), "an export must not create the archive's state"


def test_full_text_search_finds_words_of_bodies_and_titles(
    small: tuple[Path, dict[str, Release]], tmp_path: Path
) -> None:
    root, _ = small
    target = tmp_path / "beehive.db"
    export(root, target)
    assert search(target, "kiwifruit") == [f"{PUBLIC}/release/kiwifruit-exports-grow"]
    assert search(target, "Hamilton") == [f"{PUBLIC}/release/rail-upgrade"]
    # Porter stemming and folded diacritics: "trains" finds "train", "Maori" finds "Māori".
    assert search(target, "train maori") == [f"{PUBLIC}/release/rail-upgrade"]
    assert search(target, "wellbeing") == [f"{PUBLIC}/speech/budget-speech"]
    assert search(target, "nonexistentword") == []


def test_a_second_export_changes_only_what_changed(
    small: tuple[Path, dict[str, Release]], tmp_path: Path
) -> None:
    root, files = small
    target = tmp_path / "beehive.db"
    export(root, target)
    again = export(root, target)
    assert not again.rebuilt
    assert (again.written, again.removed, again.unchanged) == (0, 0, len(files))

    changed_path, changed = next((p, r) for p, r in files.items() if "rail-upgrade" in p)
    edited = dataclasses.replace(
        changed, title="Rail upgrade opens", ministers=("Hon Michael Wood",), body="Opened today."
    )
    write_file(root, changed_path, edited)
    gone_path, gone = next((p, r) for p, r in files.items() if "flood-response" in p)
    (root / gone_path).unlink()
    kind, new = release("new-hospital", "2020-03-02", ministers=("Hon Chris Hipkins",))
    write_archive(root, ((kind, new),))

    third = export(root, target)
    assert (third.written, third.removed, third.unchanged) == (2, 1, len(files) - 2)
    after = rows(target)
    assert gone.url not in after
    assert after[changed.url] == expected_row(changed_path, edited)
    assert after[new.url]["ministers"] == '["Hon Chris Hipkins"]'
    assert search(target, "opened") == [changed.url]
    assert search(target, "Hamilton") == [], "the old body must leave the search index"
    ministers = links(target, "ministers")
    assert ministers[changed.url] == ["Hon Michael Wood"]
    names = {name for (name,) in query(target, "SELECT name FROM ministers")}
    # Nobody else names these two any more: their lookup rows go with the last link.
    assert "Hon Phil Twyford" not in names and "Winston Peters" not in names
    assert "Rt Hon Winston Peters" not in names
    assert {"Hon Michael Wood", "Hon Chris Hipkins", "Hon Grant Robertson"} <= names
    stamps = query(target, "SELECT url, path FROM _export_state ORDER BY url")
    assert stamps == sorted((item.url, path) for path, item in _files_now(root).items())


def _files_now(root: Path) -> dict[str, Release]:
    """The archive's files now, read back (by path)."""
    from scraper.archive.document import loads

    return {
        p.relative_to(root).as_posix(): loads(p.read_text(encoding="utf-8"))
        for p in root.rglob("*.md")
    }


def test_the_index_of_an_archive_with_a_state_decides_and_is_left_alone(
    small: tuple[Path, dict[str, Release]], tmp_path: Path
) -> None:
    root, files = small
    with Archive(root) as archive:
        archive.refresh_index()
    state = root / STATE_DIR / "state.db"
    before = state.read_bytes()
    target = tmp_path / "beehive.db"
    export(root, target)
    path = next(iter(files))
    write_file(root, path, dataclasses.replace(files[path], title="Retitled"))
    report = export(root, target)
    assert report.written == 1 and rows(target)[files[path].url]["title"] == "Retitled"
    assert state.read_bytes() == before, "the export must not write the archive's state"


def test_files_sharing_a_url_make_one_row_from_the_first_path(
    small: tuple[Path, dict[str, Release]], tmp_path: Path
) -> None:
    root, files = small
    path, item = next(iter(files.items()))
    twin = path.replace(".md", "--0123abcd.md")
    write_file(root, twin, dataclasses.replace(item, title="Twin"))
    first, second = sorted([path, twin])  # "-" sorts before "."
    titles = {path: item.title, twin: "Twin"}
    target = tmp_path / "beehive.db"
    report = export(root, target)
    assert [d.path for d in report.duplicates] == [second]
    assert first in report.duplicates[0].reason and report.exit_code == 0
    assert (rows(target)[item.url]["path"], rows(target)[item.url]["title"]) == (
        first,
        titles[first],
    )
    (root / first).unlink()
    report = export(root, target)
    assert report.duplicates == [] and report.removed == 0 and report.written == 1
    assert (rows(target)[item.url]["path"], rows(target)[item.url]["title"]) == (
        second,
        titles[second],
    )


def test_an_unreadable_file_keeps_its_row_and_fails_the_export(
    small: tuple[Path, dict[str, Release]], tmp_path: Path
) -> None:
    root, files = small
    target = tmp_path / "beehive.db"
    export(root, target)
    path, item = next(iter(files.items()))
    (root / path).write_bytes(b"---\ntitle: \xe9\n---\n")
    report = export(root, target)
    assert report.exit_code == 1 and [u.path for u in report.unreadable] == [path]
    assert report.removed == 0 and item.url in rows(target)


def test_rebuild_and_a_file_of_another_schema_make_the_database_afresh(
    small: tuple[Path, dict[str, Release]], tmp_path: Path
) -> None:
    root, files = small
    target = tmp_path / "beehive.db"
    export(root, target)
    assert export(root, target, rebuild=True).written == len(files)
    db = Database(target)
    db.table("_export_meta").upsert({"key": "schema", "value": "0"}, pk="key")
    db.close()
    report = export(root, target)
    assert report.rebuilt and report.written == len(files)
    assert query(target, "SELECT value FROM _export_meta WHERE key = 'schema'") == [("1",)]
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_a_database_this_command_did_not_make_is_left_alone(
    small: tuple[Path, dict[str, Release]], tmp_path: Path
) -> None:
    root, _ = small
    target = tmp_path / "mine.db"
    db = Database(target)
    db.table("notes").insert({"text": "keep me"})
    db.close()
    before = target.read_bytes()
    for rebuild in (False, True):
        with pytest.raises(StoreError, match="not a database this command made"):
            export(root, target, rebuild=rebuild)
    assert target.read_bytes() == before
    text = tmp_path / "notes.txt"
    text.write_text("not a database at all " * 100, encoding="utf-8")
    with pytest.raises(StoreError, match=r"not a readable SQLite database.*left alone"):
        export(root, text, rebuild=True)
    assert text.read_text(encoding="utf-8").startswith("not a database at all")


def test_a_folder_that_holds_no_archive_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no archive"):
        export(tmp_path / "nothing", tmp_path / "x.db")
    assert not (tmp_path / "nothing").exists() and not (tmp_path / "x.db").exists()


def test_the_schema_is_what_sqlite_utils_lookup_and_m2m_make(
    small: tuple[Path, dict[str, Release]], tmp_path: Path
) -> None:
    root, _ = small
    target = tmp_path / "beehive.db"
    export(root, target)
    # The same tables made the slow way, one release at a time, by sqlite-utils itself.
    made = Database(memory=True)
    made.table("releases").insert({"url": "u", "title": "t"}, pk="url").m2m(
        "ministers", lookup={"name": "Hon A"}
    )
    made.table("releases").insert({"url": "v", "title": "t"}, pk="url").m2m(
        "portfolios", lookup={"name": "P"}
    )
    ours = Database(target)
    for table in ("ministers", "portfolios", "ministers_releases", "portfolios_releases"):
        assert _shape(ours, table) == _shape(made, table), table
    assert ours.table("releases").detect_fts() == "releases_fts"
    assert {t.name for t in ours.table("releases").triggers} == {
        "releases_ai",
        "releases_ad",
        "releases_au",
    }
    ours.close()


def _shape(db: Database, table: str) -> tuple[object, ...]:
    """What matters of a table for the conventions: columns, key, foreign keys, unique indexes."""
    t = db.table(table)
    return (
        [c.name for c in t.columns],
        t.pks,
        sorted((fk.column, fk.other_table, fk.other_column) for fk in t.foreign_keys),
        sorted(
            tuple(i.columns) for i in t.indexes if i.unique and not i.name.startswith("sqlite_")
        ),
    )


def test_the_metadata_file_gives_titles_source_licence_and_facets(
    small: tuple[Path, dict[str, Release]], tmp_path: Path
) -> None:
    root, _ = small
    target = tmp_path / "beehive.db"
    report = export(root, target)
    assert report.metadata == tmp_path / "beehive.metadata.json"
    meta = json.loads(report.metadata.read_text(encoding="utf-8"))
    assert meta["source_url"] == "https://www.beehive.govt.nz/"
    assert "Crown copyright" in meta["license"]
    table = meta["databases"]["beehive"]["tables"]["releases"]
    assert {"array": "ministers"} in table["facets"] and {"array": "portfolios"} in table["facets"]
    assert {"date": "date"} in table["facets"]
    assert meta["databases"]["beehive"]["tables"]["_export_state"]["hidden"] is True


def test_datasette_opens_it_with_search_facets_and_metadata(
    small: tuple[Path, dict[str, Release]], tmp_path: Path
) -> None:
    import asyncio

    datasette_app = pytest.importorskip("datasette.app")
    root, _ = small
    target = tmp_path / "beehive.db"
    report = export(root, target)
    metadata = json.loads(report.metadata.read_text(encoding="utf-8"))

    async def look() -> tuple[dict[str, Any], str]:
        ds = datasette_app.Datasette([str(target)], metadata=metadata)
        found = await ds.client.get("/beehive/releases.json?_search=kiwifruit&_shape=objects")
        page = await ds.client.get("/beehive/releases")
        return found.json(), page.text

    found, page = asyncio.run(look())
    assert [row["url"] for row in found["rows"]] == [f"{PUBLIC}/release/kiwifruit-exports-grow"]
    assert set(found["facet_results"]) >= {"ministers", "portfolios", "date", "type"}
    assert "Crown copyright" in page and 'name="_search"' in page


def test_the_command_prints_a_summary_and_json(
    small: tuple[Path, dict[str, Release]], tmp_path: Path
) -> None:
    root, files = small
    target = tmp_path / "beehive.db"
    run = invoke("export", "--sqlite", str(target), "--archive", str(root))
    assert run.code == 0
    assert f"{len(files)} rows" in run.stderr and "datasette" in run.stderr
    run = invoke("export", "--sqlite", str(target), "--archive", str(root), "--json")
    assert run.code == 0
    assert run.report["unchanged"] == len(files) and run.report["written"] == 0
    assert run.report["rebuilt"] is False


def test_the_command_says_what_to_do_about_a_missing_folder(
    small: tuple[Path, dict[str, Release]], tmp_path: Path
) -> None:
    root, _ = small
    target = tmp_path / "no" / "such" / "beehive.db"
    run = invoke("export", "--sqlite", str(target), "--archive", str(root))
    assert run.code == 1 and "does not exist" in run.stderr and str(target.parent) in run.stderr


def test_the_seed_archive_exports(tmp_path: Path) -> None:
    seeds = Path(__file__).parent.parent / "seeds"
    root = tmp_path / "seeds"
    shutil.copytree(seeds, root)
    report = export(root, tmp_path / "seed.db")
    assert report.rows == 1 and report.exit_code == 0


class Boom(Exception):
    """A failure in the middle of an export."""


def test_an_export_that_fails_midway_leaves_the_database_as_it_was(
    small: tuple[Path, dict[str, Release]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scraper.export import sqlite as exporting

    root, files = small
    target = tmp_path / "beehive.db"
    calls = 0
    real_row = exporting._row

    def failing_row(file: Any, item: Release) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise Boom
        return real_row(file, item)

    monkeypatch.setattr(exporting, "_BATCH", 1)  # the first file is written before the failure
    monkeypatch.setattr(exporting, "_row", failing_row)
    with pytest.raises(Boom):
        export(root, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["archive"], "no file, no litter"

    monkeypatch.setattr(exporting, "_row", real_row)
    export(root, target)
    before = rows(target)
    for path, item in files.items():
        write_file(root, path, dataclasses.replace(item, title=item.title + " (new)"))
    calls = 0
    monkeypatch.setattr(exporting, "_row", failing_row)
    with pytest.raises(Boom):
        export(root, target)
    assert rows(target) == before, "a failed update changes no row"
    monkeypatch.setattr(exporting, "_row", real_row)
    assert export(root, target).written == len(files)


def test_an_undated_file_belongs_to_no_government(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    files = write_archive(root, (release("no-date", "0001-01-01"),))
    target = tmp_path / "beehive.db"
    export(root, target)
    ((path, item),) = files.items()
    assert rows(target) == {item.url: expected_row(path, item)}
    assert rows(target)[item.url]["government"] is None
