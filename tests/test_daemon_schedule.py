"""The daemon's schedule on a clock the test moves: nothing here sleeps or waits for time."""

from __future__ import annotations

import datetime as dt
import gc
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import apscheduler.executors.base
import apscheduler.schedulers.base
import apscheduler.triggers.interval
import pytest
from apscheduler.executors.debug import DebugExecutor
from apscheduler.executors.pool import ThreadPoolExecutor

from scraper.config import Config, load_config
from scraper.daemon.jobs import Outcome, SourceHook
from scraper.daemon.runfile import DaemonInfo
from scraper.daemon.schedule import Daemon, cron_trigger, crontab_weekdays
from scraper.errors import ConfigError
from scraper.net.session import StopCheck, StopRequest
from tests.manual_scheduler import ByHand

START = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)
SETTINGS = """
[daemon]
sync_every = 60.0
sync_jitter = 0.0
verify_every = 600.0
time_limit = 30.0
backoff_max = 400.0
"""


class Clock:
    """The one clock of the test: APScheduler's datetime.now and the daemon's, moved by hand."""

    def __init__(self) -> None:
        self.now = START
        self.seconds = 0.0

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)
        self.seconds += seconds

    def wall(self) -> dt.datetime:
        return self.now

    def monotonic(self) -> float:
        return self.seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Every place APScheduler reads the time reads this clock instead."""
    moved = Clock()

    class FakeDatetime(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
            return moved.now.astimezone(tz) if tz else moved.now.replace(tzinfo=None)

    for module in (
        apscheduler.schedulers.base,
        apscheduler.executors.base,
        apscheduler.triggers.interval,
    ):
        monkeypatch.setattr(module, "datetime", FakeDatetime)
    return moved


class Script:
    """A runner that records each job it is asked to run and ends it as told."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.calls: list[tuple[str, dt.datetime]] = []
        self.ends: list[str | None] = []  # stop kinds of the next sync runs
        self.during: Any = None  # called inside a run, with the run's stop check

    def sync(self, config: Config, stop: StopCheck, on_source: SourceHook) -> Outcome:
        self.calls.append(("sync", self.clock.now))
        if self.during is not None:
            self.during(stop)
        kind = self.ends.pop(0) if self.ends else None
        return Outcome("sync", 3 if kind == "blocked" else 0, kind)

    def verify(self, config: Config, stop: StopCheck, on_source: SourceHook) -> Outcome:
        self.calls.append(("verify", self.clock.now))
        return Outcome("verify", 0)


@pytest.fixture
def settings(tmp_path: Path) -> Path:
    """A settings file for a daemon of the archive under tmp_path."""
    (tmp_path / "archive" / "releases").mkdir(parents=True)
    path = tmp_path / "daemon.toml"
    path.write_text(f'archive = "{tmp_path / "archive"}"\n{SETTINGS}', encoding="utf-8")
    return path


def make(
    settings: Path, clock: Clock, executor: Any = None
) -> tuple[Daemon, ByHand, Script, list[tuple[str, dict[str, object]]]]:
    """A daemon on a scheduler driven by hand, with a scripted runner and a list for its log."""
    logged: list[tuple[str, dict[str, object]]] = []
    scheduler = ByHand(executors={"default": executor or DebugExecutor()})
    script = Script(clock)
    daemon = Daemon(
        lambda: load_config(settings),
        lambda event, **fields: logged.append((event, fields)),
        runner=script,  # type: ignore[arg-type]
        scheduler=scheduler,
        now=clock.wall,
        clock=clock.monotonic,
    )
    daemon.install()
    scheduler.start()
    return daemon, scheduler, script, logged


def runs(script: Script, job: str) -> list[float]:
    """When a job ran, in seconds from the start."""
    return [(when - START).total_seconds() for name, when in script.calls if name == job]


def test_the_first_sync_runs_at_once_then_each_on_its_interval(
    settings: Path, clock: Clock
) -> None:
    _, scheduler, script, _ = make(settings, clock)
    for _ in range(4):
        scheduler.tick()
        clock.advance(60)
    assert runs(script, "sync") == [0, 60, 120, 180]
    assert runs(script, "verify") == []  # its first run is an interval away


class Cycle:
    """What a run leaves behind, as tenacity's retry objects do: an object that holds itself."""

    def __init__(self) -> None:
        self.itself = self


def test_what_a_run_leaves_in_reference_cycles_is_freed_when_it_ends(
    settings: Path, clock: Clock
) -> None:
    _, scheduler, script, _ = make(settings, clock)
    left: list[weakref.ref[Cycle]] = []
    script.during = lambda stop: left.append(weakref.ref(Cycle()))
    gc.disable()  # only the daemon's own collection may free it
    try:
        scheduler.tick()
        assert len(left) == 1 and left[0]() is None
    finally:
        gc.enable()


