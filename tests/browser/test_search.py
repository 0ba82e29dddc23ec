"""Search as a reader uses it, in Chromium: the /search/ page and the /search/search.js module.

One small site is built for the module, with entries written for these tests; what each query
must find is worked out here from the entries' own text, not from the index.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from playwright.sync_api import Page, expect

from generator.index import CHUNK_OVERLAP, CHUNK_TEXT, EXCERPT_TEXT
from tests.conftest import entry, run_bulletin, write_files

pytestmark = pytest.mark.browser

NOW = "2026-11-27"
PAGE_SIZE = 10
NO_RESULTS = "没有找到符合条件的结果。请换用其他关键词，或减少筛选条件。"
NEEDS_JS = "搜索需要启用浏览器的 JavaScript。"


@dataclass(frozen=True)
class Item:
    slug: str
    type: str
    title: str
    date: str
    body: str
    source: str | None = None
    publication: str | None = None
    issue: int | None = None
    tags: tuple[str, ...] = ()
    hidden: dict[str, str] = field(default_factory=dict)  # front matter that keeps it out of the build

    @property
    def url(self) -> str:
        return f"/{self.type}/{self.slug}/"

    @property
    def year(self) -> str:
        return self.date[:4]

    def file(self) -> tuple[str, str]:
        keys: dict[str, Any] = {"type": self.type, **self.hidden}
        if self.source:
            keys["source"] = self.source
        if self.publication:
            keys["publication"], keys["issue"] = self.publication, self.issue
        if self.tags:
            keys["tags"] = "[" + ", ".join(self.tags) + "]"
        return f"content/{self.type}/{self.slug}.md", entry(title=self.title, date=self.date, body=self.body, **keys)


FILLER = "晨钟暮鼓。"
UNITS = ("东湖区委办公室", "西湖区委办公室", "南湖区委办公室", "北湖区委办公室")
TOPICS = ("春耕", "招商", "教育", "医保", "养老", "就业", "住房", "绿化", "水利", "文旅", "科技", "消防", "信访")

MEETINGS = [
    Item(slug=f"meeting-{i:02d}", type="notice" if i % 2 == 0 else "circular", title=f"例会纪要（{topic}）",
         date=f"{2024 + i % 3}-{1 + (i * 5) % 12:02d}-{10 + i}", body=f"本次例会研究{topic}等事项。",
         source=UNITS[i % 4], publication="meiri" if i % 5 == 0 else None, issue=1 if i % 5 == 0 else None)
    for i, topic in enumerate(TOPICS)
]

ITEMS = [
    Item("trad-health", "info", "鄉鎮衛生院建設情況", "2026-05-12", "全縣鄉鎮衛生院已完成改造，醫療條件明顯改善。",
         source="西湖区卫生健康局", publication="xinxi", issue=5),
    Item("simp-env", "info", "环境监测站运行报告", "2025-08-03", "新建环境监测站三座，数据实时上传。",
         source="东湖区生态环境局"),
    Item("rural-plan", "report", "乡村规划调研", "2025-04-18", "今年重点推进农村发展，加快乡村建设。",
         source="东湖区委办公室"),
    Item("trad-roads", "info", "公路養護簡訊", "2024-09-09", "農村公路養護工作全面展開。",
         source="西湖区交通运输局"),
    Item("safety-exact", "notice", "关于开展专项检查的通知", "2026-02-02", "各单位要全面加强安全生产工作。"),
    Item("safety-apart", "notice", "关于调度工作的通知", "2026-02-03", "安全检查与生产调度同步进行。"),
    Item("digital", "report", "数字经济观察", "2025-11-11", "The digital economy report shows steady growth."),
    Item("economy", "report", "经济转型观察", "2025-11-12", "Economy and digital transformation go together."),
    Item("gdp", "info", "经济运行简况", "2026-07-15", "全市GDP同比增长7.15%，PM2.5浓度下降。2025年基数较高。",
         publication="xinxi", issue=6),
    Item("heating", "circular", "冬季工作提示", "2025-12-01", "请各单位做好值守。", tags=("冬季供暖", "民生")),
    # 防汛: one title match (older, mentioned once), one body match with three mentions, two with one each
    Item("flood-title", "notice", "防汛工作部署", "2024-06-01", "各地做好准备。"),
    Item("flood-many", "info", "水库巡查情况", "2024-07-01", "防汛检查、防汛值守、防汛物资全部到位。"),
    Item("flood-new", "info", "汛期值班安排", "2026-06-20", "值班人员做好防汛值守。"),
    Item("flood-old", "info", "水库巡查通报", "2025-06-20", "巡查水库，落实防汛责任。"),
    # CPI: a title match typed as the last (prefix) word; three mentions in one body, one in another
    Item("cpi-title", "info", "CPI指数分析", "2024-03-01", "物价总体平稳。"),
    Item("cpi-many", "info", "物价月报", "2025-03-01", "CPI、CPI、CPI均有回落。"),
    Item("cpi-new", "info", "物价简讯", "2026-03-01", "本月CPI小幅上涨。"),
    # The Markdown source wraps a sentence between 乡 and 融: a soft line break, not a word break.
    Item("wrapped", "report", "融合简报", "2025-02-05", "各部门要持续推进城乡\n融合发展，做好相关工作。"),
    # The match comes late in a long body, after a character that NFKC widens (ﬁ -> fi).
    Item("late-match", "report", "长篇调研", "2025-09-09", "晨钟暮鼓。" * 300 + "ﬁ值。濕地保護成效明顯。"),
    # Long texts: the search files hold the first 4,000 characters of summary and body with the
    # result, the rest in chunk files (generator/index.py). The filler holds none of the queries.
    Item("deep-match", "report", "治沙调研报告", "2025-10-10",
         FILLER * 2100 + "沙漠治理取得突破性进展。" + FILLER * 900 + "鑫源公司投产。" + FILLER * 1000),
    Item("edge-match", "report", "冰川观测报告", "2025-10-11",
         FILLER * 799 + "晨钟暮" + "冰川消融加快。" + FILLER * 900),
    Item("trad-deep", "report", "運輸調研", "2025-10-12",
         "晨鐘暮鼓。" * 2100 + "鐵路運輸能力持續提升。" + "晨鐘暮鼓。" * 300),
    *MEETINGS,
    # Never published for the default audience: their text must not be found.
    Item("meeting-draft", "notice", "例会纪要（草稿）", "2026-10-01", "本次例会研究农村发展草稿。",
         hidden={"draft": "true"}),
    Item("meeting-secret", "notice", "例会纪要（限阅）", "2026-10-02", "本次例会研究农村发展限阅事项。",
         source="东湖区委办公室", hidden={"audience": "restricted"}),
]
VISIBLE = [item for item in ITEMS if not item.hidden]
BY_URL = {item.url: item for item in VISIBLE}


def urls(predicate: Callable[[Item], bool]) -> set[str]:
    return {item.url for item in VISIBLE if predicate(item)}


def newest_first(found: set[str]) -> list[str]:
    return sorted(found, key=lambda url: BY_URL[url].date, reverse=True)


MEETING_URLS = urls(lambda item: "例会" in item.title + item.body)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, serve_folder: Callable[[Path], str]) -> str:
    root = tmp_path_factory.mktemp("search-site")
    write_files(root, dict(item.file() for item in ITEMS))
    result = run_bulletin("build", "--source", root, "--now", NOW)
    assert result.returncode == 0, result.stderr
    return serve_folder((root / "output").resolve())


# ---- through the module ----

SEARCH = """async ([query, options]) => {
  const { search } = await import("/search/search.js");
  return await search(query, options);
}"""


def search_js(page: Page, base: str, query: str, **options: Any) -> dict[str, Any]:
    if not page.url.startswith(base):
        page.goto(base)
    return page.evaluate(SEARCH, [query, options])


def found_js(page: Page, base: str, query: str, **filters: str) -> set[str]:
    """Every URL the module finds, checking the total against the results."""
    answer = search_js(page, base, query, filters=filters, limit=1000)
    assert answer["total"] == len(answer["results"]), answer["total"]
    found = [r["url"] for r in answer["results"]]
    assert len(set(found)) == len(found), f"a result repeats: {found}"
    return set(found)


# ---- through the page ----

def status(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("#search-status")


def wait_for_results(page: Page) -> None:
    expect(status(page)).to_have_text(re.compile(r"^(找到 \d+ 条结果|没有找到)"))
    expect(page.locator("#search-results")).not_to_have_attribute("aria-busy", "true")


def type_query(page: Page, base: str, query: str) -> None:
    """Open /search/, type the query in the box and press Enter."""
    if urlsplit(page.url).path != "/search/":
        page.goto(urljoin(base, "search/"))
        expect(status(page)).to_have_text("请输入关键词，或选择筛选条件。")
    box = page.locator("#search-q")
    box.fill(query)
    box.press("Enter")
    wait_for_results(page)


def shown(page: Page) -> list[str]:
    """The URLs of the results on the page, in order."""
    links = page.locator("#search-results .search-result a.entry-link")
    return [urlsplit(href).path for href in (links.nth(i).get_attribute("href") or "" for i in range(links.count()))]


def shown_titles(page: Page) -> list[str]:
    return page.locator("#search-results .search-result a.entry-link").all_inner_texts()


def count_message(n: int) -> str:
    return f"找到 {n} 条结果"


def params(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def expect_page(page: Page, base: str, query: str, expected: set[str]) -> None:
    type_query(page, base, query)
    expect(status(page)).to_have_text(count_message(len(expected)) if expected else NO_RESULTS)
    assert set(shown(page)) == expected, query
    assert params(page).get("q") == [query]


# ---- Traditional and Simplified ----

def test_simplified_query_finds_traditional_text_and_the_reverse_module(page: Page, site: str) -> None:
    rural = {"/report/rural-plan/", "/info/trad-roads/"}  # 农村 (Simplified) and 農村 (Traditional)
    assert found_js(page, site, "农村") == rural
    assert found_js(page, site, "農村") == rural
    assert found_js(page, site, "卫生院") == {"/info/trad-health/"}  # text: 衛生院
    assert found_js(page, site, "環境監測") == {"/info/simp-env/"}  # text: 环境监测
    assert found_js(page, site, "养护") == found_js(page, site, "養護") == {"/info/trad-roads/"}


def test_simplified_query_finds_traditional_text_and_the_reverse_page(page: Page, site: str) -> None:
    expect_page(page, site, "农村", {"/report/rural-plan/", "/info/trad-roads/"})
    assert "公路養護簡訊" in shown_titles(page)
    expect_page(page, site, "農村", {"/report/rural-plan/", "/info/trad-roads/"})
    assert "乡村规划调研" in shown_titles(page)
    expect_page(page, site, "卫生院", {"/info/trad-health/"})
    expect_page(page, site, "環境監測", {"/info/simp-env/"})


# ---- substrings, phrases, several terms ----

def test_a_substring_across_a_word_boundary(page: Page, site: str) -> None:
    assert found_js(page, site, "村发展") == {"/report/rural-plan/"}
    assert found_js(page, site, "镇") == {"/info/trad-health/"}  # one character, written 鎮
    expect_page(page, site, "村发展", {"/report/rural-plan/"})


def test_a_quoted_phrase_matches_only_the_exact_sequence(page: Page, site: str) -> None:
    both = {"/notice/safety-exact/", "/notice/safety-apart/"}
    assert found_js(page, site, "安全 生产") == both
    assert found_js(page, site, '"安全生产"') == {"/notice/safety-exact/"}
    assert found_js(page, site, '"安全 生产"') == {"/notice/safety-exact/"}
    assert found_js(page, site, "“安全生产”") == {"/notice/safety-exact/"}  # Chinese quotation marks
    assert found_js(page, site, "digital economy") == {"/report/digital/", "/report/economy/"}
    assert found_js(page, site, '"digital economy"') == {"/report/digital/"}
    assert found_js(page, site, '"economy digital"') == set()
    expect_page(page, site, "安全 生产", both)
    expect_page(page, site, '"安全生产"', {"/notice/safety-exact/"})


def test_a_sentence_wrapped_in_the_markdown_source_is_found_across_the_wrap(page: Page, site: str) -> None:
    assert found_js(page, site, "城乡") == {"/report/wrapped/"}
    assert found_js(page, site, "融合发展") == {"/report/wrapped/"}
    assert found_js(page, site, "城乡融合") == {"/report/wrapped/"}
    expect_page(page, site, "推进城乡融合发展", {"/report/wrapped/"})


def test_several_terms_are_all_required(page: Page, site: str) -> None:
    assert found_js(page, site, "卫生院 改造") == {"/info/trad-health/"}
    assert found_js(page, site, "卫生院") == {"/info/trad-health/"}
    assert found_js(page, site, "监测站") == {"/info/simp-env/"}
    assert found_js(page, site, "卫生院 监测站") == set()
    assert found_js(page, site, "例会 春耕") == {"/notice/meeting-00/"}
    expect_page(page, site, "例会 春耕", {"/notice/meeting-00/"})


def test_tags_and_source_units_are_searched(page: Page, site: str) -> None:
    assert found_js(page, site, "供暖") == {"/circular/heating/"}  # only in a tag
    assert found_js(page, site, "交通运输局") == {"/info/trad-roads/"}  # only the source unit


# ---- Latin words and numbers ----

def test_latin_words_match_whole_and_the_last_one_typed_as_a_prefix(page: Page, site: str) -> None:
    gdp = {"/info/gdp/"}
    assert found_js(page, site, "GD") == gdp  # last word typed: a prefix
    assert found_js(page, site, "GD 增长") == set()  # not the last word: a whole word
    assert found_js(page, site, "GDP 增长") == gdp
    assert found_js(page, site, "gdp同比") == gdp  # the text: GDP同比
    assert found_js(page, site, "gdp增长") == set()
    assert found_js(page, site, "ＧＤＰ") == gdp
    assert found_js(page, site, "econom") == {"/report/digital/", "/report/economy/"}
    assert found_js(page, site, "econom report") == set()
    assert found_js(page, site, "economy report") == {"/report/digital/"}
    assert found_js(page, site, "ECONOMY") == {"/report/digital/", "/report/economy/"}
    expect_page(page, site, "GD", gdp)
    expect_page(page, site, "GD 增长", set())


def test_numbers_match_as_words(page: Page, site: str) -> None:
    gdp = {"/info/gdp/"}
    assert found_js(page, site, "7.15") == gdp
    assert found_js(page, site, "7") == gdp  # typed last: a prefix of 7.15
    assert found_js(page, site, "7 增长") == set()  # not last: the whole word 7, which no text has
    assert found_js(page, site, "7.15 增长") == gdp
    assert found_js(page, site, "pm2.5") == gdp
    assert found_js(page, site, "2025") == gdp  # 2025年
    assert found_js(page, site, "202") == gdp
    expect_page(page, site, "7.15", gdp)


# ---- filters ----

def test_filters_narrow_the_results(page: Page, site: str) -> None:
    assert found_js(page, site, "例会") == MEETING_URLS
    for name, value in (("type", "notice"), ("publication", "meiri"), ("source", "西湖区委办公室"),
                        ("year", "2025")):
        expected = {url for url in MEETING_URLS if str(getattr(BY_URL[url], name)) == value}
        assert 0 < len(expected) < len(MEETING_URLS)
        assert found_js(page, site, "例会", **{name: value}) == expected, name
    assert found_js(page, site, "例会", type="notice", year="2026") == {
        url for url in MEETING_URLS if BY_URL[url].type == "notice" and BY_URL[url].year == "2026"}
    assert found_js(page, site, "农村", type="report") == {"/report/rural-plan/"}
    assert found_js(page, site, "农村", year="2026") == set()


def test_filters_alone_browse(page: Page, site: str) -> None:
    assert found_js(page, site, "", type="circular") == urls(lambda item: item.type == "circular")
    assert found_js(page, site, "", year="2024") == urls(lambda item: item.year == "2024")
    assert found_js(page, site, "", publication="xinxi") == {"/info/trad-health/", "/info/gdp/"}
    assert found_js(page, site, "", source="东湖区委办公室") == urls(lambda item: item.source == "东湖区委办公室")
    answer = search_js(page, site, "", filters={"year": "2024"})
    assert answer["total"] == len(urls(lambda item: item.year == "2024"))
    assert search_js(page, site, "", filters={})["total"] == 0


def test_the_filter_selects_follow_and_change_the_address(page: Page, site: str) -> None:
    page.goto(urljoin(site, "search/?q=例会&type=notice&year=2025"))
    wait_for_results(page)
    expect(page.locator("#search-q")).to_have_value("例会")
    expect(page.locator("#filter-type")).to_have_value("notice")
    expect(page.locator("#filter-year")).to_have_value("2025")
    expect(page.locator("#filter-source")).to_have_value("")
    expected = {url for url in MEETING_URLS if BY_URL[url].type == "notice" and BY_URL[url].year == "2025"}
    expect(status(page)).to_have_text(count_message(len(expected)))
    assert set(shown(page)) == expected

    page.locator("#filter-year").select_option("")
    expect(page).not_to_have_url(re.compile("year="))
    wait_for_results(page)
    expected = {url for url in MEETING_URLS if BY_URL[url].type == "notice"}
    expect(status(page)).to_have_text(count_message(len(expected)))
    assert params(page) == {"q": ["例会"], "type": ["notice"]}
    assert set(shown(page)) == expected

    page.locator("#filter-source").select_option("南湖区委办公室")
    expect(page).to_have_url(re.compile("source="))
    wait_for_results(page)
    assert params(page) == {"q": ["例会"], "type": ["notice"], "source": ["南湖区委办公室"]}
    expected = {url for url in expected if BY_URL[url].source == "南湖区委办公室"}
    assert 0 < len(expected) < len(MEETING_URLS) // 2
    expect(status(page)).to_have_text(count_message(len(expected)))
    assert set(shown(page)) == expected


def test_a_filter_alone_browses_on_the_page(page: Page, site: str) -> None:
    page.goto(urljoin(site, "search/?type=circular"))
    wait_for_results(page)
    expected = urls(lambda item: item.type == "circular")
    expect(status(page)).to_have_text(count_message(len(expected)))
    expect(page.locator("#filter-type")).to_have_value("circular")
    assert set(shown(page)) == expected


# ---- highlighting ----

def test_excerpts_highlight_the_match_in_the_entrys_own_script(page: Page, site: str) -> None:
    [result] = search_js(page, site, "卫生院")["results"]
    assert "<mark>衛生院</mark>" in result["excerpt"]
    assert "卫生院" not in result["excerpt"]
    assert result["titleHtml"] == "鄉鎮<mark>衛生院</mark>建設情況"
    assert result["title"] == "鄉鎮衛生院建設情況"
    assert (result["date"], result["type"], result["source"]) == ("2026-05-12", "信息", "西湖区卫生健康局")
    [result] = search_js(page, site, "環境監測")["results"]
    assert "<mark>环境监测</mark>" in result["excerpt"]
    [result] = search_js(page, site, "GDP 7.15")["results"]
    assert "<mark>GDP</mark>" in result["excerpt"] and "<mark>7.15</mark>" in result["excerpt"]

    type_query(page, site, "卫生院")
    marks = page.locator("#search-results .entry-excerpt mark")
    expect(marks.first).to_have_text("衛生院")
    expect(page.locator("#search-results a.entry-link mark")).to_have_text("衛生院")


def test_a_match_late_in_a_long_body_is_highlighted_in_its_excerpt(page: Page, site: str) -> None:
    [result] = search_js(page, site, "湿地保护")["results"]
    assert result["excerpt"].startswith("…")
    assert "ﬁ值。<mark>濕地保護</mark>成效明顯。" in result["excerpt"]


CHUNK = re.compile(r"/search/p\d+/\d+-(\d+)\.json\.gz$")


def search_fresh(page: Page, base: str, query: str) -> tuple[list[dict[str, Any]], list[int]]:
    """search()'s results in a newly loaded page (nothing cached), and the chunk files it fetched,
    in order."""
    requested: list[str] = []
    page.goto(base)
    page.on("request", lambda request: requested.append(urlsplit(request.url).path))
    results = page.evaluate(SEARCH, [query, {}])["results"]
    return results, [int(m.group(1)) for path in requested if (m := CHUNK.search(path))]


def body_offset(item: Item, text: str) -> int:
    offset = item.body.index(text)
    assert item.body.count(text) == 1
    return offset


def own_chunk(offset: int) -> int:
    """The chunk file whose own characters hold this offset of a text (generator/index.py), for
    an offset well inside them, away from what a neighbour's overlap repeats."""
    chunk, inside = divmod(offset - EXCERPT_TEXT, CHUNK_TEXT)
    assert CHUNK_OVERLAP <= inside <= CHUNK_TEXT - CHUNK_OVERLAP, "a mark too near a chunk's edge"
    return chunk + 1


