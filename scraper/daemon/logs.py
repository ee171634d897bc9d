"""One line per event, plain or JSON, to a stream the command line opens."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable
from typing import TextIO

#: Logs one event: its name and its fields.
EventLog = Callable[..., None]


class LineLog:
    """Writes each event as one line: `time event key=value …`, or one JSON object."""

    def __init__(
        self,
        stream: TextIO,
        fmt: str = "plain",
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        """Write to `stream` in `fmt` ("plain" or "json"), stamping lines with `clock`."""
        self.stream = stream
        self.fmt = fmt
        self.clock = clock
        # Re-entrant: a line written while another is being written (a signal) must not hang.
        self._lock = threading.RLock()

    def __call__(self, event: str, **fields: object) -> None:
        """Write one event, whole, even when jobs log at once."""
        when = self.clock().isoformat(timespec="seconds")
        if self.fmt == "json":
            line = json.dumps({"time": when, "event": event, **fields}, ensure_ascii=False)
        else:
            parts = [f"{key}={_plain(value)}" for key, value in fields.items()]
            line = " ".join([when, event, *parts])
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()


def _plain(value: object) -> str:
    """A field's value in a plain line: quoted when it holds a space."""
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if (" " in text or not text) else text
