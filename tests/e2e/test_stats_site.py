"""The statistics pages as `bulletin build` writes them: known numbers, CSV files equal to the tables,
and counts that follow the audience. The sample site's numbers are counted again here from its files."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from generator.searchtext import normalise
from tests.conftest import REPO, SAMPLE_NOW, MakeSite, entry, run_bulletin

Rows = list[list[str]]

FILES = {
    "content/info/a.md": entry(title="甲一", date="2026-01-10", source="甲单位", publication="xinxi", issue=1),
    "content/info/b.md": entry(title="甲二", date="2026-01-20", source="甲单位"),
    "content/info/c.md": entry(title="乙一", date="2026-03-05", source="乙单位", publication="meiri", issue=5),
    "content/report/d.md": entry(title="乙调研", date="2026-03-06", source="乙单位"),
    "content/info/old.md": entry(title="去年", date="2025-12-30", source="甲单位"),
    "content/info/restricted.md": entry(title="限阅", date="2026-01-11", source="甲单位", audience="restricted",
                                        publication="xinxi", issue=1),
    "content/info/draft.md": entry(title="草稿", date="2026-03-08", source="乙单位", draft="true"),
    "content/info/embargo.md": entry(title="未到时间", date="2026-03-09", source="丙单位", publish_at="2026-12-01"),
}


class Tables(HTMLParser):
    """Each <table> of a page by its caption, as rows of cell texts; and the CSV link after it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, Rows] = {}
        self.csv: dict[str, str] = {}
        self.caption: str | None = None
        self.rows: Rows = []
        self.text: list[str] | None = None
        self.last = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("caption", "th", "td"):
            self.text = []
        elif tag == "tr":
            self.rows.append([])
        elif tag == "table":
            self.rows = []
        elif tag == "a" and (href := dict(attrs).get("href", "") or "").endswith(".csv"):
            self.csv[self.last] = href

    def handle_data(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption" and self.text is not None:
            self.caption, self.text = "".join(self.text).strip(), None
        elif tag in ("th", "td") and self.text is not None:
            self.rows[-1].append("".join(self.text).strip())
            self.text = None
        elif tag == "table" and self.caption:
            self.tables[self.caption] = self.rows
            self.last = self.caption


def tables_of(page: Path) -> Tables:
    parser = Tables()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def by_row(rows: Rows) -> dict[str, list[str]]:
    return {row[0]: row[1:] for row in rows[1:]}


def build(site: Path, audience: str = "internal") -> Path:
    output = site / f"output-{audience}"
    result = run_bulletin("build", "--source", site, "--output", output, "--audience", audience, "--now", SAMPLE_NOW)
    assert result.returncode == 0, result.stderr
    return output.resolve()


@pytest.fixture
def small(make_site: MakeSite) -> Path:
    return build(make_site(FILES))


def test_home_and_navigation_lead_to_the_latest_year(small: Path) -> None:
    home = (small / "index.html").read_text(encoding="utf-8")
    assert home.count('href="/stats/"') >= 2  # the main navigation and the home page's own link
    latest = tables_of(small / "stats/index.html").tables
    assert "各单位报送信息（按月）（2026年）" in latest
    assert latest == tables_of(small / "stats/2026/index.html").tables
    assert 'href="/stats/2025/"' in (small / "stats/2026/index.html").read_text(encoding="utf-8")


def test_tables_show_the_known_counts(small: Path) -> None:
    tables = tables_of(small / "stats/2026/index.html").tables
    reports = by_row(tables["各单位报送信息（按月）（2026年）"])
    assert reports["甲单位"] == ["2", *["0"] * 11, "2"] and reports["乙单位"] == ["0", "0", "2", *["0"] * 9, "2"]
    assert set(reports) == {"甲单位", "乙单位", "合计"}  # 丙单位's only entry is embargoed
    adoptions = by_row(tables["各刊物采用信息（按月）（2026年）"])
    assert adoptions["1月"] == ["1", "0", "1"] and adoptions["3月"] == ["0", "1", "1"] and adoptions["合计"] == [
        "1", "1", "2"]
    units = tables["各单位信息报送采用情况（2026年）"]
    assert units[0] == ["报送单位", "报送", "《信息》采用", "《每日要情》采用"]
    assert by_row(units) == {"甲单位": ["2", "1", "0"], "乙单位": ["2", "0", "1"], "合计": ["4", "1", "1"]}
    assert by_row(tables["各类别稿件数量（2026年）"])["信息"] == ["3"]  # the draft and the restricted item stay out
    assert by_row(tables_of(small / "stats/2025/index.html").tables["各单位报送信息（按月）（2025年）"])[
        "甲单位"][11] == "1"


def test_each_csv_file_holds_its_tables_numbers(small: Path) -> None:
    page = tables_of(small / "stats/2026/index.html")
    assert set(page.csv) == set(page.tables) and len(page.tables) == 4
    for caption, href in page.csv.items():
        data = (small / href.lstrip("/")).read_bytes()
        assert data.startswith(b"\xef\xbb\xbf"), f"{href}: no BOM, Excel would garble the Chinese"
        assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b""), f"{href}: rows must end in CRLF"
        assert list(csv.reader(io.StringIO(data.decode("utf-8-sig")))) == page.tables[caption], href


