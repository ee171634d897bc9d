"""The network fault matrix: each cell runs a sync against the stand-in with one fault.

Every cell checks three things: the outcome (a page failure and the rest written, the run
stopped with its exit code, or success after retries), that the message says what happened,
and that no wrong file was written: every file in the archive afterwards is one that an
unfaulted sync writes, byte for byte, and parses; nothing partial, no temporary file.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from scraper.archive.document import decode, loads
from scraper.cli import EXIT_BLOCKED, EXIT_FAILED, EXIT_OK, EXIT_UNREACHABLE
from scraper.errors import DocumentError
from tests.standin import StandIn
from tests.support import NO_WAIT, PUBLIC, Run, engine_sync, invoke, sync
from tests.tally import tally

#: The page most cells break: a release of the listings and the feed, with macrons.
TARGET = "/release/t%C4%81maki-makaurau-election-date-set"
TARGET_URL = PUBLIC + TARGET
MAX_BODY = 10 * 1024 * 1024
#: A read timeout short enough to wait out (the stand-in answers at once otherwise).
SHORT = NO_WAIT.replace("timeout = 5.0", "timeout = 0.5")
#: A body deadline (4 x timeout) of a second, for a drip of a byte each 0.02 s.
DRIP = NO_WAIT.replace("timeout = 5.0", "timeout = 0.25")


@functools.cache
def _baseline() -> dict[str, bytes]:
    """What an unfaulted sync writes: every archive file's bytes by relative path."""
    site = StandIn()
    with site.running(), tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        config = root / "scraper.toml"
        config.write_text(NO_WAIT, encoding="utf-8")
        run = sync(site, root / "archive", config)
        assert run.code == EXIT_OK, run.stderr
        return _archive_files(root / "archive")


@pytest.fixture
def baseline() -> dict[str, bytes]:
    """The files of an unfaulted sync (made once per worker)."""
    return _baseline()


def _archive_files(archive: Path) -> dict[str, bytes]:
    """Every file under the archive but its state folder, by relative path."""
    return {
        path.relative_to(archive).as_posix(): path.read_bytes()
        for path in sorted(archive.rglob("*"))
        if path.is_file() and not path.relative_to(archive).as_posix().startswith(".scraper/")
    }


def wrong_files(archive: Path, baseline: dict[str, bytes]) -> list[str]:
    """Files that should not be there: not what an unfaulted sync writes, not parsing, or a
    temporary file anywhere (state folder included)."""
    wrong = [
        path.relative_to(archive).as_posix()
        for path in archive.rglob("*")
        if path.is_file()
        and (".tmp" in path.name or path.name.startswith("."))
        and path.name != ".gitignore"
    ]
    for relpath, data in _archive_files(archive).items():
        if relpath in wrong:
            continue
        if not relpath.endswith(".md") or baseline.get(relpath) != data:
            wrong.append(relpath)
            continue
        try:
            loads(decode(data, relpath), relpath)
        except DocumentError:
            wrong.append(relpath)
    return sorted(wrong)


def target_file(baseline: dict[str, bytes]) -> str:
    """The archive path of the target page in an unfaulted sync."""
    [path] = [p for p in baseline if p.endswith("makaurau-election-date-set.md")]
    return path


@dataclass(frozen=True)
class Cell:
    """One fault and what a sync under it must end with."""

    arrange: Callable[[StandIn], object]
    code: int
    #: Words the run's failure (or, for success, its warnings) must hold.
    says: tuple[str, ...] = ()
    settings: str = NO_WAIT


def checked(cell_id: str, archive: Path, baseline: dict[str, bytes]) -> list[str]:
    """The wrong files of a cell's archive, counted for the stress table."""
    wrong = wrong_files(archive, baseline) if archive.exists() else []
    # Nothing beside the archive either: its folder holds only what the test put there.
    wrong += [
        path.name
        for path in archive.parent.iterdir()
        if path.name not in ("archive", "scraper.toml", "secret")
    ]
    tally("faults", cases=1, wrong_files=len(wrong))
    assert wrong == [], f"{cell_id}: wrong files {wrong}"
    return wrong


