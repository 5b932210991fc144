"""Charts drawn on the server as SVG: axes, ticks, labels, a legend, no script.

A chart takes the width it is given, a phone's or a desk's, and its words keep their size:
horizontal positions are percentages of the plot's width, vertical ones pixels of a fixed
height, and the labels sit outside the plot (the SVG draws over its own edge, into the room
its figure keeps for them). Lines are drawn as segments, since a polyline takes no
percentages.

Every piece is reachable without sight: the SVG is an image named by its title and summary,
each mark says its value in full on hover (`<title>`: "Tue 08 Dec, met on the business
clock: 82% of 17 clocks"), and the figures are also a table under the chart. Colours are
classes (`tone-1`...) that the stylesheet fills from its tokens; words, not colour alone,
tell the series apart (the legend, the titles, the table). Every value is escaped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass
from itertools import pairwise

from markupsafe import Markup, escape

# The tones a series or a bar may take (`.tone-…` in the stylesheet).
TONES = frozenset({"1", "2", "3", "4", "5", "6", "muted", "alert"})
PLOT_HEIGHT = 180
ZERO_HEIGHT = 1.5
ROW_HEIGHT = 28
# A bar list's longest bar leaves this much of the width to the value written after it.
ROW_BAR_SHARE = 0.8
_KEY = re.compile(r"^[a-z][a-z0-9-]{0,40}$")
# A value's height in the plot, in pixels from its top.
_Scale = Callable[[float], float]


@dataclass(frozen=True, slots=True)
class Series:
    """One series of a chart: a value per category (None: nothing to show there, such as a
    share of no clocks), and what each value means in full (`words`), for its title and
    the table; `tone` picks its colour among `TONES` (by its place when empty)."""

    name: str
    values: Sequence[float | None]
    words: Sequence[str] = ()
    tone: str = ""

    def said(self, index: int) -> str:
        if index < len(self.words) and self.words[index]:
            return self.words[index]
        value = self.values[index]
        return "none" if value is None else number(value)


@dataclass(frozen=True, slots=True)
class Bar:
    """One row of a bar list: its label, its value, what the value means in full."""

    label: str
    value: float
    words: str = ""
    tone: str = "1"


def number(value: float) -> str:
    """A figure as a chart writes it: whole numbers without decimals, others with one."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def percent(value: float) -> str:
    return f"{value:.0f}%"


