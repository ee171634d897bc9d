"""Pure edits behind `StandIn.change` and `StandIn.publish`: new item values, no state."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from urllib.parse import quote, unquote

from tests.standin.clock import as_utc
from tests.standin.markup import retime, retitle, synthesize
from tests.standin.model import KINDS, Item, government_for


def encode_slug(slug: str) -> str:
    """Percent-encode a slug as the site does: upper-case hex, ASCII letters and `-._~` kept."""
    return quote(unquote(slug), safe="-._~")


def edited(
    item: Item,
    new_title_or_html: str | None,
    when: dt.datetime | None,
    attachments: Sequence[str] | None,
    changed: dt.datetime,
) -> Item:
    """Return an item with a new title or main column (a string starting with `<`), date, files."""
    title, main = item.title, item.main
    if new_title_or_html is not None and new_title_or_html.lstrip().startswith("<"):
        main = new_title_or_html
    elif new_title_or_html is not None:
        title, main = new_title_or_html, retitle(main, new_title_or_html)
    date = item.when if when is None else as_utc(when)
    if when is not None:
        main = retime(main, date)
    files = item.attachments if attachments is None else tuple(attachments)
    return dataclasses.replace(
        item,
        title=title,
        main=main,
        when=date,
        government=government_for(date),
        attachments=files,
        changed=changed,
    )


@dataclasses.dataclass(frozen=True)
class Draft:
    """What `publish` was asked for."""

    slug: str
    kind: str = "release"
    title: str | None = None
    when: dt.datetime | None = None
    html: str | None = None
    attachments: Sequence[str] | None = None


def _main_column(draft: Draft, source: Item | None, title: str) -> str:
    """Return the new item's main column: given, copied from the source, or test-made."""
    if draft.html is not None:
        return draft.html
    if source is not None:
        return retitle(retime(source.main, draft.when), title)
    return synthesize(title, draft.when, f"<p>{title}: test-made text.</p>\n")


def drafted(draft: Draft, source: Item | None, node_id: int, changed: dt.datetime) -> Item:
    """Return a new test-made item from a draft, copying text and files from `source` if given."""
    if draft.kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    default_title = unquote(draft.slug).replace("-", " ").capitalize()
    title = draft.title or (source.title if source else default_title)
    files = draft.attachments
    if files is None:
        files = source.attachments if source else ()
    return Item(
        kind=draft.kind,
        slug=encode_slug(draft.slug),
        node_id=node_id,
        when=draft.when,
        title=title,
        main=_main_column(draft, source, title),
        attachments=tuple(files),
        government=government_for(draft.when),
        changed=changed,
        test_made=True,
    )
