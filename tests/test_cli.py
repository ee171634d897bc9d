"""The command line: parse, format, and the README's promises about it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from scraper.cli import EXIT_BLOCKED, EXIT_FAILED, main
from tests.golden import Golden, goldens

REPO = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
SEED = REPO / "seeds" / "releases" / "2007" / "11"


def invoke(*args: str) -> tuple[int, str, str]:
    """Run the CLI in-process."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _golden(name: str) -> Golden:
    """One golden page by name."""
    return next(g for g in goldens() if g.name == name)


def test_parse_prints_the_archive_file(tmp_path: Path) -> None:
    golden = _golden("2026-09-03-district-court-judge-appointed-28")
    page = tmp_path / "page.html"
    page.write_text(golden.whole_page(), encoding="utf-8")
    code, out, _ = invoke("parse", str(page))
    assert code == 0
    assert out == golden.expected


def test_parse_of_a_main_column_takes_url_and_date(tmp_path: Path) -> None:
    golden = _golden("0001-01-01-challenge-laid-new-zealands-digital-future")
    page = tmp_path / "main.html"
    page.write_text(golden.main_column, encoding="utf-8")
    code, out, err = invoke("parse", str(page), "--url", golden.url)
    assert code == EXIT_FAILED
    assert "no publication date" in err and "--date" in err
    assert out == ""
    code, out, _ = invoke("parse", str(page), "--url", golden.url, "--date", "2007-05-03")
    assert code == 0
    assert "\ndate: 2007-05-03\n" in out


def test_parse_refuses_the_block_page(tmp_path: Path) -> None:
    code, out, err = invoke("parse", str(FIXTURES / "blocked" / "incapsula-212.html"))
    assert code == EXIT_BLOCKED
    assert "bot-protection" in err and out == ""


def test_parse_rejects_a_bad_date(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text("<h1 class='article__title'>x</h1>", encoding="utf-8")
    code, _, err = invoke(
        "parse", str(page), "--url", "https://www.beehive.govt.nz/release/x", "--date", "10/12/2025"
    )
    assert code == 2 and "2025-12-10" in err


def test_parse_rejects_an_unknown_time_zone(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text("<h1 class='article__title'>x</h1>", encoding="utf-8")
    code, _, err = invoke("parse", str(page), "--timezone", "Mars/Olympus")
    assert code == 2 and "Mars/Olympus" in err


def test_format_check_lists_non_canonical_files_and_writes_nothing(tmp_path: Path) -> None:
    shutil.copytree(SEED, tmp_path / "a")
    bad = tmp_path / "a" / "bad.md"
    original = (
        '---\ntitle: "T"\ndate: 2020-01-01\nurl: https://www.beehive.govt.nz/release/t\n'
        "portfolios:\n  - Māori Crown Relations: Te Arawhiti\n---\n\nBody"
    )
    bad.write_text(original, encoding="utf-8")
    code, out, _ = invoke("format", "--check", str(tmp_path))
    assert code == EXIT_FAILED
    assert out.splitlines() == [str(bad)]
    assert bad.read_text(encoding="utf-8") == original
    code, out, _ = invoke("format", str(tmp_path))
    assert code == 0
    assert '  - "Māori Crown Relations: Te Arawhiti"' in bad.read_text(encoding="utf-8")
    assert invoke("format", "--check", str(tmp_path))[0] == 0


def test_format_reports_unreadable_files_and_goes_on(tmp_path: Path) -> None:
    shutil.copytree(SEED, tmp_path / "a")
    (tmp_path / "a" / "latin.md").write_bytes(b"---\ntitle: \xe9\n---\n")
    code, out, err = invoke("format", "--check", str(tmp_path))
    assert code == EXIT_FAILED
    assert "latin.md" in err and out == ""


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scraper", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and "sync" in result.stdout


def _options(command: click.Command) -> list[str]:
    """The long options of a command."""
    return [
        opt
        for param in command.params
        for opt in param.opts
        if opt.startswith("--") and opt != "--help"
    ]


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_command_and_option_is_in_the_readme(name: str) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"scraper {name}" in readme
    command = main.commands[name]
    missing = [opt for opt in _options(command) if opt not in readme]
    assert missing == []


def test_readme_quick_start_names_the_two_commands() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("##", 1)[0]
    assert "make demo" in quick and "make test" in quick
    assert "make test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("command", "advice"),
    [
        (["sync"], "check the path, or pass --init to start a new one there"),
        (["daemon", "--once"], "check the path, or pass --init to start a new one there"),
        (["verify", "--offline"], "check the path, or sync one first"),
        (["status"], "check the path, or sync one first"),
        (["report", "--output", "-"], "check the path, or sync one first"),
        (["export", "--sqlite", "{tmp}/x.db"], "check the path, or sync one first"),
    ],
)
def test_a_folder_without_an_archive_is_refused_with_advice_the_command_takes(
    tmp_path: Path, command: list[str], advice: str
) -> None:
    missing = tmp_path / "not-an-archive"
    argv = [part.replace("{tmp}", str(tmp_path)) for part in command]
    code, _, err = invoke(*argv, "--archive", str(missing))
    assert code == 2
    assert f"there is no archive at {missing} (none of releases/, speeches/" in err
    assert err.rstrip().endswith(f"in it): {advice}")
    assert not missing.exists() and list(tmp_path.iterdir()) == []