def nice_ticks(top: float, most: int = 5, *, whole: bool = False) -> list[float]:
    """Round tick values from 0 to at least `top`, at most `most` of them: 0, 5, 10, 15.
    `whole`: the axis counts things (complaints, clocks), so no tick falls between two."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / (most - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if (magnitude >= 1 or whole) and step < 1:
        step = 1.0
    count = math.ceil(top / step - 1e-9)
    return [round(step * i, 10) for i in range(count + 1)]


def column_chart(
    key: str,
    *,
    title: str,
    summary: str,
    categories: Sequence[str],
    bars: Sequence[Series] = (),
    lines: Sequence[Series] = (),
    labels: Sequence[str | None] | None = None,
    sublabels: Sequence[str] = (),
    as_percent: bool = False,
    y_label: str = "",
    highlight: tuple[int, int] | None = None,
    highlight_label: str = "",
    table_head: str = "",
    height: int = PLOT_HEIGHT,
    quiet_rows: Callable[[int], str] | None = None,
    zero_marks: bool = True,
) -> Markup:
    """Columns per category (one per bar series, side by side) and lines over them, on a
    value axis from 0 (0–100% with `as_percent`). `labels` names the categories under the
    axis (None leaves one unnamed; the categories by default), `sublabels` a second line
    (a denominator: "17 clocks"). `highlight` shades categories `first..last` (an outage's
    burst), named `highlight_label` in the legend. `key` makes the chart's ids (a page
    holding several charts gives each its own). With `quiet_rows`, the figures table leaves
    out the categories where every bar is 0 and says so in the sentence it makes of their
    count (hours of nothing before an outage are not rows worth reading). `zero_marks` draws
    a zero as a sliver on the axis (a day whose clocks all missed); off where most columns
    are zero and the slivers would read as one more line."""
    _check_key(key)
    count = len(categories)
    ticks = _value_ticks(count, (*bars, *lines), as_percent=as_percent)
    if highlight is not None:
        first, last = highlight
        if not 0 <= first <= last < count:
            raise ValueError(f"highlight {highlight} outside 0..{count - 1}")
    band = 100 / count
    y = _value_scale(height, ticks[-1])
    grid = _grid(ticks, y, band, height, y_label, highlight, as_percent=as_percent)
    parts = [
        grid,
        _columns(bars, categories, band, y, highlight, zero_marks),
        _lines(lines, categories, band, y),
        f'<line class="chart-axis" x1="0" x2="100%" y1="{height}" y2="{height}"/>'
        + _category_labels(categories, labels, sublabels, band, height),
    ]
    svg = (
        f'<svg class="chart-plot" width="100%" height="{height}" overflow="visible"'
        f' role="img" aria-labelledby="{key}-title {key}-desc">'
        f'<title id="{key}-title">{escape(title)}</title>'
        f'<desc id="{key}-desc">{escape(summary)}</desc>{"".join(parts)}</svg>'
    )
    legend = _legend(bars, lines, highlight_label if highlight is not None else "")
    table = _columns_table(key, title, table_head, categories, bars, lines, quiet_rows)
    below = _room_below(list(labels) if labels is not None else list(categories), sublabels)
    return _figure(key, title, summary, legend, svg, table, f"chart-columns{below}")


def _value_ticks(count: int, series: Sequence[Series], *, as_percent: bool) -> list[float]:
    """The value axis' ticks: 0–100% for shares, else round counts up to the largest value.
    Every series must have a value per category, and there must be a category."""
    for one in series:
        if len(one.values) != count:
            raise ValueError(f"series {one.name!r} has {len(one.values)} values for {count}")
    if count == 0:
        raise ValueError("a chart needs at least one category")
    if as_percent:
        return [0.0, 25.0, 50.0, 75.0, 100.0]
    shown = [v for one in series for v in one.values if v is not None]
    return nice_ticks(max(shown, default=0), whole=True)


def _value_scale(height: int, top: float) -> _Scale:
    def y(value: float) -> float:
        return round(height - height * min(value, top) / top, 2)

    return y


def _grid(
    ticks: Sequence[float],
    y: _Scale,
    band: float,
    height: int,
    y_label: str,
    highlight: tuple[int, int] | None,
    *,
    as_percent: bool,
) -> str:
    """Under the marks: the highlighted categories' shade, the ticks' lines and values, and
    the axis' name."""
    fmt = percent if as_percent else number
    parts: list[str] = []
    if highlight is not None:
        first, last = highlight
        parts.append(
            f'<rect class="chart-highlight" x="{_pc(first * band)}" y="0"'
            f' width="{_pc((last - first + 1) * band)}" height="{height}"/>'
        )
    for tick in ticks:
        parts.append(
            f'<line class="chart-grid" x1="0" x2="100%" y1="{y(tick)}" y2="{y(tick)}"/>'
            f'<text class="chart-tick" x="-8" y="{y(tick)}" dy="0.32em"'
            f' text-anchor="end">{escape(fmt(tick))}</text>'
        )
    if y_label:
        parts.append(f'<text class="chart-axis-label" x="0" y="-10">{escape(y_label)}</text>')
    return "".join(parts)


def _columns_table(
    key: str,
    title: str,
    head: str,
    categories: Sequence[str],
    bars: Sequence[Series],
    lines: Sequence[Series],
    quiet_rows: Callable[[int], str] | None,
) -> str:
    """The figures table; with `quiet_rows`, without the categories where every bar is 0,
    their count said in a sentence under it."""
    quiet = (
        {i for i in range(len(categories)) if all(b.values[i] == 0 for b in bars)}
        if quiet_rows
        else set()
    )
    table = _table(key, title, head, categories, (*bars, *lines), quiet)
    if quiet and quiet_rows is not None:
        note = f'<p class="chart-summary">{escape(quiet_rows(len(quiet)))}</p>'
        table = table.replace("</div></details>", f"</div>{note}</details>")
    return table


def _room_below(named: Sequence[str | None], sublabels: Sequence[str]) -> str:
    """Room under the axis for as many lines of labels (`.below-N` in the stylesheet; one
    line is the plot's own padding)."""
    lines_below = max((label.count("\n") + 1 for label in named if label), default=0)
    lines_below += 1 if any(sublabels) else 0
    return f" below-{min(lines_below, 4)}" if lines_below > 1 else ""


