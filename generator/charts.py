"""Charts drawn at build time as inline SVG: no script, no font, nothing from outside the site.

Written by hand, not with a plotting library: the charts are plain bars and a
shaded grid, and what they must be (inline markup that inherits the page's
fonts, labelled in Chinese, with role="img" and a <title>) takes a few dozen
lines of SVG. matplotlib would need Chinese fonts configured on the build
machine and would write every glyph as a path or embed the font.

Every number of the table is drawn as one element of class "chart-mark" (a bar
or a cell), so a chart can be checked against its table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape
from itertools import count

from .stats import Label, Table

FONT = 13  # px, labels
SMALL = 11  # px, numbers on bars and ticks
BAR = 12  # px, thickness of one bar
GAP = 3  # px, between the bars of one group
GROUP_GAP = 12  # px, between groups
PLOT = 360  # px, length of the longest bar
HEIGHT = 180  # px, height of the tallest upright bar
CELL_HEIGHT = 26
INK = "#1f2328"
MUTED = "#57606a"
LINE = "#d0d7de"
# Series colours: each at least 3:1 against white, as WCAG 1.4.11 asks of graphics.
COLOURS = ("#b71c1c", "#0b4f9c", "#8a5a00", "#2e7d32", "#6a1b9a", "#37474f")
# Grid shades from none to most, with a text colour that keeps 4.5:1 on each.
SHADES = (("#f6f8fa", INK), ("#dbe7f5", INK), ("#a9c5e8", INK), ("#2f64a8", "#ffffff"),
          ("#173f75", "#ffffff"))


def draw(table: Table, name: Callable[[Label], str], title: str) -> str:
    rows = [name(label) for label in table.rows]
    series = [name(label) for label in table.columns]
    draw_as = {"grid": grid, "columns": columns, "bars": bars}[table.chart]
    return draw_as(table.key, title, rows, series, table.values)


def bars(ident: str, title: str, groups: Sequence[str], series: Sequence[str],
         values: Sequence[Sequence[int]]) -> str:
    """Horizontal bars, one group per row of `values`, one bar (and colour) per series."""
    left = max((text_width(g, FONT) for g in groups), default=0) + 10
    top = FONT + 14 if len(series) > 1 else 4
    ticks = _ticks(max((v for row in values for v in row), default=0))
    group = len(series) * BAR + (len(series) - 1) * GAP
    height = top + len(groups) * (group + GROUP_GAP) + SMALL + 8
    parts, legend_width = _legend(series) if len(series) > 1 else ([], 0.0)
    width = max(left + PLOT + 40, legend_width)

    def x(value: int) -> float:
        return left + value / ticks[-1] * PLOT

    axis = top + len(groups) * (group + GROUP_GAP)
    for tick in ticks:
        parts.append(f'<line x1="{x(tick):.1f}" y1="{top}" x2="{x(tick):.1f}" y2="{axis}" stroke="{LINE}"/>'
                     f'<text x="{x(tick):.1f}" y="{axis + SMALL + 4}" font-size="{SMALL}" fill="{MUTED}"'
                     f' text-anchor="middle">{tick}</text>')
    for index, (label, row) in enumerate(zip(groups, values, strict=True)):
        y = top + index * (group + GROUP_GAP) + GROUP_GAP / 2
        parts.append(f'<text x="{left - 8}" y="{y + group / 2:.1f}" font-size="{FONT}" fill="{INK}"'
                     f' text-anchor="end" dominant-baseline="central">{escape(label)}</text>')
        for number, (name, value) in enumerate(zip(series, row, strict=True)):
            bar_y = y + number * (BAR + GAP)
            parts.append(f'<rect class="chart-mark" x="{left}" y="{bar_y:.1f}" width="{x(value) - left:.1f}"'
                         f' height="{BAR}" fill="{COLOURS[number % len(COLOURS)]}">'
                         f'<title>{escape(label)} {escape(name)}：{value}</title></rect>'
                         f'<text x="{x(value) + 4:.1f}" y="{bar_y + BAR / 2:.1f}" font-size="{SMALL}"'
                         f' fill="{INK}" dominant-baseline="central">{value}</text>')
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{axis}" stroke="{INK}"/>')
    return _svg(ident, title, width, height, parts)


def columns(ident: str, title: str, groups: Sequence[str], series: Sequence[str],
            values: Sequence[Sequence[int]]) -> str:
    """Upright bars along a time axis (months), one group per row of `values`, one bar per series."""
    ticks = _ticks(max((v for row in values for v in row), default=0))
    left = text_width(str(ticks[-1]), SMALL) + 8
    top = FONT + 14 + SMALL if len(series) > 1 else SMALL + 4
    group = len(series) * BAR + (len(series) - 1) * GAP + GROUP_GAP
    axis = top + HEIGHT
    parts, legend_width = _legend(series) if len(series) > 1 else ([], 0.0)

    def y(value: int) -> float:
        return axis - value / ticks[-1] * HEIGHT

    for tick in ticks:
        parts.append(f'<line x1="{left}" y1="{y(tick):.1f}" x2="{left + len(groups) * group}" y2="{y(tick):.1f}"'
                     f' stroke="{LINE}"/><text x="{left - 4}" y="{y(tick):.1f}" font-size="{SMALL}"'
                     f' fill="{MUTED}" text-anchor="end" dominant-baseline="central">{tick}</text>')
    for index, (label, row) in enumerate(zip(groups, values, strict=True)):
        x = left + index * group + GROUP_GAP / 2
        parts.append(f'<text x="{x + (group - GROUP_GAP) / 2:.1f}" y="{axis + FONT + 4}" font-size="{FONT}"'
                     f' fill="{INK}" text-anchor="middle">{escape(label)}</text>')
        for number, (name, value) in enumerate(zip(series, row, strict=True)):
            bar_x = x + number * (BAR + GAP)
            parts.append(f'<rect class="chart-mark" x="{bar_x:.1f}" y="{y(value):.1f}" width="{BAR}"'
                         f' height="{axis - y(value):.1f}" fill="{COLOURS[number % len(COLOURS)]}">'
                         f'<title>{escape(label)} {escape(name)}：{value}</title></rect>')
            if value:
                parts.append(f'<text x="{bar_x + BAR / 2:.1f}" y="{y(value) - 3:.1f}" font-size="{SMALL}"'
                             f' fill="{INK}" text-anchor="middle">{value}</text>')
    parts.append(f'<line x1="{left}" y1="{axis}" x2="{left + len(groups) * group}" y2="{axis}" stroke="{INK}"/>')
    return _svg(ident, title, max(left + len(groups) * group, legend_width), axis + FONT + 8, parts)


def grid(ident: str, title: str, rows: Sequence[str], columns: Sequence[str],
         values: Sequence[Sequence[int]]) -> str:
    """A table of cells shaded by their number: many rows by many columns at a glance."""
    left = max((text_width(r, FONT) for r in rows), default=0) + 10
    cell = max(34, max((text_width(c, SMALL) for c in columns), default=0) + 8)
    top = FONT + 10
    peak = max((v for row in values for v in row), default=0)
    parts = [f'<text x="{left + (i + 0.5) * cell:.1f}" y="{FONT}" font-size="{SMALL}" fill="{INK}"'
             f' text-anchor="middle">{escape(c)}</text>' for i, c in enumerate(columns)]
    for r, (label, row) in enumerate(zip(rows, values, strict=True)):
        y = top + r * CELL_HEIGHT
        parts.append(f'<text x="{left - 8}" y="{y + CELL_HEIGHT / 2}" font-size="{FONT}" fill="{INK}"'
                     f' text-anchor="end" dominant-baseline="central">{escape(label)}</text>')
        for c, (column, value) in enumerate(zip(columns, row, strict=True)):
            fill, ink = SHADES[math.ceil(value / peak * (len(SHADES) - 1)) if value else 0]
            parts.append(f'<rect class="chart-mark" x="{left + c * cell}" y="{y}" width="{cell - 2}"'
                         f' height="{CELL_HEIGHT - 2}" fill="{fill}">'
                         f'<title>{escape(label)} {escape(column)}：{value}</title></rect>')
            if value:
                parts.append(f'<text x="{left + c * cell + (cell - 2) / 2:.1f}" y="{y + CELL_HEIGHT / 2 - 1}"'
                             f' font-size="{SMALL}" fill="{ink}" text-anchor="middle"'
                             f' dominant-baseline="central">{value}</text>')
    return _svg(ident, title, left + len(columns) * cell, top + len(rows) * CELL_HEIGHT, parts)


def text_width(text: str, size: float) -> float:
    """Estimated width: CJK characters are square, Latin letters and digits about half as wide."""
    return sum(size if ord(char) >= 0x2E80 else size * 0.6 for char in text)


def _ticks(peak: int) -> tuple[int, ...]:
    """0 to a round number at or above `peak`, in at most five steps of 1, 2 or 5 times a power of ten."""
    step = next(m * 10**e for e in count() for m in (1, 2, 5) if peak <= 5 * m * 10**e)
    return tuple(range(0, max(1, math.ceil(peak / step)) * step + 1, step))


def _legend(series: Sequence[str]) -> tuple[list[str], float]:
    parts, x = [], 0.0
    for number, name in enumerate(series):
        parts.append(f'<rect x="{x:.1f}" y="2" width="12" height="12" fill="{COLOURS[number % len(COLOURS)]}"/>'
                     f'<text x="{x + 16:.1f}" y="8" font-size="{FONT}" fill="{INK}"'
                     f' dominant-baseline="central">{escape(name)}</text>')
        x += 16 + text_width(name, FONT) + 18
    return parts, x


def _svg(ident: str, title: str, width: float, height: float, parts: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="chart-{ident}" role="img"'
            f' aria-labelledby="chart-{ident}-title" viewBox="0 0 {width:.0f} {height:.0f}"'
            f' width="{width:.0f}" height="{height:.0f}">'
            f'<title id="chart-{ident}-title">{escape(title)}</title>{"".join(parts)}</svg>')
