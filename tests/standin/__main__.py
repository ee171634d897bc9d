"""Run the stand-in in the foreground: `python -m tests.standin [--port N] ...`."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from tests.standin.model import LINK_MODES
from tests.standin.server import StandIn


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="python -m tests.standin", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (0)")
    parser.add_argument("--pages", default=None, help="folder of page records (the fixtures)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per response")
    parser.add_argument("--crawl-delay", type=float, default=None, help="Crawl-delay in robots")
    parser.add_argument(
        "--links",
        choices=LINK_MODES,
        default="public",
        help="absolute links name the public site (public) or this server, as a mirror (own)",
    )
    parser.add_argument(
        "--clearance",
        nargs="?",
        const="all",
        default=False,
        type=_clearance,
        metavar="K|all",
        help="put every page behind a check only a browser passes; one cookie admits K pages"
        " (all: every page, the default with the flag alone)",
    )
    parser.add_argument("--verbose", action="store_true", help="log requests to stderr")
    return parser.parse_args(argv)


def _clearance(text: str) -> int | None:
    """`--clearance`'s count: a positive number of pages, or None for "all"."""
    if text == "all":
        return None
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of pages or 'all'")
    return int(text)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGTERM or SIGINT; print only `serving <url>` to stdout."""
    args = parse_args(argv)
    site = StandIn(
        args.pages,
        latency=args.latency,
        crawl_delay=args.crawl_delay,
        verbose=args.verbose,
        links=args.links,
    )
    if args.clearance is not False:
        site.require_clearance(args.clearance)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        """Ask the main loop to stop."""
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    url = site.start(args.host, args.port)
    print(f"serving {url}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        site.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
