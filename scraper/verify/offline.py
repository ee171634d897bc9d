"""The checks of archive files on disk alone: pure functions of a file's path and bytes."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass

from scraper.archive.document import decode, dumps, loads
from scraper.archive.paths import candidate_relpaths, natural_relpath
from scraper.dates import is_placeholder
from scraper.errors import DocumentError
from scraper.models import Release
from scraper.site.urls import PUBLIC_SITE, content_type_of
from scraper.verify.report import FileResult

_LISTS = ("ministers", "portfolios", "attachments")


@dataclass
class Checked:
    """A file read and checked: what was found, and what it holds (None: unreadable)."""

    result: FileResult
    release: Release | None = None
    #: The digest of the file as this tool last wrote it (None: it did not write it).
    written_sha256: str | None = None

    @property
    def on_site(self) -> bool:
        """Whether the file names a page of the site that can be fetched and compared."""
        return self.release is not None and _url_problem(self.release.url) is None


def check_file(relpath: str, data: bytes | OSError, written_sha256: str | None = None) -> Checked:
    """Check one file: unreadable, noncanonical, invalid, empty-body, misplaced, local-edit.

    `data` is the file's bytes, or why they could not be read; `written_sha256` is the
    digest of the file as this tool last wrote it (None: it did not).
    """
    result = FileResult(relpath)
    if isinstance(data, OSError):
        result.add("unreadable", f"cannot be read: {data.strerror or data}")
        return Checked(result)
    if written_sha256 is not None and hashlib.sha256(data).hexdigest() != written_sha256:
        result.add("local-edit", "changed since this tool wrote it")
    try:
        text = decode(data, relpath)
        release = loads(text, relpath)
    except DocumentError as exc:
        result.add("unreadable", str(exc).removeprefix(f"{relpath}: "))
        return Checked(result)
    result.url, result.text = release.url, text
    if dumps(release) != text:
        result.add("noncanonical", "`scraper format` would rewrite it")
    for problem in _invalid(release):
        result.add("invalid", problem)
    if not release.body:
        result.add("empty-body", "no body")
    if (place := _misplaced(relpath, release)) is not None:
        result.add("misplaced", place)
    return Checked(result, release, written_sha256)


def _invalid(release: Release) -> list[str]:
    """What is missing or wrong among the fields every file needs."""
    problems = []
    if not release.title.strip():
        problems.append("empty title")
    if is_placeholder(release.date):
        problems.append(f"date {release.date.isoformat()} is the old exporter's 'no date'")
    if (url := _url_problem(release.url)) is not None:
        problems.append(url)
    for key in _LISTS:
        if any(not item.strip() for item in getattr(release, key)):
            problems.append(f"an empty item in {key}")
    return problems


def _url_problem(url: str) -> str | None:
    """Why a url is not a page of the public site, or None."""
    if not url.startswith(PUBLIC_SITE + "/") or content_type_of(url) is None:
        return f"url {url!r} is not a release, speech or feature of {PUBLIC_SITE}"
    return None


def _misplaced(relpath: str, release: Release) -> str | None:
    """Where the file should be, when its path does not agree with its date, type and id."""
    kind = content_type_of(release.url)
    if kind is None:
        return None  # an invalid url says it already
    candidates = candidate_relpaths(kind, release.date, release.url)
    # Each lies in the content type's own folder. The natural name is right even where it is
    # not portable (an old exporter's `what?.md`): only new files get the mended one.
    if relpath in candidates or relpath == natural_relpath(kind, release.date, release.url):
        return None
    return f"its date, type and id put it at {candidates[0]}"


def mark_duplicates(checked: list[Checked]) -> None:
    """Mark every file whose url another file of the list holds too."""
    holders: dict[str, list[FileResult]] = defaultdict(list)
    for check in checked:
        if check.release is not None:
            holders[check.release.url].append(check.result)
    for url, results in holders.items():
        if len(results) > 1:
            for result in results:
                others = ", ".join(r.path for r in results if r is not result)
                result.add("duplicate", f"{url} is also held by {others}")


def mark_incomplete(checked: list[Checked], marks: list[tuple[str, str]]) -> None:
    """Mark each file the state says a feed-only sync wrote (by url and path) incomplete."""
    marked = {relpath: url for url, relpath in marks}
    for check in checked:
        url = marked.get(check.result.path)
        if check.release is not None and check.release.url == url:
            check.result.add(
                "incomplete",
                "written from the feed alone: no ministers, portfolios or attachments until"
                " a sync (or verify --fix) reads its page",
            )
