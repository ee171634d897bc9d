"""`sync --feed-only` end to end: the real CLI against the stand-in, its pages blocked.

The site's bot protection often answers release pages and listings with its challenge page
while `/rss.xml` gets through. A feed-only sync keeps the archive current from the feed
alone, marks what it wrote as incomplete, and the next sync that reaches the pages
completes those files, exactly as an unblocked sync would have written them.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from scraper.archive.document import loads
from scraper.archive.store import Archive
from scraper.cli import EXIT_BLOCKED, EXIT_FAILED, EXIT_OK, EXIT_USAGE
from scraper.site.feedtext import feed_body
from tests.standin import StandIn
from tests.standin.markup import synthesize
from tests.support import Run, invoke, paths, sync, sync_argv

NZ = ZoneInfo("Pacific/Auckland")
#: What the site's bot protection answers: release pages, listings and search, not the feed.
BLOCKED = ("/release/*", "/releases*", "/search*", "/node/*")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def block_pages(site: StandIn) -> None:
    """Serve the challenge page to every page but the feed (and robots.txt)."""
    for pattern in BLOCKED:
        site.fail(pattern, "challenge", times=None)


def one_from_the_feed(site: StandIn, archive: Path, config: Path, slug: str, title: str) -> str:
    """Sync, publish one release, and write it with its page blocked: its relative path."""
    assert sync(site, archive, config).code == EXIT_OK
    site.publish(slug, title=title)
    block_pages(site)
    [new] = paths(sync(site, archive, config, "--feed-only").report["added"])
    return new


def publish_three(site: StandIn) -> None:
    """Three new releases, with ministers and portfolios (and one with an attachment).

    Two are backdated past the days within which a sync re-checks what it wrote, so only
    the completion of incomplete files fetches their pages again.
    """
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    site.publish("feed-only-first", title="First new release", when=now)
    site.publish(
        "feed-only-second",
        title="Second *new* release: [draft] & more",
        when=now - dt.timedelta(days=10),
        attachments=["/sites/default/files/2026-01/feed-only.pdf"],
    )
    third = now - dt.timedelta(days=40)
    site.publish(
        "feed-only-third", copy_of="/release/te-huia-service-extension-welcomed", when=third
    )


def every_file(archive: Path) -> dict[str, bytes]:
    """Every archive file's bytes by relative path."""
    return {p.relative_to(archive).as_posix(): p.read_bytes() for p in archive.rglob("*.md")}


def marks(archive: Path) -> list[tuple[str, str]]:
    """(url, relpath) of the files the state marks incomplete."""
    with Archive.read_only(archive) as opened:
        return opened.incomplete()


def feed_items(site: StandIn) -> dict[str, tuple[str, str, dt.date]]:
    """The feed's items as the site serves them: url → (title, text, New Zealand date)."""
    root = ET.fromstring(httpx.get(site.base_url + "/rss.xml").content)
    items = {}
    for item in root.iter("item"):
        when = parsedate_to_datetime(item.findtext("pubDate") or "")
        text = (item.findtext("description") or "").replace("&nbsp;", "\xa0")
        items[item.findtext("link") or ""] = (
            item.findtext("title") or "",
            text,
            when.astimezone(NZ).date(),
        )
    return items


def words(text: str) -> str:
    """Text with Markdown's escapes and all white space (no-break spaces too) collapsed."""
    return " ".join(_ESCAPE.sub(r"\1", text).split())


def status(archive: Path) -> Run:
    """`scraper status --json` of an archive."""
    return invoke("status", "--archive", str(archive), "--json")


def verify_offline(archive: Path) -> Run:
    """`scraper verify --offline --json` of an archive."""
    return invoke("verify", "--archive", str(archive), "--offline", "--json")


def incomplete_findings(run: Run) -> list[str]:
    """The paths a verify's --json lists under the kind `incomplete`."""
    return sorted(f["path"] for f in run.report["findings"] if "incomplete" in f["kinds"])


