"""A reader's walk through the built bulletin in a real browser.

The pages are found the way a reader finds them, by following links, or from
sitemap.xml; no slug of the sample content is named here.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import yaml
from playwright.sync_api import Locator, Page, expect

from tests.conftest import REPO, SAMPLE_NOW, entry, run_bulletin

pytestmark = pytest.mark.browser

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
DAY = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")
CONFIG = yaml.safe_load((REPO / "bulletin.yaml").read_text(encoding="utf-8"))


def sitemap_paths(output: Path) -> list[str]:
    """URL paths of every page the sitemap lists, e.g. "/xinxi/2026/21/"."""
    root = ET.parse(output / "sitemap.xml").getroot()
    return [urlsplit((loc.text or "").strip()).path for loc in root.iter(f"{SITEMAP}loc")]


def served(folder: Path, path: str) -> Path:
    relative = path.lstrip("/")
    return folder / (relative + "index.html" if relative == "" or relative.endswith("/") else relative)


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


def text(locator: Locator) -> str:
    return " ".join(locator.inner_text().split())


def breadcrumbs(page: Page) -> Locator:
    return page.get_by_role("navigation", name="当前位置")


@pytest.fixture(autouse=True)
def quick_failures(page: Page) -> None:
    """A missing element fails in seconds, not after Playwright's default 30 s."""
    page.set_default_timeout(5000)


def test_reader_walks_from_home_to_an_entry_and_back(page: Page, sample_url: str) -> None:
    page.goto(sample_url)
    expect(page).to_have_title(re.compile(re.escape(CONFIG["title"])))
    expect(page.locator(".site-title")).to_contain_text(CONFIG["title"])
    expect(page.locator(".site-title")).to_contain_text(CONFIG["organisation"])
    cards = page.locator(".issue-cards .issue-card")
    expect(cards.first).to_be_visible()
    xinxi = CONFIG["publications"]["xinxi"]["name"]
    card_title = cards.locator(".issue-card-title").filter(has_text=f"《{xinxi}》").first
    expect(card_title).to_be_visible()
    latest_on_home = text(card_title)

    # The publication page, from the main navigation.
    page.get_by_role("navigation", name="主导航").get_by_role("link", name=f"《{xinxi}》", exact=True).click()
    expect(page).to_have_url(urljoin(sample_url, "xinxi/"))
    expect(page.locator("h1")).to_have_text(f"《{xinxi}》")
    newest = text(page.locator(".issue-list a").first)
    assert newest in latest_on_home, f"home shows {latest_on_home!r} as the latest issue, the publication {newest!r}"

    # An issue with several items (the list says "共N条"), newest first.
    listed = page.locator(".issue-list > li")
    counts = [int(m.group(1)) if (m := re.search(r"共(\d+)条", text(li))) else 0 for li in listed.all()]
    assert any(n >= 2 for n in counts), f"no issue of 《{xinxi}》 lists two or more items: {counts}"
    issue_link = listed.nth(next(i for i, n in enumerate(counts) if n >= 2)).locator("a").first
    issue_label = text(issue_link)
    assert re.search(r"第\d+期", issue_label), f"an issue link should read like 2026年第21期, not {issue_label!r}"
    issue_link.click()
    assert re.fullmatch(r"/xinxi/\d{4}/\d+/", path_of(page)), f"unexpected issue URL {page.url}"
    issue_url = page.url
    expect(page).to_have_title(re.compile(re.escape(f"《{xinxi}》")))
    expect(page.locator(".issue-masthead")).to_contain_text(issue_label)
    items = page.locator(".issue-items > li")
    assert items.count() >= 2, "the issue page shows fewer items than its publication page announced"

    # An item that names its 报送单位 (the issue shows it as "单位 · 类别").
    item = items.filter(has=page.locator(".entry-meta", has_text="·")).first
    expect(item).to_be_visible()
    source = text(item.locator(".entry-meta")).split(" · ")[0]
    item_link = item.locator(".issue-item-title a")
    title = text(item_link)
    item_link.click()
    expect(page.locator("h1")).to_have_text(title)
    expect(page).to_have_title(re.compile(re.escape(title)))
    facts = page.locator(".entry-facts")
    expect(facts).to_be_visible()
    expect(facts).to_contain_text(DAY)
    expect(facts.locator("div", has_text="报送单位").locator("dd")).to_have_text(source)
    expect(facts.locator("div", has_text="刊载")).to_contain_text(issue_label)
    entry_url = page.url

    # 下一篇 / 上一篇: walk forward within the issue and come back.
    neighbours = page.get_by_role("navigation", name="上下篇")
    following = neighbours.locator("a[rel=next]")
    if following.count() == 0:  # the last item of its issue: step back first, then forward
        neighbours.locator("a[rel=prev]").click()
        expect(page.locator("h1")).not_to_have_text(title)
        entry_url, title = page.url, text(page.locator("h1"))
        neighbours = page.get_by_role("navigation", name="上下篇")
        following = neighbours.locator("a[rel=next]")
    expect(following).to_contain_text("下一篇")
    next_title = text(following).removeprefix("下一篇").strip()
    following.click()
    expect(page.locator("h1")).to_have_text(next_title)
    assert next_title != title, "下一篇 leads to the same title"
    assert page.url != entry_url, "下一篇 leads to the same page"
    previous = page.get_by_role("navigation", name="上下篇").locator("a[rel=prev]")
    expect(previous).to_contain_text("上一篇")
    expect(previous).to_contain_text(title)
    previous.click()
    expect(page).to_have_url(entry_url)
    expect(page.locator("h1")).to_have_text(title)

    # The breadcrumbs lead back up: to the issue, then home.
    crumbs = breadcrumbs(page)
    expect(crumbs.locator("[aria-current=page]")).to_have_text(title)
    crumbs.get_by_role("link").filter(has_text=re.compile(r"第\d+期")).click()
    expect(page).to_have_url(issue_url)
    expect(page.locator(".issue-masthead")).to_contain_text(issue_label)
    breadcrumbs(page).get_by_role("link", name="首页").click()
    expect(page).to_have_url(sample_url)
    expect(page.locator(".issue-cards .issue-card").first).to_be_visible()