def test_a_match_deep_in_a_long_text_is_shown_from_the_one_chunk_that_holds_it(page: Page, site: str) -> None:
    item = BY_URL["/report/deep-match/"]
    offset = body_offset(item, "沙漠治理")
    assert offset > 10_000
    [result], chunks = search_fresh(page, site, "沙漠治理")
    assert result["excerpt"].startswith("…") and result["excerpt"].endswith("…")
    assert f"{FILLER * 4}<mark>沙漠治理</mark>取得突破性进展。{FILLER}" in result["excerpt"]
    assert chunks == [own_chunk(offset)], "the positions in the index lead to the one chunk holding the match"
    # A term in the title only: its position there does not lead away from the text's match.
    [result], chunks = search_fresh(page, site, "调研报告 沙漠治理")
    assert "<mark>沙漠治理</mark>" in result["excerpt"] and chunks == [own_chunk(offset)]
    assert result["titleHtml"] == "治沙<mark>调研报告</mark>"

    type_query(page, site, "沙漠治理")
    expect(page.locator("#search-results .entry-excerpt mark")).to_have_text("沙漠治理")
    expect(page.locator("#search-results .entry-excerpt")).to_contain_text("沙漠治理取得突破性进展")


def test_a_single_character_deep_in_a_long_text_is_sought_chunk_by_chunk(page: Page, site: str) -> None:
    # One character has no positions in the index: the chunks are fetched in order until one shows it.
    item = BY_URL["/report/deep-match/"]
    holder = own_chunk(body_offset(item, "鑫"))
    assert holder < own_chunk(len(item.body) - CHUNK_TEXT // 2), "chunks follow the one that holds it"
    [result], chunks = search_fresh(page, site, "鑫")
    assert f"{FILLER}<mark>鑫</mark>源公司投产。{FILLER}" in result["excerpt"]
    assert chunks == list(range(1, holder + 1)), "it stops at the chunk that shows the match"


def test_a_match_across_the_end_of_a_results_first_file_is_shown_whole(page: Page, site: str) -> None:
    item = BY_URL["/report/edge-match/"]
    assert body_offset(item, "冰川消融") == EXCERPT_TEXT - 2  # 冰川 in the result's file, 消融 after it
    [result], chunks = search_fresh(page, site, "冰川消融")
    assert f"{FILLER}晨钟暮<mark>冰川消融</mark>加快。{FILLER}" in result["excerpt"]
    assert chunks == [1]
    # 冰川 lies in the first file, too near its end for an excerpt: chunk 1 repeats that end.
    [result], chunks = search_fresh(page, site, "冰川")
    assert "晨钟暮<mark>冰川</mark>消融加快。" in result["excerpt"] and chunks == [1]


def test_a_long_traditional_text_shows_its_own_script_deep_in_it(page: Page, site: str) -> None:
    item = BY_URL["/report/trad-deep/"]
    offset = body_offset(item, "鐵路運輸")
    assert offset > 10_000
    [result], chunks = search_fresh(page, site, "铁路运输")
    assert "晨鐘暮鼓。<mark>鐵路運輸</mark>能力持續提升。晨鐘暮鼓。" in result["excerpt"]
    assert "铁路运输" not in result["excerpt"]
    assert chunks == [own_chunk(offset)]


def test_a_short_text_fetches_no_chunk(page: Page, site: str) -> None:
    [result], chunks = search_fresh(page, site, "卫生院")
    assert "<mark>衛生院</mark>" in result["excerpt"] and chunks == []
    [result], chunks = search_fresh(page, site, "湿地保护")  # late in a text of 1,500 characters
    assert "ﬁ值。<mark>濕地保護</mark>成效明顯。" in result["excerpt"] and chunks == []
    # A long text matched near its beginning needs no chunk either.
    results, chunks = search_fresh(page, site, "晨钟暮鼓")
    assert {r["url"] for r in results} >= {"/report/deep-match/", "/report/edge-match/"}
    assert chunks == [] and all("<mark>" in r["excerpt"] for r in results)


def test_a_word_matched_as_a_prefix_is_highlighted_whole(page: Page, site: str) -> None:
    # What the last typed word matched is a whole word of the text, as the index reads it (7.15, pm2.5).
    for query, word in (("GD", "GDP"), ("7.1", "7.15"), ("7", "7.15"), ("pm2", "PM2.5")):
        [result] = search_js(page, site, query)["results"]
        assert f"<mark>{word}</mark>" in result["excerpt"], (query, result["excerpt"])


# ---- counts, empty results, paging, ranking ----

def test_an_empty_result_says_so(page: Page, site: str) -> None:
    assert search_js(page, site, "卫生院 监测站") == {"total": 0, "results": []}
    assert search_js(page, site, "不存在的词语") == {"total": 0, "results": []}
    type_query(page, site, "卫生院 监测站")
    expect(status(page)).to_have_text(NO_RESULTS)
    expect(page.locator("#search-results .search-result")).to_have_count(0)
    expect(page.locator("#search-pages")).to_be_hidden()


def test_the_total_is_exact_and_excluded_entries_are_not_counted(page: Page, site: str) -> None:
    assert len(MEETING_URLS) == 13
    assert search_js(page, site, "例会", limit=3)["total"] == 13  # not the draft, not the restricted one
    assert search_js(page, site, "草稿")["total"] == 0
    assert search_js(page, site, "限阅")["total"] == 0
    type_query(page, site, "例会")
    expect(status(page)).to_have_text(count_message(13))


def test_paging_shows_the_next_results(page: Page, site: str) -> None:
    order = newest_first(MEETING_URLS)  # equal title matches and scores: newest first
    first = search_js(page, site, "例会", offset=0, limit=PAGE_SIZE)
    second = search_js(page, site, "例会", offset=PAGE_SIZE, limit=PAGE_SIZE)
    assert [r["url"] for r in first["results"]] == order[:PAGE_SIZE]
    assert [r["url"] for r in second["results"]] == order[PAGE_SIZE:]

    type_query(page, site, "例会")
    page_one = shown(page)
    assert page_one == order[:PAGE_SIZE]
    page.locator("#search-pages").get_by_role("link", name="2", exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]page=2(&|$)"))
    wait_for_results(page)
    expect(page.locator("#search-results .search-result")).to_have_count(len(order) - PAGE_SIZE)
    page_two = shown(page)
    assert not set(page_one) & set(page_two), "a result repeats on page 2"
    assert page_two == order[PAGE_SIZE:]
    assert params(page) == {"q": ["例会"], "page": ["2"]}
    expect(page.locator("#search-pages [aria-current=page]")).to_have_text("2")

    page.goto(urljoin(site, "search/?q=例会&page=2"))  # a bookmarked second page
    wait_for_results(page)
    assert shown(page) == order[PAGE_SIZE:]


def test_title_matches_rank_first_then_score_then_the_newer_entry(page: Page, site: str) -> None:
    order = ["/notice/flood-title/", "/info/flood-many/", "/info/flood-new/", "/info/flood-old/"]
    assert [r["url"] for r in search_js(page, site, "防汛")["results"]] == order
    type_query(page, site, "防汛")
    assert shown(page) == order


def test_a_latin_word_in_the_title_ranks_first_then_relevance_then_recency(page: Page, site: str) -> None:
    order = ["/info/cpi-title/", "/info/cpi-many/", "/info/cpi-new/"]
    assert [r["url"] for r in search_js(page, site, '"CPI"')["results"]] == order
    assert [r["url"] for r in search_js(page, site, "CPI")["results"]] == order  # typed last: also a prefix
    type_query(page, site, "CPI")
    assert shown(page) == order


# ---- the rest of the site ----

@pytest.mark.parametrize("start", ["", "info/simp-env/", "notice/"])
def test_the_header_search_box_leads_to_the_results(page: Page, site: str, start: str) -> None:
    page.goto(urljoin(site, start))
    box = page.locator("#site-search-q")
    box.fill("卫生院")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q="))
    assert params(page) == {"q": ["卫生院"]}
    wait_for_results(page)
    expect(page.locator("#search-q")).to_have_value("卫生院")
    assert shown(page) == ["/info/trad-health/"]
    assert shown_titles(page) == ["鄉鎮衛生院建設情況"]


def test_without_javascript_the_search_page_says_it_needs_it(browser, site: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(urljoin(site, "search/?q=例会"))
        message = page.locator("noscript .search-message")  # get_by_text does not look inside <noscript>
        expect(message).to_be_visible()
        expect(message).to_contain_text(NEEDS_JS)
        expect(page.locator("#search-results .search-result")).to_have_count(0)
    finally:
        context.close()


def test_a_title_of_the_sample_bulletin_is_found_by_a_word_of_it(page: Page, sample_output: Path,
                                                                 sample_url: str) -> None:
    titles = []
    heads = (path for path in (sample_output / "search" / "p0").glob("*.json.gz") if "-" not in path.name)  # not chunks
    for path in sorted(heads, key=lambda p: int(p.name.split(".")[0])):
        titles.append(json.loads(gzip.decompress(path.read_bytes()))["title"])
    assert len(titles) > 5
    for title in titles[:: max(1, len(titles) // 5)]:
        word = max(re.findall(r"[\u4e00-\u9fff]+", title), key=len)[:4]
        answer = search_js(page, sample_url, word, limit=1000)
        assert title in [r["title"] for r in answer["results"]], (word, title)
        assert answer["total"] == len(answer["results"])


def test_a_bulletin_of_several_partitions_finds_every_entry_newest_first(
        page: Page, tmp_path: Path, serve_folder: Callable[[Path], str]) -> None:
    """300 entries: partitions of 128 (the smallest), so the index has three sections per
    shard file and results come from every partition."""
    root = tmp_path / "site"
    write_files(root, {f"content/info/n{n:03d}.md": entry(
        title=f"第{n:03d}号 {'农村公路' if n % 3 == 0 else '城市供水'}",
        date=(dt.date(2020, 1, 1) + dt.timedelta(days=n)).isoformat(),
        body=f"编号 x{n:03d}。" + ("乡道养护。" if n % 7 == 0 else "")) for n in range(300)})
    assert run_bulletin("build", "--source", root, "--now", NOW).returncode == 0
    meta = json.loads((root / "output/search/meta.json").read_text(encoding="utf-8"))
    assert meta["partitions"] == [128, 128, 44]
    base = serve_folder((root / "output").resolve())
    answer = search_js(page, base, "农村公路", limit=1000)
    assert answer["total"] == 100
    assert [r["title"][:5] for r in answer["results"][:2]] == ["第297号", "第294号"], "newest first"
    assert {r["title"][:5] for r in answer["results"]} == {f"第{n:03d}号" for n in range(0, 300, 3)}
    assert {r["title"][:5] for r in search_js(page, base, "乡道养护 农村", limit=1000)["results"]} == {
        f"第{n:03d}号" for n in range(0, 300, 21)}
    assert [r["title"][:5] for r in search_js(page, base, "x150")["results"]] == ["第150号"]