def bar_list(key: str, *, title: str, summary: str, rows: Sequence[Bar], head: str = "") -> Markup:
    """Horizontal bars, one a row, their labels to the left and their values after them:
    a few counts to compare at a glance (customers waiting, by how long)."""
    _check_key(key)
    if not rows:
        raise ValueError("a bar list needs at least one row")
    top = max((r.value for r in rows), default=0) or 1
    height = ROW_HEIGHT * len(rows)
    parts: list[str] = []
    for index, row in enumerate(rows):
        middle = ROW_HEIGHT * index + ROW_HEIGHT / 2
        width = 100 * ROW_BAR_SHARE * row.value / top
        said = row.words or number(row.value)
        parts.append(
            f'<text class="chart-label" x="-10" y="{middle}" dy="0.32em" text-anchor="end">'
            f"{escape(row.label)}</text>"
            f'<rect class="chart-track" x="0" y="{middle - 8}" width="{_pc(100 * ROW_BAR_SHARE)}"'
            f' height="16" rx="3"/>'
            f'<rect class="chart-bar tone-{_tone(row.tone, 0)}" x="0" y="{middle - 8}"'
            f' width="{_pc(width)}" height="16" rx="3">'
            f"<title>{escape(row.label)}: {escape(said)}</title></rect>"
            f'<text class="chart-value" x="{_pc(width)}" dx="6" y="{middle}" dy="0.32em">'
            f"{escape(number(row.value))}</text>"
        )
    svg = (
        f'<svg class="chart-plot" width="100%" height="{height}" overflow="visible"'
        f' role="img" aria-labelledby="{key}-title {key}-desc">'
        f'<title id="{key}-title">{escape(title)}</title>'
        f'<desc id="{key}-desc">{escape(summary)}</desc>{"".join(parts)}</svg>'
    )
    series = Series(head or title, [r.value for r in rows], [r.words for r in rows])
    table = _table(key, title, "", [r.label for r in rows], (series,))
    return _figure(key, title, summary, Markup(""), svg, table, "chart-rows")


def _check_key(key: str) -> None:
    if not _KEY.match(key):
        raise ValueError(f"chart key {key!r}: lower-case letters, digits and dashes")


def _pc(value: float) -> str:
    return f"{round(value, 3):g}%"


def _tone(tone: str, index: int) -> str:
    if tone in TONES:
        return tone
    return str(index % 6 + 1)


def _columns(
    bars: Sequence[Series],
    categories: Sequence[str],
    band: float,
    y: _Scale,
    highlight: tuple[int, int] | None,
    zero_marks: bool,
) -> str:
    if not bars:
        return ""
    # The columns of a category take most of its band, side by side, with a gap between.
    inner = band * (0.72 if len(bars) > 1 else 0.8)
    width = inner / len(bars)
    bottom = y(0)
    parts = []
    for number_, series in enumerate(bars):
        tone = _tone(series.tone, number_)
        for index, value in enumerate(series.values):
            if value is None:
                continue
            # A zero is drawn as a sliver on the axis: there was something to count, and it
            # came to nothing (no value at all draws nothing).
            top = min(y(value), bottom - ZERO_HEIGHT) if zero_marks else y(value)
            inside = highlight is not None and highlight[0] <= index <= highlight[1]
            x = index * band + (band - inner) / 2 + number_ * width
            parts.append(
                f'<rect class="chart-bar tone-{tone}{" in-highlight" if inside else ""}"'
                f' x="{_pc(x + width * 0.06)}" y="{top}" width="{_pc(width * 0.88)}"'
                f' height="{round(bottom - top, 2)}">'
                f"<title>{escape(categories[index])}, {escape(series.name.lower())}:"
                f" {escape(series.said(index))}</title></rect>"
            )
    return "".join(parts)


def _lines(lines: Sequence[Series], categories: Sequence[str], band: float, y: _Scale) -> str:
    parts = []
    for number_, series in enumerate(lines):
        tone = _tone(series.tone, number_)
        points = [(index, value) for index, value in enumerate(series.values) if value is not None]
        for (i, a), (j, b) in pairwise(points):
            if j != i + 1:
                continue  # a category without a value breaks the line
            parts.append(
                f'<line class="chart-line tone-{tone}" x1="{_pc((i + 0.5) * band)}" y1="{y(a)}"'
                f' x2="{_pc((j + 0.5) * band)}" y2="{y(b)}"/>'
            )
        # Dots where the line is short enough to read point by point (and where a point
        # stands alone), each saying its value.
        for index, value in points:
            parts.append(
                f'<circle class="chart-dot tone-{tone}" cx="{_pc((index + 0.5) * band)}"'
                f' cy="{y(value)}" r="{3 if len(categories) <= 16 else 1.5}">'
                f"<title>{escape(categories[index])}, {escape(series.name.lower())}:"
                f" {escape(series.said(index))}</title></circle>"
            )
    return "".join(parts)


