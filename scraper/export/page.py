"""The report as one self-contained HTML page: inline CSS and SVG, no script, no request.

Pure: a Census in, the page's text out. Its Content-Security-Policy forbids every fetch and
every script, so a page that tried either would show errors in the browser's console.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from html import escape
from urllib.parse import quote

from scraper.archive.state import Finding, RunRecord
from scraper.dates import UNDATED
from scraper.export.census import Census, MinisterCount
from scraper.export.charts import COLOURS, GAP, bar, month_chart, stacked_bars
from scraper.export.metadata import LICENCE, SOURCE, SOURCE_URL
from scraper.wording import plural

__all__ = ["file_links", "render_page"]

#: Files listed per verify kind, and ministers listed before the rest fold away.
FINDINGS_SHOWN = 200
MINISTERS_SHOWN = 30
#: Runs of empty months named under the chart (the chart shows them all).
GAPS_SHOWN = 30

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1180px;
  padding: 0 20px 40px; color: #111827; }
h1 { margin: 24px 0 4px; } h2 { margin-top: 36px; border-bottom: 1px solid #e5e7eb; }
.lead { color: #4b5563; margin-top: 0; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { text-align: left; padding: 3px 10px 3px 0; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr + tr td { border-top: 1px solid #f3f4f6; }
.chart text { font-size: 11px; fill: #374151; } .chart .grid { stroke: #e5e7eb; }
.chart .tick { stroke: #9ca3af; } .bars text { font-size: 12px; }
.legend span { display: inline-block; margin-right: 16px; }
.swatch { display: inline-block; width: 11px; height: 11px; margin-right: 5px;
  vertical-align: -1px; }
.figures { display: flex; flex-wrap: wrap; gap: 12px 32px; margin: 16px 0; }
.figures div { min-width: 120px; } .figures b { display: block; font-size: 22px; }
.bad { color: #b91c1c; } .empty { color: #6b7280; font-style: italic; }
code { font-size: 13px; } details { margin: 8px 0; }
"""


def file_links(base: str) -> Callable[[str], str]:
    """Links to archive files: `base` (ending in a slash) and the file's relative path."""
    return lambda relpath: base + quote(relpath)


def render_page(census: Census, link: Callable[[str], str]) -> str:
    """The whole page for a census; `link` gives the address of an archive file."""
    title = f"Archive report: {census.archive}"
    sections = [
        f"<h1>Archive report</h1><p class='lead'>{escape(str(census.archive))}; made"
        f" {_when(census.generated)}</p>",
        _figures(census),
        _monthly(census),
        _governments(census),
        _ministers(census),
        _runs(census),
        _findings(census, link),
        _pending(census),
        _problems(census, link),
        f"<hr><p class='lead'>Source: <a href='{SOURCE_URL}'>{SOURCE}</a>. {escape(LICENCE)}</p>",
    ]
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none';"
        " style-src 'unsafe-inline'\">"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>\n"
        + "\n".join(sections)
        + "\n</body></html>\n"
    )


def _figures(census: Census) -> str:
    """The archive in a few numbers."""
    cells = [("files", f"{census.files:,}")]
    cells += [(f"{kind}s", f"{census.by_type[kind]:,}") for kind in census.types]
    if census.months:
        cells.append(("months", f"{census.months[0][0]} to {census.months[-1][0]}"))
        empty = sum(1 for _, counts in census.months if not counts)
        cells.append(("months with no file", f"{empty:,}"))
    cells.append(("pending", f"{len(census.pending):,}"))
    cells.append(("unreadable", f"{len(census.unreadable):,}"))
    items = "".join(f"<div><b>{value}</b>{escape(label)}</div>" for label, value in cells)
    return f"<div class='figures'>{items}</div>"


def _monthly(census: Census) -> str:
    """Files per month across the archive's span, by type, with its gaps named."""
    legend = "".join(
        f"<span><i class='swatch' style='background:{COLOURS.get(kind, '#6b7280')}'></i>"
        f"{kind}s</span>"
        for kind in census.types
    )
    legend += f"<span><i class='swatch' style='background:{GAP}'></i>no file that month</span>"
    gaps = _gaps([month for month, counts in census.months if not counts])
    more = f" and {plural(len(gaps) - GAPS_SHOWN, 'more gap')}" if len(gaps) > GAPS_SHOWN else ""
    said = (
        f"<p>Months with no file: {', '.join(gaps[:GAPS_SHOWN])}{more}.</p>"
        if gaps
        else "<p>Every month of the span has files.</p>"
    )
    if census.undated:
        said += (
            f"<p>{plural(census.undated, 'file')} dated {UNDATED.isoformat()} (undated by the"
            " old exporter) are in neither the chart nor the governments.</p>"
        )
    return (
        "<h2 id='months'>Files per month</h2>"
        f"<p class='legend'>{legend}</p>{month_chart(census.months, census.types)}{said}"
    )


