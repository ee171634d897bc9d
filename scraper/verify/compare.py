"""A file against the file its page makes today: which kinds of difference (pure).

The old exporter's rules differ from today's in ways the archive keeps on purpose until
someone fixes them, and each has its kind: `legacy-date` (it wrote the UTC date, or
0001-01-01 for no date), `legacy-url` (it wrote the ASCII-folded address), `legacy-format`
(Markdown or YAML details: tables flattened, white space, quoting). Anything else that
differs is `changed`: a correction at the source.
"""

from __future__ import annotations

import datetime as dt
import re

from scraper.dates import UNDATED
from scraper.models import Release
from scraper.site.urls import PUBLIC_SITE, content_type_of, folded_id

# A GitHub table's rule between its header and its rows: | --- | :---: |
_TABLE_RULE = re.compile(
    r"^[ \t]*\|?(?:[ \t]*:?-{3,}:?[ \t]*\|)+[ \t]*:?-*:?[ \t]*\|?[ \t]*$", re.MULTILINE
)
_FIELDS = ("title", "ministers", "portfolios", "attachments")


def compare(
    file: Release, text: str, page: Release, expected: str, old_date: dt.date | None
) -> dict[str, str]:
    """The kinds of difference between a file and its page, each with a short detail.

    `text` is the file as it is on disk, `expected` the file the page makes (`dumps(page)`);
    `old_date` is the date the old rule gave the page (its UTC date). Identical files are
    {"ok": ""}.
    """
    if text == expected:
        return {"ok": ""}
    kinds: dict[str, str] = {}
    changed: list[str] = []
    if page.url != file.url:
        if file.url == folded_url(page.url):
            kinds["legacy-url"] = f"the old exporter's folded address; the page's is {page.url}"
        else:
            changed.append(f"url ({file.url} → {page.url})")
    if page.date != file.date:
        if file.date == UNDATED or file.date == old_date:
            rule = "'no date'" if file.date == UNDATED else "UTC date"
            kinds["legacy-date"] = f"{file.date} is the old {rule}; the page's is {page.date}"
        else:
            changed.append(f"date ({file.date} → {page.date})")
    spaced: list[str] = []
    for name in _FIELDS:
        ours, theirs = getattr(file, name), getattr(page, name)
        if ours != theirs:
            (spaced if _spaced(ours) == _spaced(theirs) else changed).append(name)
    if page.body != file.body:
        (spaced if loose(page.body) == loose(file.body) else changed).append("body")
    if spaced:
        kinds["legacy-format"] = f"only Markdown or white space differs in {', '.join(spaced)}"
    if changed:
        kinds["changed"] = "differs: " + ", ".join(changed)
    if not kinds:
        kinds["legacy-format"] = "only the front matter's quoting differs"
    return kinds


def _spaced(value: str | tuple[str, ...]) -> tuple[str, ...]:
    """A field with each run of white space (no-break spaces too) as one space."""
    items = (value,) if isinstance(value, str) else value
    return tuple(" ".join(item.split()) for item in items)


def folded_url(url: str) -> str:
    """The address the old exporter wrote for a page: its id folded to ASCII."""
    return f"{PUBLIC_SITE}/{content_type_of(url)}/{folded_id(url)}"


def loose(body: str) -> str:
    """A body with table syntax and every run of white space (no-break spaces too) as one space.

    Two bodies equal this way say the same words in the same order: the old exporter
    flattened tables into paragraphs, and some of its records lost no-break spaces.
    """
    flat = _TABLE_RULE.sub(" ", body).replace("\\|", " ").replace("|", " ")
    return " ".join(flat.split())
