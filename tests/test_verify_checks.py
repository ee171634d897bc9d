"""verify's pure parts: the checks of a file on disk, and a file against its page."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from scraper.archive.document import dumps
from scraper.archive.store import Archive
from scraper.errors import ConfigError
from scraper.models import Release
from scraper.verify.compare import compare, loose
from scraper.verify.engine import VerifyOptions, run_verify
from scraper.verify.offline import check_file, mark_duplicates
from scraper.verify.select import sample, select_files

URL = "https://www.beehive.govt.nz/release/budget-day"
DAY = dt.date(2024, 5, 30)
RELEASE = Release(
    title="Budget day",
    date=DAY,
    url=URL,
    ministers=("Hon Nicola Willis",),
    portfolios=("Finance",),
    body="The Budget is out.",
)
PATH = "releases/2024/05/2024-05-30-budget-day.md"


def kinds(relpath: str, text: str | bytes, written: str | None = None) -> dict[str, str]:
    """The kinds check_file finds in a file."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return check_file(relpath, data, written).result.kinds


def test_a_canonical_file_in_its_place_has_nothing_to_say() -> None:
    assert kinds(PATH, dumps(RELEASE)) == {}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (b"\xff\xfe---", "not UTF-8"),
        ("no front matter", "no front matter"),
        ("---\ntitle: [broken\n---\n", "broken YAML"),
        ('---\ntitle: "x"\ndate: 2024-05-30\nurl: u\nauthor: me\n---\n', "unknown key"),
    ],
)
def test_unreadable_files_say_why(text: str | bytes, reason: str) -> None:
    assert reason in kinds(PATH, text)["unreadable"]


def test_a_file_format_would_rewrite_is_noncanonical() -> None:
    assert "noncanonical" in kinds(PATH, dumps(RELEASE) + "\n")


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"title": " "}, "empty title"),
        ({"date": dt.date(1, 1, 1)}, "'no date'"),
        ({"url": "https://example.com/release/budget-day"}, "is not a release"),
        ({"url": "https://www.beehive.govt.nz/minister/x"}, "is not a release"),
        ({"ministers": ("",)}, "an empty item in ministers"),
    ],
)
def test_invalid_fields_are_named(change: dict[str, object], detail: str) -> None:
    release = dataclasses.replace(RELEASE, **change)  # type: ignore[arg-type]
    assert detail in kinds(PATH, dumps(release))["invalid"]


def test_a_file_without_a_body_is_empty_body() -> None:
    assert kinds(PATH, dumps(dataclasses.replace(RELEASE, body="")))["empty-body"]


@pytest.mark.parametrize(
    "relpath",
    [
        "releases/2024/05/2024-05-29-budget-day.md",  # another date
        "speeches/2024/05/2024-05-30-budget-day.md",  # another type's folder
        "releases/2024/06/2024-05-30-budget-day.md",  # another month's folder
        "releases/2024/05/2024-05-30-budget.md",  # another id
    ],
)
def test_a_path_that_disagrees_with_date_type_and_id_is_misplaced(relpath: str) -> None:
    assert PATH in kinds(relpath, dumps(RELEASE))["misplaced"]


def test_a_tagged_name_of_its_own_url_is_in_place() -> None:
    tagged = PATH.replace(".md", f"--{hashlib.sha256(URL.encode()).hexdigest()[:8]}.md")
    assert kinds(tagged, dumps(RELEASE)) == {}
    assert "misplaced" in kinds(PATH.replace(".md", "--0000abcd.md"), dumps(RELEASE))


def test_a_file_changed_since_this_tool_wrote_it_is_a_local_edit() -> None:
    text = dumps(RELEASE)
    same = hashlib.sha256(text.encode()).hexdigest()
    assert kinds(PATH, text, written=same) == {}
    assert "local-edit" in kinds(PATH, text + " (edited)", written=same)


def test_files_holding_one_url_are_all_duplicates() -> None:
    other = "releases/2024/05/2024-05-29-budget-day.md"
    checked = [check_file(p, dumps(RELEASE).encode()) for p in (PATH, other)]
    checked.append(check_file("releases/2024/05/2024-05-30-x.md", b"unreadable"))
    mark_duplicates(checked)
    assert [("duplicate" in c.result.kinds) for c in checked] == [True, True, False]
    assert other in checked[0].result.kinds["duplicate"]


# -- a file against its page -----------------------------------------------------------------

PAGE = dataclasses.replace(RELEASE, date=dt.date(2024, 5, 31))
REAL = "https://www.beehive.govt.nz/release/t%C4%81maki-budget"


def against(file: Release, page: Release, old_date: dt.date | None = None) -> dict[str, str]:
    """The kinds of a canonical file against its page."""
    return compare(file, dumps(file), page, dumps(page), old_date)


def test_a_file_the_page_makes_byte_for_byte_is_ok() -> None:
    assert against(PAGE, PAGE) == {"ok": ""}


def test_the_old_utc_date_is_legacy_date_and_another_date_is_a_change() -> None:
    assert set(against(RELEASE, PAGE, old_date=DAY)) == {"legacy-date"}
    assert set(against(RELEASE, PAGE, old_date=dt.date(2024, 5, 31))) == {"changed"}


