"""`sync --feed-only` after a sync blocked on release pages alone, and completion's bounds.

A sync whose feed and listings got through but whose release pages were blocked leaves the
new releases pending and suggests `--feed-only`: that run must then write them. Completing
files written from the feed keeps to `--limit`, `--types` and `--since`, and asks for a
page once per run however it fares.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from scraper.cli import EXIT_BLOCKED, EXIT_OK
from tests.standin import StandIn
from tests.support import paths, sync
from tests.test_feed_only import block_pages, marks, publish_three

#: What a sync notes when the feed answered 304 (nothing was published).
UNCHANGED = "the feed is unchanged"


def blocked_on_its_page(site: StandIn, archive: Path, config_file: Path, slug: str) -> str:
    """Publish a release, block its page alone, and sync: its path (the sync exits 3)."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    path = site.publish(slug, title=f"Release {slug}", when=now).path
    site.fail(path, "challenge", times=None)
    run = sync(site, archive, config_file)
    assert run.code == EXIT_BLOCKED, run.stdout
    assert any("--feed-only" in note for note in run.report["notes"])
    assert run.report["pending"] == 1
    return path


def feed_requests(site: StandIn) -> list[dict[str, str]]:
    """The headers of each request for the feed, oldest first."""
    return [r.headers for r in site.requests if r.target == "/rss.xml"]


def test_feed_only_writes_what_a_sync_blocked_on_its_pages_left_pending(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    assert sync(site, archive, config_file).code == EXIT_OK
    path = blocked_on_its_page(site, archive, config_file, "pending-blocked")
    run = sync(site, archive, config_file, "--feed-only")
    assert run.code == EXIT_OK, run.stdout
    [added] = paths(run.report["added"])
    assert "pending-blocked" in added
    assert [p for _, p in marks(archive)] == [added]
    assert not any(UNCHANGED in note for note in run.report["notes"])
    assert run.report["pending"] == 0
    site.clear_faults()
    done = sync(site, archive, config_file)
    assert done.code == EXIT_OK, done.stdout
    assert paths(done.report["updated"]) == [added] and marks(archive) == []
    assert site.count(path) == 2  # blocked once, then completed


def test_feed_only_reads_the_feed_afresh_though_the_state_holds_its_validators(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    assert sync(site, archive, config_file).code == EXIT_OK
    blocked_on_its_page(site, archive, config_file, "pending-validated")
    # As an older version left the state: the feed's validators kept, its new item pending.
    served = httpx.get(site.base_url + "/rss.xml").headers
    with sqlite3.connect(archive / ".scraper" / "state.db") as db:
        changed = db.execute(
            "UPDATE validators SET etag = ?, last_modified = ? WHERE url LIKE '%/rss.xml'",
            (served.get("etag"), served.get("last-modified")),
        ).rowcount
    db.close()
    assert changed == 1
    site.clear_log()
    run = sync(site, archive, config_file, "--feed-only")
    assert run.code == EXIT_OK, run.stdout
    [added] = paths(run.report["added"])
    assert "pending-validated" in added
    [headers] = feed_requests(site)
    assert "if-none-match" not in headers and "if-modified-since" not in headers


def test_a_sync_keeps_the_feeds_validators_only_once_all_it_listed_is_written(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    assert sync(site, archive, config_file).code == EXIT_OK
    blocked_on_its_page(site, archive, config_file, "pending-reread")
    site.clear_faults()
    site.clear_log()
    run = sync(site, archive, config_file)
    assert run.code == EXIT_OK, run.stdout
    assert not any(UNCHANGED in note for note in run.report["notes"])
    assert site.count("/releases") >= 1  # the feed changed: the listings were read too
    [added] = paths(run.report["added"])
    assert "pending-reread" in added
    site.clear_log()
    again = sync(site, archive, config_file)
    assert again.code == EXIT_OK, again.stdout
    assert any(UNCHANGED in note for note in again.report["notes"])
    assert site.count("/releases") == 0


def test_completion_keeps_to_limit_since_and_types(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    assert sync(site, archive, config_file).code == EXIT_OK
    publish_three(site)  # today, 10 and 40 days ago
    block_pages(site)
    written = sorted(paths(sync(site, archive, config_file, "--feed-only").report["added"]))
    assert len(written) == 3
    [third] = [p for p in written if "feed-only-third" in p]
    site.clear_faults()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    newest = site.publish("completion-newest", title="Newest of all", when=now).path

    site.clear_log()
    run = sync(site, archive, config_file, "--limit", "1")  # the new page takes the one fetch
    assert run.code == EXIT_OK, run.stdout
    assert site.count(newest) == 1 and site.count("/release/feed-only-") == 0
    assert len(marks(archive)) == 3
    site.clear_log()
    run = sync(site, archive, config_file, "--limit", "1")
    assert run.code == EXIT_OK, run.stdout
    assert site.count("/release/feed-only-") == 1 and len(marks(archive)) == 2
    assert "feed-only-first" in paths(run.report["updated"])[0]  # the newest first

    site.clear_log()
    run = sync(site, archive, config_file, "--types", "speech")
    assert run.code == EXIT_OK, run.stdout
    assert not any(site.count(urlsplit(url).path) for url, _ in marks(archive))
    assert len(marks(archive)) == 2

    since = (now - dt.timedelta(days=20)).date().isoformat()
    site.clear_log()
    run = sync(site, archive, config_file, "--since", since)
    assert run.code == EXIT_OK, run.stdout
    assert site.count("/release/feed-only-third") == 0
    assert [p for _, p in marks(archive)] == [third]

    run = sync(site, archive, config_file)
    assert run.code == EXIT_OK, run.stdout
    assert paths(run.report["updated"]) == [third] and marks(archive) == []


def test_a_blocked_completion_is_asked_for_once(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    assert sync(site, archive, config_file).code == EXIT_OK
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    path = site.publish("completion-blocked", title="Recent and blocked", when=now).path
    block_pages(site)
    [added] = paths(sync(site, archive, config_file, "--feed-only").report["added"])
    site.clear_faults()
    site.fail(path, "challenge", times=None)
    site.clear_log()
    run = sync(site, archive, config_file)
    assert run.code == EXIT_BLOCKED, run.stdout
    assert site.count(path) == 1
    assert len(run.report["blocked"]) == 1
    assert [p for _, p in marks(archive)] == [added]