def test_feed_only_keeps_a_blocked_archive_current_and_a_later_sync_completes_it(
    site: StandIn, tmp_path: Path, config_file: Path
) -> None:
    archive, unblocked = tmp_path / "archive", tmp_path / "unblocked"
    assert sync(site, archive, config_file).code == EXIT_OK
    publish_three(site)
    block_pages(site)
    before = every_file(archive)

    blocked = sync(site, archive, config_file)
    assert blocked.code == EXIT_BLOCKED
    assert every_file(archive) == before
    assert any("--feed-only" in note for note in blocked.report["notes"])

    run = sync(site, archive, config_file, "--feed-only")
    assert run.code == EXIT_OK, run.stdout
    added = sorted(paths(run.report["added"]))
    assert len(added) == 3 and all("feed-only-" in p for p in added)
    after_feed = every_file(archive)
    assert {p: b for p, b in after_feed.items() if p not in added} == before
    assert sorted(p for _, p in marks(archive)) == added
    feed = feed_items(site)
    for relpath in added:
        release = loads(after_feed[relpath].decode("utf-8"), relpath)
        title, text, date = feed[release.url]
        assert (release.title, release.date) == (title, date)
        assert words(release.body) == words(text) and release.body
        assert release.ministers == release.portfolios == release.attachments == ()
    assert sorted(status(archive).report["state"]["incomplete"]) == added
    assert incomplete_findings(verify_offline(archive)) == added

    site.clear_faults()
    assert sync(site, unblocked, config_file).code == EXIT_OK
    done = sync(site, archive, config_file)
    assert done.code == EXIT_OK, done.stdout
    now = every_file(archive)
    reference = every_file(unblocked)
    for relpath in added:
        assert now[relpath] == reference[relpath]
        assert b"ministers:" in now[relpath]
    assert {p: b for p, b in now.items() if p not in added} == before
    assert set(now) == set(after_feed)
    assert marks(archive) == []
    assert status(archive).report["state"]["incomplete"] == []
    assert incomplete_findings(verify_offline(archive)) == []


def test_a_feed_only_dry_run_says_what_it_would_write_from_the_feed(
    site: StandIn, tmp_path: Path, config_file: Path
) -> None:
    """No page would be fetched: the dry run says what it would write, from the feed alone."""
    archive = tmp_path / "archive"
    assert sync(site, archive, config_file).code == EXIT_OK
    publish_three(site)
    block_pages(site)
    before = every_file(archive)
    argv = (*sync_argv(site, archive, config_file), "--feed-only", "--dry-run")
    run = invoke(*argv)
    assert run.code == EXIT_OK, run.stderr
    assert len(run.stdout.splitlines()) == 3
    assert "would write 3 new files from the feed (0 more left pending)" in run.stderr
    assert "fetch" not in run.stderr.splitlines()[-1]
    plan = sync(site, archive, config_file, "--feed-only", "--dry-run")
    assert plan.report["from_feed"] is True and len(plan.report["fetch"]) == 3
    assert sync(site, archive, config_file, "--dry-run").report["from_feed"] is False
    assert every_file(archive) == before and not marks(archive)