def run_cell(cell: Cell, site: StandIn, tmp_path: Path) -> tuple[Run, Path]:
    """Set the fault up, then sync a new archive; the run and the archive."""
    config = tmp_path / "scraper.toml"
    config.write_text(cell.settings, encoding="utf-8")
    cell.arrange(site)
    archive = tmp_path / "archive"
    return sync(site, archive, config), archive


def failure_of(run: Run, url: str) -> str:
    """The reason the --json summary gives for a failed URL."""
    reasons = [f["reason"] for f in run.report["failed"] if f["url"] == url]
    assert reasons, f"no failure for {url}: {run.report['failed']}"
    return " | ".join(reasons)


def http_date(when: dt.datetime) -> str:
    """An HTTP date (RFC 9110 IMF-fixdate)."""
    return email.utils.format_datetime(when.astimezone(dt.UTC), usegmt=True)


def _page(kind: str, **opts: object) -> Callable[[StandIn], object]:
    """Arrange: one fault, once, on the target page."""
    return lambda site: site.fail(TARGET, kind, 1, **opts)


def _always(kind: str, **opts: object) -> Callable[[StandIn], object]:
    """Arrange: one fault on every request for the target page."""
    return lambda site: site.fail(TARGET, kind, times=None, **opts)


def _burst(status: int, times: int) -> Callable[[StandIn], object]:
    """Arrange: `times` answers with `status` for the target page, then the page."""
    return lambda site: site.fail(TARGET, "status", times=times, status=status)


def _cp1252(body: bytes) -> bytes:
    """The page's text in Windows-1252, as a server that re-encoded it would send it."""
    return body.decode("utf-8").encode("cp1252", "replace")


# -- a page fails, the rest is written ---------------------------------------------------------

PAGE_FAILURES = {
    "gzip-bomb": Cell(_page("gzip-bomb"), EXIT_FAILED, (f"max_body_bytes ({MAX_BODY})",)),
    "gzip-gzip-bomb": Cell(
        _page("gzip-bomb", layers=2), EXIT_FAILED, (f"max_body_bytes ({MAX_BODY})",)
    ),
    "20mb-body": Cell(
        _page("body", body=bytes(20 << 20)),
        EXIT_FAILED,
        (f"max_body_bytes ({MAX_BODY})", "Content-Length 20971520"),
    ),
    "20mb-body-no-length": Cell(
        _page("body", body=bytes(20 << 20), length=False),
        EXIT_FAILED,
        (f"max_body_bytes ({MAX_BODY})", "decoded"),
    ),
    "invalid-utf8": Cell(
        _page("alter", transform=lambda body: body.replace(b"<p>", b"<p>\xff\xfe", 1)),
        EXIT_FAILED,
        ("not valid UTF-8", "0xff"),
    ),
    "cp1252-body": Cell(_page("alter", transform=_cp1252), EXIT_FAILED, ("not valid UTF-8",)),
    "redirect-loop": Cell(
        _always("redirect", location=TARGET), EXIT_FAILED, ("more than 5 redirects",)
    ),
    "redirect-other-host": Cell(
        _page("redirect", location="https://evil.example/release/x"),
        EXIT_FAILED,
        ("redirects to https://evil.example/release/x", "not followed"),
    ),
    "redirect-file": Cell(
        _page("redirect", location="file:///etc/passwd"),
        EXIT_FAILED,
        ("redirects to file:", "not http(s); not followed"),
    ),
    "redirect-ftp": Cell(
        _page("redirect", location="ftp://ftp.example/release.html"),
        EXIT_FAILED,
        ("redirects to ftp://ftp.example/release.html", "not http(s); not followed"),
    ),
    "429-absurd-retry-after": Cell(
        _page("429", retry_after=10**9),
        EXIT_FAILED,
        ("HTTP 429 asking to wait 1000000000s (Retry-After)", "retry_after_cap"),
    ),
    "429-absurd-date": Cell(
        _page("429", retry_after=dt.datetime(2999, 1, 1, tzinfo=dt.UTC)),
        EXIT_FAILED,
        ("HTTP 429 asking to wait", "retry_after_cap"),
    ),
    "503-burst-past-retries": Cell(_burst(503, 3), EXIT_FAILED, ("HTTP 503 after 3 attempts",)),
    "reset-every-time": Cell(_always("reset"), EXIT_FAILED, ("ReadError", "after 3 attempts")),
    "read-timeout-every-time": Cell(
        _always("silent"), EXIT_FAILED, ("ReadTimeout", "after 3 attempts"), SHORT
    ),
    "truncated-every-time": Cell(
        _always("truncate"), EXIT_FAILED, ("RemoteProtocolError", "after 3 attempts")
    ),
    "reset-mid-body-every-time": Cell(
        _always("truncate", keep=0.9, hard=True), EXIT_FAILED, ("ReadError", "after 3 attempts")
    ),
    "slow-drip-every-time": Cell(
        _always("drip", interval=0.02),
        EXIT_FAILED,
        ("took longer than 1s", "after 3 attempts"),
        DRIP,
    ),
}


