"""Keeping fetched pages: a request and a response record each (a revisit when unchanged).

The Fetcher hands over the decoded payload (httpx undoes Content-Encoding), so the stored
response has its headers made to agree: no Content-Encoding or Transfer-Encoding, and the
Content-Length of the bytes stored. The WARC-Target-URI is the public URL, whatever
`base_url` the page came from, as the archive's files name it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import http
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from scraper.archive.runs import existing_state
from scraper.archive.state import State
from scraper.archive.store import STATE_DIR, Archive, HeldLock
from scraper.errors import LockedError, ScraperError, StoreError
from scraper.keep import index
from scraper.keep.index import PageRecord
from scraper.keep.settings import KeepSettings
from scraper.keep.warcfiles import WARC_DIR, WarcFolder
from scraper.net.source import Fetched
from scraper.site.urls import canonical_url

#: Headers that described the bytes as sent, not as stored (decoded, whole).
_DROPPED = frozenset({"content-encoding", "transfer-encoding", "content-length"})
#: Request headers not kept: the Host is the public site's; cookies are the user's own.
_NOT_KEPT = frozenset({"host", "cookie"})


@dataclass(frozen=True)
class StoredPage:
    """A page read back from the WARC files: its public URL, bytes and listing's date."""

    url: str
    body: bytes
    listed: dt.date | None
    fetched: str


def warc_folder(state_dir: Path) -> Path:
    """Where an archive keeps its WARC files: `<archive>/.scraper/warc/`."""
    return state_dir / WARC_DIR


def payload_digest(body: bytes) -> str:
    """A WARC-Payload-Digest as warcio writes it: SHA-1 in base 32."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def _utc_now() -> dt.datetime:
    """The wall clock in UTC."""
    return dt.datetime.now(dt.UTC)


class PageKeeper:
    """Appends fetched pages to the archive's WARC files and indexes them in its state.

    Called on the thread that writes files, under the archive's lock.
    """

    def __init__(
        self,
        state: State,
        folder: Path,
        settings: KeepSettings,
        agent: str = "",
        clock: Callable[[], dt.datetime] = _utc_now,
        lock: HeldLock | None = None,
    ) -> None:
        """Keep into `folder` (see `warc_folder`), indexing in `state`; `lock`: the archive's
        lock held, checked before each page is kept (as before each file is written)."""
        self.state = state
        self.lock = lock
        self.agent = agent
        self.clock = clock
        self.files = WarcFolder(
            folder, settings.max_bytes, lambda name: index.indexed_end(state, name)
        )

    def keep(
        self, fetched: Fetched, listed: dt.date | None = None, *, query: bool = False
    ) -> str | None:
        """Keep a page's response: "response", "revisit" (bytes as last kept), None (a 304).

        `query`: the URL's query is part of the page (a listing's `?page=N`), kept in its URI.
        """
        row = self.keep_record(fetched, listed, query=query)
        return None if row is None else row.record

    def keep_record(
        self, fetched: Fetched, listed: dt.date | None = None, *, query: bool = False
    ) -> PageRecord | None:
        """Keep a page's response, as `keep` does: its record as indexed (None: a 304)."""
        if fetched.not_modified:
            return None
        if self.lock is not None:
            self.lock.check()  # a lock lost: another run may be appending too
        url = public_url(fetched.url, query=query)
        digest = payload_digest(fetched.body)
        when = self.clock().astimezone(dt.UTC).isoformat(timespec="microseconds")
        when = when.replace("+00:00", "Z")
        last = index.newest_record(self.state, url)
        # The same bytes as last time: a revisit of the response that holds them.
        same = last is not None and last.digest == digest
        refers = index.newest_response(self.state, url, digest) if same else None
        data, at, record_id = self._records(url, fetched, when, digest, refers)
        file, start = self.files.append(data)
        kind = "response" if refers is None else "revisit"
        row = PageRecord(
            url, kind, record_id, file, start, start + at, len(data) - at, digest, when, listed
        )
        index.put_record(self.state, row)
        return row

    def _records(
        self, url: str, fetched: Fetched, when: str, digest: str, refers: PageRecord | None
    ) -> tuple[bytes, int, str]:
        """The request and response members, or a revisit of `refers`: (bytes, response
        offset, its id)."""
        out = io.BytesIO()
        writer = WARCWriter(out, gzip=True, warc_version="1.1")
        request = writer.create_warc_record(
            url,
            "request",
            payload=io.BytesIO(b""),
            length=0,
            http_headers=self._request_headers(url, fetched.request_headers),
            warc_headers_dict={"WARC-Date": when},
        )
        writer.write_record(request)
        at = out.tell()
        headers = _response_headers(fetched)
        dated = {"WARC-Date": when, "WARC-Concurrent-To": _id(request)}
        if refers is not None:
            dated["WARC-Refers-To"] = refers.record_id
            record = writer.create_revisit_record(
                url,
                digest,
                refers.url,
                refers.fetched,
                http_headers=headers,
                warc_headers_dict=dated,
            )
        else:
            record = writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(fetched.body),
                length=len(fetched.body),
                http_headers=headers,
                warc_headers_dict=dated,
            )
        writer.write_record(record)
        return out.getvalue(), at, _id(record)

    def _request_headers(self, url: str, sent: tuple[tuple[str, str], ...]) -> StatusAndHeaders:
        """The request with the headers it was sent with, in the public site's terms: the
        public Host, and no Cookie (a session a user lent the run is not for keeping)."""
        parts = urlsplit(url)
        headers = [("Host", parts.netloc)]
        headers += [(k, v) for k, v in sent if k.lower() not in _NOT_KEPT]
        if self.agent and not sent:
            headers.append(("User-Agent", self.agent))
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        return StatusAndHeaders(f"GET {target} HTTP/1.1", headers, is_http_request=True)


