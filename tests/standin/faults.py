"""Fault rules set by tests: which requests get which misbehaviour, and how many times."""

from __future__ import annotations

import dataclasses
import threading
from urllib.parse import unquote

FAULT_KINDS: frozenset[str] = frozenset(
    {
        "429",
        "503",
        "reset",
        "slow",
        "hold",
        "silent",
        "truncate",
        "challenge",
        "404",
        "410",
        "redirect",
        "not-found",
        "not-a-release",
        "status",
        "gzip-bomb",
        "body",
        "alter",
        "drip",
        "endless",
    }
)
#: Options each kind accepts, with their defaults (None: no default, the option is optional).
_OPTIONS: dict[str, dict[str, object]] = {
    "429": {"retry_after": 0},
    "503": {"retry_after": None},
    "reset": {"hard": True},
    "slow": {"delay": None},
    # Answers once `until` (a threading.Event) is set, or after `limit` seconds at most.
    "hold": {"until": None, "limit": 30.0},
    # Reads the request and never answers; the connection closes when the server stops.
    "silent": {},
    # `hard=True`: a TCP reset after the part sent, instead of a plain close.
    "truncate": {"keep": 0.5, "hard": False},
    "challenge": {"variant": "incapsula"},
    "404": {},
    "410": {},
    "redirect": {"location": None, "status": 301},
    # Status 200 pages in the site's frame that are not releases (no validators).
    "not-found": {},
    "not-a-release": {"variant": "maintenance"},
    # Any status (a 500/502/504 burst), with an optional Retry-After.
    "status": {"status": None, "retry_after": None},
    # Gzip `layers` deep (`Content-Encoding: gzip, gzip`), `size` zero bytes once decoded.
    "gzip-bomb": {"layers": 1, "size": 256 << 20},
    # This body as given; `length=False` sends no Content-Length (the close ends the body).
    "body": {"body": None, "status": 200, "content_type": None, "length": True},
    # The normal answer with its body passed through `transform` and/or another
    # Content-Type (`""`: none at all).
    "alter": {"transform": None, "content_type": None},
    # The normal answer, its body sent one byte per `interval` seconds.
    "drip": {"interval": None},
    # A listing (`/releases?page=N`) that never ends: every page N shows the first page's
    # items turned by N, so no page repeats the one before and none is empty.
    "endless": {},
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "slow": ("delay",),
    "hold": ("until",),
    "redirect": ("location",),
    "status": ("status",),
    "body": ("body",),
    "drip": ("interval",),
}
CHALLENGE_VARIANTS: frozenset[str] = frozenset({"incapsula", "incapsula-long", "pardon"})
NOTICE_VARIANTS: frozenset[str] = frozenset({"maintenance", "error"})


@dataclasses.dataclass
class Fault:
    """One rule: requests matching `pattern` get `kind`, `remaining` more times (None: always)."""

    pattern: str
    kind: str
    remaining: int | None
    opts: dict[str, object]


def _check(kind: str, times: int | None, opts: dict[str, object]) -> dict[str, object]:
    """Validate a rule's kind and options; return the options with defaults filled in."""
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")
    if times is not None and times < 1:
        raise ValueError("times must be a positive number or None (forever)")
    unknown = set(opts) - set(_OPTIONS[kind])
    if unknown:
        raise ValueError(f"fault {kind!r} takes no option(s) {sorted(unknown)}")
    missing = [name for name in _REQUIRED.get(kind, ()) if opts.get(name) is None]
    if missing:
        raise ValueError(f"fault {kind!r} needs option(s) {missing}")
    if kind == "challenge" and opts.get("variant", "incapsula") not in CHALLENGE_VARIANTS:
        raise ValueError(f"challenge variant must be one of {sorted(CHALLENGE_VARIANTS)}")
    if kind == "not-a-release" and opts.get("variant", "maintenance") not in NOTICE_VARIANTS:
        raise ValueError(f"not-a-release variant must be one of {sorted(NOTICE_VARIANTS)}")
    return {**_OPTIONS[kind], **opts}


def matches(pattern: str, target: str) -> bool:
    """Match a target against a rule: decoded; query only if the rule has one; `*` ends a prefix."""
    wanted = unquote(pattern)
    seen = unquote(target if "?" in pattern else target.split("?", 1)[0])
    if wanted.endswith("*"):
        return seen.startswith(wanted[:-1])
    return seen == wanted


class FaultBook:
    """Thread-safe list of fault rules, applied first-added first."""

    def __init__(self) -> None:
        """Start with no rules."""
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, pattern: str, kind: str, times: int | None, opts: dict[str, object]) -> Fault:
        """Add a rule after checking it."""
        fault = Fault(pattern, kind, times, _check(kind, times, opts))
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, target: str) -> Fault | None:
        """Return the first rule matching a request, using up one of its times."""
        with self._lock:
            for fault in self._faults:
                if matches(fault.pattern, target):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining == 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        """Return copies of the rules still active."""
        with self._lock:
            return [dataclasses.replace(f, opts=dict(f.opts)) for f in self._faults]
