"""`scraper status`: what the archive holds, what its state remembers, what runs and when.

Read at once, even while a daemon or a sync writes: the archive is opened read-only (its
state copied into memory), and nothing is created or changed on disk.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

from scraper.archive.state import STATE_FILE
from scraper.archive.store import STATE_DIR, Archive, lock_holder
from scraper.config import Config, flat_settings
from scraper.daemon.runfile import read_info, running
from scraper.models import CONTENT_FOLDERS
from scraper.wording import plural

#: Incomplete files the plain output names (--json lists them all).
INCOMPLETE_SHOWN = 10


def archive_status(config: Config, file_config: Config, file_keys: set[str]) -> dict[str, Any]:
    """Everything status shows, as plain data.

    `file_config` is the settings file alone, `file_keys` the keys it sets: with the
    defaults and `config` (file and command line) they tell where each setting came from.
    """
    root = config.archive
    with Archive.read_only(root) as archive:
        archive.refresh_index()
        kinds = archive.by_kind()
        return {
            "archive": {
                "path": str(root.resolve()),
                "files": {kind: n for kind, (n, _, _) in kinds.items()},
                # Placeholder dates (0001-01-01 for "no date") are left out: not the oldest.
                "oldest": {kind: _iso(lo) for kind, (_, lo, _) in kinds.items()},
                "newest": {kind: _iso(hi) for kind, (_, _, hi) in kinds.items()},
                "unreadable": len(archive.unreadable()),
                "never_verified": archive.unverified(),
                "findings": dict(Counter(k for f in archive.findings() for k in f.kinds)),
            },
            "state": _state(root, archive, config),
            "runs": [_run(record) for record in archive.runs(limit=10)],
            "daemon": _daemon(root),
            "sync_in_progress": lock_holder(root),
            "settings": settings_sources(config, file_config, file_keys),
        }


def _state(root: Path, archive: Archive, config: Config) -> dict[str, Any]:
    """Where the state lives, its version, what it keeps pending, robots.txt's age."""
    path = root / STATE_DIR / STATE_FILE
    kept = archive.load_robots(config.fetch.base_url)
    return {
        "path": str(path.resolve()),
        "exists": path.is_file(),
        "schema_version": archive.schema_version() if path.is_file() else None,
        "problem": archive.state_problem,
        "pending": len(archive.pending(tuple(CONTENT_FOLDERS))),
        # Files written from the feed alone (sync --feed-only), until a sync completes them.
        "incomplete": [relpath for _, relpath in archive.incomplete()],
        "robots_txt": (
            f"kept {kept[1] / 3600:.1f} h ago" if kept is not None else "not fetched yet"
        ),
        # Kept per site: a mirror's (--base-url) is not the public site's.
        "robots_txt_of": config.fetch.base_url,
    }


def _run(record: Any) -> dict[str, Any]:
    """One run record as plain data."""
    return {
        "job": record.job,
        "started": record.started.isoformat(timespec="seconds"),
        "seconds": round(record.seconds, 1),
        "exit": record.exit_code,
        "counts": record.counts,
        "note": record.note,
    }


def _daemon(root: Path) -> dict[str, Any]:
    """Whether a daemon keeps the archive, its pid, and when its jobs run next."""
    if not running(root):
        return {"running": False}
    info = read_info(root)
    if info is None:
        return {"running": True}
    return {
        "running": True,
        "pid": info.pid,
        "started": info.started,
        "next_runs": info.next_runs,
        "settings_file": info.settings_file,
        "settings": info.settings,
    }


def settings_sources(
    config: Config, file_config: Config, file_keys: set[str]
) -> list[dict[str, Any]]:
    """Each setting in effect, and where it came from: default, file or command line."""
    rows = []
    effective = flat_settings(config)
    from_file = flat_settings(file_config)
    for key, value in effective.items():
        if value != from_file[key]:
            source = "command line"
        elif key in file_keys:
            source = "file"
        else:
            source = "default"
        rows.append({"key": key, "value": value, "source": source})
    return rows


def _iso(date: dt.date | None) -> str | None:
    """A date as ISO text, or None."""
    return date.isoformat() if date else None


def status_lines(status: dict[str, Any]) -> list[str]:
    """The status as lines a person reads at a glance."""
    archive, state, daemon = status["archive"], status["state"], status["daemon"]
    lines = [f"archive    {archive['path']}"]
    for kind, count in archive["files"].items():
        lo, hi = archive["oldest"][kind], archive["newest"][kind]
        dates = f", {lo} … {hi}" if lo and hi else ", none dated"
        lines.append(f"  {CONTENT_FOLDERS[kind]:<10} {plural(count, 'file'):>13}{dates}")
    lines.append(
        f"  never verified: {archive['never_verified']:,}; unreadable: {archive['unreadable']}"
    )
    if archive["findings"]:
        found = ", ".join(f"{kind} {n}" for kind, n in sorted(archive["findings"].items()))
        lines.append(f"  latest verify findings: {found}")
    lines.append(f"state      {state['path']}" + ("" if state["exists"] else " (none yet)"))
    if state["exists"]:
        lines.append(
            f"  schema version {state['schema_version']}; {state['pending']} releases pending;"
            f" robots.txt of {state['robots_txt_of']} {state['robots_txt']}"
        )
        lines += _incomplete_lines(state["incomplete"])
    if state["problem"]:
        lines.append(f"  note: {state['problem']}")
    lines.append(_daemon_line(daemon))
    # The daemon read its settings when it started (or last reloaded): say where they differ.
    effective = {row["key"]: row["value"] for row in status["settings"]}
    theirs = daemon.get("settings", {})
    lines += [
        f"  the daemon's {key} = {value!r} (here: {effective.get(key)!r})"
        for key, value in theirs.items()
        if key != "archive" and effective.get(key) != value
    ]
    if status["sync_in_progress"]:
        lines.append(f"  the archive's lock is held by process {status['sync_in_progress']}")
    lines.append("last runs")
    lines += [_run_line(run) for run in status["runs"]] or ["  none yet"]
    lines.append("settings (not default)")
    changed = [row for row in status["settings"] if row["source"] != "default"]
    lines += [f"  {row['key']} = {row['value']!r}  ({row['source']})" for row in changed]
    if not changed:
        lines.append("  all at their defaults")
    return lines


def _incomplete_lines(relpaths: list[str]) -> list[str]:
    """The files written from the feed alone: how many, and the first few of them."""
    if not relpaths:
        return []
    lines = [
        f"  incomplete (written from the feed alone): {plural(len(relpaths), 'file')};"
        " the next sync that reaches their pages completes them"
    ]
    lines += [f"    {relpath}" for relpath in relpaths[:INCOMPLETE_SHOWN]]
    if len(relpaths) > INCOMPLETE_SHOWN:
        lines.append(f"    … and {len(relpaths) - INCOMPLETE_SHOWN} more (--json lists all)")
    return lines


def _daemon_line(daemon: dict[str, Any]) -> str:
    """The daemon in one line."""
    if not daemon["running"]:
        return "daemon     not running"
    nexts = ", ".join(f"{job} at {when}" for job, when in daemon.get("next_runs", {}).items())
    return f"daemon     running, pid {daemon.get('pid', '?')}; next: {nexts or 'unknown'}"


def _run_line(run: dict[str, Any]) -> str:
    """One run in one line."""
    counts = ", ".join(f"{k} {v}" for k, v in run["counts"].items() if v)
    note = f"; {run['note']}" if run["note"] else ""
    return (
        f"  {run['started']}  {run['job']:<7} exit {run['exit']}  {run['seconds']} s"
        f"  {counts}{note}"
    )
