"""Kept pages beyond a sync's releases: what verify fetches, the feed and listings (a
setting), and each request record's headers as the Fetcher sent them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from warcio.archiveiterator import ArchiveIterator

from scraper.archive.store import Archive, hold_lock
from scraper.cli import EXIT_OK
from scraper.keep.pages import PageKeeper
from scraper.keep.settings import KeepSettings
from scraper.keep.warcfiles import warc_files
from scraper.net.source import Fetched
from scraper.site.urls import content_type_of
from tests.fakesite import PAGE, SITE, Site, make, reply
from tests.standin import StandIn
from tests.support import files, invoke, sync
from tests.test_keep import readable, warc_dir

PUBLIC = "https://www.beehive.govt.nz"
AGENT = "keep-test/1.0 (+mailto:keep@example.org)"


def kept(archive: Path) -> list[tuple[str, str, dict[str, str]]]:
    """Every record of every WARC file: (type, target URI, its HTTP headers)."""
    found = []
    for name in warc_files(warc_dir(archive)):
        with (warc_dir(archive) / name).open("rb") as stream:
            for record in ArchiveIterator(stream):
                uri = record.rec_headers.get_header("WARC-Target-URI")
                headers = dict(record.http_headers.headers) if record.http_headers else {}
                found.append((record.rec_type, uri, headers))
    return found


def pages_kept(archive: Path) -> list[str]:
    """The target URIs of the response and revisit records, in the order kept."""
    return [uri for kind, uri, _ in kept(archive) if kind in ("response", "revisit")]


def all_readable(archive: Path) -> bool:
    """Whether every WARC file is whole and `warcio check` passes it."""
    names = warc_files(warc_dir(archive))
    return bool(names) and all(readable(warc_dir(archive) / name) for name in names)


def page_requests(site: StandIn) -> list[str]:
    """The public URLs of the content pages the stand-in was asked for (robots.txt aside)."""
    return [PUBLIC + r.target for r in site.requests if content_type_of(r.target)]


def discovery_requests(site: StandIn) -> list[str]:
    """The public URLs of the feed and listing pages the stand-in was asked for."""
    targets = [r.target for r in site.requests if r.target != "/robots.txt"]
    return [PUBLIC + t for t in targets if not content_type_of(t)]


def hand_edit_all(archive: Path) -> dict[str, str]:
    """Add a line to the body of every file (a verify then asks for its page in full)."""
    before = files(archive)
    for relpath, text in before.items():
        (archive / relpath).write_text(text + "\nA line added by hand.\n", encoding="utf-8")
    return before


def verify(site: StandIn, archive: Path, config: Path, *args: str) -> dict[str, object]:
    """Run `scraper verify --json` online against the stand-in: its report."""
    argv = ["verify", "--archive", str(archive), "--base-url", site.base_url]
    run = invoke(*argv, "--config", str(config), "--json", *args)
    assert run.report is not None, run.stderr
    return run.report


# -- verify keeps what it fetches ------------------------------------------------------------


@pytest.mark.parametrize("fix", [[], ["--fix"]], ids=["read-only", "fix"])
def test_verify_keeps_each_page_it_fetches_but_rebuild_uses_none_a_file_was_not_written_from(
    site: StandIn, archive: Path, config_file: Path, fix: list[str]
) -> None:
    assert sync(site, archive, config_file, "--set", "keep.pages=false").code == EXIT_OK
    assert kept(archive) == []
    before = hand_edit_all(archive)
    site.clear_log()

    report = verify(site, archive, config_file, *fix)
    fetched = page_requests(site)
    assert len(fetched) == len(before)  # every file's page, in full (each was edited)
    assert sorted(pages_kept(archive)) == sorted(fetched)
    assert all_readable(archive)
    assert not [n for n in report["notes"] if "not kept" in str(n)]  # type: ignore[attr-defined]

    site.clear_log()
    checked = files(archive)
    rebuilt = invoke("rebuild", "--archive", str(archive), "--json")
    assert rebuilt.code == EXIT_OK, rebuilt.stderr
    # Each file was written from a page not kept: a newer page may hold a change at the
    # source, which a rebuild must not bring in (nor undo a hand edit with).
    assert sorted(rebuilt.report["not_kept"]) == sorted(before)
    assert rebuilt.report["rewritten"] == [] and files(archive) == checked
    assert site.requests == []


def test_a_verify_again_keeps_revisits_of_unchanged_pages(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    assert sync(site, archive, config_file).code == EXIT_OK
    hand_edit_all(archive)
    responses = len(pages_kept(archive))
    site.clear_log()
    verify(site, archive, config_file)
    kinds = [kind for kind, _, _ in kept(archive)]
    assert kinds.count("response") == responses
    assert kinds.count("revisit") == len(page_requests(site)) > 0
    assert all_readable(archive)


def test_a_verify_beside_a_sync_holding_the_archive_checks_and_keeps_nothing(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    assert sync(site, archive, config_file, "--set", "keep.pages=false").code == EXIT_OK
    hand_edit_all(archive)
    site.clear_log()
    with hold_lock(archive):  # as a running sync does
        report = verify(site, archive, config_file)
    assert page_requests(site)  # it checked against the site all the same
    findings = report["findings"]
    assert findings and all("local-edit" in f["kinds"] for f in findings)  # type: ignore[attr-defined]
    notes = [str(n) for n in report["notes"]]  # type: ignore[attr-defined]
    assert any("pages" in n and "not kept" in n for n in notes), notes
    assert kept(archive) == []


def test_a_verify_of_an_archive_without_a_state_keeps_nothing_and_creates_none(
    site: StandIn, archive: Path, config_file: Path, tmp_path: Path
) -> None:
    assert sync(site, archive, config_file).code == EXIT_OK
    relpath, text = sorted(files(archive).items())[0]
    adopted = tmp_path / "adopted"  # an old exporter's checkout: files, no .scraper/
    (adopted / relpath).parent.mkdir(parents=True)
    (adopted / relpath).write_text(text, encoding="utf-8")
    site.clear_log()
    report = verify(site, adopted, config_file)
    assert page_requests(site)
    notes = [str(n) for n in report["notes"]]  # type: ignore[attr-defined]
    assert any("pages fetched are not kept" in n for n in notes), notes
    assert not (adopted / ".scraper").exists()


def test_verify_with_keep_pages_false_keeps_nothing(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    assert sync(site, archive, config_file, "--set", "keep.pages=false").code == EXIT_OK
    hand_edit_all(archive)
    verify(site, archive, config_file, "--set", "keep.pages=false")
    assert kept(archive) == []


# -- the feed and listings, on request -------------------------------------------------------


def test_the_feed_and_listings_are_not_kept_by_default(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    assert sync(site, archive, config_file).code == EXIT_OK
    assert discovery_requests(site)
    assert set(pages_kept(archive)) == set(page_requests(site))


def test_keep_discovery_keeps_the_feed_and_listings_and_rebuild_passes_them_over(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    run = sync(site, archive, config_file, "--set", "keep.discovery=true")
    assert run.code == EXIT_OK
    listings = discovery_requests(site)
    assert f"{PUBLIC}/rss.xml" in listings and any("?" in u for u in listings)
    assert sorted(pages_kept(archive)) == sorted(listings + page_requests(site))
    assert all_readable(archive)

    before = files(archive)
    rebuilt = invoke("rebuild", "--archive", str(archive), "--json")
    assert rebuilt.code == EXIT_OK, rebuilt.stderr
    report = rebuilt.report
    assert report["rewritten"] == [] and report["failed"] == [] and report["not_kept"] == []
    assert report["unchanged"] == len(before) and files(archive) == before
    checked = invoke("verify", "--archive", str(archive), "--offline", "--json")
    assert not [f for f in checked.report["findings"] if "stale-render" in f["kinds"]]


# -- the request as sent ---------------------------------------------------------------------


class Validators:
    """A validator store holding one ETag and date for every URL."""

    def get_validators(self, url: str) -> tuple[str | None, str | None]:
        return '"v1"', "Mon, 01 Jan 2024 00:00:00 GMT"


def test_the_fetcher_hands_over_the_request_headers_it_sent() -> None:
    site = Site({"/release/a": [reply()]})
    with make(site, validators=Validators(), user_agent=AGENT) as fetcher:
        fetched = fetcher.get("/release/a", conditional=True)
    assert fetched.request_headers == tuple(
        (k.decode(), v.decode()) for k, v in site.requests[-1].headers.raw
    )
    sent = httpx.Headers(fetched.request_headers)
    assert sent["user-agent"] == AGENT
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert fetched == Fetched(f"{SITE}/release/a", 200, PAGE, None, None, f"{SITE}/release/a")


def test_the_request_record_holds_the_headers_sent_but_no_cookie(tmp_path: Path) -> None:
    sent = (
        ("Host", "127.0.0.1:8000"),
        ("Accept", "*/*"),
        ("User-Agent", AGENT),
        ("If-None-Match", '"v1"'),
        ("Cookie", "session=secret"),
    )
    page = Fetched(f"{SITE}/release/x?b=1", 200, b"<p>x</p>", None, None, request_headers=sent)
    with Archive(tmp_path) as opened:
        PageKeeper(opened, warc_dir(tmp_path), KeepSettings()).keep(page, dt.date(2024, 1, 2))
    (request,) = [h for kind, _, h in kept(tmp_path) if kind == "request"]
    assert request == {
        "Host": "www.beehive.govt.nz",
        "Accept": "*/*",
        "User-Agent": AGENT,
        "If-None-Match": '"v1"',
    }


def test_a_syncs_request_records_carry_the_configured_user_agent(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    assert sync(site, archive, config_file, "--user-agent", AGENT).code == EXIT_OK
    requests = [(uri, h) for kind, uri, h in kept(archive) if kind == "request"]
    assert requests
    sent = {PUBLIC + r.target: r.headers for r in site.requests}
    for uri, headers in requests:
        assert headers["User-Agent"] == AGENT == sent[uri]["user-agent"]
        assert headers["Accept-Encoding"] == sent[uri]["accept-encoding"]
        assert headers["Host"] == urlsplit(PUBLIC).netloc
