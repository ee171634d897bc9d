"""Crash trials: SIGKILL `sync`, `verify --fix` and `format` again and again; nothing is lost.

``python -m tests.stress.kills [--trials N] [--pages N] [--seed N]`` serves the stand-in
with N more pages, makes an archive by one uninterrupted sync (the reference), then:

- kills `sync --full` after random delays (a seeded RNG; the seed is printed) on the same
  archive until a run completes it, round after round, until N kills;
- kills it at chosen points (`killpoint.py`): a temporary file written, a rename done, a
  state transaction before and after its commit;
- the same with `format` over damaged files and `verify --fix` over files whose pages
  changed.

After each kill every archive file must be whole (the old or the new bytes, never others),
no URL may vanish or be held twice; after each group the state must pass
`PRAGMA integrity_check`, the next plain sync must leave no temporary file and an archive
byte-identical to an uninterrupted run's, with the same `verify --offline` findings, and a
state recording as this tool's own every file an uninterrupted run's does, with the same
digest. The counts go to the stress table (`tally("kills", ...)`); any loss exits 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.standin import StandIn
from tests.stress.killpoint import CHILD, POINTS
from tests.stress.look import (
    Look,
    age,
    look,
    new_findings,
    offline_findings,
    state_whole,
    written,
)
from tests.tally import tally

ROOT = Path(__file__).resolve().parents[2]
TYPES = "release,speech,feature"
#: A run that has not ended after this long is stuck: a failure, not a trial.
STUCK = 300.0

Args = Callable[[Path], list[str]]


@dataclass
class Counts:
    """What all the trials found; every count but `trials` and `litter` must end at 0."""

    trials: int = 0
    lost: int = 0
    partial: int = 0
    duplicated: int = 0
    different: int = 0
    verify_bad: int = 0
    state_bad: int = 0
    failed_runs: int = 0
    #: Temporary files that kills left, which a later sync deletes once stale (not a loss).
    litter: int = 0
    #: Files the state no longer records as this tool's own, or with another digest, where
    #: an uninterrupted run's does (later syncs would not re-check them for corrections).
    unrecorded: int = 0

    def bad(self) -> int:
        """The sum of the counts that say something went wrong."""
        counts: dict[str, int] = vars(self)
        return sum(counts.values()) - self.trials - self.litter


@dataclass
class Group:
    """One archive under kills, from its start to its check: what was seen of it."""

    name: str
    #: For each file, the bytes it may hold after a kill (before and after the command).
    allowed: dict[str, set[bytes]]
    kills: int = 0
    urls: set[str] = field(default_factory=set)
    lost: set[str] = field(default_factory=set)
    partial: set[str] = field(default_factory=set)
    duplicated: set[str] = field(default_factory=set)

    def observe(self, root: Path) -> None:
        """After a kill: every file whole, no URL gone that was there, none held twice."""
        seen = look(root)
        for rel, data in seen.files.items():
            if data not in self.allowed.get(rel, set()):
                self.partial.add(rel)
        now = set(seen.paths_of)
        self.lost |= self.urls - now
        self.urls |= now
        self.duplicated |= seen.duplicated


@dataclass
class Reference:
    """An uninterrupted run's archive, its `verify --offline` findings and its figures."""

    root: Path
    files: Look
    findings: dict[str, tuple[str, ...]]
    seconds: float
    calls: dict[str, int]