def test_the_old_no_date_is_legacy_date() -> None:
    undated = dataclasses.replace(PAGE, date=dt.date(1, 1, 1))
    assert "'no date'" in against(undated, PAGE, old_date=PAGE.date)["legacy-date"]


def test_the_folded_url_is_legacy_url_and_another_url_is_a_change() -> None:
    page = dataclasses.replace(PAGE, url=REAL)
    folded = dataclasses.replace(PAGE, url="https://www.beehive.govt.nz/release/tamaki-budget")
    assert set(against(folded, page)) == {"legacy-url"}
    other = dataclasses.replace(PAGE, url="https://www.beehive.govt.nz/release/other")
    assert set(against(other, page)) == {"changed"}


def test_old_rules_combine() -> None:
    page = dataclasses.replace(PAGE, url=REAL)
    file = dataclasses.replace(RELEASE, url="https://www.beehive.govt.nz/release/tamaki-budget")
    assert set(against(file, page, old_date=DAY)) == {"legacy-date", "legacy-url"}


def test_a_flattened_table_or_lost_no_break_spaces_are_legacy_format() -> None:
    table = "| Year | Total |\n| --- | --- |\n| 2024 | $1 |"
    page = dataclasses.replace(PAGE, body=f"Figures:\n\n{table}\n\nEnd.")
    flat = dataclasses.replace(PAGE, body="Figures:\n\nYear Total 2024 $1\n\nEnd.")
    assert set(against(flat, page)) == {"legacy-format"}
    spaced = dataclasses.replace(PAGE, body="The\u00a0Budget is out.")
    assert set(against(PAGE, spaced)) == {"legacy-format"}


def test_quoting_alone_is_legacy_format() -> None:
    page = dataclasses.replace(PAGE, portfolios=("Māori Crown Relations: Te Arawhiti",))
    text = dumps(page).replace(
        '"Māori Crown Relations: Te Arawhiti"', "Māori Crown Relations: Te Arawhiti"
    )
    assert compare(page, text, page, dumps(page), None) == {
        "legacy-format": "only the front matter's quoting differs"
    }


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"title": "Budget night"}, "differs: title"),
        ({"ministers": ()}, "differs: ministers"),
        (
            {"attachments": ("https://www.beehive.govt.nz/sites/default/files/a.pdf",)},
            "attachments",
        ),
        ({"body": "The Budget is in."}, "body"),
    ],
)
def test_what_the_page_says_otherwise_is_a_change(change: dict[str, object], detail: str) -> None:
    page = dataclasses.replace(PAGE, **change)  # type: ignore[arg-type]
    assert detail in against(PAGE, page)["changed"]


def test_loose_text_keeps_the_words_and_their_order() -> None:
    assert loose("A  b\u00a0c\n\n| d |") == "A b c d"
    assert loose("a b") != loose("b a")


# -- a sample ---------------------------------------------------------------------------------


def test_a_sample_is_the_same_for_the_same_seed_and_prefers_files_never_verified() -> None:
    paths = [f"releases/2024/01/2024-01-{n:02d}-x.md" for n in range(1, 29)]
    verified = {p: 1000.0 for p in paths[:20]}
    first = sample(paths, 5, seed=7, verified_at=verified)
    assert first == sample(paths, 5, seed=7, verified_at=verified)
    assert set(first) <= set(paths[20:])
    assert sample(paths, 5, seed=8, verified_at={}) != sample(paths, 5, seed=9, verified_at={})


def test_a_folder_that_cannot_be_listed_is_an_unreadable_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hidden = tmp_path / "releases" / "2024" / "05"
    hidden.mkdir(parents=True)
    (hidden / "2024-05-30-budget-day.md").write_text(dumps(RELEASE), encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path: Any) -> Any:
        """Refuse to list one folder, as a folder without read permission does."""
        if Path(path) == hidden:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with Archive.read_only(tmp_path) as archive:
        report = run_verify(archive, None, VerifyOptions(offline=True), now=dt.datetime.now(dt.UTC))
    [result] = report.results
    assert result.path == "releases/2024/05" and "unreadable" in result.kinds


def test_paths_select_their_files_and_the_archive_itself_means_every_file(
    tmp_path: Path,
) -> None:
    for relpath in ("releases/2024/01/2024-01-02-a.md", "speeches/2024/02/2024-02-03-b.md"):
        (tmp_path / relpath).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relpath).write_text("x", encoding="utf-8")
    every = ["releases/2024/01/2024-01-02-a.md", "speeches/2024/02/2024-02-03-b.md"]
    assert select_files(tmp_path, [], None) == (every, True)
    assert select_files(tmp_path, [tmp_path], None) == (every, True)
    assert select_files(tmp_path, [tmp_path / "speeches"], None) == (every[1:], False)
    assert select_files(tmp_path, [tmp_path], dt.date(2024, 2, 1)) == (every[1:], False)
    with pytest.raises(ConfigError, match="is not inside the archive's"):
        select_files(tmp_path, [tmp_path.parent], None)
