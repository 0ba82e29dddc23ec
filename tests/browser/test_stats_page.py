"""The statistics page in Chromium: every chart drawn, one mark per number of its table, and accessible."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

BLOCKING = ("serious", "critical")


def blocking_violations(page: Page) -> list[str]:
    return [f"{v['id']} ({v['impact']}): {v['help']}" for v in Axe().run(page).response["violations"]
            if v.get("impact") in BLOCKING]


def test_home_page_leads_to_the_statistics(page: Page, sample_url: str) -> None:
    page.goto(sample_url)
    page.locator("main").get_by_role("link", name="信息报送采用情况统计").click()
    expect(page).to_have_url(urljoin(sample_url, "stats/"))
    expect(page.locator("h1")).to_contain_text("信息报送采用情况")


def test_every_chart_is_drawn_with_one_mark_per_number_of_its_table(page: Page, sample_url: str) -> None:
    page.goto(urljoin(sample_url, "stats/"))
    sections = page.locator(".stats-section")
    assert sections.count() == 4
    for index in range(sections.count()):
        section = sections.nth(index)
        chart = section.locator("svg[role=img]")
        expect(chart).to_be_visible()
        box = chart.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 50, f"chart {index} is drawn too small: {box}"
        assert chart.locator("title").first.text_content()
        header = section.locator("thead th").all_inner_texts()
        columns = len(header) - 1 - (header[-1] == "合计")
        rows = section.locator("tbody tr").count()
        assert chart.locator(".chart-mark").count() == rows * columns, f"chart {index}: marks ≠ numbers"
        largest = max(int(n) for row in section.locator("tbody tr").all()
                      for n in row.locator("td").all_inner_texts()[:columns])
        if largest:  # the biggest number has a bar or cell that can be seen
            sizes = [m.bounding_box() for m in chart.locator(".chart-mark").all()]
            assert any(s and s["width"] > 2 and s["height"] > 2 for s in sizes)


@pytest.mark.parametrize("width", [1280, 360])
def test_statistics_page_has_no_serious_accessibility_problem(page: Page, sample_url: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(urljoin(sample_url, "stats/"))
    problems = blocking_violations(page)
    assert not problems, f"axe on /stats/ at {width} px:\n" + "\n".join(problems)