def public_url(url: str, *, query: bool = False) -> str:
    """A fetched page's public URL (whatever `base_url` served it); its query only when asked."""
    public = canonical_url(url)
    found = urlsplit(url).query
    return f"{public}?{found}" if query and found else public


def _id(record: object) -> str:
    """A record's WARC-Record-ID."""
    return str(record.rec_headers.get_header("WARC-Record-ID"))  # type: ignore[attr-defined]


def _response_headers(fetched: Fetched) -> StatusAndHeaders:
    """The response's status and headers, made to agree with the decoded bytes stored."""
    try:
        phrase = http.HTTPStatus(fetched.status).phrase
    except ValueError:
        phrase = "Unknown"
    headers = [(k, v) for k, v in fetched.headers if k.lower() not in _DROPPED]
    headers.append(("Content-Length", str(len(fetched.body))))
    return StatusAndHeaders(f"{fetched.status} {phrase}", headers, protocol="HTTP/1.1")


def read_page(state: State, folder: Path, url: str) -> StoredPage | None:
    """The newest page kept for a URL, read with one seek (None: none is kept)."""
    return _read(state, folder, index.newest_record(state, url))


def read_record(state: State, folder: Path, record_id: str) -> StoredPage | None:
    """The page a record (a response, or a revisit of one) holds (None: not indexed)."""
    return _read(state, folder, index.record_by_id(state, record_id))


def _read(state: State, folder: Path, last: PageRecord | None) -> StoredPage | None:
    """The page of a record, from its own bytes or, a revisit's, its response's."""
    if last is None:
        return None
    url = last.url
    record = last if last.record == "response" else index.newest_response(state, url, last.digest)
    if record is None:
        return None  # a revisit whose response is gone: nothing to read
    body = read_payload(folder / record.file, record.at)
    return StoredPage(url, body, last.listed, last.fetched)


def read_payload(path: Path, at: int) -> bytes:
    """The HTTP payload of the record whose member starts at `at`."""
    try:
        with path.open("rb") as stream:
            stream.seek(at)
            for record in ArchiveIterator(stream):
                return bytes(record.raw_stream.read())
    except OSError as exc:
        raise StoreError(f"cannot read the kept page in {path}: {exc.strerror or exc}") from exc
    raise StoreError(f"{path} holds no record at offset {at}: the WARC file was changed")


