"""`scraper verify` end to end: the real CLI against the stand-in, over the old archive's files."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import signal
from pathlib import Path

import pytest

from scraper.archive.document import dumps, loads
from scraper.archive.store import Archive, hold_lock
from scraper.cli import EXIT_BLOCKED, EXIT_FAILED, EXIT_LOCKED, EXIT_OK, EXIT_USAGE
from scraper.cli.progress import Progress
from scraper.config import load_config, with_overrides
from scraper.models import Release
from scraper.net.session import StopRequest
from scraper.verify.engine import VerifyOptions, verify_archive
from scraper.verify.report import ONLINE_KINDS
from tests.golden import Golden, goldens
from tests.standin import StandIn
from tests.support import PATIENT, PUBLIC, Killed, Run, files, invoke, stopped_midway, sync

FIXTURES = Path(__file__).parent / "fixtures" / "pages"
EDITED = "/release/te-huia-service-extension-welcomed"
GONE = "/release/government-app-launched-today"


def old_archive(root: Path) -> dict[str, Golden]:
    """The old exporter's files of the recorded pages, at their old paths; goldens by path."""
    by_name = {g.name: g for g in goldens()}
    placed = {}
    for twin in sorted(FIXTURES.glob("*.md")):
        relpath = f"releases/{twin.name[:4]}/{twin.name[5:7]}/{twin.name}"
        (root / relpath).parent.mkdir(parents=True, exist_ok=True)
        (root / relpath).write_bytes(twin.read_bytes())
        placed[relpath] = by_name[twin.stem]
    return placed


def old_rules(twin: str, golden: Golden) -> set[str]:
    """Where the old exporter's file differs from what sync writes today, by which rule."""
    old, new = loads(twin), loads(golden.expected)
    kinds = set()
    if old.date != new.date:
        kinds.add("legacy-date")
    if old.url != new.url:
        kinds.add("legacy-url")
    if dumps(dataclasses.replace(old, date=new.date, url=new.url)) != golden.expected:
        kinds.add("legacy-format")
    return kinds or {"ok"}


def as_expected(found: set[str], twin: str, golden: Golden) -> bool:
    """Whether a file's kinds are the old rules', allowing for no-break spaces a record lost.

    Where the page as served is not known byte for byte (golden.exact for its body; a
    title quoted with \u00a0), its record lost no-break spaces that the old file kept: it
    may come out legacy-format for that alone.
    """
    expected = old_rules(twin, golden)
    if found == expected:
        return True
    exact = golden.exact and "\\u00a0" not in golden.expected
    return not exact and found == (expected - {"ok"}) | {"legacy-format"}


def verify(site: StandIn, archive: Path, config: Path, *args: str) -> Run:
    """Run `scraper verify --json` against the stand-in."""
    argv = ["verify", "--archive", str(archive), "--base-url", site.base_url]
    return invoke(*argv, "--config", str(config), "--json", *args)


def online(run: Run) -> dict[str, set[str]]:
    """The kinds found against the source, by path (files with none left out)."""
    found = {f["path"]: set(f["kinds"]) & set(ONLINE_KINDS) for f in run.report["findings"]}
    return {path: kinds for path, kinds in found.items() if kinds}


@pytest.fixture
def adopted(site: StandIn, archive: Path, config_file: Path) -> dict[str, Golden]:
    """The old archive's files, adopted by a backfill (which learns their real addresses)."""
    placed = old_archive(archive)
    assert sync(site, archive, config_file, "--full").code == EXIT_OK
    return placed


def test_old_files_come_out_legacy_exactly_where_the_old_rules_differ(
    site: StandIn, archive: Path, config_file: Path, adopted: dict[str, Golden]
) -> None:
    site.change(EDITED, "Te Huia service extension welcomed, corrected")
    site.fail(GONE, "404", times=None)
    blocked = "/release/district-court-judge-appointed-28"
    site.fail(blocked, "challenge", times=1)
    run = verify(site, archive, config_file)
    assert run.code == EXIT_BLOCKED
    found = online(run)
    for relpath, golden in adopted.items():
        path = golden.url.removeprefix(PUBLIC)
        if path == EDITED:
            assert "changed" in found[relpath]
        elif path == GONE:
            assert found[relpath] == {"missing"}
        else:
            kinds = found.get(relpath, {"ok"})
            assert as_expected(kinds, files(archive)[relpath], golden), (relpath, kinds)
    [blocked_file] = [p for p in files(archive) if "district-court-judge-appointed-28" in p]
    assert found[blocked_file] == {"blocked"}
    legacy = {k for kinds in found.values() for k in kinds}
    assert {"legacy-date", "legacy-url", "legacy-format"} <= legacy
    assert run.report["summary"]["counts"]["ok"] > 10