@pytest.mark.parametrize(("stop_kind", "verifies"), [(None, 1), ("time-limit", 1), ("blocked", 0)])
def test_once_runs_a_verify_after_the_sync_unless_the_site_stopped_it(
    settings: Path, clock: Clock, stop_kind: str | None, verifies: int
) -> None:
    daemon, _, script, logged = make(settings, clock)
    script.ends = [stop_kind]
    outcome = daemon.once()
    assert len(runs(script, "verify")) == verifies
    assert outcome.exit_code == (3 if stop_kind == "blocked" else 0)
    assert any(event == "verify skipped" for event, _ in logged) == (not verifies)


def test_a_bug_in_a_job_is_a_log_line_and_the_schedule_goes_on(
    settings: Path, clock: Clock
) -> None:
    daemon, scheduler, script, logged = make(settings, clock)

    def bug(stop: StopCheck) -> None:
        raise RuntimeError("a bug")

    script.during = bug
    for _ in range(2):
        scheduler.tick()
        clock.advance(60)
    assert runs(script, "sync") == [0, 60]  # the first run's bug did not end the schedule
    failed = [fields for event, fields in logged if event == "sync failed"]
    assert failed == [{"error": "unexpected RuntimeError: a bug (please report)"}] * 2
    assert daemon.once().exit_code == 1  # --once: the same, as an exit code


def test_missed_runs_are_coalesced_into_one(settings: Path, clock: Clock) -> None:
    _, scheduler, script, _ = make(settings, clock)
    scheduler.tick()
    clock.advance(60 * 5 + 1)  # five runs missed (the machine slept, within the grace)
    scheduler.tick()
    assert runs(script, "sync") == [0, 301]


def test_a_run_missed_by_more_than_the_grace_is_skipped_not_run_late(
    settings: Path, clock: Clock
) -> None:
    settings.write_text(settings.read_text() + "misfire_grace = 30.0\n", encoding="utf-8")
    _, scheduler, script, _ = make(settings, clock)
    scheduler.tick()
    clock.advance(60 + 45)  # due at 60, noticed at 105: 45 s late, over the grace of 30
    scheduler.tick()
    assert runs(script, "sync") == [0]


def test_a_run_still_going_when_the_next_is_due_is_not_run_twice(
    settings: Path, clock: Clock
) -> None:
    release = threading.Event()
    entered = threading.Event()
    pool = ThreadPoolExecutor(max_workers=1)
    daemon, scheduler, script, _ = make(settings, clock, executor=pool)

    def hold(_stop: StopCheck) -> None:
        entered.set()
        release.wait(30)

    script.during = hold
    scheduler.tick()
    assert entered.wait(30)
    clock.advance(60)
    scheduler.tick()  # the first is still running: max_instances=1 skips this one
    release.set()
    assert daemon.wait_idle(30)
    pool.shutdown(wait=True)
    assert runs(script, "sync") == [0]


def test_blocks_push_the_next_sync_out_doubling_to_a_cap_and_a_good_run_recovers(
    settings: Path, clock: Clock
) -> None:
    _, scheduler, script, logged = make(settings, clock)
    script.ends = ["blocked", "blocked", "down", "blocked", None, None]
    for _ in range(22):
        scheduler.tick()
        clock.advance(60)
    # Every 60 s; blocked: not for 120 s, then 240 s, down: 400 s (the cap), 400 s; then ok.
    assert runs(script, "sync")[:6] == [0, 120, 360, 780, 1200, 1260]
    assert sum(e == "sync skipped" for e, _ in logged) == 1 + 3 + 6 + 6
    assert [f["reason"] for e, f in logged if e == "backing off"] == [
        "blocked",
        "blocked",
        "down",
        "blocked",
    ]


def test_a_run_over_its_time_limit_is_told_to_stop_at_its_next_page(
    settings: Path, clock: Clock
) -> None:
    _, scheduler, script, _ = make(settings, clock)
    said: list[StopRequest | None] = []

    def long_run(stop: StopCheck) -> None:
        said.append(stop())
        clock.advance(31)  # over the 30 s limit
        said.append(stop())

    script.during = long_run
    scheduler.tick()
    assert said[0] is None and said[1] is not None
    assert said[1].kind == "time-limit" and "time limit (30 s)" in said[1].reason


def test_a_stop_ends_the_run_in_hand_at_its_next_page_and_the_schedule(
    settings: Path, clock: Clock
) -> None:
    pool = ThreadPoolExecutor(max_workers=1)
    daemon, scheduler, script, logged = make(settings, clock, executor=pool)
    entered, stopped = threading.Event(), threading.Event()
    said: list[StopRequest | None] = []

    def midway(stop: StopCheck) -> None:
        said.append(stop())
        entered.set()
        stopped.wait(30)
        said.append(stop())  # the next page boundary

    script.during = midway
    scheduler.tick()
    assert entered.wait(30)
    daemon.stop("SIGTERM")  # as the signal handler does, on the main thread
    stopped.set()
    assert daemon.wait_idle(30)
    pool.shutdown(wait=True)
    assert said[0] is None and said[1] is not None and said[1].kind == "cancelled"
    assert "stopping (SIGTERM)" in said[1].reason
    assert not scheduler.running and ("stopping", {"reason": "SIGTERM"}) in logged