def _category_labels(
    categories: Sequence[str],
    labels: Sequence[str | None] | None,
    sublabels: Sequence[str],
    band: float,
    height: int,
) -> str:
    """Each category's name under the axis (one line per "\n" of it), then its sublabel:
    whole on a wide screen, its first word alone on a narrow one (the stylesheet shows one
    or the other), so that seven days fit a phone."""
    named = list(labels) if labels is not None else list(categories)
    parts = []
    for index, label in enumerate(named):
        if label is None:
            continue
        x = _pc((index + 0.5) * band)
        lines = label.split("\n")
        spans = "".join(
            f'<tspan x="{x}" dy="{"0" if n == 0 else "1.2em"}">{escape(line)}</tspan>'
            for n, line in enumerate(lines)
        )
        parts.append(
            f'<line class="chart-tick-mark" x1="{x}" x2="{x}" y1="{height}" y2="{height + 4}"/>'
            f'<text class="chart-label" x="{x}" y="{height + 18}" text-anchor="middle">'
            f"{spans}</text>"
        )
        if index < len(sublabels) and sublabels[index]:
            below = height + 18 + 15 * len(lines)
            whole = sublabels[index]
            parts.append(
                f'<text class="chart-sublabel chart-wide" x="{x}" y="{below}"'
                f' text-anchor="middle">{escape(whole)}</text>'
                f'<text class="chart-sublabel chart-narrow" x="{x}" y="{below}"'
                f' text-anchor="middle">{escape(whole.split(" ", 1)[0])}</text>'
            )
    return "".join(parts)


def _legend(bars: Sequence[Series], lines: Sequence[Series], highlighted: str) -> Markup:
    items = [
        f'<li><span class="chart-key key-bar tone-{_tone(s.tone, n)}" aria-hidden="true">'
        f"</span>{escape(s.name)}</li>"
        for n, s in enumerate(bars)
    ]
    items += [
        f'<li><span class="chart-key key-line tone-{_tone(s.tone, n)}" aria-hidden="true">'
        f"</span>{escape(s.name)}</li>"
        for n, s in enumerate(lines)
    ]
    if highlighted:
        items.append(
            '<li><span class="chart-key key-highlight" aria-hidden="true"></span>'
            f"{escape(highlighted)}</li>"
        )
    if not items:
        return Markup("")
    return Markup(f'<ul class="chart-legend">{"".join(items)}</ul>')  # noqa: S704 - escaped


def _table(
    key: str,
    title: str,
    head: str,
    categories: Sequence[str],
    series: Sequence[Series],
    left_out: Set[int] = frozenset(),
) -> str:
    heads = "".join(f'<th scope="col">{escape(s.name)}</th>' for s in series)
    body = "".join(
        f'<tr><th scope="row">{escape(category)}</th>'
        + "".join(f"<td>{escape(s.said(index))}</td>" for s in series)
        + "</tr>"
        for index, category in enumerate(categories)
        if index not in left_out
    )
    return (
        f'<details class="chart-figures"><summary>The figures</summary>'
        f'<div class="table-wrap" tabindex="0" role="region" aria-label="{escape(title)}:'
        f' the figures"><table class="table" id="{key}-figures"><thead><tr>'
        f'<th scope="col">{escape(head)}</th>{heads}</tr></thead>'
        f"<tbody>{body}</tbody></table></div></details>"
    )


def _figure(
    key: str, title: str, summary: str, legend: Markup, svg: str, table: str, kind: str
) -> Markup:
    return Markup(  # noqa: S704 - every value above is escaped, every class from a fixed set
        f'<figure class="chart {kind}" id="{key}">'
        f'<figcaption><span class="chart-title">{escape(title)}</span>'
        f'<span class="chart-summary">{escape(summary)}</span></figcaption>'
        f'{legend}<div class="chart-area">{svg}</div>{table}</figure>'
    )