def test_fix_rewrites_what_it_can_and_a_second_verify_finds_only_missing(
    site: StandIn, archive: Path, config_file: Path, adopted: dict[str, Golden]
) -> None:
    site.change(EDITED, "Te Huia service extension welcomed, corrected")
    site.fail(GONE, "404", times=None)
    fixed = verify(site, archive, config_file, "--fix")
    assert fixed.code == EXIT_FAILED
    assert [f for f in fixed.report["findings"] if f.get("fixed", "").startswith("not fixed")] == []
    again = verify(site, archive, config_file)
    kinds = {kind for f in again.report["findings"] for kind in f["kinds"]} - {"ok"}
    # Only missing: the three recorded pages without text are faithful files of empty pages.
    assert kinds == {"missing"}
    [gone] = [f["path"] for f in again.report["findings"] if "missing" in f["kinds"]]
    assert (archive / gone).is_file()  # a withdrawn release is still history
    # One file per release, at the path sync would give it today.
    assert len(files(archive)) == len(adopted) + 1
    edited = [t for t in files(archive).values() if "corrected" in t]
    assert len(edited) == 1


def test_verify_without_fix_writes_nothing_and_offline_creates_no_state(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    old_archive(archive)
    before = {p: t for p, t in files(archive).items()}
    run = verify(site, archive, config_file)
    assert run.code == EXIT_FAILED and files(archive) == before
    assert not (archive / ".scraper").exists()
    offline = verify(site, archive, config_file, "--offline")
    assert offline.report["summary"]["requests"] == 0
    assert not (archive / ".scraper").exists()


def test_max_requests_is_a_budget(site: StandIn, archive: Path, config_file: Path) -> None:
    old_archive(archive)
    site.clear_log()
    run = verify(site, archive, config_file, "--max-requests", "5")
    pages = [r.target for r in site.requests if r.target != "/robots.txt"]
    assert len(pages) == 5
    assert run.report["summary"]["unchecked_against_source"] == len(files(archive)) - 5


@pytest.mark.parametrize("with_state", [False, True])
def test_a_sample_is_drawn_again_by_its_seed(
    site: StandIn, archive: Path, config_file: Path, with_state: bool
) -> None:
    old_archive(archive)
    if with_state:  # where each run changes which files were verified longest ago
        assert sync(site, archive, config_file, "--full").code == EXIT_OK
    first = verify(site, archive, config_file, "--sample", "7")
    seed = str(first.report["summary"]["seed"])
    again = verify(site, archive, config_file, "--sample", "7", "--seed", seed)
    assert len(first.report["summary"]["sampled"]) == 7
    assert again.report["summary"]["sampled"] == first.report["summary"]["sampled"]
    other = verify(site, archive, config_file, "--sample", "7", "--seed", str(int(seed) + 1))
    assert other.report["summary"]["sampled"] != first.report["summary"]["sampled"]


def test_a_sample_prefers_files_verified_longest_ago(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    old_archive(archive)
    assert sync(site, archive, config_file, "--full").code == EXIT_OK  # a state to remember in
    for run in range(1, 4):
        verify(site, archive, config_file, "--sample", "30")
        with Archive.read_only(archive) as state:
            assert len(state.verified_at()) == 30 * run  # each sample new files, never again


def test_a_200_page_that_is_not_a_release_is_an_error_and_never_fixed(
    site: StandIn, archive: Path, config_file: Path, adopted: dict[str, Golden]
) -> None:
    site.fail(EDITED, "not-found", times=None)
    [path] = [p for p, g in adopted.items() if g.url.endswith(EDITED)]
    before = (archive / path).read_bytes()
    run = verify(site, archive, config_file, "--fix", str(archive / path))
    [finding] = run.report["findings"]
    assert finding["kinds"] == ["error"] and "not a release page" in finding["detail"]
    assert (archive / path).read_bytes() == before


def test_a_page_that_redirects_to_another_address_is_moved(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    old_archive(archive)
    site.fail(EDITED, "redirect", times=None, location="/release/government-app-launched-today")
    run = verify(site, archive, config_file)
    moved = [f for f in run.report["findings"] if "moved" in f["kinds"]]
    assert len(moved) == 1 and "government-app-launched-today" in moved[0]["detail"]


def test_a_file_edited_by_hand_is_kept_unless_forced(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    assert sync(site, archive, config_file).code == EXIT_OK
    path = next(p for p in files(archive) if "te-huia" in p)
    edited = files(archive)[path] + "\n\nOur note."
    (archive / path).write_text(edited, encoding="utf-8")
    run = verify(site, archive, config_file, str(archive / path))
    [finding] = run.report["findings"]
    # The page is as it was: the hand edit is all there is to say, not a change at the source.
    assert finding["kinds"] == ["local-edit"] and "page is unchanged" in finding["detail"]
    site.change(EDITED, "Te Huia service extension welcomed, corrected")
    run = verify(site, archive, config_file, "--fix", str(archive / path))
    [finding] = run.report["findings"]
    assert {"local-edit", "changed"} <= set(finding["kinds"])
    assert finding["fixed"].startswith("kept")
    assert files(archive)[path] == edited
    forced = verify(site, archive, config_file, "--fix", "--force", str(archive / path))
    assert forced.report["findings"][0]["fixed"].startswith("rewritten")
    assert "Our note." not in files(archive)[path]


def test_a_fix_killed_midway_loses_and_duplicates_nothing(
    site: StandIn,
    archive: Path,
    config_file: Path,
    adopted: dict[str, Golden],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_remove = Archive.remove
    removed: list[str] = []

    def killed_after_three(self: Archive, relpath: str) -> None:
        if len(removed) == 3:
            raise Killed  # the new file of the fourth move is written, the old one stays
        removed.append(relpath)
        real_remove(self, relpath)

    monkeypatch.setattr(Archive, "remove", killed_after_three)
    with pytest.raises(Killed):
        verify(site, archive, config_file, "--fix")
    monkeypatch.undo()
    assert len(files(archive)) == len(adopted) + 2  # the fourth release held twice, for now
    verify(site, archive, config_file, "--fix")
    assert len(files(archive)) == len(adopted) + 1
    urls = [t.split("\nurl: ", 1)[1].split("\n", 1)[0] for t in files(archive).values()]
    assert len(urls) == len(set(urls))


def test_exit_codes(site: StandIn, archive: Path, config_file: Path) -> None:
    assert sync(site, archive, config_file, "--limit", "3").code == EXIT_OK
    assert verify(site, archive, config_file).code == EXIT_OK
    assert verify(site, archive, config_file, "--force").code == EXIT_USAGE
    assert verify(site, archive, config_file, "/elsewhere.md").code == EXIT_USAGE
    with hold_lock(archive):
        assert verify(site, archive, config_file, "--fix").code == EXIT_LOCKED
    site.fail("/release/*", "challenge", times=None)
    assert verify(site, archive, config_file).code == EXIT_BLOCKED


def test_the_text_output_is_a_table_then_findings_by_kind(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    old_archive(archive)
    argv = ["verify", "--archive", str(archive), "--base-url", site.base_url, "--offline"]
    run = invoke(*argv, "--config", str(config_file))
    lines = run.stdout.splitlines()
    assert lines[0].split() == ["invalid", "1"] and lines[1].split() == ["empty-body", "3"]
    assert "\ninvalid:\n  releases/0001/01/0001-01-01-" in run.stdout
    assert lines[-1].startswith(f"{len(files(archive))} files checked on disk only, 4 with")
    assert lines[-1].endswith("; nothing fetched in " + lines[-1].rsplit(" in ", 1)[1])
    assert json.loads(verify(site, archive, config_file, "--offline").stdout)["exit"] == 1


def test_diff_shows_the_file_against_its_page(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    old_archive(archive)
    path = "releases/1996/03/1996-03-19-petrol-decisions-announced.md"
    argv = ["verify", "--archive", str(archive), "--base-url", site.base_url, "--diff"]
    run = invoke(*argv, "--config", str(config_file), str(archive / path))
    assert f"--- a/{path}\n" in run.stdout
    assert "-date: 1996-03-19\n+date: 1996-03-20\n" in run.stdout
    assert dt.date(1996, 3, 20).isoformat() in run.stdout
    # The diffs come before the summary, which stays the last line a user sees.
    last = run.stdout.splitlines()[-1]
    assert last.startswith("1 file checked, 1 with findings; 2 requests in ")  # robots.txt too
    assert run.stdout.index(f"--- a/{path}") < run.stdout.index(last)


def test_a_quiet_progress_says_how_far_it_is_every_n_items(
    capsys: pytest.CaptureFixture[str],
) -> None:
    progress = Progress(enabled=False, quiet=True, every=100)
    for done in range(1, 1235):
        progress.update(done, 1234, f"/release/{done}", "ok")
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "100 of 1,234 checked" and lines[-1] == "1,234 of 1,234 checked"
    assert len(lines) == 13


def test_each_files_latest_findings_are_kept_for_status_and_report(
    site: StandIn, archive: Path, config_file: Path, adopted: dict[str, Golden]
) -> None:
    site.change(EDITED, "Te Huia service extension welcomed, corrected")
    verify(site, archive, config_file)
    with Archive.read_only(archive) as state:
        kept = {f.relpath: f for f in state.findings()}
    [edited] = [p for p, g in adopted.items() if g.url.endswith(EDITED)]
    assert "changed" in kept[edited].kinds and "title" in kept[edited].detail
    assert all("ok" not in f.kinds or len(f.kinds) > 1 for f in kept.values())
    fixed = verify(site, archive, config_file, "--fix", str(archive / edited))
    assert [f["fixed"] for f in fixed.report["findings"]] == ["rewritten from the page"]
    with Archive.read_only(archive) as state:
        assert edited not in {f.relpath for f in state.findings()}  # mended: nothing to say
    site.clear_log()
    verify(site, archive, config_file, str(archive / edited))
    # The page's validators were kept with the fix: the next check is a conditional request.
    [asked] = [r for r in site.requests if r.target == EDITED]
    assert "if-none-match" in asked.headers
    with Archive.read_only(archive) as state:
        assert edited not in {f.relpath for f in state.findings()}  # found ok now


def test_fix_never_writes_one_of_a_duplicate_pair_from_its_twins_page(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    when = dt.datetime(2019, 6, 4, 2, tzinfo=dt.UTC)
    source = "/release/district-court-judge-appointed-28"
    site.publish("queens-award", copy_of=source, title="Queen's award", when=when)
    site.publish("queen’s-award", copy_of=source, title="Queen’s award", when=when)
    folded = f"{PUBLIC}/release/queens-award"  # what the old exporter wrote for both
    pair = {}
    for name, title in (("queens-award", "Queen's award"), ("queens-award-twin", "Queen’s award")):
        text = dumps(Release(title, dt.date(2019, 6, 4), folded, body="Old text."))
        pair[name] = archive / "releases" / "2019" / "06" / f"2019-06-04-{name}.md"
        pair[name].parent.mkdir(parents=True, exist_ok=True)
        pair[name].write_text(text, encoding="utf-8")
    twin_before = pair["queens-award-twin"].read_bytes()
    run = verify(site, archive, config_file, "--fix")  # no sync first: nothing learnt
    fixed = {f["path"]: f.get("fixed", "") for f in run.report["findings"]}
    twin = "releases/2019/06/2019-06-04-queens-award-twin.md"
    assert fixed[twin].startswith("kept") and "identity rules" in fixed[twin]
    assert pair["queens-award-twin"].read_bytes() == twin_before
    assert len([p for p in files(archive) if "queens-award" in p]) == 2


def test_fix_never_rewrites_a_file_whose_page_is_an_error_even_if_noncanonical(
    site: StandIn, archive: Path, config_file: Path, adopted: dict[str, Golden]
) -> None:
    [path] = [p for p, g in adopted.items() if g.url.endswith(EDITED)]
    (archive / path).write_text(files(archive)[path] + "\n", encoding="utf-8")  # noncanonical
    before = (archive / path).read_bytes()
    site.fail(EDITED, "not-a-release", times=None, variant="maintenance")
    run = verify(site, archive, config_file, "--fix", str(archive / path))
    [finding] = run.report["findings"]
    assert {"error", "noncanonical"} <= set(finding["kinds"]) and "fixed" not in finding
    assert (archive / path).read_bytes() == before


def test_a_path_that_is_not_there_is_unreadable_saying_so(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    old_archive(archive)
    missing = archive / "releases" / "2020" / "12" / "2020-12-01-not-here.md"
    run = verify(site, archive, config_file, "--offline", str(missing))
    [finding] = run.report["findings"]
    assert finding["kinds"] == ["unreadable"] and "No such file or directory" in finding["detail"]


def test_a_verify_without_fix_changes_no_state_while_a_sync_holds_the_archive(
    site: StandIn, archive: Path, config_file: Path
) -> None:
    assert sync(site, archive, config_file, "--limit", "3").code == EXIT_OK
    state = archive / ".scraper" / "state.db"
    before = state.read_bytes()
    with hold_lock(archive):
        run = verify(site, archive, config_file)
    assert run.code == EXIT_OK
    assert any("a sync holds the archive" in note for note in run.report["notes"])
    assert state.read_bytes() == before


def test_a_fix_cut_short_keeps_the_files_it_already_fixed(
    site: StandIn, archive: Path, config_file: Path, adopted: dict[str, Golden]
) -> None:
    judged = 0

    def stop_after_ten() -> StopRequest | None:
        nonlocal judged
        judged += 1
        return StopRequest("Ctrl-C") if judged > 10 else None

    config = with_overrides(load_config(config_file), archive=archive, base_url=site.base_url)
    options = VerifyOptions.from_config(config, fix=True)
    report = verify_archive(config, options, now=dt.datetime.now(dt.UTC), stop=stop_after_ten)
    assert report.stop_kind == "cancelled" and report.unchecked
    fixed = [r for r in report.results if r.fixed and not r.fixed.startswith("kept")]
    assert fixed  # rewritten as they were judged, not lost with the run
    for result in fixed:
        assert result.fixed is not None
        assert "moved to" in result.fixed or files(archive)[result.path] == result.expected


def test_sigterm_stops_verify_at_once_saying_nothing_is_half_written(
    site: StandIn, archive: Path, config_file: Path, tmp_path: Path
) -> None:
    assert sync(site, archive, config_file, "--limit", "3").code == EXIT_OK
    before = files(archive)
    patient = tmp_path / "patient.toml"
    patient.write_text(PATIENT, encoding="utf-8")
    argv = ["verify", "--archive", str(archive), "--fix", "--base-url", site.base_url]
    done = stopped_midway(site, [*argv, "--config", str(patient)], "/release/*", signal.SIGTERM)
    assert done.returncode == 143
    assert done.stderr.endswith("terminated: no file was left half written; run verify again\n")
    assert files(archive) == before and not list(archive.rglob("*.tmp"))
    with Archive.read_only(archive) as state:
        [cut] = state.runs("verify")
    assert cut.exit_code == 143 and cut.note is not None and "cut short by" in cut.note


def test_a_read_only_verify_cut_short_is_recorded_in_the_state_it_found(
    site: StandIn, archive: Path, config_file: Path, tmp_path: Path
) -> None:
    assert sync(site, archive, config_file, "--limit", "3").code == EXIT_OK
    patient = tmp_path / "patient.toml"
    patient.write_text(PATIENT, encoding="utf-8")
    argv = ["verify", "--archive", str(archive), "--base-url", site.base_url]
    done = stopped_midway(site, [*argv, "--config", str(patient)], "/release/*", signal.SIGINT)
    assert done.returncode == 130
    with Archive.read_only(archive) as state:
        assert [run.exit_code for run in state.runs("verify")] == [130]


def test_a_fix_killed_between_its_rename_and_its_record_is_recorded_by_the_next_fix(
    site: StandIn, archive: Path, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert sync(site, archive, config_file).code == EXIT_OK
    path = next(p for p in files(archive) if "te-huia" in p)
    site.change(EDITED, "Te Huia service extension welcomed, corrected")

    def killed_before_the_record(self: Archive, *args: object) -> None:
        raise Killed  # the file holds the page's new bytes; the state does not know it

    monkeypatch.setattr(Archive, "_put_written", killed_before_the_record)
    with pytest.raises(Killed):
        verify(site, archive, config_file, "--fix", str(archive / path))
    monkeypatch.undo()
    assert "corrected" in files(archive)[path]
    verify(site, archive, config_file, "--fix", str(archive / path))
    # The file is exactly what its page makes: this tool's own write, not an edit by hand.
    offline = verify(site, archive, config_file, "--offline", str(archive / path))
    assert offline.report["findings"] == []
