"""Kept pages: WARC files a sync writes, `scraper rebuild`, and verify's stale-render."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import random
import subprocess
import sys
import zlib
from pathlib import Path

import httpx
import pytest
from warcio.archiveiterator import ArchiveIterator

from scraper.archive.store import Archive
from scraper.cli import EXIT_OK
from scraper.keep import index, rebuild
from scraper.keep.pages import PageKeeper, StoredPage, read_page, warc_folder
from scraper.keep.settings import KeepSettings
from scraper.keep.warcfiles import warc_files
from scraper.models import Release
from scraper.net.source import Fetched
from scraper.site.parse import ParseOptions
from tests.standin import StandIn
from tests.state_support import SEED
from tests.support import files, invoke, sync

PAGE = "https://www.beehive.govt.nz/release/x"


def warc_dir(archive: Path) -> Path:
    """An archive's WARC folder."""
    return warc_folder(archive / ".scraper")


def records(archive: Path) -> list[tuple[str, str, bytes]]:
    """Every record of every WARC file: (type, target URI, payload)."""
    found = []
    for name in warc_files(warc_dir(archive)):
        with (warc_dir(archive) / name).open("rb") as stream:
            for record in ArchiveIterator(stream):
                uri = record.rec_headers.get_header("WARC-Target-URI")
                found.append((record.rec_type, uri, record.content_stream().read()))
    return found


def warcio(*args: str) -> subprocess.CompletedProcess[str]:
    """Run warcio's own command line (the readers' test of a WARC file)."""
    code = "import sys; from warcio.cli import main; sys.exit(main())"
    command = [sys.executable, "-c", code, *args]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def readable(path: Path) -> bool:
    """Whether a WARC file is whole: gzip reads it to its end (`gzip -t`, stricter than
    warcio, which passes a torn tail over) and `warcio check` passes it."""
    try:
        gzip.decompress(path.read_bytes())
    except (EOFError, OSError, zlib.error):
        return False
    return warcio("check", str(path)).returncode == 0


def synced(site: StandIn, archive: Path, config: Path) -> dict[str, str]:
    """Sync the stand-in into a new archive; its files by path."""
    run = sync(site, archive, config)
    assert run.code == EXIT_OK, run.stderr
    return files(archive)


# -- what a sync keeps -----------------------------------------------------------------------