def _governments(census: Census) -> str:
    """Files per government, as bars and as a table."""
    head = "".join(f"<th class='n'>{kind}s</th>" for kind in census.types)
    body = "".join(
        f"<tr><td>{escape(government.label)}</td>"
        + "".join(f"<td class='n'>{counts[kind]:,}</td>" for kind in census.types)
        + f"<td class='n'>{sum(counts.values()):,}</td></tr>"
        for government, counts in census.governments
    )
    rows = [(government.name, counts) for government, counts in census.governments]
    return (
        "<h2 id='governments'>Files per government</h2>"
        "<p class='lead'>A file belongs to the government in office on its date.</p>"
        f"{stacked_bars(rows, census.types)}"
        f"<table><tr><th>government</th>{head}<th class='n'>all</th></tr>{body}</table>"
    )


def _ministers(census: Census) -> str:
    """Files per minister, the most first; the rest fold away."""
    if not census.ministers:
        return "<h2 id='ministers'>Files per minister</h2><p class='empty'>No file names one.</p>"
    largest = census.ministers[0].files

    def rows(ministers: list[MinisterCount]) -> str:
        return "".join(
            f"<tr><td>{escape(m.name)}</td><td class='n'>{m.files:,}</td>"
            f"<td>{bar(m.files, largest)}</td><td>{_day(m.first)} to {_day(m.last)}</td></tr>"
            for m in ministers
        )

    head = "<tr><th>minister</th><th class='n'>files</th><th></th><th>dates</th></tr>"
    shown, rest = census.ministers[:MINISTERS_SHOWN], census.ministers[MINISTERS_SHOWN:]
    more = (
        f"<details><summary>{plural(len(rest), 'more minister')}</summary>"
        f"<table>{head}{rows(rest)}</table></details>"
        if rest
        else ""
    )
    return (
        "<h2 id='ministers'>Files per minister</h2>"
        f"<p class='lead'>{plural(len(census.ministers), 'minister')}; titles such as"
        " “Hon” and “KC”, which pages carry from late 2017, are left out so that each"
        f" person counts once.</p><table>{head}{rows(shown)}</table>{more}"
    )


def _runs(census: Census) -> str:
    """The last runs of each job: when, how long, how it ended, its counts."""
    parts = ["<h2 id='runs'>Last runs</h2>"]
    for job, runs in census.runs.items():
        parts.append(f"<h3>{escape(job)}</h3>")
        if not runs:
            parts.append(f"<p class='empty'>No {escape(job)} run recorded.</p>")
            continue
        parts.append(
            "<table><tr><th>started</th><th class='n'>seconds</th><th class='n'>exit</th>"
            "<th>counts</th><th>note</th></tr>"
            + "".join(_run_row(run) for run in runs)
            + "</table>"
        )
    return "".join(parts)


def _run_row(run: RunRecord) -> str:
    """One run as a table row; a run that failed or was blocked stands out."""
    counts = ", ".join(
        f"<span class='bad'>{escape(k)} {v}</span>"
        if v and k in ("failed", "blocked")
        else f"{escape(k)} {v}"
        for k, v in sorted(run.counts.items())
    )
    exit_cell = f"<span class='bad'>{run.exit_code}</span>" if run.exit_code else "0"
    return (
        f"<tr><td>{_when(run.started)}</td><td class='n'>{run.seconds:,.1f}</td>"
        f"<td class='n'>{exit_cell}</td><td>{counts}</td><td>{escape(run.note or '')}</td></tr>"
    )