def test_sighup_reloads_the_settings_and_a_bad_file_keeps_the_old(
    settings: Path, clock: Clock
) -> None:
    daemon, scheduler, script, logged = make(settings, clock)
    scheduler.tick()
    settings.write_text(settings.read_text().replace("sync_every = 60.0", "sync_every = 90.0"))
    daemon.reload()
    assert daemon.config.daemon.sync_every == 90.0
    for _ in range(4):
        clock.advance(45)
        scheduler.tick()
    assert runs(script, "sync") == [0, 90, 180]
    settings.write_text("[daemon]\nsync_every = -1\n", encoding="utf-8")
    daemon.reload()
    assert daemon.config.daemon.sync_every == 90.0
    [(_, fields)] = [entry for entry in logged if entry[0] == "reload refused"]
    assert "sync_every" in str(fields["error"])


class Watched:
    """A lock that says when a thread has to wait for it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.contended = threading.Event()

    def __enter__(self) -> None:
        if not self.lock.acquire(blocking=False):
            self.contended.set()
            self.lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self.lock.release()


def test_a_reload_during_the_info_write_of_a_run_leaves_the_new_settings_said(
    settings: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    daemon, scheduler, _, _ = make(settings, clock)
    scheduler.tick()
    said: list[DaemonInfo] = []
    writing, go = threading.Event(), threading.Event()

    def write(root: Path, info: DaemonInfo) -> None:
        if not said:  # the run's write, held until the reload has come
            writing.set()
            assert go.wait(30)
        said.append(info)

    monkeypatch.setattr("scraper.daemon.schedule.write_info", write)
    watched = Watched()
    daemon._info_lock = watched  # type: ignore[assignment]
    run = threading.Thread(target=daemon._say)  # as the job thread says, after a run
    run.start()
    assert writing.wait(30)
    settings.write_text(
        settings.read_text().replace("verify_every = 600.0", "verify_every = 700.0")
    )
    reload = threading.Thread(target=daemon.reload)  # as the signals' thread does on SIGHUP
    reload.start()
    # The reload either waits for the run's write (the lock) or, without it, is done.
    while not watched.contended.is_set() and reload.is_alive():
        watched.contended.wait(0.01)
    go.set()
    run.join(30)
    reload.join(30)
    assert said[-1].settings["daemon.verify_every"] == 700.0


def test_the_verify_runs_on_its_own_schedule(settings: Path, clock: Clock) -> None:
    _, scheduler, script, _ = make(settings, clock)
    for _ in range(21):
        scheduler.tick()
        clock.advance(60)
    assert runs(script, "verify") == [600, 1200]


def test_a_cron_line_that_is_wrong_is_a_settings_error(settings: Path, clock: Clock) -> None:
    settings.write_text(
        settings.read_text().replace("verify_every = 600.0", 'verify_cron = "61 3 * * *"')
    )
    with pytest.raises(ConfigError, match=r"daemon\.verify_cron '61 3 \* \* \*' is not a crontab"):
        make(settings, clock)


@pytest.fixture(autouse=True)
def _no_threads_left() -> Iterator[None]:
    """Each test leaves no thread of its own behind."""
    before = set(threading.enumerate())
    yield
    assert not [t for t in set(threading.enumerate()) - before if t.is_alive() and not t.daemon]


@pytest.mark.parametrize(
    ("field", "names"),
    [
        ("0", "sun"),
        ("7", "sun"),
        ("1", "mon"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("5-7", "sun,fri,sat"),
        ("*/2", "sun,tue,thu,sat"),
        ("sat,sun", "sun,sat"),
        ("*", "*"),
    ],
)
def test_crontab_weekdays_are_crontabs_not_apschedulers(field: str, names: str) -> None:
    assert crontab_weekdays(field) == names


def test_a_weekly_verify_on_day_0_runs_on_a_sunday_in_new_zealand() -> None:
    trigger = cron_trigger("17 3 * * 0", "Pacific/Auckland")
    first = trigger.get_next_fire_time(None, START)
    assert first is not None
    local = first.astimezone(ZoneInfo("Pacific/Auckland"))
    assert (local.strftime("%A"), local.hour, local.minute) == ("Sunday", 3, 17)


@pytest.mark.parametrize("line", ["17 3 31 2 *", "17 3 * * 8", "61 3 * * *", "17 3 * *"])
def test_a_cron_line_that_is_wrong_or_never_comes_round_is_refused(line: str) -> None:
    with pytest.raises(ConfigError, match=r"daemon\.verify_cron"):
        cron_trigger(line, "Pacific/Auckland")
