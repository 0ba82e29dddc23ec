"""Statistics: known counts of a small site, and nothing counted that is not published."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from pathlib import Path

import pytest

from generator.config import default_config
from generator.load import load
from generator.model import Site, build_site
from generator.stats import Label, Table, csv_text, stats_pages, year_stats, years
from tests.conftest import MakeSite, entry

NOW = dt.datetime(2026, 11, 27, 12)

# Two units report in 2026; 《信息》 adopts one item in January, 《每日要情》 one in March.
COUNTED = {
    "content/info/a.md": entry(title="甲一", date="2026-01-10", source="甲单位", publication="xinxi", issue=1),
    "content/info/b.md": entry(title="甲二", date="2026-01-20", source="甲单位"),
    "content/info/c.md": entry(title="乙一", date="2026-03-05", source="乙单位", publication="meiri", issue=5),
    "content/report/d.md": entry(title="乙调研", date="2026-03-06", source="乙单位"),
    "content/notice/e.md": entry(title="无单位通知", date="2026-03-07"),
    "content/info/old.md": entry(title="去年", date="2025-12-30", source="甲单位", publication="xinxi", issue=30),
}
# Each would change a count if it leaked: above the audience, a draft, embargoed, expired.
EXCLUDED = {
    "content/info/restricted.md": entry(title="限阅", date="2026-01-11", source="甲单位", audience="restricted",
                                        publication="xinxi", issue=1),
    "content/info/draft.md": entry(title="草稿", date="2026-03-08", source="乙单位", draft="true"),
    "content/info/embargo.md": entry(title="未到时间", date="2026-03-09", source="丙单位", publish_at="2026-12-01",
                                     publication="meiri", issue=5),
    "content/info/expired.md": entry(title="已过期", date="2026-03-10", source="丙单位", expire_at="2026-11-01"),
}


def site_of(root: Path, audience: str = "internal") -> Site:
    config = default_config()
    loaded = load(root, config)
    assert not loaded.errors, loaded.errors
    return build_site(loaded, config, audience, NOW)


def named(label: Label) -> str:
    return f"{label.ui}:{label.value}" if label.ui else str(label.value)


def as_dict(table: Table) -> dict[str, tuple[int, ...]]:
    """Row name -> that row's numbers as the page shows them (with the row total, if any)."""
    return {named(label): numbers for label, numbers in table.body}


def table(site: Site, key: str, year: int = 2026) -> Table:
    return next(t for t in year_stats(site, year).tables if t.key == key)


@pytest.fixture
def site(make_site: MakeSite) -> Site:
    return site_of(make_site({**COUNTED, **EXCLUDED}))


def test_reports_per_unit_and_month(site: Site) -> None:
    reports = table(site, "reports")
    assert reports.chart == "grid"
    assert [named(c) for c in reports.columns] == [f"stats_month:{m}" for m in range(1, 13)]
    january, march = 0, 2
    rows = as_dict(reports)
    assert set(rows) == {"甲单位", "乙单位"}
    assert rows["甲单位"][january] == 2 and rows["甲单位"][-1] == 2
    assert rows["乙单位"][march] == 2 and rows["乙单位"][-1] == 2
    assert reports.footer[january] == 2 and reports.footer[march] == 2 and reports.footer[-1] == 4


def test_adoptions_per_publication_and_month(site: Site) -> None:
    adoptions = as_dict(table(site, "adoptions"))
    assert adoptions["stats_month:1"] == (1, 0, 1)  # 《信息》, 《每日要情》, total
    assert adoptions["stats_month:3"] == (0, 1, 1)
    assert sum(numbers[-1] for numbers in adoptions.values()) == 2


def test_reports_and_adoptions_per_unit(site: Site) -> None:
    units = table(site, "units")
    assert [named(c) for c in units.header] == ["source:", "stats_reported:", "stats_adopted_by:信息",
                                                "stats_adopted_by:每日要情"]
    assert as_dict(units) == {"甲单位": (2, 1, 0), "乙单位": (2, 0, 1)}
    assert units.footer == (4, 1, 1)


def test_entries_per_type_include_entries_without_a_unit(site: Site) -> None:
    assert as_dict(table(site, "types")) == {"信息": (3,), "调研报告": (1,), "通知": (1,), "通报": (0,)}
    data = year_stats(site, 2026)
    assert (data.entries, data.reported, data.adopted, data.units) == (5, 4, 2, 2)


def test_excluded_entries_count_only_for_an_audience_that_may_see_them(make_site: MakeSite) -> None:
    internal = site_of(make_site({**COUNTED, **EXCLUDED}))
    assert "丙单位" not in as_dict(table(internal, "reports"))  # embargoed and expired
    restricted = site_of(make_site({**COUNTED, **EXCLUDED}, name="again"), audience="restricted")
    assert as_dict(table(restricted, "units"))["甲单位"] == (3, 2, 0)
    assert as_dict(table(internal, "units"))["甲单位"] == (2, 1, 0)
    assert as_dict(table(restricted, "units"))["乙单位"] == (2, 0, 1)  # the draft stays out


def test_each_year_has_its_own_counts(site: Site) -> None:
    assert years(site) == (2026, 2025)
    assert as_dict(table(site, "reports", 2025))["甲单位"][11] == 1
    assert as_dict(table(site, "units", 2025)) == {"甲单位": (1, 1, 0)}


def test_a_closed_list_of_units_shows_units_that_sent_nothing(make_site: MakeSite) -> None:
    closed = dataclasses.replace(default_config(), sources=("甲单位", "乙单位", "丁单位"))
    loaded = load(make_site(COUNTED), closed)
    rows = as_dict(table(build_site(loaded, closed, "internal", NOW), "reports"))
    assert list(rows)[-1] == "丁单位" and rows["丁单位"] == (0,) * 13  # most reports first


def test_pages_the_latest_year_at_stats_and_every_year_with_its_csv_files(site: Site) -> None:
    pages = {page.path: page for page in stats_pages(site)}
    assert pages["stats/index.html"].context["stats"].year == 2026
    assert pages["stats/2025/index.html"].context["stats"].year == 2025
    assert pages["stats/2026/index.html"].context["years"] == (2026, 2025)
    assert {p for p in pages if p.endswith(".csv")} == {
        f"stats/{year}/{key}.csv" for year in (2025, 2026) for key in ("reports", "adoptions", "units", "types")}
    assert all(pages[p].sitemap for p in pages if p.endswith(".html"))


def test_a_site_without_entries_still_has_a_statistics_page(make_site: MakeSite) -> None:
    pages = {page.path: page for page in stats_pages(site_of(make_site({})))}
    data = pages["stats/index.html"].context["stats"]
    assert data.year == NOW.year and data.entries == 0
    assert all(sum(t.footer) == 0 for t in data.tables)


def test_csv_has_a_bom_crlf_rows_and_quotes_what_needs_quoting() -> None:
    data = Table("units", "stats_units", Label("单位"), (Label("甲,乙\"联合\"组"),), (Label("报送"),), ((3,),),
                 row_totals=False)
    text = csv_text(data, named)
    assert text.startswith("\ufeff") and text.count("\r\n") == 3
    assert list(csv.reader(io.StringIO(text[1:]))) == [["单位", "报送"], ['甲,乙"联合"组', "3"],
                                                       ["stats_total:", "3"]]