def _findings(census: Census, link: Callable[[str], str]) -> str:
    """Each file's latest verify findings, by kind, with links to the files."""
    head = "<h2 id='findings'>Verify findings</h2>"
    if not census.findings:
        if not census.runs.get("verify"):
            return head + "<p class='empty'>None: no verify run is recorded.</p>"
        return head + "<p class='empty'>None: every file verify checked was ok.</p>"
    summary = ", ".join(f"{escape(kind)} {len(found)}" for kind, found in census.findings.items())
    parts = [head, f"<p class='lead'>Each file's latest findings: {summary}.</p>"]
    for kind, found in census.findings.items():
        parts.append(f"<h3>{escape(kind)} ({len(found)})</h3><table>")
        parts.extend(_finding_row(f, link) for f in found[:FINDINGS_SHOWN])
        parts.append("</table>")
        if len(found) > FINDINGS_SHOWN:
            parts.append(f"<p>… and {len(found) - FINDINGS_SHOWN:,} more.</p>")
    return "".join(parts)


def _finding_row(finding: Finding, link: Callable[[str], str]) -> str:
    """One file's findings: the file, its page, what was found, when."""
    when = dt.datetime.fromtimestamp(finding.at, dt.UTC) if finding.at else None
    return (
        f"<tr><td><a href='{escape(link(finding.relpath))}'>{escape(finding.relpath)}</a></td>"
        f"<td><a href='{escape(finding.url)}'>page</a></td><td>{escape(finding.detail)}</td>"
        f"<td>{_when(when) if when else ''}</td></tr>"
    )


def _pending(census: Census) -> str:
    """Releases found but not in the archive, and those held only as the feed gave them."""
    parts = ["<h2 id='pending'>Pending and incomplete releases</h2>"]
    if census.pending:
        parts.append(
            f"<p>{plural(len(census.pending), 'release')} found by a sync and not yet written"
            " (each later sync tries them again):</p><table><tr><th>published</th><th>type</th>"
            "<th>title</th></tr>"
        )
        parts.extend(
            f"<tr><td>{escape((p.published or '')[:10])}</td><td>{escape(p.kind)}</td>"
            f"<td><a href='{escape(p.url)}'>{escape(p.title or p.url)}</a></td></tr>"
            for p in census.pending
        )
        parts.append("</table>")
    else:
        parts.append("<p class='empty'>No release is pending.</p>")
    parts.append("<h3>Incomplete (feed-only) releases</h3>")
    if census.incomplete:
        parts.append(
            f"<p>{plural(len(census.incomplete), 'file')} written from the feed alone, without"
            " ministers, portfolios or attachments (the next sync that reaches their pages"
            " completes them):</p><table>"
        )
        parts.extend(
            f"<tr><td>{i.published.isoformat()}</td><td>{escape(i.kind)}</td>"
            f"<td><a href='{escape(i.url)}'>{escape(i.title)}</a></td></tr>"
            for i in census.incomplete
        )
        parts.append("</table>")
    else:
        parts.append("<p class='empty'>No release is held only as the feed gave it.</p>")
    return "".join(parts)


def _problems(census: Census, link: Callable[[str], str]) -> str:
    """Files that could not be read, and notes about the state."""
    if not census.unreadable and not census.notes:
        return ""
    parts = ["<h2 id='problems'>Problems</h2>"]
    parts.extend(f"<p class='bad'>{escape(note)}</p>" for note in census.notes)
    if census.unreadable:
        parts.append("<table><tr><th>unreadable file</th><th>why</th></tr>")
        parts.extend(
            f"<tr><td><a href='{escape(link(path))}'>{escape(path)}</a></td>"
            f"<td>{escape(reason)}</td></tr>"
            for path, reason in census.unreadable
        )
        parts.append("</table>")
    return "".join(parts)


def _gaps(empty: list[str]) -> list[str]:
    """Runs of consecutive empty months, as "2001-03" or "2001-03 to 2001-05 (3 months)"."""
    runs: list[list[str]] = []
    for month in empty:
        if runs and _next_month(runs[-1][-1]) == month:
            runs[-1].append(month)
        else:
            runs.append([month])
    return [
        run[0] if len(run) == 1 else f"{run[0]} to {run[-1]} ({len(run)} months)" for run in runs
    ]


def _next_month(month: str) -> str:
    """The month after a "YYYY-MM"."""
    year, number = int(month[:4]), int(month[5:])
    return f"{year + 1:04d}-01" if number == 12 else f"{year:04d}-{number + 1:02d}"


def _when(moment: dt.datetime) -> str:
    """A moment as people read it, in UTC."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _day(day: dt.date) -> str:
    """A date, or a dash for the old exporter's undated 0001-01-01."""
    return "–" if day == UNDATED else day.isoformat()
