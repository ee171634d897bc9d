"""A site whose bot check only a browser passes: a plain run is blocked, cookies get through.

The browser itself is in test_browser_fetch.py; nothing here starts one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import httpx
import pytest

from scraper.archive.store import Archive
from scraper.cli import EXIT_BLOCKED, EXIT_OK, EXIT_USAGE
from scraper.config import Config, with_overrides
from scraper.errors import BudgetError, ConfigError, FetchError, RobotsError
from scraper.net.browser import BrowserSource, find_browser, require_playwright
from scraper.net.cookies import SiteCookie, load_cookies
from scraper.net.fetch import Fetcher
from scraper.site.blockpage import is_block_page
from scraper.sync.engine import open_source
from tests.fakesite import SITE, FakeTime, Site, make, reply
from tests.standin import StandIn
from tests.standin.clearance import COOKIE, token
from tests.support import files, sync

HOST = "127.0.0.1"


# -- the stand-in's check ---------------------------------------------------------------------


def test_the_check_blocks_plain_clients_and_admits_its_cookie_for_k_pages(site: StandIn) -> None:
    site.require_clearance(valid_for=2)
    with httpx.Client(base_url=site.base_url) as client:
        blocked = client.get("/releases?page=0")
        assert blocked.status_code == 200 and is_block_page(blocked.content)
        assert client.get("/robots.txt").text.startswith("#")
        assert b"<rss" in client.get("/rss.xml").content
        # The page's own script works the token out: the same arithmetic gets through.
        nonce = int(blocked.text.split("var n = ", 1)[1].split(",", 1)[0])
        client.cookies.set(COOKIE, f"{nonce}.{token(nonce)}")
        passed = [client.get("/releases?page=0").content for _ in range(3)]
    assert [is_block_page(body) for body in passed] == [False, False, True]
    assert site.challenges == {"/releases?page=0": 2}
    assert [r.target for r in site.challenged] == ["/releases?page=0"] * 2


def test_a_guessed_or_unissued_token_is_challenged(site: StandIn) -> None:
    site.require_clearance()
    with httpx.Client(base_url=site.base_url) as client:
        for value in ("123456.1", f"123456.{token(123456)}"):
            client.cookies.set(COOKIE, value)
            assert is_block_page(client.get("/releases?page=0").content)


# -- a plain run, and one with cookies ---------------------------------------------------------


def test_a_plain_sync_against_the_check_is_blocked_and_writes_nothing(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    site.require_clearance()
    run = sync(site, archive, config_file)
    assert run.code == EXIT_BLOCKED
    assert run.report["exit"] == EXIT_BLOCKED and run.report["added"] == []
    stopped = run.report["stopped"]
    assert "bot-protection page" in stopped and "--cookies" in stopped
    assert files(archive) == {}


def _netscape(path: Path, name: str, value: str) -> Path:
    path.write_text(f"# Netscape HTTP Cookie File\n{HOST}\tFALSE\t/\tFALSE\t0\t{name}\t{value}\n")
    return path


def _json(path: Path, name: str, value: str) -> Path:
    path.write_text(
        json.dumps(
            [
                # As a browser extension exports them: extra keys, a domain cookie elsewhere.
                {
                    "domain": HOST,
                    "expirationDate": 4102444800.5,
                    "hostOnly": True,
                    "httpOnly": False,
                    "name": name,
                    "path": "/",
                    "sameSite": "lax",
                    "secure": False,
                    "session": False,
                    "storeId": "0",
                    "value": value,
                },
                {"domain": ".example.com", "name": "elsewhere", "value": "secret", "path": "/"},
            ]
        )
    )
    return path


@pytest.mark.parametrize("write", [_netscape, _json], ids=["netscape", "json"])
def test_a_sync_with_the_clearance_cookie_gets_through(
    site: StandIn,
    archive: Path,
    config_file: Path,
    tmp_path: Path,
    write: object,
) -> None:
    site.require_clearance()
    assert callable(write)
    cookies = write(tmp_path / "cookies", *site.clearance_cookie())
    run = sync(site, archive, config_file, "--cookies", str(cookies))
    assert run.code == EXIT_OK, run.stderr
    assert run.report["added"] and site.challenges == {}
    sent = [r.headers.get("cookie", "") for r in site.requests]
    assert all(COOKIE in cookie for cookie in sent)
    assert not any("elsewhere" in cookie or "secret" in cookie for cookie in sent)
    if write is _json:
        assert "example.com" in run.stderr and "never sent" in run.stderr


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ('[{"name": "a"}]', "cookie 1"),
        ("[1, 2", "not JSON"),
        ('{"a": 1}', "not a list"),
        ("not a cookies file\n", "Netscape"),
    ],
)
def test_a_bad_cookies_file_is_a_config_error_naming_it(
    tmp_path: Path, content: str, says: str
) -> None:
    path = tmp_path / "cookies.txt"
    path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        load_cookies(path, HOST)
    assert str(path) in str(caught.value) and says in str(caught.value)


def test_playwrights_storage_state_is_read_too(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    cookie = {"name": "reese84", "value": "x", "domain": ".beehive.govt.nz", "expires": -1}
    path.write_text(json.dumps({"cookies": [cookie], "origins": []}))
    jar = load_cookies(path, "www.beehive.govt.nz")
    assert jar is not None
    assert [(c.name, c.domain) for c in jar] == [("reese84", ".beehive.govt.nz")]


# -- asking for a browser that is not there ------------------------------------------------------


def test_a_browser_path_that_is_no_program_is_a_usage_error(
    site: StandIn, archive: Path, config_file: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "no-chromium"
    run = sync(site, archive, config_file, "--browser", str(missing))
    assert run.code == EXIT_USAGE
    assert str(missing) in run.report["error"] and "--browser" in run.report["error"]
    assert site.requests == []


def test_a_browser_that_cannot_work_makes_no_archive_folder(
    site: StandIn, tmp_path: Path, config_file: Path
) -> None:
    folder = tmp_path / "new-archive"
    run = sync(site, folder, config_file, "--init", "--browser", str(tmp_path / "no-chromium"))
    assert run.code == EXIT_USAGE
    assert not folder.exists() and site.requests == []


def test_auto_with_no_browser_on_path_names_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConfigError, match=r"no Chromium or Chrome on PATH.*apt-get install"):
        find_browser("auto")


def test_a_missing_playwright_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)
    with pytest.raises(ConfigError, match=r"pip install 'scraper\[browser\]'"):
        require_playwright()


def test_the_browser_is_off_by_default_and_a_setting() -> None:
    assert Config().fetch.browser == ""
    assert with_overrides(Config(), browser="auto").fetch.browser == "auto"


# -- the gate every browser request goes through -----------------------------------------------


def test_pace_holds_another_clients_request_to_the_fetchers_rules() -> None:
    robots = b"User-agent: *\nDisallow: /private/\n"
    site = Site({"/robots.txt": [reply(body=robots)], "/release/a": [reply()]})
    time = FakeTime()
    with make(site, time, budget=2, interval=5.0) as fetcher:
        fetcher.get("/release/a")  # robots.txt, then the page: 5 s apart
        fetcher.pace(f"{SITE}/_Incapsula_Resource?x=1")  # the browser's: 5 s later again
        with pytest.raises(RobotsError):
            fetcher.pace(f"{SITE}/private/x")
        with pytest.raises(FetchError, match="not on the configured site"):
            fetcher.pace("https://elsewhere.test/script.js")
        with pytest.raises(BudgetError):
            fetcher.pace(f"{SITE}/release/b")  # the page budget of 2 is spent
        assert fetcher.requests_made == 3
    assert time.sleeps == [5.0, 5.0]
    assert site.paths() == ["/robots.txt", "/release/a"]  # pace sends nothing itself


def test_cookies_taken_from_the_browser_are_the_sites_only() -> None:
    site = Site({"/robots.txt": [reply(body=b"")], "/release/a": [reply()]})
    with make(site) as fetcher:
        fetcher.take_cookies(
            [
                SiteCookie("clearance", "1", "mirror.test", host_only=True),
                SiteCookie("tracker", "2", ".ads.example"),
            ],
            "the browser",
        )
        fetcher.get("/release/a")
    assert site.requests[-1].headers["Cookie"] == "clearance=1"


def test_sync_verify_and_the_daemon_get_the_browser_from_open_source(tmp_path: Path) -> None:
    """open_source (which sync, verify and the daemon's jobs build theirs with) wraps the
    Fetcher when a browser is set, and starts nothing until a page is blocked."""
    program = tmp_path / "chromium"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    config = with_overrides(Config(archive=tmp_path), browser=str(program))
    with Archive(tmp_path) as archive:
        source = open_source(config, archive)
        with source:
            assert isinstance(source, BrowserSource) and source.pages_opened == 0
        with open_source(Config(archive=tmp_path), archive) as plain:
            assert isinstance(plain, Fetcher)
