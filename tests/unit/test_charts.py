"""The charts drawn on the server: axes, ticks, labels, legend, values in place, escaping."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from web.assets import STATIC
from web.charts import (
    PLOT_HEIGHT,
    ROW_HEIGHT,
    ZERO_HEIGHT,
    Bar,
    Series,
    bar_list,
    column_chart,
    nice_ticks,
)

XSS = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
STYLESHEET = (STATIC / "inbox.css").read_text()


def parsed(markup: str) -> ET.Element:
    """The figure as XML: the chart is well-formed markup, every value escaped."""
    return ET.fromstring(str(markup))  # noqa: S314 - the project's own markup, not a network's


def svg_of(figure: ET.Element) -> ET.Element:
    found = figure.find(".//svg")
    assert found is not None
    return found


def texts(element: ET.Element, css: str) -> list[str]:
    return [
        "".join(t.itertext()) for t in element.iter("text") if css in (t.get("class") or "").split()
    ]


def rects(element: ET.Element, css: str) -> list[ET.Element]:
    return [r for r in element.iter("rect") if css in (r.get("class") or "").split()]


def percent(value: str | None) -> float:
    assert value is not None
    assert value.endswith("%")
    return float(value[:-1])


def a_week(**overrides: object) -> str:
    arguments: dict[str, object] = {
        "title": "Both clocks",
        "summary": "Each day's share.",
        "categories": ["Mon", "Tue", "Wed", "Thu"],
        "bars": (
            Series("Met", [50.0, 100.0, None, 0.0], ["50% of 2 clocks", "100% of 1 clock"]),
            Series("Within 60 min", [25.0, 75.0, None, 0.0]),
        ),
        "as_percent": True,
        "table_head": "Day",
    }
    arguments.update(overrides)
    return str(column_chart("week", **arguments))  # type: ignore[arg-type]


def test_a_column_chart_has_its_axis_ticks_labels_and_legend() -> None:
    figure = parsed(a_week(sublabels=["2 clocks", "1 clock", "0 clocks", "3 clocks"]))
    svg = svg_of(figure)
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "week-title week-desc"
    assert svg.findtext("title") == "Both clocks"
    assert svg.findtext("desc") == "Each day's share."
    assert [line for line in svg.iter("line") if line.get("class") == "chart-axis"]
    assert texts(svg, "chart-tick") == ["0%", "25%", "50%", "75%", "100%"]
    assert texts(svg, "chart-label") == ["Mon", "Tue", "Wed", "Thu"]
    # The denominators under the days: whole on a desk, the number alone on a phone.
    assert texts(svg, "chart-wide") == ["2 clocks", "1 clock", "0 clocks", "3 clocks"]
    assert texts(svg, "chart-narrow") == ["2", "1", "0", "3"]
    legend = [" ".join(li.itertext()).strip() for li in figure.iter("li")]
    assert legend == ["Met", "Within 60 min"]


def test_each_value_stands_at_its_height_in_its_category_and_says_its_figure() -> None:
    svg = svg_of(parsed(a_week()))
    bars = rects(svg, "chart-bar")
    titles = [bar.findtext("title") for bar in bars]
    assert titles[0] == "Mon, met: 50% of 2 clocks"
    assert titles[1] == "Tue, met: 100% of 1 clock"
    assert "Tue, within 60 min: 75" in titles
    half, full = bars[0], bars[1]
    assert float(half.get("y") or 0) == PLOT_HEIGHT / 2
    assert float(half.get("height") or 0) == PLOT_HEIGHT / 2
    assert float(full.get("y") or 0) == 0
    # Four categories: each a quarter of the width, its columns inside it.
    assert 0 < percent(half.get("x")) < percent(bars[1].get("x")) - 20 < 25
    assert 25 < percent(full.get("x")) < 50


def test_a_share_of_nothing_draws_nothing_and_a_zero_draws_a_sliver() -> None:
    svg = svg_of(parsed(a_week()))
    titles = [bar.findtext("title") or "" for bar in rects(svg, "chart-bar")]
    assert not any(t.startswith("Wed") for t in titles)
    zeros = [b for b in rects(svg, "chart-bar") if (b.findtext("title") or "").startswith("Thu")]
    assert len(zeros) == 2
    assert all(0 < float(b.get("height") or 0) < 3 for b in zeros)


def test_every_word_of_a_chart_is_escaped() -> None:
    markup = a_week(
        title=XSS,
        summary=XSS,
        categories=[XSS, "b", "c", "d"],
        bars=(Series(XSS, [1.0, 2.0, 3.0, 4.0], [XSS, "", "", ""]),),
        as_percent=False,
        table_head=XSS,
        highlight=(0, 1),
        highlight_label=XSS,
    )
    assert "<script" not in markup
    assert "<img" not in markup
    figure = parsed(markup)  # well-formed: nothing broke out of an attribute or a tag
    assert XSS in (svg_of(figure).findtext("title") or "")
    assert XSS in "".join(figure.itertext())


def test_the_highlighted_span_is_shaded_and_its_columns_marked() -> None:
    markup = column_chart(
        "burst",
        title="Complaints",
        summary="",
        categories=[f"{h}:00" for h in range(8)],
        bars=(Series("Complaints", [1, 0, 2, 1, 1, 9, 14, 6]),),
        highlight=(5, 7),
        highlight_label="The burst",
    )
    svg = svg_of(parsed(markup))
    (shade,) = rects(svg, "chart-highlight")
    assert percent(shade.get("x")) == pytest.approx(62.5)
    assert percent(shade.get("width")) == pytest.approx(37.5)
    inside = [b.findtext("title") for b in rects(svg, "in-highlight")]
    assert inside == [
        "5:00, complaints: 9",
        "6:00, complaints: 14",
        "7:00, complaints: 6",
    ]
    assert texts(svg, "chart-tick") == ["0", "5", "10", "15"]
    assert "The burst" in str(markup)


def test_a_line_is_drawn_between_neighbours_and_broken_where_a_value_is_missing() -> None:
    markup = column_chart(
        "usual",
        title="t",
        summary="s",
        categories=["a", "b", "c", "d", "e"],
        lines=(Series("Usual", [1.0, 2.0, None, 2.0, 1.0], tone="muted"),),
    )
    svg = svg_of(parsed(markup))
    segments = [line for line in svg.iter("line") if "chart-line" in (line.get("class") or "")]
    assert len(segments) == 2  # a-b and d-e: c has no value
    assert [percent(s.get("x1")) for s in segments] == [10, 70]
    assert len(list(svg.iter("circle"))) == 4
    assert "key-line tone-muted" in str(markup)


def test_unnamed_categories_keep_their_place_and_labels_may_run_on_two_lines() -> None:
    markup = column_chart(
        "days",
        title="t",
        summary="s",
        categories=["Mon 30 Nov", "Tue 01 Dec", "Wed 02 Dec"],
        labels=["Mon\n30", None, "Wed\n02"],
        bars=(Series("n", [1, 2, 3]),),
    )
    svg = svg_of(parsed(markup))
    spans = ["".join(t.itertext()) for t in svg.iter("tspan")]
    assert spans == ["Mon", "30", "Wed", "02"]
    assert 'class="chart columns' not in markup
    assert "below-2" in str(markup)


def test_the_figures_are_also_a_table_with_every_value_in_words() -> None:
    figure = parsed(a_week())
    table = figure.find(".//table")
    assert table is not None
    rows = [[("".join(c.itertext())) for c in row] for row in table.iter("tr")]
    assert rows[0] == ["Day", "Met", "Within 60 min"]
    assert rows[1] == ["Mon", "50% of 2 clocks", "25"]
    assert rows[3] == ["Wed", "none", "none"]


def test_a_bar_list_puts_each_bar_in_proportion_with_its_label_and_value() -> None:
    markup = bar_list(
        "ages",
        title="Customers waiting",
        summary="22 waiting",
        rows=[
            Bar("under 15 min", 16, "16 of 22 waiting"),
            Bar("15 min – 1 h", 4, "4 of 22 waiting"),
            Bar("over a day", 0, "0 of 22 waiting", "alert"),
        ],
    )
    svg = svg_of(parsed(markup))
    assert texts(svg, "chart-label") == ["under 15 min", "15 min – 1 h", "over a day"]
    assert texts(svg, "chart-value") == ["16", "4", "0"]
    bars = rects(svg, "chart-bar")
    widths = [percent(b.get("width")) for b in bars]
    assert widths[0] == pytest.approx(4 * widths[1])
    assert widths[2] == 0
    assert bars[0].findtext("title") == "under 15 min: 16 of 22 waiting"
    assert float(bars[1].get("y") or 0) == pytest.approx(ROW_HEIGHT * 1.5 - 8)
    assert "tone-alert" in (bars[2].get("class") or "")


@pytest.mark.parametrize(
    ("top", "ticks"),
    [(0, [0, 1]), (1, [0, 0.25, 0.5, 0.75, 1]), (4, [0, 1, 2, 3, 4]), (14, [0, 5, 10, 15]),
     (171, [0, 50, 100, 150, 200]), (0.3, [0, 0.1, 0.2, 0.3])],
)  # fmt: skip
def test_ticks_are_round_numbers_up_to_the_highest_value(top: float, ticks: list[float]) -> None:
    assert nice_ticks(top) == pytest.approx(ticks)


@pytest.mark.parametrize(("top", "ticks"), [(1, [0, 1]), (0.3, [0, 1]), (3, [0, 1, 2, 3])])
def test_an_axis_of_counts_has_no_tick_between_two_whole_numbers(
    top: float, ticks: list[float]
) -> None:
    assert nice_ticks(top, whole=True) == pytest.approx(ticks)


def test_a_chart_refuses_what_it_could_not_draw_honestly() -> None:
    with pytest.raises(ValueError, match="key"):
        column_chart("Bad Key", title="t", summary="s", categories=["a"])
    with pytest.raises(ValueError, match="values for 2"):
        column_chart("k", title="t", summary="s", categories=["a", "b"], bars=(Series("x", [1]),))
    with pytest.raises(ValueError, match="highlight"):
        column_chart("k", title="t", summary="s", categories=["a"], highlight=(0, 3))


def test_every_class_a_chart_uses_is_styled() -> None:
    markup = a_week(highlight=(0, 1), highlight_label="span") + str(
        bar_list("b", title="t", summary="s", rows=[Bar("a", 1, tone="alert")])
    )
    used = {c for attr in re.findall(r'class="([^"]+)"', markup) for c in attr.split()}
    for css in used - {"table", "table-wrap", "chart-figures", "chart-columns"}:
        assert f".{css}" in STYLESHEET, css


def test_a_zero_is_a_sliver_on_the_axis_unless_the_chart_turns_zero_marks_off() -> None:
    marked = rects(svg_of(parsed(a_week())), "chart-bar")
    unmarked = rects(svg_of(parsed(a_week(zero_marks=False))), "chart-bar")
    # Thursday's zeros (the last two columns): a sliver, or nothing to see.
    assert [float(r.get("height") or 0) for r in marked[-1:]] == [ZERO_HEIGHT]
    assert [float(r.get("height") or 0) for r in unmarked[-1:]] == [0]


def test_the_figures_table_leaves_out_quiet_rows_and_says_how_many() -> None:
    figure = parsed(a_week(quiet_rows=lambda n: f"{n} days without any."))
    rows = [r.findtext("th") for r in figure.iter("tr")][1:]
    assert rows == ["Mon", "Tue", "Wed"]  # Wednesday has no value at all: not a zero
    assert "1 days without any." in ET.tostring(figure, encoding="unicode")
