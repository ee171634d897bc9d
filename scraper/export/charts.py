"""The report's charts as inline SVG: plain markup, no script, read at a glance.

Pure: counts in, SVG text out. Each month of the monthly chart is one `<g class="month">`
with its month in `data-month` (so a test, or a reader's tools, can count them), a tooltip
(`<title>`), a stacked bar per type, and a red mark under the axis when it is empty.
"""

from __future__ import annotations

import math
from collections import Counter
from html import escape

from scraper.wording import plural

__all__ = ["COLOURS", "bar", "month_chart", "nice_step", "stacked_bars"]

#: One colour per content type, and the colour of a gap (a month with no file).
COLOURS = {"release": "#2563eb", "speech": "#d97706", "feature": "#059669"}
GAP = "#dc2626"
_MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_PLOT_HEIGHT = 220
_LEFT, _TOP, _BOTTOM, _RIGHT = 48, 12, 34, 30


def nice_step(largest: float, ticks: int = 4) -> int:
    """A round step (1, 2 or 5 times a power of ten) for about `ticks` gridlines up to it."""
    if largest <= ticks:
        return 1
    raw = largest / ticks
    power = 10 ** math.floor(math.log10(raw))
    return int(next(m * power for m in (1, 2, 5, 10) if m * power >= raw))


def month_chart(months: list[tuple[str, Counter[str]]], types: tuple[str, ...]) -> str:
    """Files per month, a bar stacked by type for each month of the span, gaps marked."""
    if not months:
        return '<p class="empty">No dated files: nothing to chart.</p>'
    step = min(24.0, max(2.0, 1200 / len(months)))
    width = max(step - 1, step * 0.75)
    plot_width = step * len(months)
    tallest = max(sum(counts.values()) for _, counts in months) or 1
    grid = nice_step(tallest)
    top_value = math.ceil(tallest / grid) * grid
    scale = _PLOT_HEIGHT / top_value
    base = _TOP + _PLOT_HEIGHT
    total_width = _LEFT + plot_width + _RIGHT
    parts = [
        f'<svg class="chart monthly" viewBox="0 0 {total_width:.0f} {base + _BOTTOM}"'
        ' width="100%" role="img" aria-label="Files per month, by type">'
    ]
    for value in range(0, top_value + 1, grid):
        y = base - value * scale
        parts.append(
            f'<line class="grid" x1="{_LEFT}" x2="{_LEFT + plot_width:.1f}"'
            f' y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="axis" x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value}</text>'
        )
    parts.extend(_year_labels(months, step, base))
    for i, (month, counts) in enumerate(months):
        parts.append(_month_bar(month, counts, types, _LEFT + i * step, width, base, scale))
    parts.append("</svg>")
    return "".join(parts)


def _month_bar(
    month: str,
    counts: Counter[str],
    types: tuple[str, ...],
    x: float,
    width: float,
    base: float,
    scale: float,
) -> str:
    """One month's group: its tooltip, a segment per type, or the red mark of a gap."""
    total = sum(counts.values())
    year, number = month.split("-")
    said = ", ".join(plural(counts[t], t) for t in types if counts[t])
    tip = f"{_MONTH_NAMES[int(number) - 1]} {year}: {said or 'nothing'}"
    parts = [f'<g class="month" data-month="{month}" data-total="{total}"><title>{tip}</title>']
    y = base
    for kind in types:
        if counts[kind]:
            height = counts[kind] * scale
            y -= height
            parts.append(
                f'<rect class="bar {kind}" x="{x:.2f}" y="{y:.2f}" width="{width:.2f}"'
                f' height="{height:.2f}" fill="{COLOURS.get(kind, "#6b7280")}"/>'
            )
    if not total:
        parts.append(
            f'<rect class="gap" x="{x:.2f}" y="{base + 2:.1f}" width="{max(width, 1.5):.2f}"'
            f' height="6" fill="{GAP}"/>'
        )
    parts.append("</g>")
    return "".join(parts)


def _year_labels(months: list[tuple[str, Counter[str]]], step: float, base: float) -> list[str]:
    """A tick at each January, and the year under enough of them not to crowd."""
    every = next(n for n in (1, 2, 5, 10, 20, 50) if n * 12 * step >= 36)
    parts = []
    for i, (month, _) in enumerate(months):
        year, number = int(month[:4]), month[5:]
        if number != "01" and i:
            continue
        x = _LEFT + i * step
        parts.append(f'<line class="tick" x1="{x:.1f}" x2="{x:.1f}" y1="{base}" y2="{base + 12}"/>')
        if year % every == 0:
            parts.append(f'<text class="axis" x="{x + 2:.1f}" y="{base + 24}">{year}</text>')
    return parts


def stacked_bars(rows: list[tuple[str, Counter[str]]], types: tuple[str, ...]) -> str:
    """Horizontal bars stacked by type, one per labelled row, with its total at its end."""
    if not rows:
        return ""
    label_width, bar_width, row_height = 180, 520, 22
    largest = max(sum(c.values()) for _, c in rows) or 1
    height = row_height * len(rows) + 4
    parts = [
        f'<svg class="chart bars" viewBox="0 0 {label_width + bar_width + 70} {height}"'
        f' width="100%" style="max-width: {label_width + bar_width + 70}px" role="img"'
        ' aria-label="Files per row, by type">'
    ]
    for i, (label, counts) in enumerate(rows):
        y = i * row_height + 4
        total = sum(counts.values())
        parts.append(
            f'<g class="row"><title>{escape(label)}: {total}</title>'
            f'<text x="{label_width - 8}" y="{y + 13}" text-anchor="end">{escape(label)}</text>'
        )
        x = float(label_width)
        for kind in types:
            if counts[kind]:
                length = counts[kind] / largest * bar_width
                parts.append(
                    f'<rect class="bar {kind}" x="{x:.2f}" y="{y}" width="{length:.2f}"'
                    f' height="{row_height - 6}" fill="{COLOURS.get(kind, "#6b7280")}"/>'
                )
                x += length
        parts.append(f'<text class="total" x="{x + 6:.1f}" y="{y + 13}">{total:,}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def bar(value: int, largest: int, width: int = 160) -> str:
    """A small inline bar for a table cell: `value` out of `largest`."""
    length = value / largest * width if largest else 0
    return (
        f'<svg class="cellbar" width="{width}" height="10" aria-hidden="true">'
        f'<rect width="{length:.1f}" height="10" fill="{COLOURS["release"]}"/></svg>'
    )