@pytest.mark.parametrize("name", list(PAGE_FAILURES))
def test_a_page_fault_fails_that_page_alone(
    name: str, site: StandIn, tmp_path: Path, baseline: dict[str, bytes]
) -> None:
    cell = PAGE_FAILURES[name]
    run, archive = run_cell(cell, site, tmp_path)
    assert run.code == cell.code, run.stderr
    reason = failure_of(run, TARGET_URL)
    for words in cell.says:
        assert words in reason, reason
    assert [f["url"] for f in run.report["failed"]] == [TARGET_URL]
    checked(name, archive, baseline)
    # Everything else was written; the failed page stays pending for the next run.
    assert set(_archive_files(archive)) == set(baseline) - {target_file(baseline)}


# -- retried, then written as if nothing happened ----------------------------------------------

RECOVERED = {
    "429-retry-after-seconds": Cell(_page("429", retry_after=0), EXIT_OK, ("HTTP 429",)),
    "429-retry-after-date": Cell(
        lambda site: site.fail(TARGET, "429", retry_after=http_date(dt.datetime.now(dt.UTC))),
        EXIT_OK,
        ("HTTP 429",),
    ),
    **{
        f"{status}-burst": Cell(_burst(status, 2), EXIT_OK, (f"HTTP {status}",))
        for status in (500, 502, 503, 504)
    },
    "reset": Cell(_page("reset"), EXIT_OK, ("ReadError",)),
    "closed-without-answer": Cell(_page("reset", hard=False), EXIT_OK, ("RemoteProtocolError",)),
    "read-timeout": Cell(_page("silent"), EXIT_OK, ("ReadTimeout",), SHORT),
    "truncated-body": Cell(_page("truncate"), EXIT_OK, ("RemoteProtocolError",)),
    "reset-mid-body": Cell(_page("truncate", hard=True), EXIT_OK, ("ReadError",)),
    "slow-drip": Cell(_page("drip", interval=0.02), EXIT_OK, ("took longer than 1s",), DRIP),
    "wrong-content-type": Cell(_page("alter", content_type="image/png"), EXIT_OK),
    "no-content-type": Cell(_page("alter", content_type=""), EXIT_OK),
    "wrong-declared-charset": Cell(
        _page("alter", content_type="text/html; charset=ISO-8859-1"), EXIT_OK
    ),
}


@pytest.mark.parametrize("name", list(RECOVERED))
def test_a_passing_fault_costs_a_retry_and_changes_no_file(
    name: str, site: StandIn, tmp_path: Path, baseline: dict[str, bytes]
) -> None:
    cell = RECOVERED[name]
    run, archive = run_cell(cell, site, tmp_path)
    assert run.code == EXIT_OK, run.stderr
    assert run.report["failed"] == [] and run.report["blocked"] == []
    # The fault was served, every time it was set for (a cell without words to look for
    # would otherwise pass though its fault never fired).
    assert site.faults == []
    # Each retry was told: a warning naming the page and what went wrong.
    warnings = [
        line for line in run.stderr.splitlines() if line.startswith("warning: ") and TARGET in line
    ]
    for words in cell.says:
        assert any(words in line for line in warnings), run.stderr
    checked(name, archive, baseline)
    assert _archive_files(archive) == baseline