class Keeping:
    """A job's keeping of pages: off when the settings say so or the archive is read-only;
    a failure to keep is one note, and keeping stops for the run (the files come first)."""

    def __init__(
        self, keeper: PageKeeper | None, notes: list[str], *, listings: bool = False
    ) -> None:
        """Keep through `keeper` (None: keep nothing); say a failure in `notes`;
        `listings`: keep the feed and listing pages handed to `discovered` too."""
        self.keeper = keeper
        self.notes = notes
        self.listings = listings
        self._cut_said = False

    def __call__(self, fetched: Fetched, listed: dt.date | None) -> str | None:
        """Keep one fetched page: its record's WARC-Record-ID (None: it was not kept)."""
        return self._keep(fetched, listed, query=False)

    def discovered(self, fetched: Fetched) -> None:
        """Keep a feed or listing page, when the settings ask for them (query and all)."""
        if self.listings and fetched.status == 200:  # not a missing page past a listing's end
            self._keep(fetched, None, query=True)

    def _keep(self, fetched: Fetched, listed: dt.date | None, *, query: bool) -> str | None:
        """Keep a page: its record's id; on a failure, say so once and keep nothing more
        this run. A lost lock ends the run, as it ends its writing of files."""
        if self.keeper is None:
            return None
        try:
            row = self.keeper.keep_record(fetched, listed, query=query)
        except LockedError:
            raise
        except StoreError as exc:
            self.keeper = None
            self.notes.append(f"pages are no longer kept in this run: {exc}")
            return None
        self._say_cut()
        return None if row is None else row.record_id

    def _say_cut(self) -> None:
        """Say once that a torn end of a WARC file (a killed write) was cut off."""
        if self.keeper is not None and self.keeper.files.cut and not self._cut_said:
            self._cut_said = True
            self.notes.append(
                f"cut off {self.keeper.files.cut} bytes of a kept-pages file: the torn end of a"
                " write that was killed (the pages before it are whole)"
            )


def keeping(archive: Archive, settings: KeepSettings, notes: list[str]) -> Keeping:
    """The keeping of pages of a job on an archive (one open to change: under its lock)."""
    keeper = None
    if settings.pages and archive.writable:
        keeper = PageKeeper(archive, archive_warc(archive), settings, lock=archive.lock)
    return Keeping(keeper, notes, listings=settings.discovery)


class MomentaryKeeping(Keeping):
    """A read-only run's keeping (verify without --fix): each page under the archive's lock
    for a moment only, so that a long verify never holds up a sync; into a state that is
    there only (a read-only run creates none). Once a sync holds the archive, none more."""

    def __init__(self, root: Path, settings: KeepSettings, notes: list[str]) -> None:
        """Keep into the archive at `root`, as `settings` say; say what was not in `notes`."""
        super().__init__(None, notes)
        self.root = root
        self.settings = settings
        self.on = settings.pages

    def _keep(self, fetched: Fetched, listed: dt.date | None, *, query: bool) -> str | None:
        """Take the lock, keep the page, let go; stop keeping when that cannot be done.

        Its record's id is returned as `Keeping` returns it (a read-only run writes no file).
        """
        if not self.on or fetched.not_modified:
            return None
        try:
            with existing_state(self.root) as state:
                if state is None:
                    why = f"{self.root} has no state folder this user may write"
                    self._stop(f"the pages fetched are not kept: {why}")
                    return None
                folder = warc_folder(self.root / STATE_DIR)
                keeper = PageKeeper(state, folder, self.settings, lock=state.lock)
                row = keeper.keep_record(fetched, listed, query=query)
        except LockedError:
            self._stop("a sync holds the archive: the pages fetched from then on are not kept")
            return None
        except ScraperError as exc:
            self._stop(f"pages are no longer kept in this run: {exc}")
            return None
        return None if row is None else row.record_id

    def _stop(self, note: str) -> None:
        """Keep nothing more this run, and say why."""
        self.on = False
        self.notes.append(note)


def keeping_for(archive: Archive, settings: KeepSettings, notes: list[str]) -> Keeping:
    """The keeping of pages of a job: under the lock it holds, or (read-only) in moments."""
    if archive.writable:
        return keeping(archive, settings, notes)
    return MomentaryKeeping(archive.root, settings, notes)


def archive_warc(archive: Archive) -> Path:
    """The WARC folder of an open archive."""
    return warc_folder(archive.root / STATE_DIR)
