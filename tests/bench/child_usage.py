"""Run a command and write its exit code, wall seconds and peak RSS as JSON (stdlib only).

Usage: python child_usage.py RESULT.json COMMAND [ARG...]

Linux charges a child the RSS its parent had when it forked, so the bench process (large
after the parse benchmark) cannot measure a child's peak itself; this small process can.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def main() -> None:
    """Run the command with inherited stdio; record what it used."""
    result, command = sys.argv[1], sys.argv[2:]
    start = time.perf_counter()
    child = subprocess.Popen(command)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = code = os.waitstatus_to_exitcode(status)
    with open(result, "w", encoding="utf-8") as out:
        json.dump({"code": code, "seconds": seconds, "max_rss_kib": usage.ru_maxrss}, out)


if __name__ == "__main__":
    main()
