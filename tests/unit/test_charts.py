"""Charts: well-formed, accessible SVG with one mark per number, sized by the numbers."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from generator.charts import PLOT, _ticks, bars, draw, grid
from generator.stats import Label, Table

SVG = "{http://www.w3.org/2000/svg}"


def marks(svg: str) -> list[ET.Element]:
    return [e for e in ET.fromstring(svg).iter() if e.get("class") == "chart-mark"]


def test_bars_are_an_image_with_a_title_and_one_bar_per_number() -> None:
    svg = bars("units", "各单位报送", ["甲单位", "乙单位", "丙"], ["报送", "采用"], [(4, 1), (2, 0), (8, 3)])
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == "各单位报送"
    assert root.get("aria-labelledby") == title.get("id")
    assert len(marks(svg)) == 6


def test_bar_lengths_follow_the_numbers_on_a_round_scale() -> None:
    widths = [float(m.get("width", "")) for m in marks(bars("t", "类别", ["信息", "通知"], ["数量"], [(10,), (5,)]))]
    assert widths == [PLOT, PLOT / 2]  # 10 is the top of the scale 0, 2, … 10
    widths = [float(m.get("width", "")) for m in marks(bars("t", "类别", ["信息"], ["数量"], [(7,), ]))]
    assert widths == [pytest.approx(PLOT * 7 / 8)]  # scale 0, 2, 4, 6, 8


def test_a_legend_names_each_series_only_when_there_are_several() -> None:
    two = bars("t", "题", ["甲"], ["报送", "《信息》采用"], [(1, 1)])
    one = bars("t", "题", ["甲"], ["数量"], [(1,)])
    assert "《信息》采用</text>" in two and "数量</text>" not in one


def test_grid_shades_cells_by_their_number() -> None:
    svg = grid("reports", "按月", ["甲", "乙"], ["1月", "2月", "3月"], [(0, 1, 4), (2, 0, 0)])
    cells = marks(svg)
    assert len(cells) == 6
    fills = [c.get("fill") for c in cells]
    assert fills[0] == fills[4] == fills[5]  # every zero alike
    assert len({fills[0], fills[1], fills[3], fills[2]}) == 4  # 0 < 1 < 2 < 4
    texts = [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]
    assert texts[:3] == ["1月", "2月", "3月"] and "4" in texts and "0" not in texts


def test_labels_are_escaped() -> None:
    svg = bars("t", "A<B & C", ["<script>甲</script>"], ["x"], [(1,)])
    root = ET.fromstring(svg)  # would not parse if anything were left raw
    assert "<script>" not in svg and any(t.text == "<script>甲</script>" for t in root.iter(f"{SVG}text"))


@pytest.mark.parametrize(("peak", "ticks"), [(0, (0, 1)), (1, (0, 1)), (5, (0, 1, 2, 3, 4, 5)),
                                             (7, (0, 2, 4, 6, 8)), (23, (0, 5, 10, 15, 20, 25)),
                                             (100, (0, 20, 40, 60, 80, 100)), (101, (0, 50, 100, 150))])
def test_scale_ticks_are_round_and_cover_the_largest_number(peak: int, ticks: tuple[int, ...]) -> None:
    assert _ticks(peak) == ticks


def test_draw_names_rows_and_columns_through_the_labels() -> None:
    table = Table("reports", "stats_reports", Label("", "source"), (Label("甲"),),
                  (Label(1, "stats_month"), Label(2, "stats_month")), ((1, 2),), chart="grid")
    svg = draw(table, lambda label: f"{label.value}月" if label.ui else str(label.value), "标题")
    assert len(marks(svg)) == 2 and "2月</text>" in svg and 'id="chart-reports"' in svg