def test_tag_link_lists_the_entry(page: Page, sample_url: str, sample_output: Path) -> None:
    tagged = [path for path in sitemap_paths(sample_output)
              if 'class="tags"' in served(sample_output, path).read_text(encoding="utf-8")]
    assert tagged, "no entry of the sample has tags"
    page.goto(urljoin(sample_url, tagged[0]))
    title = text(page.locator("h1"))
    tag = page.get_by_role("list", name="标签").get_by_role("link").first
    tag_name = text(tag)
    tag.click()
    assert path_of(page).startswith("/tags/"), f"a tag link leads to {page.url}"
    expect(page.locator("h1")).to_contain_text(tag_name)
    # The entry is on the tag's list, on its first page or a later one.
    while page.locator(".entry-list .entry-link", has_text=title).count() == 0:
        next_page = page.get_by_role("navigation", name="分页").locator("a[rel=next]")
        assert next_page.count(), f"the list of tag {tag_name!r} does not show {title!r}"
        next_page.click()
    page.locator(".entry-list .entry-link", has_text=title).first.click()
    expect(page.locator("h1")).to_have_text(title)


def test_long_list_is_paginated(page: Page, make_site: Callable[..., Path],
                                serve_folder: Callable[[Path], str]) -> None:
    titles = [f"测试信息第{n:02d}条" for n in range(1, 46)]
    site = make_site({f"content/info/2026/item-{n:02d}.md": entry(
        title=title, date=f"2026-{9 + n // 16:02d}-{n % 16 + 1:02d}", type="info", source="测试单位")
        for n, title in enumerate(titles, 1)})
    result = run_bulletin("build", "--source", site, "--now", SAMPLE_NOW)
    assert result.returncode == 0, result.stderr
    base = serve_folder((site / "output").resolve())

    page.goto(urljoin(base, "info/"))
    expect(page.locator("h1")).to_contain_text("45篇")
    pager = page.get_by_role("navigation", name="分页")
    expect(pager).to_contain_text("第1页，共3页")
    expect(pager.locator("[aria-current=page]")).to_have_text("1")
    seen = [text(link) for link in page.locator(".entry-list .entry-link").all()]
    assert len(seen) == 20, f"page 1 shows {len(seen)} entries, not 20"

    pager.get_by_role("link", name="下一页").click()
    expect(page).to_have_url(urljoin(base, "info/page/2/"))
    expect(page).to_have_title(re.compile("第2页"))
    pager = page.get_by_role("navigation", name="分页")
    expect(pager).to_contain_text("第2页，共3页")
    seen += [text(link) for link in page.locator(".entry-list .entry-link").all()]

    pager.get_by_role("link", name="第3页").click()
    expect(page).to_have_url(urljoin(base, "info/page/3/"))
    pager = page.get_by_role("navigation", name="分页")
    expect(pager).to_contain_text("第3页，共3页")
    expect(pager.get_by_role("link", name="下一页")).to_have_count(0)
    seen += [text(link) for link in page.locator(".entry-list .entry-link").all()]
    assert sorted(seen) == sorted(titles), "the three pages do not show each entry exactly once"
    assert seen == sorted(seen, reverse=True), "the list is not newest first across pages"

    pager.get_by_role("link", name="第1页").click()
    expect(page).to_have_url(urljoin(base, "info/"))
    page.goto(urljoin(base, "info/page/3/"))
    page.get_by_role("navigation", name="分页").get_by_role("link", name="上一页").click()
    expect(page).to_have_url(urljoin(base, "info/page/2/"))


def test_not_found_page_leads_home(page: Page, sample_url: str) -> None:
    response = page.goto(urljoin(sample_url, "404.html"))
    assert response is not None and response.ok, "the site has no /404.html"
    expect(page.locator("h1")).to_have_text("页面不存在")
    page.get_by_role("main").get_by_role("link", name="返回首页").click()
    expect(page).to_have_url(sample_url)
    expect(page.locator(".issue-cards .issue-card").first).to_be_visible()