class Trials:
    """The kill trials against one stand-in, in one work folder."""

    def __init__(self, base_url: str, work: Path, rng: random.Random) -> None:
        """Trials against the stand-in at `base_url`, archives under `work`."""
        self.base_url, self.work, self.rng = base_url, work, rng
        self.counts = Counts()
        self._made = 0

    # -- commands -------------------------------------------------------------------------

    def sync(self, root: Path, full: bool = True) -> list[str]:
        """A sync of the stand-in (a backfill unless `full` is false)."""
        extra = ["--init", "--full"] if full else []
        site = ["--base-url", self.base_url, "--interval", "0", "--types", TYPES]
        return ["sync", *extra, "--archive", str(root), *site]

    def fix(self, root: Path) -> list[str]:
        """`verify --fix` against the stand-in."""
        return [
            "verify",
            "--fix",
            "--archive",
            str(root),
            "--base-url",
            self.base_url,
            "--interval",
            "0",
        ]

    @staticmethod
    def format(root: Path) -> list[str]:
        """`format` of every archive file."""
        return ["format", str(root)]

    def start(
        self, args: list[str], point: str | None = None, nth: int = 0
    ) -> subprocess.Popen[str]:
        """Start scraper with these arguments; armed to be killed at a point when given."""
        head = (
            [sys.executable, "-c", CHILD, point, str(nth)]
            if point
            else [sys.executable, "-m", "scraper"]
        )
        return subprocess.Popen(
            [*head, *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )

    def finished(self, proc: subprocess.Popen[str], ok: tuple[int, ...], what: str) -> str:
        """Wait for a run that ends by itself; count it failed unless its exit is in `ok`."""
        _, err = proc.communicate(timeout=STUCK)
        if proc.returncode not in ok:
            self.counts.failed_runs += 1
            print(f"  FAILED: {what} exited {proc.returncode}: {err.strip()[-600:]}")
        return err

    # -- archives -------------------------------------------------------------------------

    def fresh(self, name: str) -> Path:
        """A new, empty folder for an archive."""
        self._made += 1
        return self.work / f"{self._made:03d}-{name}"

    def copy(self, source: Path, name: str) -> Path:
        """A copy of an archive, state included."""
        target = self.fresh(name)
        shutil.copytree(source, target)
        return target

    def reference(self, args: Args, root: Path, ok: tuple[int, ...] = (0,)) -> Reference:
        """Run a command uninterrupted, counting the calls each kill point watches."""
        began = time.monotonic()
        err = self.finished(self.start(args(root), "tmp-written,commit", 0), ok, "a reference run")
        seconds = time.monotonic() - began
        calls = {}
        for line in err.splitlines():
            if line.startswith("killpoint-count "):
                _, point, count = line.split()
                calls[point] = int(count)
        calls["renamed"], calls["committed"] = calls["tmp-written"], calls["commit"]
        return Reference(root, look(root), offline_findings(root), seconds, calls)

    # -- kills ----------------------------------------------------------------------------

    def random_kills(
        self,
        name: str,
        setup: Callable[[], Path],
        args: Args,
        ref: Reference,
        target: Reference,
        budget: int,
        ok: tuple[int, ...] = (0,),
    ) -> None:
        """Kill a command after random delays until it completes; rounds until `budget` kills."""
        kills, bound = 0, ref.seconds
        while kills < budget:
            root = setup()
            group = Group(f"{name}, random", _allowed(ref, target))
            group.observe(root)
            while True:
                began = time.monotonic()
                proc = self.start(args(root))
                if kills >= budget:  # the budget spent: the run that completes is let be
                    self.finished(proc, ok, f"{name} after {group.kills} kills")
                    break
                try:
                    proc.wait(timeout=self.rng.uniform(0.0, bound))
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.communicate()
                    kills += 1
                    group.kills += 1
                    group.observe(root)
                    continue
                self.finished(proc, ok, f"{name} after {group.kills} kills")
                if not group.kills:  # a whole run, quicker than the reference: the new bound
                    bound = time.monotonic() - began
                break
            self.check(group, root, target)

    def point_kills(
        self,
        name: str,
        setup: Callable[[], Path],
        args: Args,
        ref: Reference,
        target: Reference,
        point: str,
        budget: int,
        ok: tuple[int, ...] = (0,),
    ) -> None:
        """Kill a command at the Nth call of a point, N spread over a whole run's calls."""
        root = setup()
        group = Group(f"{name}, at {point}", _allowed(ref, target))
        group.observe(root)
        calls = max(1, ref.calls[point])
        marks = sorted(self.rng.sample(range(1, calls + 1), min(budget, calls)))
        for nth in (b - a for a, b in itertools.pairwise([0, *marks])):
            proc = self.start(args(root), point, nth)
            _, err = proc.communicate(timeout=STUCK)
            if proc.returncode == -9:
                group.kills += 1
                group.observe(root)
            elif proc.returncode not in ok:
                self.counts.failed_runs += 1
                print(f"  FAILED: {name} exited {proc.returncode}: {err.strip()[-600:]}")
        self.finished(self.start(args(root)), ok, f"{name} after the kills at {point}")
        self.check(group, root, target)

    def check(self, group: Group, root: Path, target: Reference) -> None:
        """A group's end: state whole, litter tidied by a plain sync, the archive the target's."""
        counts = self.counts
        whole = state_whole(root)
        litter = look(root).temps
        age(litter)
        self.finished(self.start(self.sync(root, full=False)), (0,), "the plain sync after")
        after = look(root)
        group.partial |= {p.name for p in after.temps} | set(after.unreadable)
        group.partial |= set(after.files) - set(target.files.files)
        group.lost |= set(target.files.paths_of) - set(after.paths_of)
        group.duplicated |= after.duplicated
        different = [r for r, b in target.files.files.items() if after.files.get(r, b) != b]
        findings = new_findings(offline_findings(root), target.findings)
        ours = written(root)
        unrecorded = [r for r, sha in written(target.root).items() if ours.get(r) != sha]
        whole = whole and state_whole(root)
        counts.trials += group.kills
        counts.litter += len(litter)
        counts.lost += len(group.lost)
        counts.partial += len(group.partial)
        counts.duplicated += len(group.duplicated)
        counts.different += len(different)
        counts.verify_bad += len(findings)
        counts.state_bad += 0 if whole else 1
        counts.unrecorded += len(unrecorded)
        print(
            f"  {group.name}: {group.kills} kills; {len(group.lost)} lost,"
            f" {len(group.partial)} partial, {len(group.duplicated)} duplicated,"
            f" {len(different)} different, {len(findings)} new findings, state"
            f" {'whole' if whole else 'DAMAGED'}; {len(litter)} temporary files left by kills,"
            f" {len(unrecorded)} not recorded as this tool's own",
            flush=True,
        )
        for line in [*sorted(group.lost), *sorted(group.partial), *different, *findings][:10]:
            print(f"    {line}")


def _allowed(before: Reference, after: Reference) -> dict[str, set[bytes]]:
    """The bytes each file may hold mid-run: its bytes before the command or after it."""
    allowed: dict[str, set[bytes]] = {}
    for ref in (before, after):
        for rel, data in ref.files.files.items():
            allowed.setdefault(rel, set()).add(data)
    return allowed


def damage(root: Path) -> int:
    """Make every other archive file non-canonical in one of three ways `format` mends."""
    files = sorted(root.glob("*/*/*/*.md"))
    ways: list[Callable[[bytes], bytes]] = [
        lambda b: b + b"\n",
        lambda b: b.replace(b"\n", b"\r\n"),
        lambda b: "\ufeff".encode() + b,
    ]
    for i, path in enumerate(files[::2]):
        path.write_bytes(ways[i % len(ways)](path.read_bytes()))
    return len(files[::2])


def stand_in(pages: int, rng: random.Random) -> StandIn:
    """The stand-in with `pages` more releases, copies of recorded ones on random dates."""
    site = StandIn()
    dated = [i for i in site.items if i.kind == "release" and i.when is not None]
    start = dt.datetime(1998, 1, 1, 9, tzinfo=dt.UTC)
    for n in range(pages):
        when = start + dt.timedelta(days=rng.randrange(9000))
        site.publish(f"stress-copy-{n:04d}", copy_of=dated[n % len(dated)].path, when=when)
    return site


def run_trials(trials: Trials, budget: int, site: StandIn) -> None:
    """Every group: sync (random, points), format (random, points), verify --fix (same)."""
    each = max(2, budget // 10)
    ref = trials.reference(trials.sync, trials.fresh("reference"))
    print(
        f"reference sync: {len(ref.files.files)} files in {ref.seconds:.1f} s,"
        f" {ref.calls['tmp-written']} renames, {ref.calls['commit']} state commits",
        flush=True,
    )
    print("sync --full:", flush=True)
    trials.random_kills("sync", lambda: trials.fresh("sync"), trials.sync, ref, ref, budget)
    for point in POINTS:
        trials.point_kills("sync", lambda: trials.fresh("sync"), trials.sync, ref, ref, point, each)

    damaged = trials.copy(ref.root, "damaged")
    print(f"format: {damage(damaged)} files made non-canonical", flush=True)
    before = Reference(damaged, look(damaged), {}, 0.0, {})
    timing = trials.reference(trials.format, trials.copy(damaged, "format-timing"))
    before.seconds, before.calls = timing.seconds, timing.calls
    again = lambda: trials.copy(damaged, "format")  # noqa: E731
    trials.random_kills("format", again, trials.format, before, ref, each)
    for point in ("tmp-written", "renamed"):
        trials.point_kills("format", again, trials.format, before, ref, point, each)

    changed = [i for i in site.items if i.kind == "release"][::7]
    for item in changed:
        site.change(item.path, f"{item.title} (corrected)")
    fixed = trials.reference(trials.sync, trials.fresh("reference-after-corrections"))
    print(f"verify --fix: {len(changed)} pages corrected at the source", flush=True)
    old = Reference(ref.root, ref.files, ref.findings, 0.0, {})
    timing = trials.reference(trials.fix, trials.copy(ref.root, "fix-timing"), ok=(0, 1))
    old.seconds, old.calls = timing.seconds, timing.calls
    again = lambda: trials.copy(ref.root, "fix")  # noqa: E731
    trials.random_kills("verify --fix", again, trials.fix, old, fixed, each, ok=(0, 1))
    for point in POINTS:
        trials.point_kills("verify --fix", again, trials.fix, old, fixed, point, each, ok=(0, 1))


def main(argv: list[str] | None = None) -> int:
    """Run the trials, print and tally the counts; 1 when anything was lost or broken."""
    parser = argparse.ArgumentParser(prog="python -m tests.stress.kills", description=__doc__)
    parser.add_argument("--trials", type=int, default=100, help="random kills of sync (100)")
    parser.add_argument("--pages", type=int, default=400, help="pages added to the stand-in")
    parser.add_argument("--seed", type=int, default=None, help="the RNG's seed (printed)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "big")
    print(f"kill trials: seed {seed} (again: --seed {seed})", flush=True)
    rng = random.Random(seed)
    # Stopped (SIGTERM), it still deletes its folder: the with blocks end on SystemExit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    began = time.monotonic()
    site = stand_in(args.pages, rng)
    with site.running() as base_url, tempfile.TemporaryDirectory(prefix="kills-") as work:
        trials = Trials(base_url, Path(work), rng)
        run_trials(trials, args.trials, site)
    c = trials.counts
    print(
        f"kill trials: {c.trials} kills in {time.monotonic() - began:.0f} s; {c.lost} files lost,"
        f" {c.partial} partial, {c.duplicated} duplicated, {c.different} different,"
        f" {c.verify_bad} new verify findings, {c.state_bad} damaged states,"
        f" {c.failed_runs} failed runs, {c.unrecorded} files no longer recorded as this tool's"
        f" own; {c.litter} temporary files left by kills (tidied)"
    )
    tally("kills", **vars(c))
    return 1 if c.bad() else 0


if __name__ == "__main__":
    sys.exit(main())
