"""Settings files: defaults, overrides, and clear errors."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from scraper.config import Config, config_from_mapping, config_to_toml, load_config, with_overrides
from scraper.errors import ConfigError
from scraper.exitcodes import EXIT_LOCKED, EXIT_USAGE

REPO = Path(__file__).parent.parent


def test_the_shipped_file_states_the_defaults() -> None:
    assert load_config(REPO / "config" / "scraper.toml") == Config()


def test_no_file_means_defaults() -> None:
    assert load_config(None) == Config()


def test_values_override_defaults() -> None:
    config = config_from_mapping(
        {"archive": "a", "fetch": {"interval": 0, "concurrency": 4}, "sync": {"types": ["speech"]}}
    )
    assert (config.archive, config.fetch.interval, config.fetch.concurrency) == (Path("a"), 0.0, 4)
    assert config.sync.types == ("speech",)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"archiv": "x"}, "unknown setting 'archiv'"),
        ({"fetch": {"intervall": 1}}, "unknown setting fetch.intervall"),
        ({"fetch": {"interval": "fast"}}, "fetch.interval must be a number"),
        ({"fetch": {"concurrency": 0}}, "concurrency must be at least 1"),
        ({"fetch": {"base_url": "ftp://x"}}, "base_url"),
        ({"sync": {"types": ["blog"]}}, "sync.types has 'blog'"),
        ({"date_timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"fetch": {"obey_robots": "yes"}}, "fetch.obey_robots must be bool"),
    ],
)
def test_bad_settings_are_named(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config_from_mapping(data, "my.toml")


def test_a_broken_file_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("archive = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.toml is not valid TOML"):
        load_config(bad)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read the settings file .*nope\.toml"):
        load_config(tmp_path / "nope.toml")


def test_no_content_types_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"sync\.types has nothing"):
        config_from_mapping({"sync": {"types": []}}, "my.toml")


def test_a_config_written_as_toml_reads_back_the_same() -> None:
    config = with_overrides(
        config_from_mapping({"sync": {"types": ["speech", "feature"]}}),
        archive=Path("some where/ā"),
        base_url="http://mirror.test:8080",
        interval=0.25,
        user_agent='bot/1 "quoted"',
    )
    assert config_from_mapping(tomllib.loads(config_to_toml(config))) == config
    assert config_from_mapping(tomllib.loads(config_to_toml(Config()))) == Config()


def test_overrides_name_the_option_that_is_wrong() -> None:
    with pytest.raises(ConfigError, match="--concurrency"):
        with_overrides(Config(), interval=2.0, concurrency=0)
    with pytest.raises(ConfigError, match="--types has nothing"):
        with_overrides(Config(), types=())


@pytest.mark.parametrize("key", ["block_limit", "down_limit"])
def test_run_limits_are_bounded(key: str) -> None:
    with pytest.raises(ConfigError, match=f"sync.{key} must be from 1 to 100"):
        config_from_mapping({"sync": {key: 0}}, "my.toml")


def test_a_bad_selector_in_the_file_is_named() -> None:
    with pytest.raises(ConfigError, match=r"my\.toml: selectors\.title = 'h1\.\.x'"):
        config_from_mapping({"selectors": {"title": "h1..x"}}, "my.toml")


def test_the_shipped_file_names_every_setting() -> None:
    shipped = tomllib.loads((REPO / "config" / "scraper.toml").read_text(encoding="utf-8"))
    written = tomllib.loads(config_to_toml(Config()))
    assert shipped.keys() == written.keys()
    for table, values in written.items():
        if isinstance(values, dict):
            assert shipped[table].keys() == values.keys(), table


def test_the_example_daemon_settings_are_valid() -> None:
    config = load_config(REPO / "config" / "daemon.toml")
    assert config.daemon.git_commit and config.sync.types == ("release", "speech", "feature")


def test_the_systemd_unit_has_what_the_readme_promises() -> None:
    unit = (REPO / "config" / "scraper-daemon.service").read_text(encoding="utf-8")
    for line in ("Type=exec", "Restart=on-failure", "User=scraper", "ReadWritePaths="):
        assert line in unit
    assert "ExecReload=/bin/kill -HUP $MAINPID" in unit
    # Bad settings and a second daemon end the same way however often systemd restarts.
    assert f"RestartPreventExitStatus={EXIT_USAGE} {EXIT_LOCKED}\n" in unit


def test_the_daemons_options_reach_its_settings_whatever_characters_they_hold(
    tmp_path: Path,
) -> None:
    from scraper.cli.daemon import _assignments
    from scraper.cli.options import config_from_options

    odd = tmp_path / 'a "quoted" \\ back\tslashed\x01 log'
    opts = {"log_file": odd, "sync_every": 90.5, "git_commit": True, "verify_cron": "0 4 * * 7"}
    daemon = config_from_options({**opts, "assignments": _assignments(opts)}).daemon
    assert daemon.log_file == odd and daemon.sync_every == 90.5 and daemon.git_commit
    assert daemon.verify_cron == "0 4 * * 7"


def test_settings_with_control_characters_are_written_as_toml_that_reads_back(
    tmp_path: Path,
) -> None:
    odd = Config(archive=tmp_path / 'ar\x7fch\x01ive "q" \\')
    written = tmp_path / "odd.toml"
    written.write_text(config_to_toml(odd), encoding="utf-8")
    assert load_config(written).archive == odd.archive