# -- the whole run stops -------------------------------------------------------------------------


def test_connection_refused_stops_the_run_with_exit_5(
    site: StandIn, tmp_path: Path, baseline: dict[str, bytes]
) -> None:
    config = tmp_path / "scraper.toml"
    config.write_text(NO_WAIT, encoding="utf-8")
    base_url = site.base_url
    site.stop()
    archive = tmp_path / "archive"
    try:
        run = _sync_at(base_url, archive, config)
    finally:
        site.start(port=urlsplit(base_url).port or 0)
    assert run.code == EXIT_UNREACHABLE
    said = run.stdout + run.stderr
    assert "connection refused" in said and "cannot reach" in said, said
    checked("connection-refused", archive, baseline)
    assert _archive_files(archive) == {}


def _sync_at(base_url: str, archive: Path, config: Path) -> Run:
    """`scraper sync --json` against a base URL where nothing may answer."""
    argv = ["sync", "--init", "--archive", str(archive), "--base-url", base_url]
    return invoke(*argv, "--config", str(config), "--json")


@pytest.mark.parametrize(
    ("name", "pattern", "kind", "code", "says"),
    [
        ("challenge-everywhere", "*", "challenge", EXIT_BLOCKED, "bot-protection page"),
        ("503-everywhere", "*", "503", EXIT_UNREACHABLE, "robots.txt"),
        ("challenge-on-releases", "/release/*", "challenge", EXIT_BLOCKED, "3 blocked requests"),
    ],
)
def test_a_site_wide_fault_stops_the_run_with_its_exit_code(
    name: str,
    pattern: str,
    kind: str,
    code: int,
    says: str,
    site: StandIn,
    tmp_path: Path,
    baseline: dict[str, bytes],
) -> None:
    cell = Cell(lambda s: s.fail(pattern, kind, times=None), code)
    run, archive = run_cell(cell, site, tmp_path)
    assert run.code == code, run.stderr
    assert says in run.stdout + run.stderr, run.stdout + run.stderr
    checked(name, archive, baseline)
    assert not {p for p in _archive_files(archive) if p.endswith(".md")}


def test_a_challenge_on_one_page_blocks_that_page_alone(
    site: StandIn, tmp_path: Path, baseline: dict[str, bytes]
) -> None:
    run, archive = run_cell(Cell(_page("challenge"), EXIT_BLOCKED), site, tmp_path)
    assert run.code == EXIT_BLOCKED
    # Exit 3 says it: the site served its bot-protection page (for this page alone).
    assert run.report["blocked"] == [TARGET_URL] and run.report["failed"] == []
    checked("challenge-one-page", archive, baseline)
    assert set(_archive_files(archive)) == set(baseline) - {target_file(baseline)}


# -- the feed is hostile -----------------------------------------------------------------------

LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "lol">'
    + b"".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(9)
    )
    + b']>\n<rss version="2.0"><channel><item><title>&j;</title>'
    b"<link>https://www.beehive.govt.nz/release/x</link></item></channel></rss>"
)


def _external(secret: Path) -> bytes:
    """A feed whose item title is an external entity naming a local file."""
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY x SYSTEM "'
        + secret.as_uri().encode()
        + b'">]>\n<rss version="2.0"><channel><item><title>&x;</title>'
        b"<link>https://www.beehive.govt.nz/release/x</link></item></channel></rss>"
    )