def test_feed_only_never_downgrades_a_complete_file_and_writes_nothing_when_nothing_is_new(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    assert sync(site, archive, config_file).code == EXIT_OK
    whole = every_file(archive)
    site.publish("feed-only-newest", title="The newest release")  # the feed changes
    block_pages(site)

    run = sync(site, archive, config_file, "--feed-only")
    assert run.code == EXIT_OK, run.stdout
    [new] = paths(run.report["added"])
    assert "feed-only-newest" in new
    files = every_file(archive)
    assert {p: b for p, b in files.items() if p != new} == whole
    assert [p for _, p in marks(archive)] == [new]

    again = sync(site, archive, config_file, "--feed-only")
    assert again.code == EXIT_OK, again.stdout
    assert again.report["added"] == [] and again.report["updated"] == []
    assert every_file(archive) == files
    assert [p for _, p in marks(archive)] == [new]


def test_feed_only_on_a_blocked_feed_is_blocked_and_writes_nothing(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    assert sync(site, archive, config_file).code == EXIT_OK
    before = every_file(archive)
    site.publish("feed-only-hidden", title="Hidden behind the block")
    site.fail("/rss.xml", "challenge", times=None)
    run = sync(site, archive, config_file, "--feed-only")
    assert run.code == EXIT_BLOCKED
    assert every_file(archive) == before and marks(archive) == []


def test_verify_fix_completes_an_incomplete_file_from_its_page(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    new = one_from_the_feed(site, archive, config_file, "feed-only-verified", "Completed by verify")
    site.clear_faults()
    argv = ["verify", "--archive", str(archive), "--base-url", site.base_url]
    argv += ["--config", str(config_file), "--json", str(archive / new)]
    found = invoke(*argv)
    assert incomplete_findings(found) == [new]
    assert marks(archive) == [(found.report["findings"][0]["url"], new)]
    fixed = invoke(*argv, "--fix")
    [finding] = fixed.report["findings"]
    assert "incomplete" in finding["kinds"] and finding["fixed"] == "rewritten from the page"
    assert marks(archive) == []
    assert "Hon Test Minister" in (archive / new).read_text(encoding="utf-8")


def test_the_feed_text_becomes_paragraphs_with_markdown_escaped() -> None:
    text = "First line.&nbsp;Still first.\n\n  \n*Not emphasis* and 1. no list\n# no heading"
    assert feed_body(text) == (
        "First line.\xa0Still first.\n\n\\*Not emphasis* and 1. no list\n\n\\# no heading"
    )
    assert feed_body("") == ""


def test_a_feed_item_without_text_is_not_written_and_stays_pending(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    assert sync(site, archive, config_file).code == EXIT_OK
    now = dt.datetime.now(dt.UTC)
    site.publish("feed-only-empty", html=synthesize("Nothing to say", now, ""), when=now)
    block_pages(site)
    before = every_file(archive)
    run = sync(site, archive, config_file, "--feed-only")
    assert run.code == EXIT_FAILED
    [failure] = run.report["failed"]
    assert failure["url"].endswith("/release/feed-only-empty")
    assert "no text" in failure["reason"] and run.report["pending"] == 1
    assert every_file(archive) == before and marks(archive) == []


def test_a_feed_only_file_edited_by_hand_keeps_its_mark_and_the_dry_run_lists_its_page(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    new = one_from_the_feed(site, archive, config_file, "feed-only-edited", "Edited by hand")
    site.clear_faults()
    [(url, _)] = marks(archive)
    plan = sync(site, archive, config_file, "--dry-run")
    assert plan.report["complete"] == [{"url": url, "path": new}]
    edited = (archive / new).read_bytes() + b"\n\nA note added by hand."
    (archive / new).write_bytes(edited)
    run = sync(site, archive, config_file)
    assert run.code == EXIT_OK, run.stdout
    assert [k["path"] for k in run.report["kept"]] == [new]
    assert (archive / new).read_bytes() == edited and marks(archive) == [(url, new)]


def test_a_feed_only_file_removed_by_hand_is_written_whole_by_the_sync_that_completes_it(
    site: StandIn, tmp_path: Path, config_file: Path
) -> None:
    archive, unblocked = tmp_path / "archive", tmp_path / "unblocked"
    new = one_from_the_feed(site, archive, config_file, "feed-only-removed", "Removed by hand")
    (archive / new).unlink()
    site.clear_faults()
    assert sync(site, unblocked, config_file).code == EXIT_OK
    run = sync(site, archive, config_file)
    assert run.code == EXIT_OK, run.stdout
    assert paths(run.report["added"]) == [new]
    assert (archive / new).read_bytes() == (unblocked / new).read_bytes()
    assert marks(archive) == []


def test_feed_only_is_refused_with_full(site: StandIn, archive: Path, config_file: Path) -> None:
    run = invoke(*sync_argv(site, archive, config_file), "--feed-only", "--full")
    assert run.code == EXIT_USAGE
    assert "--feed-only reads the feed alone" in run.stderr and not archive.exists()