def test_counts_follow_the_audience_of_the_build(make_site: MakeSite) -> None:
    site = make_site(FILES)
    restricted = build(site, "restricted")
    units = by_row(tables_of(restricted / "stats/2026/index.html").tables["各单位信息报送采用情况（2026年）"])
    assert units["甲单位"] == ["3", "2", "0"]


def published_sample_entries(now: dt.datetime) -> list[tuple[dict, str]]:
    """(front matter, type) of each sample entry an `internal` build publishes, read straight from the files."""
    found = []
    for path in sorted((REPO / "content").rglob("*.md")):
        meta = yaml.safe_load(path.read_text(encoding="utf-8").split("---")[1])
        when = {key: _moment(meta.get(key)) for key in ("publish_at", "expire_at")}
        if (meta.get("draft") or meta.get("audience", "internal") == "restricted"
                or (when["publish_at"] and when["publish_at"] > now)
                or (when["expire_at"] and when["expire_at"] <= now)):
            continue
        found.append((meta, meta.get("type") or path.relative_to(REPO / "content").parts[0]))
    return found


def _moment(value: object) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return dt.datetime.fromisoformat(str(value))


def test_sample_statistics_match_the_sample_content(sample_output: Path) -> None:
    entries = [(meta, kind) for meta, kind in published_sample_entries(dt.datetime.fromisoformat(SAMPLE_NOW))
               if _moment(meta["date"]).year == 2026]
    assert entries, "the sample content has no published entry of 2026"
    tables = tables_of(sample_output / "stats/2026/index.html").tables
    units = by_row(tables["各单位信息报送采用情况（2026年）"])
    # A unit written in both scripts (南江县委办公室 / 南江縣委辦公室) is one unit, shown by its most used spelling.
    groups: dict[str, list[dict]] = {}
    for meta, _ in entries:
        if meta.get("source"):
            groups.setdefault(normalise(meta["source"]), []).append(meta)
    for mine in groups.values():
        spellings = Counter(m["source"] for m in mine)
        unit = min(spellings, key=lambda n: (-spellings[n], n))
        adopted = [sum(1 for m in mine if m.get("publication") == key and m.get("issue")) for key in ("xinxi", "meiri")]
        assert units[unit] == [str(len(mine)), *map(str, adopted)], unit
    assert len(units) == len(groups) + 1, "one row per unit, and the total"
    types = by_row(tables["各类别稿件数量（2026年）"])
    names = yaml.safe_load((REPO / "bulletin.yaml").read_text(encoding="utf-8"))["types"]
    assert {name: int(types[name][0]) for name in names.values()} == {
        name: sum(1 for _, kind in entries if kind == key) for key, name in names.items()}