@pytest.mark.parametrize(
    ("name", "feed", "says"),
    [
        ("feed-not-xml", b'{"items": []}', "not well-formed XML"),
        ("feed-html", b"<html><body>Maintenance</body></html>", "an HTML page, not RSS"),
        ("feed-xml-bomb", LAUGHS, "declares XML entities (<!ENTITY a"),
        ("feed-external-entity", None, "declares XML entities (<!ENTITY x SYSTEM"),
    ],
)
def test_a_hostile_feed_is_refused_and_the_listings_still_read(
    name: str,
    feed: bytes | None,
    says: str,
    site: StandIn,
    tmp_path: Path,
    baseline: dict[str, bytes],
) -> None:
    secret = tmp_path / "secret" / "passwords.txt"
    secret.parent.mkdir()
    secret.write_text("hunter2-do-not-read", encoding="utf-8")
    body = _external(secret) if feed is None else feed
    cell = Cell(lambda s: s.fail("/rss.xml", "body", body=body, content_type="text/xml"), 1)
    run, archive = run_cell(cell, site, tmp_path)
    assert run.code == EXIT_FAILED, run.stderr
    assert says in failure_of(run, "/rss.xml")
    written = _archive_files(archive)
    checked(name, archive, baseline)
    # The listings' releases are written all the same.
    assert written and set(written) < set(baseline)
    assert all(b"hunter2" not in data for data in written.values())
    assert "hunter2" not in run.stdout + run.stderr


def test_a_gzip_bomb_as_the_feed_fails_the_feed_alone(
    site: StandIn, tmp_path: Path, baseline: dict[str, bytes]
) -> None:
    cell = Cell(lambda s: s.fail("/rss.xml", "gzip-bomb", layers=2), EXIT_FAILED)
    run, archive = run_cell(cell, site, tmp_path)
    assert run.code == EXIT_FAILED, run.stderr
    assert f"max_body_bytes ({MAX_BODY})" in failure_of(run, "/rss.xml")
    written = _archive_files(archive)
    checked("feed-gzip-bomb", archive, baseline)
    assert written and set(written) < set(baseline)


def test_a_gzip_bomb_as_robots_txt_is_read_to_its_limit_and_noted(
    site: StandIn, tmp_path: Path, baseline: dict[str, bytes]
) -> None:
    # RFC 9309 §2.5: past 512 KiB robots.txt is cut, not refused; zeros hold no rules.
    cell = Cell(lambda s: s.fail("/robots.txt", "gzip-bomb", layers=2), EXIT_OK)
    run, archive = run_cell(cell, site, tmp_path)
    assert run.code == EXIT_OK, run.stderr
    assert any(
        "robots.txt" in note and "larger than 524288 bytes" in note for note in run.report["notes"]
    )
    checked("robots-gzip-bomb", archive, baseline)
    assert _archive_files(archive) == baseline


# -- a listing that never ends -------------------------------------------------------------------


def test_an_endless_listing_stops_at_the_page_limit_and_says_so(
    tmp_path: Path, baseline: dict[str, bytes]
) -> None:
    site = StandIn()
    site.fail("/releases*", "endless", times=None)
    report = engine_sync(site, tmp_path / "archive", max_listing_pages=25)
    reasons = [f.reason for f in report.failed if f.url == "/releases?page=0"]
    assert reasons and "did not end after 25 pages" in reasons[0], report.failed
    assert site.count("/releases") == 25
    # Every release it showed was real: all are written, as an unfaulted sync writes them.
    checked("endless-listing", tmp_path / "archive", baseline)
    assert _archive_files(tmp_path / "archive") == baseline


# -- the check itself ----------------------------------------------------------------------------


def test_the_check_finds_every_kind_of_wrong_file(
    tmp_path: Path, baseline: dict[str, bytes]
) -> None:
    archive = tmp_path / "archive"
    good, changed = sorted(baseline)[:2]
    for relpath, data in ((good, baseline[good]), (changed, baseline[changed] + b"\nmore\n")):
        (archive / relpath).parent.mkdir(parents=True, exist_ok=True)
        (archive / relpath).write_bytes(data)
    stray = archive / "releases" / "2099" / "01" / "2099-01-01-not-a-release.md"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"---\ntitle: [unclosed\n---\n")
    temp = archive / "releases" / f".{Path(good).name}.1a2b3c4d.tmp"
    temp.write_bytes(baseline[good][:10])
    (archive / ".scraper").mkdir()
    (archive / ".scraper" / ".state.db.99.tmp").write_bytes(b"")
    assert wrong_files(archive, baseline) == sorted(
        [
            changed,
            stray.relative_to(archive).as_posix(),
            temp.relative_to(archive).as_posix(),
            ".scraper/.state.db.99.tmp",
        ]
    )
