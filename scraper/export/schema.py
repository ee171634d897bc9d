"""The export database's tables, made with sqlite-utils in the Datasette ecosystem's ways.

    releases              url (primary key), type, title, date, government, body, path,
                          ministers, portfolios, attachments (JSON arrays)
    releases_fts          FTS5 over title and body (porter stemming), kept up to date by
                          triggers, as `enable_fts(create_triggers=True)` makes it
    ministers, portfolios id, name (unique): the tables `Table.lookup()` makes
    ministers_releases,   ministers_id, releases_id (and portfolios_id): the link tables
    portfolios_releases   `Table.m2m()` makes, named and keyed the same way
    _export_state         url, path, size, stamp: the file each row was made from, as the
                          archive's index knew it, so the next export skips unchanged files
    _export_meta          key, value: the schema version, the archive, when it was exported

Datasette finds the search index, the foreign keys and the name columns by these names.
"""

from __future__ import annotations

from sqlite_utils import Database

__all__ = [
    "EXPORT_SCHEMA",
    "LOOKUPS",
    "META_TABLE",
    "RELEASES",
    "STATE_TABLE",
    "create_tables",
    "enable_search",
    "link_column",
    "link_table",
]

#: Bumped whenever a table changes: an export of another version is rebuilt, never patched.
EXPORT_SCHEMA = 1
RELEASES = "releases"
#: The lookup tables, each with a many-to-many link to releases, and the list it holds.
LOOKUPS = ("ministers", "portfolios")
STATE_TABLE = "_export_state"
META_TABLE = "_export_meta"

_RELEASE_COLUMNS: dict[str, type] = {
    "url": str,
    "type": str,
    "title": str,
    "date": str,
    "government": str,
    "body": str,
    "path": str,
    "ministers": str,
    "portfolios": str,
    "attachments": str,
}


def link_table(lookup: str) -> str:
    """The link table between releases and a lookup table, as `Table.m2m()` names it."""
    return "_".join(sorted((RELEASES, lookup)))


def link_column(table: str) -> str:
    """A link table's column that points at `table`, as `Table.m2m()` names it."""
    return f"{table}_id"


def create_tables(db: Database) -> None:
    """Make every table of an empty export database but the search index."""
    # A file dated 0001-01-01 (undated by the old exporter) belongs to no government.
    not_null = set(_RELEASE_COLUMNS) - {"government"}
    db.table(RELEASES).create(_RELEASE_COLUMNS, pk="url", not_null=not_null)
    for column in ("date", "type", "government"):
        db.table(RELEASES).create_index([column])
    for lookup in LOOKUPS:
        db.table(lookup).create({"id": int, "name": str}, pk="id")
        db.table(lookup).create_index(["name"], unique=True)
        ours, theirs = link_column(lookup), link_column(RELEASES)
        db.table(link_table(lookup)).create(
            {ours: int, theirs: str},
            pk=(ours, theirs),
            foreign_keys=[(ours, lookup, "id"), (theirs, RELEASES, "url")],
        )
        # The key starts with the lookup's id; removing a release's links looks up by its url.
        db.table(link_table(lookup)).create_index([theirs])
    db.table(STATE_TABLE).create({"url": str, "path": str, "size": int, "stamp": str}, pk="url")
    db.table(META_TABLE).create({"key": str, "value": str}, pk="key")


def enable_search(db: Database) -> None:
    """Index title and body of every row for full-text search, and keep it up to date."""
    db.table(RELEASES).enable_fts(
        ["title", "body"], fts_version="FTS5", tokenize="porter", create_triggers=True
    )
