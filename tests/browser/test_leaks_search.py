"""The search API in the browser finds nothing of an excluded entry, at every audience.

The leak site of tests/e2e/test_leaks.py is built for each audience (and with drafts) and
served; /search/search.js is imported in Chromium and asked for each marker, as a word,
as Chinese text, as a substring, as a tag, and through the source-unit filter. Markers that
are published at that audience must be found (the control); the others must give total 0.
The search page itself is also used, as a reader types a marker.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import entry, run_bulletin, write_files
from tests.e2e.test_leaks import BUILDS, MARKED, SHOWN, build_all, expected_excluded, expected_published

pytestmark = pytest.mark.browser

SEARCH = """async ([query, options]) => {
  const { search } = await import("/search/search.js");
  return await search(query, options);
}"""
META = """async () => (await import("/search/search.js")).meta()"""


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory, serve_folder: Callable[[Path], str]) -> dict[str, str]:
    outputs = build_all(tmp_path_factory.mktemp("leaks-browser"))
    return {name: serve_folder(output) for name, output in outputs.items()}


def search(page: Page, base: str, query: str, **filters: str) -> dict[str, Any]:
    if not page.url.startswith(base):
        page.goto(base)
    return page.evaluate(SEARCH, [query, {"filters": filters, "limit": 100}])


@pytest.mark.parametrize("build", BUILDS)
def test_search_finds_nothing_of_an_excluded_entry(build: str, sites: dict[str, str], page: Page) -> None:
    base = sites[build]
    for m in expected_excluded(build):
        for query in (m.word, m.word.lower(), m.han, m.han[1:3], f"{m.word}TAG", f"标签{m.han}",
                      f"{m.word}SUMMARY", f'"{m.han}专报"', m.attachment.rsplit(".", 1)[0]):
            answer = search(page, base, query)
            assert answer["total"] == 0 and answer["results"] == [], (build, m.kind, query, answer)
        answer = search(page, base, "", source=m.source)
        assert answer["total"] == 0, (build, m.kind, "source filter", answer)
    meta = page.evaluate(META)
    sources = {name for _, name, _ in meta["facets"]["source"]}
    assert not {m.source for m in expected_excluded(build)} & sources
    assert meta["docs"] == len(SHOWN) + 2 * len(expected_published(build))


@pytest.mark.parametrize("build", BUILDS)
def test_search_finds_what_is_published(build: str, sites: dict[str, str], page: Page) -> None:
    """The control: the same queries find the published entries, so total 0 above means something."""
    base = sites[build]
    for s in SHOWN:
        assert {r["url"] for r in search(page, base, s.han)["results"]} == {f"/info/{s.slug}/"}
        assert search(page, base, s.word)["total"] == 1
    for m in expected_published(build):
        found = {r["url"] for r in search(page, base, m.word)["results"]}
        assert found == {f"/info/{m.slug}/", f"/info/{m.slug}-issue/"}, (build, m.kind)
        assert search(page, base, m.han[1:3])["total"] == 2
        assert {r["url"] for r in search(page, base, "", source=m.source)["results"]} == {f"/info/{m.slug}/"}
    everything = search(page, base, "", type="info")
    assert everything["total"] == len(SHOWN) + 2 * len(expected_published(build))


def test_the_search_page_shows_no_result_for_an_excluded_marker(sites: dict[str, str], page: Page) -> None:
    page.set_default_timeout(10_000)
    for build in ("public", "restricted"):
        for m in MARKED:
            page.goto(f"{sites[build]}search/?q={quote(m.word)}")
            status = page.locator("#search-status")
            expect(status).to_have_text(re.compile(r"^(找到 \d+ 条结果|没有找到)"))
            if m in expected_excluded(build):
                expect(status).to_contain_text("没有找到")
                expect(page.locator("#search-results .search-result")).to_have_count(0)
            else:
                expect(status).to_have_text("找到 2 条结果")
            assert m.han not in page.content() or m in expected_published(build)


EVIL = '<script>alert("XSS")</script><img src=x onerror=alert(2)> & "引号"'


def test_search_results_show_markup_in_titles_as_text(tmp_path: Path, serve_folder: Callable[[Path], str],
                                                      page: Page) -> None:
    site = tmp_path / "site"
    title = "'" + EVIL.replace("'", "''") + " 检索标题'"
    write_files(site, {"content/info/evil.md": entry(title=title, source=title, body=f"正文 {EVIL} 检索正文。")})
    result = run_bulletin("build", "--source", site, "--now", "2026-11-27")
    assert result.returncode == 0, result.stderr
    base = serve_folder((site / "output").resolve())
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    answer = search(page, base, "检索")
    assert answer["total"] == 1
    hit = answer["results"][0]
    assert hit["title"] == EVIL + " 检索标题"
    assert "<script" not in hit["titleHtml"] and "<img" not in hit["titleHtml"]
    assert "<script" not in hit["excerpt"] and "<img" not in hit["excerpt"]
    page.goto(f"{base}search/?q={quote('检索')}")
    expect(page.locator("#search-results .search-result")).to_have_count(1)
    expect(page.locator("#search-results .search-result a.entry-link")).to_contain_text('<script>alert("XSS")</script>')
    assert page.locator("#search-results script, #search-results img").count() == 0
    page.goto(f"{base}info/evil/")
    page.wait_for_timeout(200)
    assert dialogs == []
