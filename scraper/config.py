"""Settings: a TOML file → a frozen Config. Unknown keys are errors; nothing loads at import."""

from __future__ import annotations

import dataclasses
import json
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from scraper.daemon.settings import DaemonSettings
from scraper.dates import time_zone
from scraper.errors import ConfigError, ScraperError
from scraper.keep.settings import KeepSettings
from scraper.models import CONTENT_FOLDERS
from scraper.net.settings import FetchSettings
from scraper.site.parse import ParseOptions, Selectors


@dataclass(frozen=True)
class SyncSettings:
    """What a sync covers by default."""

    types: tuple[str, ...] = ("release",)
    recheck_days: int = 3
    block_limit: int = 3
    down_limit: int = 3


@dataclass(frozen=True)
class Config:
    """Every setting of the tool, with its default."""

    archive: Path = Path("seeds")
    date_timezone: str = "Pacific/Auckland"
    fetch: FetchSettings = field(default_factory=FetchSettings)
    sync: SyncSettings = field(default_factory=SyncSettings)
    daemon: DaemonSettings = field(default_factory=DaemonSettings)
    selectors: Selectors = field(default_factory=Selectors)
    keep: KeepSettings = field(default_factory=KeepSettings)

    def parse_options(self) -> ParseOptions:
        """The parser's options under these settings."""
        return ParseOptions(timezone=self.date_timezone, selectors=self.selectors)


#: TOML table → (Config field, dataclass of that table).
_TABLES: dict[str, type[Any]] = {
    "fetch": FetchSettings,
    "sync": SyncSettings,
    "daemon": DaemonSettings,
    "selectors": Selectors,
    "keep": KeepSettings,
}
_TOP = {"archive", "date_timezone"}


def load_config(path: Path | None, sets: Sequence[str] = ()) -> Config:
    """Read a settings file (None: the defaults), then `sets` ("fetch.timeout=10") over it.

    Every error names the file, or the --set, and the key.
    """
    data = read_settings(path)
    for assignment in sets:
        _assign(data, assignment)
    named = [str(path)] if path is not None else []
    source = " and ".join(named + (["the command line"] if sets else [])) or "the defaults"
    return config_from_mapping(data, source)


def read_settings(path: Path | None) -> dict[str, Any]:
    """A settings file as parsed TOML (None: no file, so nothing set); ConfigError naming it."""
    if path is None:
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the settings file {path}: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc


def _assign(data: dict[str, Any], assignment: str) -> None:
    """Put one --set KEY=VALUE into parsed settings; the value is TOML, or else plain text."""
    key, sep, text = assignment.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"--set {assignment!r} must look like table.key=value")
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        value = text  # a bare word: a string, as a shell user would mean it
    *tables, name = key.split(".")
    target = data
    for table in tables:
        target = target.setdefault(table, {})
        if not isinstance(target, dict):
            raise ConfigError(f"--set {assignment!r}: {table} is not a table of settings")
    target[name] = value


def config_from_mapping(data: dict[str, Any], source: str = "<settings>") -> Config:
    """Build a Config from parsed TOML, refusing unknown keys and wrong types."""
    unknown = set(data) - _TOP - set(_TABLES)
    if unknown:
        raise ConfigError(
            f"{source}: unknown setting {sorted(unknown)[0]!r}; see config/scraper.toml"
        )
    changes: dict[str, Any] = {}
    if "archive" in data:
        changes["archive"] = Path(_typed(data["archive"], str, source, "archive"))
    if "date_timezone" in data:
        changes["date_timezone"] = _zone(
            _typed(data["date_timezone"], str, source, "date_timezone"), source
        )
    for table, cls in _TABLES.items():
        if table in data:
            changes[table] = _table(cls, data[table], source, table)
    try:
        config = dataclasses.replace(Config(), **changes)
    except ScraperError as exc:
        raise ConfigError(f"{source}: {exc}") from exc
    _check(config, source)
    return config


def _table(cls: type[Any], values: object, source: str, name: str) -> Any:
    """One TOML table as its dataclass, each value checked against the field's default."""
    if not isinstance(values, dict):
        raise ConfigError(f"{source}: [{name}] must be a table")
    defaults = cls()
    known = {f.name for f in fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"{source}: unknown setting {name}.{key}; see config/scraper.toml")
        kwargs[key] = _coerce(getattr(defaults, key), value, source, f"{name}.{key}")
    try:
        return cls(**kwargs)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from exc


