"""`bulletin serve` as an editor uses it: save, and the open page follows; break, and it says where."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.request import urlopen

import pytest

from tests.conftest import REPO, MakeSite, entry

pytestmark = pytest.mark.browser


@pytest.fixture
def served(make_site: MakeSite) -> Iterator[tuple[Path, str]]:
    site = make_site({
        "content/info/a.md": entry(title="东湖区推进冬季供暖", body="第一版正文。", tags="[供暖]"),
        "content/info/b.md": entry(title="西山县修缮村道", date="2026-11-21", tags="[供暖]"),
        "content/notice/c.md": entry(title="草稿通知", draft="true"),
    })
    process = subprocess.Popen([sys.executable, "-m", "generator", "serve", "--source", str(site), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO,
                               env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert process.stdout is not None
    address = None
    deadline = time.monotonic() + 60
    while address is None and time.monotonic() < deadline:
        line = process.stdout.readline()
        found = re.search(r"at (http://127\.0\.0\.1:\d+/)", line)
        address = found.group(1) if found else None
    assert address, "serve did not start"
    log: list[str] = []
    reader = threading.Thread(target=lambda: log.extend(process.stdout or ()), daemon=True)
    reader.start()
    yield site, address
    process.terminate()
    process.wait(timeout=10)
    reader.join(timeout=5)
    print("serve said:\n" + "".join(log))  # shown by pytest when a test fails


def test_the_open_page_follows_each_save(served: tuple[Path, str], page) -> None:  # type: ignore[no-untyped-def]
    site, address = served
    page.goto(address + "info/a/")
    assert "第一版正文" in page.locator("main").inner_text()
    (site / "content/info/a.md").write_text(entry(title="东湖区推进冬季供暖", body="第二版正文。"), encoding="utf-8")
    page.wait_for_function("document.querySelector('main').innerText.includes('第二版正文')", timeout=20_000)
    # A list page opened afterwards shows the new state too: nothing stale.
    (site / "content/info/a.md").write_text(entry(title="东湖区改名后的标题", body="第三版。"), encoding="utf-8")
    page.wait_for_function("document.querySelector('h1').innerText.includes('改名后')", timeout=20_000)
    page.goto(address + "info/")
    assert "东湖区改名后的标题" in page.locator("main").inner_text()
    assert "东湖区推进冬季供暖" not in page.content()


def test_an_error_shows_in_the_page_with_file_and_line_and_the_page_recovers(
        served: tuple[Path, str], page) -> None:  # type: ignore[no-untyped-def]
    site, address = served
    page.goto(address + "info/b/")
    assert page.locator("h1").inner_text() == "西山县修缮村道"
    broken = "---\ntitle: 西山县修缮村道\ndate: 2026-13-40\n---\n正文\n"
    (site / "content/info/b.md").write_text(broken, encoding="utf-8")
    overlay = page.locator("#bulletin-error-overlay")
    overlay.wait_for(timeout=20_000)
    assert 'content/info/b.md:3: date "2026-13-40" is not a valid date' in overlay.inner_text()
    assert page.locator("h1").inner_text() == "西山县修缮村道", "the last good page stays under the overlay"
    (site / "content/info/b.md").write_text(entry(title="西山县修缮村道（更正）", date="2026-11-21"),
                                            encoding="utf-8")
    page.wait_for_function("document.querySelector('h1').innerText.includes('更正')", timeout=20_000)
    assert page.locator("#bulletin-error-overlay").count() == 0


def test_drafts_show_with_a_banner(served: tuple[Path, str], page) -> None:  # type: ignore[no-untyped-def]
    _, address = served
    page.goto(address + "notice/c/")
    assert "草稿" in page.locator(".draft-banner").inner_text()


def test_search_in_the_preview_follows_the_saved_text(served: tuple[Path, str], page) -> None:  # type: ignore[no-untyped-def]
    site, address = served
    query = "async (q) => (await (await import('/search/search.js')).search(q)).results.map(r => r.title)"
    page.goto(address + "search/")
    assert page.evaluate(query, "村道") == ["西山县修缮村道"]
    page.goto("about:blank")  # no open page reloads under the navigations below
    (site / "content/info/b.md").write_text(entry(title="西山县修缮乡村公路", date="2026-11-21"), encoding="utf-8")
    deadline = time.monotonic() + 20
    while "乡村公路" not in urlopen(address + "info/b/").read().decode() and time.monotonic() < deadline:
        time.sleep(0.1)
    page.goto(address + "info/b/")
    assert "乡村公路" in page.locator("h1").inner_text()
    page.goto(address + "search/")  # a new page: the module's cache starts empty
    assert page.evaluate(query, "乡村公路") == ["西山县修缮乡村公路"]
    assert page.evaluate(query, "村道") == []


def test_a_tab_reloads_only_when_its_own_page_changes(served: tuple[Path, str], page) -> None:  # type: ignore[no-untyped-def]
    site, address = served
    other = page.context.new_page()
    page.goto(address + "notice/c/")  # the draft: nothing below changes it
    other.goto(address + "info/b/")
    loads: list[str] = []
    page.on("load", lambda _: loads.append(page.url))
    # b's body changes: b's page reloads; the draft's page, which shows nothing of b, does not.
    (site / "content/info/b.md").write_text(entry(title="西山县修缮村道", date="2026-11-21", tags="[供暖]",
                                                  body="村道第二版。"), encoding="utf-8")
    other.wait_for_function("document.querySelector('main').innerText.includes('村道第二版')", timeout=20_000)
    # Then the draft changes: its page reloads once, for that.
    (site / "content/notice/c.md").write_text(entry(title="草稿通知", draft="true", body="草稿第二版。"),
                                              encoding="utf-8")
    page.wait_for_function("document.querySelector('main').innerText.includes('草稿第二版')", timeout=20_000)
    page.wait_for_load_state("load")  # the text can show before the reload's load event reaches us
    assert loads == [address + "notice/c/"], "the draft's tab reloaded for an edit it does not show"


def test_a_template_error_shows_in_the_page_with_template_and_line_and_the_page_recovers(
        served: tuple[Path, str], page) -> None:  # type: ignore[no-untyped-def]
    site, address = served
    page.goto(address + "info/a/")
    (site / "templates").mkdir(exist_ok=True)
    template = site / "templates/entry.html"
    template.write_text('{% extends "theme/entry.html" %}\n{% block summary %}\n{{ entry.no_such_field }}\n'
                        "{% endblock %}\n", encoding="utf-8")
    error = page.locator("#bulletin-page-error")
    error.wait_for(timeout=20_000)
    assert "templates/entry.html:3" in error.inner_text()
    template.write_text('{% extends "theme/entry.html" %}\n{% block summary %}<p class="fixed">改好了</p>'
                        "{% endblock %}\n", encoding="utf-8")
    page.locator("p.fixed").wait_for(timeout=20_000)
    assert "第一版正文" in page.locator("main").inner_text()
