"""verify's `stale-render`: a file this tool wrote that its kept page now renders otherwise."""

from __future__ import annotations

from scraper.archive.store import Archive
from scraper.errors import ScraperError
from scraper.keep.rebuild import rendered
from scraper.site.parse import ParseOptions
from scraper.verify.offline import Checked

#: The finding's kind, and what it says.
STALE = "stale-render"
_SAYS = (
    "the kept page it was written from renders differently now (the parser or its settings"
    " changed): `scraper rebuild` fixes it"
)


def mark_stale(archive: Archive, checked: list[Checked], options: ParseOptions) -> None:
    """Mark each file, as this tool wrote it, that the kept page it was written from no
    longer renders as (never a newer page: that may hold a change at the source)."""
    for check in checked:
        result = check.result
        as_written = check.written_sha256 is not None and "local-edit" not in result.kinds
        if not as_written or check.release is None or result.text is None:
            continue
        try:
            made = rendered(archive, result.path, options)
        except ScraperError:
            continue  # a page the parser refuses now is a sync's or a rebuild's to say
        if made is not None and made.text != result.text:
            result.add(STALE, _SAYS)
            result.expected = made.text