def _coerce(default: object, value: object, source: str, key: str) -> object:
    """A TOML value in the type of the setting's default."""
    if isinstance(default, bool) or (default is None and isinstance(value, bool)):
        return _typed(value, bool, source, key)
    if isinstance(default, tuple):
        items = _typed(value, list, source, key)
        return tuple(_typed(i, str, source, key) for i in items)
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{source}: {key} must be a number, got {value!r}")
        return float(value)
    if isinstance(default, int):
        return _typed(value, int, source, key)
    if isinstance(default, Path) or default is None:
        text = _typed(value, str, source, key)
        return Path(text) if text else None
    return _typed(value, str, source, key)


def _typed(value: Any, kind: type[Any], source: str, key: str) -> Any:
    """The value itself when it has the expected type, else a ConfigError."""
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{source}: {key} must be {kind.__name__}, got {value!r}")
    return value


def _zone(name: str, source: str) -> str:
    """A time zone name that exists."""
    try:
        time_zone(name)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from exc
    return name


def content_types(values: tuple[str, ...], source: str) -> tuple[str, ...]:
    """Content types as given, when each is known and there is at least one."""
    bad = [t for t in values if t not in CONTENT_FOLDERS]
    if bad or not values:
        given = repr(bad[0]) if bad else "nothing"
        raise ConfigError(f"{source} has {given}; choose from {', '.join(CONTENT_FOLDERS)}")
    return values


def _check(config: Config, source: str) -> None:
    """Cross-field checks that no single field can make."""
    content_types(config.sync.types, f"{source}: sync.types")
    sync = config.sync
    if not 0 <= sync.recheck_days <= 366:
        raise ConfigError(f"{source}: sync.recheck_days must be from 0 to 366")
    for name in ("block_limit", "down_limit"):
        if not 1 <= getattr(sync, name) <= 100:
            raise ConfigError(f"{source}: sync.{name} must be from 1 to 100")


def with_overrides(
    config: Config,
    *,
    archive: Path | None = None,
    types: tuple[str, ...] | None = None,
    **fetch: Any,
) -> Config:
    """The settings with command-line values put over them (None: keep the setting).

    `fetch` takes `[fetch]` settings by name (base_url, interval, concurrency, cookies_file,
    …); each value is checked as the settings file's would be, and a bad one is a
    ConfigError naming the option.
    """
    changes = {key: value for key, value in fetch.items() if value is not None}
    unknown = set(changes) - {f.name for f in fields(FetchSettings)}
    if unknown:
        raise ConfigError(f"unknown fetch setting {sorted(unknown)[0]!r}")
    fetch_settings = config.fetch
    for key, value in changes.items():
        # One at a time, so that an error names the option that caused it.
        try:
            fetch_settings = dataclasses.replace(fetch_settings, **{key: value})
        except ConfigError as exc:
            raise ConfigError(f"--{key.replace('_', '-')}: {exc}") from exc
    sync = config.sync
    if types is not None:
        sync = dataclasses.replace(sync, types=content_types(types, "--types"))
    return dataclasses.replace(
        config, archive=archive or config.archive, fetch=fetch_settings, sync=sync
    )


def config_to_toml(config: Config) -> str:
    """The settings as a settings file that `load_config` reads back to the same Config."""
    lines = [
        f"archive = {toml_value(config.archive)}",
        f"date_timezone = {toml_value(config.date_timezone)}",
    ]
    for table in _TABLES:
        lines += ["", f"[{table}]"]
        values = getattr(config, table)
        lines += [f"{f.name} = {toml_value(getattr(values, f.name))}" for f in fields(values)]
    return "\n".join(lines) + "\n"


def toml_value(value: object) -> str:
    """One value in TOML: JSON's string escapes are TOML's (DEL aside), None the empty string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    text = json.dumps("" if value is None else str(value), ensure_ascii=False)
    return text.replace("\x7f", "\\u007f")  # DEL: JSON leaves it as it is, TOML forbids it


def flat_settings(config: Config) -> dict[str, Any]:
    """Every setting in effect as table.key → value (as a settings file would say it)."""
    return flatten_toml(tomllib.loads(config_to_toml(config)))


def flatten_toml(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A TOML mapping as table.key → value."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(flatten_toml(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