def test_a_sync_keeps_one_response_per_page_written_that_warcio_reads(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    run = sync(site, archive, config_file)
    added = run.report["added"]
    assert added
    names = warc_files(warc_dir(archive))
    assert names
    for name in names:
        path = str(warc_dir(archive) / name)
        assert readable(Path(path))
        assert warcio("index", path).returncode == 0
    kept = records(archive)
    responses = {uri: body for kind, uri, body in kept if kind == "response"}
    assert len([k for k in kept if k[0] == "response"]) == len(added)
    assert {a["url"] for a in added} == set(responses)
    assert sum(k[0] == "request" for k in kept) == len(added)
    with httpx.Client(base_url=site.base_url) as http:
        for url, body in responses.items():
            served = http.get(url.removeprefix("https://www.beehive.govt.nz"))
            assert body == served.content  # the page's bytes, decoded


def test_keep_pages_false_keeps_nothing(site: StandIn, archive: Path, config_file: Path) -> None:
    assert sync(site, archive, config_file, "--set", "keep.pages=false").code == EXIT_OK
    assert records(archive) == []


def test_a_304_keeps_nothing_and_the_same_bytes_again_are_a_revisit(tmp_path: Path) -> None:
    page = Fetched("http://127.0.0.1:1/release/x", 200, b"<p>one</p>", None, None)
    with Archive(tmp_path) as archive:
        keeper = PageKeeper(archive, warc_dir(tmp_path), KeepSettings())
        assert keeper.keep(page, dt.date(2024, 5, 1)) == "response"
        assert keeper.keep(dataclasses.replace(page, status=304, body=b"")) is None
        assert keeper.keep(page) == "revisit"
        assert keeper.keep(dataclasses.replace(page, body=b"<p>two</p>")) == "response"
        assert [r.record for r in index.all_records(archive)] == [
            "response",
            "revisit",
            "response",
        ]
        stored = read_page(archive, warc_dir(tmp_path), PAGE)
        assert stored is not None and stored.body == b"<p>two</p>"
    assert [k for k, _, _ in records(tmp_path)] == ["request", "response"] * 1 + [
        "request",
        "revisit",
        "request",
        "response",
    ]


def test_the_stored_response_has_no_content_encoding_and_its_own_length(tmp_path: Path) -> None:
    headers = (("Content-Type", "text/html"), ("Content-Encoding", "gzip"), ("Content-Length", "3"))
    page = Fetched(PAGE, 200, b"<p>decoded</p>", None, None, PAGE, headers)
    with Archive(tmp_path) as archive:
        PageKeeper(archive, warc_dir(tmp_path), KeepSettings()).keep(page)
    (name,) = warc_files(warc_dir(tmp_path))
    found = []
    with (warc_dir(tmp_path) / name).open("rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type == "response":  # read as it streams by
                headers = record.http_headers
                found.append(
                    (
                        headers.get_header("Content-Encoding"),
                        headers.get_header("Content-Length"),
                        record.content_stream().read(),
                    )
                )
    assert found == [(None, "14", b"<p>decoded</p>")]


def test_files_rotate_by_size(tmp_path: Path) -> None:
    with Archive(tmp_path) as archive:
        keeper = PageKeeper(archive, warc_dir(tmp_path), KeepSettings(file_mb=1))
        for n in range(3):
            body = random.Random(n).randbytes(600_000)  # bytes that do not compress
            keeper.keep(Fetched(f"{PAGE}{n}", 200, body, None, None))
    # Each 600,000 bytes that do not compress: two never fit in a 1 MB file.
    names = warc_files(warc_dir(tmp_path))
    assert len(names) == 3
    for name in names:
        with (warc_dir(tmp_path) / name).open("rb") as stream:
            kinds = [record.rec_type for record in ArchiveIterator(stream)]
        assert kinds == ["request", "response"]


# -- a torn last member ----------------------------------------------------------------------


def test_a_torn_last_member_is_cut_off_on_the_next_open(tmp_path: Path) -> None:
    page = Fetched(PAGE, 200, b"<p>one</p>", None, None)
    with Archive(tmp_path) as archive:
        PageKeeper(archive, warc_dir(tmp_path), KeepSettings()).keep(page)
    (name,) = warc_files(warc_dir(tmp_path))
    path = warc_dir(tmp_path) / name
    whole = path.read_bytes()
    # A killed write: half of the next page's members reached the file, the index has none.
    path.write_bytes(whole + whole[: len(whole) // 2])
    assert not readable(path)
    with Archive(tmp_path) as archive:
        keeper = PageKeeper(archive, warc_dir(tmp_path), KeepSettings())
        keeper.keep(dataclasses.replace(page, body=b"<p>two</p>"))
        rows = index.all_records(archive)
        request = rows[0].at  # the request's member, whole in the torn half, is kept
        assert keeper.files.cut == len(whole) // 2 - request
        assert rows[1].start == len(whole) + request
        stored = read_page(archive, warc_dir(tmp_path), PAGE)
        assert stored is not None and stored.body == b"<p>two</p>"
    assert readable(path)
    kinds = ["request", "response", "request", "request", "response"]
    assert [k for k, _, _ in records(tmp_path)] == kinds


# -- rebuild ---------------------------------------------------------------------------------


def not_ours_file(archive: Path) -> str:
    """Put a file this tool did not write into the archive: its path."""
    seed = next((SEED / "releases").rglob("*.md"))
    relpath = "releases/" + seed.relative_to(SEED / "releases").as_posix()
    target = archive / relpath
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(seed.read_bytes())
    return relpath


def test_rebuild_brings_back_deleted_and_edited_files_without_a_request(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    before = synced(site, archive, config_file)
    theirs = not_ours_file(archive)
    theirs_text = (archive / theirs).read_bytes()
    gone, edited, *_ = sorted(before)
    (archive / gone).unlink()
    (archive / edited).write_text("hand edited\n", encoding="utf-8")
    site.clear_log()

    dry = invoke("rebuild", "--archive", str(archive), "--dry-run", "--json")
    assert dry.code == EXIT_OK, dry.stderr
    assert [w["path"] for w in dry.report["rewritten"]] == [gone]
    assert dry.report["edited"] == [edited]  # changed by hand: only --force rewrites it
    dry = invoke("rebuild", "--archive", str(archive), "--dry-run", "--force", "--json")
    assert sorted(w["path"] for w in dry.report["rewritten"]) == sorted([gone, edited])
    assert theirs in dry.report["not_ours"]
    assert not (archive / gone).exists()
    assert (archive / edited).read_text(encoding="utf-8") == "hand edited\n"

    done = invoke("rebuild", "--archive", str(archive), "--force", "--json")
    assert done.code == EXIT_OK, done.stderr
    assert done.report["rewritten"] == dry.report["rewritten"]
    assert done.report["unchanged"] == len(before) - 2
    assert files(archive) == {**before, theirs: theirs_text.decode()}
    assert (archive / theirs).read_bytes() == theirs_text
    assert site.requests == []  # offline: not one request
    again = invoke("rebuild", "--archive", str(archive), "--json")
    assert again.report["rewritten"] == [] and again.report["unchanged"] == len(before)


def test_rebuild_lists_files_whose_page_is_not_kept(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    before = synced(site, archive, config_file)
    with Archive(archive) as opened:
        opened._db.execute("DELETE FROM pages")  # as files written before pages were kept
    done = invoke("rebuild", "--archive", str(archive), "--json")
    assert sorted(done.report["not_kept"]) == sorted(before)
    assert done.report["rewritten"] == [] and files(archive) == before


def test_a_parser_change_is_stale_render_and_rebuild_fixes_exactly_those(
    site: StandIn, archive: Path, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = synced(site, archive, config_file)
    changed = sorted(before)[::2]
    urls = {p: t.split("\nurl: ", 1)[1].split("\n", 1)[0].strip("'\"") for p, t in before.items()}
    affected = {urls[p] for p in changed}
    today = rebuild.render

    def tomorrow(page: StoredPage, options: ParseOptions) -> Release:
        release = today(page, options)
        if release.url in affected:
            return dataclasses.replace(release, title=release.title + " (new parser)")
        return release

    monkeypatch.setattr(rebuild, "render", tomorrow)
    found = invoke("verify", "--archive", str(archive), "--offline", "--json")
    stale = sorted(f["path"] for f in found.report["findings"] if "stale-render" in f["kinds"])
    assert stale == changed
    site.clear_log()
    done = invoke("rebuild", "--archive", str(archive), "--json")
    assert sorted(w["path"] for w in done.report["rewritten"]) == changed
    after = files(archive)
    for path in before:
        assert (after[path] != before[path]) == (path in changed)
    assert site.requests == []
    clean = invoke("verify", "--archive", str(archive), "--offline", "--json")
    assert not [f for f in clean.report["findings"] if "stale-render" in f["kinds"]]


def test_a_sync_says_it_cut_off_a_torn_end(site: StandIn, archive: Path, config_file: Path) -> None:
    assert sync(site, archive, config_file).code == EXIT_OK
    (name,) = warc_files(warc_dir(archive))
    path = warc_dir(archive) / name
    whole = path.read_bytes()
    path.write_bytes(whole + whole[-50:-10])  # a killed write: part of a member
    site.publish("kept-after-a-tear", copy_of="/release/district-court-judge-appointed-28")
    run = sync(site, archive, config_file)
    assert run.code == EXIT_OK
    assert any("cut off 40 bytes of a kept-pages file" in note for note in run.report["notes"])
    assert readable(path)


def test_every_revisit_refers_to_the_response_that_holds_the_bytes(tmp_path: Path) -> None:
    page = Fetched(PAGE, 200, b"<p>same</p>", None, None)
    with Archive(tmp_path) as archive:
        keeper = PageKeeper(archive, warc_dir(tmp_path), KeepSettings())
        assert [keeper.keep(page) for _ in range(3)] == ["response", "revisit", "revisit"]
    kept = []
    for name in warc_files(warc_dir(tmp_path)):
        with (warc_dir(tmp_path) / name).open("rb") as stream:
            kept += [r.rec_headers for r in ArchiveIterator(stream) if r.rec_type != "request"]
    response, *revisits = kept
    assert len(revisits) == 2
    for revisit in revisits:  # the third fetch's too, not the second's revisit
        assert revisit.get_header("WARC-Refers-To") == response.get_header("WARC-Record-ID")
        assert revisit.get_header("WARC-Refers-To-Date") == response.get_header("WARC-Date")
