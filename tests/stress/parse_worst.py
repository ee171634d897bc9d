"""The parser's worst cases, each in a subprocess: its outcome and peak memory against a bound.

Run as `python -m tests.stress.parse_worst`. Each case is a hostile page written to a
temporary folder and given to `scraper parse` (the listing to the listing parser, which
`scraper parse` does not run). Prints one line per case and hands each peak to
`tests.tally`; exits 1 when a case passes its memory bound or ends other than expected.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.tally import tally

_HEAD = (
    '<html><head><link rel="canonical" href="https://www.beehive.govt.nz/release/x"></head>'
    '<body><div class="ds-three-col__main"><time datetime="2025-12-09T21:37:58Z">10 Dec</time>'
    '<h1 class="article__title">{title}</h1><div class="field--name-body">'
)
_TAIL = "</div></div></body></html>"
_LISTING = (
    "import sys\nfrom scraper.site.discover import parse_listing\n"
    "items = parse_listing(open(sys.argv[1], encoding='utf-8').read())\n"
    "print(len(items), 'links')\n"
)


@dataclass(frozen=True)
class Case:
    """One hostile input, how it should end, and the peak memory it may take."""

    name: str
    parts: tuple[str, ...]  # the page is parts[0], then parts[1] `repeat` times, then the rest
    repeat: int
    expect: tuple[str, ...]  # pieces of the output, one of which shows the right outcome
    bound_mib: int
    listing: bool = False


def _page(body: str, repeat: int = 1, title: str = "A title") -> tuple[tuple[str, ...], int]:
    """A release page whose body is `body` written `repeat` times."""
    return (_HEAD.format(title=title), body, _TAIL), repeat


def _write(case: Case, path: Path) -> None:
    """Write the case's page piece by piece: this process stays small (see measure)."""
    head, body, *rest = case.parts
    with path.open("w", encoding="utf-8") as out:
        out.write(head)
        for _ in range(case.repeat):
            out.write(body)
        out.writelines(rest)


def cases() -> Iterator[Case]:
    """The worst cases of issue 10, and the largest page still read."""
    link = '<a href="/release/item-{}">Item</a><time datetime="2025-01-01T00:00:00Z"></time>'
    links = "".join(link.format(i) for i in range(5000))
    paragraph = "<p>Some text of a release, as long as a real paragraph is.</p>\n"
    huge = "x" * 2**20
    yield Case(
        "listing-5000-links",
        (f"<main><div>{links}", "", "</div></main>"),
        1,
        ("5000 links",),
        150,
        True,
    )
    yield Case("ul-li-50000-deep", *_page("<ul><li>", 50000), ("nests its elements",), 100)
    yield Case("div-100000-deep", *_page("<div>", 100000), ("nests its elements",), 100)
    yield Case("file-50-mb", *_page(paragraph, 50 * 2**20 // len(paragraph)), ("bytes long",), 100)
    yield Case(
        "largest-page-read", *_page(paragraph, 2**21 // len(paragraph) - 10), ("title:",), 300
    )
    # Hostile but within the limits: 2 MiB of adjacent bold, which the converter merges
    # pairwise. It is read or given up at the time budget, never a hang.
    outcomes = ("title:", "took more than")
    yield Case("bold-runs-2-mib", *_page("<b>a</b>", 2**21 // 8 - 100), outcomes, 400)
    yield Case("title-1-mib", *_page("<p>Hi.</p>", title=huge), ("has a title of",), 100)


def measure(case: Case, folder: Path) -> tuple[str, float, bool]:
    """Run one case in a subprocess: (its last output line, peak RSS in MiB, expected?).

    A child's peak counts what it shared with this process before it started the program,
    so this process never holds a case's page whole.
    """
    page = folder / f"{case.name}.html"
    _write(case, page)
    command = (
        [sys.executable, "-c", _LISTING, str(page)]
        if case.listing
        else [sys.executable, "-m", "scraper", "parse", str(page)]
    )
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        # wait4 gives this one child's peak RSS (KiB on Linux), not the sum of all children.
        _, _, usage = os.wait4(process.pid, 0)
        process.returncode = 0  # reaped here: keep Popen from waiting again
        out.seek(0)
        output = out.read().decode("utf-8", "replace")
    lines = [line for line in output.splitlines() if line.strip()]
    last = lines[-1][:110] if lines else ""
    return last, usage.ru_maxrss / 1024, any(piece in output for piece in case.expect)


def main() -> int:
    """Run every case; 1 when any ended unexpectedly or passed its bound."""
    failed = 0
    with tempfile.TemporaryDirectory() as folder:
        for case in cases():
            last, peak, expected = measure(case, Path(folder))
            within = peak <= case.bound_mib
            failed += not (within and expected)
            verdict = "ok" if within and expected else "FAIL"
            print(
                f"{verdict:4} {case.name:20} peak {peak:6.1f} MiB (bound {case.bound_mib})  {last}"
            )
            tally("memory", case=case.name, peak_mib=round(peak, 1), bound_mib=case.bound_mib)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
