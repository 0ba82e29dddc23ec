"""axe-core finds no serious or critical accessibility problem on any kind of page.

Which page stands for each kind is discovered in the built sample (its
sitemap and its pages), so the tests follow the content as it changes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
BLOCKING = ("serious", "critical")


def pages_in_sitemap(output: Path) -> dict[str, str]:
    """URL path -> HTML of every page the sitemap lists."""
    root = ET.parse(output / "sitemap.xml").getroot()
    found: dict[str, str] = {}
    for loc in root.iter(f"{SITEMAP}loc"):
        path = urlsplit((loc.text or "").strip()).path
        file = output / (path.lstrip("/") + "index.html" if path.endswith("/") else path.lstrip("/"))
        found[path] = file.read_text(encoding="utf-8")
    return found


def first(pages: dict[str, str], pattern: str, what: str) -> str:
    for path in sorted(pages):
        if re.search(pattern, path):
            return path
    raise AssertionError(f"the sample site has no {what} (no sitemap path matches {pattern})")


def richest_entry(pages: dict[str, str]) -> str:
    """An entry page with a table and footnotes if there is one, else the one with most of them."""
    entries = {path: html for path, html in pages.items() if 'class="page-entry"' in html}
    assert entries, "the sample site has no entry page"

    def score(path: str) -> tuple[bool, bool, bool, str]:
        html = entries[path]
        return ("<table" in html, 'class="footnote"' in html, "attachments" in html, path)

    return max(entries, key=score)


FINDERS: dict[str, Callable[[dict[str, str]], str]] = {
    "home": lambda pages: "/",
    "publication": lambda pages: first(pages, r"^/xinxi/$", "publication page for 《信息》"),
    "issue": lambda pages: first(pages, r"^/xinxi/\d{4}/\d+/$", "issue of 《信息》"),
    "entry": richest_entry,
    "type-list": lambda pages: first(pages, r"^/info/$", "list of 信息"),
    "tag-list": lambda pages: first(pages, r"^/tags/[^/]+/$", "tag page"),
    "tags-index": lambda pages: first(pages, r"^/tags/$", "tags index"),
    "sources-index": lambda pages: first(pages, r"^/sources/$", "index of 报送单位"),
    "archive": lambda pages: first(pages, r"^/archive/$", "archive page"),
    "month": lambda pages: first(pages, r"^/archive/\d{4}/\d{2}/$", "month archive"),
}


def blocking_violations(page: Page) -> list[str]:
    results = Axe().run(page)
    report = []
    for violation in results.response["violations"]:
        if violation.get("impact") not in BLOCKING:
            continue
        targets = [" ".join(map(str, node.get("target", []))) for node in violation["nodes"][:4]]
        report.append(f"{violation['id']} ({violation['impact']}): {violation['help']}"
                      f" [{len(violation['nodes'])} nodes] e.g. {targets}")
    return report


@pytest.fixture(scope="module")
def sample_pages(sample_output: Path) -> dict[str, str]:
    return pages_in_sitemap(sample_output)


@pytest.mark.parametrize("kind", list(FINDERS))
def test_page_has_no_serious_accessibility_problem(kind: str, page: Page, sample_url: str,
                                                   sample_pages: dict[str, str]) -> None:
    path = FINDERS[kind](sample_pages)
    response = page.goto(urljoin(sample_url, path))
    assert response is not None and response.ok, f"{path} did not load"
    problems = blocking_violations(page)
    assert not problems, f"axe on {path}:\n" + "\n".join(problems)


@pytest.mark.parametrize("kind", ["entry", "issue"])
def test_page_on_a_phone_has_no_serious_accessibility_problem(kind: str, page: Page, sample_url: str,
                                                               sample_pages: dict[str, str]) -> None:
    """Narrow screens make tables scroll and navigation wrap: checked as a phone shows them."""
    page.set_viewport_size({"width": 360, "height": 740})
    path = FINDERS[kind](sample_pages)
    page.goto(urljoin(sample_url, path))
    problems = blocking_violations(page)
    assert not problems, f"axe on {path} at 360 px wide:\n" + "\n".join(problems)


def test_not_found_page_has_no_serious_accessibility_problem(page: Page, sample_url: str) -> None:
    page.goto(urljoin(sample_url, "404.html"))
    problems = blocking_violations(page)
    assert not problems, "axe on /404.html:\n" + "\n".join(problems)
