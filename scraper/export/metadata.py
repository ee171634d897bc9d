"""The Datasette metadata file written beside an export: titles, source, licence, facets.

`datasette FILE --metadata FILE.metadata.json` shows the database with these; Datasette
finds the search index, the foreign keys and the lookup tables' names on its own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scraper.export.schema import LOOKUPS, META_TABLE, RELEASES, STATE_TABLE, link_table

__all__ = ["LICENCE", "metadata", "metadata_json", "metadata_path"]

SOURCE = "www.beehive.govt.nz"
SOURCE_URL = "https://www.beehive.govt.nz/"
#: The site's terms, as the archive's own data README gives them.
LICENCE = (
    "Crown copyright, New Zealand Government. The site's terms allow reproduction free of"
    " charge, provided it is reproduced accurately and the source is acknowledged."
)

_COLUMNS = {
    "url": "The release's address on www.beehive.govt.nz (the primary key)",
    "type": "release, speech or feature",
    "title": "The title",
    "date": "The New Zealand date it was published (0001-01-01: undated in the old archive)",
    "government": "The government in office on that date (none for 0001-01-01)",
    "body": "The text, in Markdown",
    "path": "The archive file it was exported from",
    "ministers": "The ministers named on the page (JSON array)",
    "portfolios": "Its portfolios (JSON array)",
    "attachments": "Addresses of its attached files (JSON array)",
}


def metadata_path(database: Path) -> Path:
    """Where the metadata file of an export database goes: `NAME.metadata.json` beside it."""
    return database.with_name(f"{database.stem}.metadata.json")


def metadata(database: Path, archive: str) -> dict[str, Any]:
    """Datasette's metadata for the export database at `database`, made from `archive`."""
    tables: dict[str, Any] = {
        RELEASES: {
            "title": "Releases, speeches and features",
            "description": "One row per archive file; search searches title and body.",
            "sort_desc": "date",
            "label_column": "title",
            "fts_table": f"{RELEASES}_fts",
            "facets": [
                "type",
                "government",
                {"array": "ministers"},
                {"array": "portfolios"},
                {"date": "date"},
            ],
            "columns": _COLUMNS,
        },
        STATE_TABLE: {"hidden": True},
        META_TABLE: {"hidden": True},
    }
    for lookup in LOOKUPS:
        tables[lookup] = {
            "title": lookup.capitalize(),
            "description": f"Every name in the releases' {lookup}, as the files write it.",
            "label_column": "name",
            "sort": "name",
        }
        tables[link_table(lookup)] = {"description": f"Which releases name which {lookup}."}
    return {
        "title": "New Zealand Government releases",
        "description": (
            f"Press releases, speeches and features of the New Zealand Government from {SOURCE},"
            f" exported from the archive at {archive} by scraper."
        ),
        "source": SOURCE,
        "source_url": SOURCE_URL,
        "license": LICENCE,
        # Datasette names a database after its file, without the suffix.
        "databases": {database.stem: {"tables": tables}},
    }


def metadata_json(database: Path, archive: str) -> str:
    """The metadata file's text."""
    return json.dumps(metadata(database, archive), indent=2, ensure_ascii=False) + "\n"
