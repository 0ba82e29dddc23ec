"""The printed issue: every sample issue printed to PDF by Chromium, as an office prints it.

Each PDF and a PNG of its first page are kept in tests/artifacts/print/ so a
person can look at what the paper looks like.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urljoin

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.conftest import REPO, SAMPLE_NOW, MakeSite, entry, run_bulletin

pytestmark = pytest.mark.browser

ARTIFACTS = REPO / "tests" / "artifacts" / "print"
PT_PER_MM = 72 / 25.4
A4 = (210 * PT_PER_MM, 297 * PT_PER_MM)
TEXT_LEFT, TEXT_RIGHT, TEXT_BOTTOM = 28 * PT_PER_MM, 184 * PT_PER_MM, 262 * PT_PER_MM  # GB/T 9704 text block
LINE = 225 * PT_PER_MM / 22  # one line of the 28 x 22 grid
ONE_CHARACTER = 14  # pt: page numbers stand one 四号 character in from the outside edge


def print_views(output: Path) -> list[str]:
    """URL paths of the print views, e.g. "xinxi/2026/21/print/"."""
    return sorted(p.parent.relative_to(output).as_posix() + "/" for p in output.glob("**/print/index.html"))


def pdf_of(page: Page, url: str) -> bytes:
    page.goto(url)
    return page.pdf(prefer_css_page_size=True)


def keep(data: bytes, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.pdf"
    path.write_bytes(data)
    return path


def run(*command: str | Path) -> str:
    return subprocess.run(list(map(str, command)), capture_output=True, text=True, check=True).stdout


def page_sizes(pdf: Path) -> list[tuple[float, float]]:
    return [(float(w), float(h)) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts",
                                                       run("pdfinfo", "-f", "1", "-l", "9999", pdf))]


def pdf_text(pdf: Path, number: int | None = None) -> str:
    pages = ["-f", str(number), "-l", str(number)] if number else []
    return run("pdftotext", *pages, pdf, "-")


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def words(pdf: Path, number: int) -> list[tuple[str, float, float, float, float]]:
    """(word, left, right, top, bottom) of each word on one page, in points."""
    found = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
                       run("pdftotext", "-bbox", "-f", str(number), "-l", str(number), pdf, "-"))
    return [(word, float(left), float(right), float(top), float(bottom)) for left, top, right, bottom, word in found]


def lowest_line(pdf: Path, number: int) -> tuple[str, float]:
    """The text of the lowest line in a page's text block (the page number below it left out) and its bottom."""
    block = [(left, word, bottom) for word, left, _, top, bottom in words(pdf, number)
             if (top + bottom) / 2 < TEXT_BOTTOM]
    assert block, f"page {number} has no text"
    bottom = max(b for *_, b in block)
    return "".join(word for _, word, b in sorted(block) if b > bottom - 2), bottom


def assert_distribution_at_the_foot(pdf: Path, lines: list[str], what: str) -> None:
    """The 版记 (its lines as the page shows them) stands whole on the last page, its last line on the last line."""
    pages = len(page_sizes(pdf))
    last_page = flat(pdf_text(pdf, pages))
    assert all(flat(line) in last_page for line in lines), f"{what}: the 版记 is not whole on the last page"
    text, bottom = lowest_line(pdf, pages)
    assert flat(lines[-1]).endswith(flat(text)), f"{what}: the last page ends with {text!r}, not the 版记"
    assert abs(bottom - TEXT_BOTTOM) < LINE / 2, \
        f"{what}: the 版记 ends {(TEXT_BOTTOM - bottom) / PT_PER_MM:.1f} mm above the foot of the text block"


def test_every_sample_issue_prints_as_an_a4_bulletin(page: Page, sample_output: Path, sample_url: str) -> None:
    views = print_views(sample_output)
    issues = sorted(p.parent.relative_to(sample_output).as_posix() + "/" for p in sample_output.glob("**/index.html")
                    if 'class="page-issue"' in p.read_text(encoding="utf-8"))
    assert len(issues) >= 2 and views == [f"{issue}print/" for issue in issues], "every issue needs a print view"
    with_distribution = 0
    for view in views:
        pdf = keep(pdf_of(page, urljoin(sample_url, view)), view.removesuffix("/print/").replace("/", "-"))
        name = page.locator(".print-name").inner_text()
        titles = page.locator(".print-item-title").all_inner_texts()
        recipients = page.locator(".print-distribution p").all_inner_texts()
        sizes = page_sizes(pdf)
        assert sizes and all(abs(w - A4[0]) <= 1 and abs(h - A4[1]) <= 1 for w, h in sizes), f"{view}: {sizes}"
        text = flat(pdf_text(pdf))
        assert flat(name) in flat(pdf_text(pdf, 1)), f"{view}: the masthead is not on page 1"
        assert titles and all(flat(title) in text for title in titles), f"{view}: item titles not selectable"
        if recipients:
            assert_distribution_at_the_foot(pdf, recipients, view)
        with_distribution += any(line.startswith("报：") for line in recipients)
        for number in range(1, len(sizes) + 1):
            assert re.search(rf"—\s*{number}\s*—", pdf_text(pdf, number)), f"{view}: no page number on page {number}"
        png = pdf.with_suffix("")
        run("pdftoppm", "-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile", pdf, png)
        assert png.with_suffix(".png").stat().st_size > 10_000
    assert with_distribution, "no sample issue prints a distribution block (报：…)"


def ink_bands(pdf: Path, number: int) -> list[tuple[float, float, float, float]]:
    """(top, bottom, left, right) in mm of each band of inked rows on one page, rendered at 10 px per mm."""
    raw = subprocess.run(["pdftoppm", "-gray", "-r", "254", "-f", str(number), "-l", str(number), pdf],
                         capture_output=True, check=True).stdout
    header = re.match(rb"P5\s+(\d+)\s+(\d+)\s+\d+\s", raw)
    assert header, "pdftoppm did not write a PGM image"
    width, height = int(header[1]), int(header[2])
    rows = [raw[header.end() + y * width:header.end() + (y + 1) * width] for y in range(height)]
    inked = [y for y in range(height) if min(rows[y]) < 128]
    bands: list[list[int]] = []
    for y in inked:
        if bands and y == bands[-1][-1] + 1:
            bands[-1].append(y)
        else:
            bands.append([y])
    result = []
    for band in bands:
        spans = [(m.start(), m.end()) for y in band for m in [re.search(rb"[\x00-\x7f].*[\x00-\x7f]|[\x00-\x7f]",
                                                                        rows[y], re.S)] if m]
        result.append((band[0] / 10, (band[-1] + 1) / 10, min(a for a, _ in spans) / 10, max(b for _, b in spans) / 10))
    return result


def test_text_block_margins_and_page_numbers_follow_gb_t_9704(page: Page, sample_output: Path,
                                                              sample_url: str) -> None:
    view = max(print_views(sample_output), key=lambda v: (sample_output / v / "index.html").stat().st_size)
    pdf = keep(pdf_of(page, urljoin(sample_url, view)), "margins")
    pages = len(page_sizes(pdf))
    assert pages >= 2, f"{view} prints on one page: the even-page number cannot be checked"
    for number in range(1, pages + 1):
        *text, mark = ink_bands(pdf, number)
        assert text, f"page {number} is empty"
        assert min(t for t, *_ in text) >= 36.5 and max(b for _, b, *_ in text) <= 262.5, \
            f"page {number}: text above or below the 37 mm / 35 mm margins"
        assert min(left for *_, left, _ in text) >= 27.5 and max(right for *_, right in text) <= 184.5, \
            f"page {number}: text outside the 28 mm / 26 mm margins"
        top, bottom, left, right = mark
        assert 5.5 <= (top + bottom) / 2 - 262 <= 8.5, f"page {number}: the number is not about 7 mm below the block"
        if number % 2:  # odd pages: one character in from the right edge of the block
            assert abs(right - (184 - ONE_CHARACTER / PT_PER_MM)) < 1, f"page {number}: number at {left}-{right} mm"
        else:
            assert abs(left - (28 + ONE_CHARACTER / PT_PER_MM)) < 1, f"page {number}: number at {left}-{right} mm"


def test_ctrl_p_on_the_issue_page_prints_the_print_edition(page: Page, sample_output: Path, sample_url: str) -> None:
    for view in print_views(sample_output):
        issue_url = urljoin(sample_url, view.removesuffix("print/"))
        page.emulate_media(media="screen")
        page.goto(issue_url)
        expect(page.locator(".print-edition")).to_be_hidden()
        expect(page.locator(".issue-masthead")).to_be_visible()
        page.emulate_media(media="print")
        expect(page.locator(".print-name")).to_be_visible()
        expect(page.locator(".site-header")).to_be_hidden()
        expect(page.locator(".issue-masthead")).to_be_hidden()
        # page.pdf() prints with the emulated media: it stays "print" for the PDFs.
        from_issue = keep(pdf_of(page, issue_url), "ctrl-p-issue")
        from_view = keep(pdf_of(page, urljoin(sample_url, view)), "ctrl-p-view")
        assert len(page_sizes(from_issue)) == len(page_sizes(from_view)), view
        assert pdf_text(from_issue) == pdf_text(from_view), f"{view}: Ctrl+P prints something else"


def test_the_issue_page_links_to_the_print_view_and_its_button_prints(page: Page, sample_output: Path,
                                                                     sample_url: str) -> None:
    view = print_views(sample_output)[0]
    page.add_init_script("window.printed = 0; window.print = () => { window.printed += 1; };")
    page.goto(urljoin(sample_url, view.removesuffix("print/")))
    page.get_by_role("link", name="打印版").click()
    expect(page).to_have_url(urljoin(sample_url, view))
    page.get_by_role("button", name="打印").click()
    assert page.evaluate("window.printed") == 1


def test_print_view_has_no_serious_accessibility_problem(page: Page, sample_output: Path, sample_url: str) -> None:
    page.goto(urljoin(sample_url, print_views(sample_output)[0]))
    violations = [v["id"] for v in Axe().run(page).response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not violations, violations


ISSUE_FILE = """\
publication: xinxi
number: 7
year: 2026
date: 2026-11-20
total: 412
classification: 秘密★1年
copy_number: "000123"
report_to: [市委常委]
distribute_to: [各县（区）委办公室]
copies: 80
"""
BODY = """\
开头一段[^1]。

## 一、总体情况

### （一）主要做法

#### 1.建立机制

正文，见[上文](#一总体情况)。

[^1]: {note}
"""


@pytest.fixture
def headed_issue(make_site: MakeSite, serve_folder: Callable[[Path], str]) -> str:
    """A small site whose two items both have 一、/（一）/1. headings and a footnote 1: the print view's URL."""
    site = make_site({
        "content/issues/xinxi-7.yaml": ISSUE_FILE,
        "content/info/a.md": entry(title="第一条", publication="xinxi", issue="{number: 7, item: 1}",
                                   body=BODY.format(note="第一条的注释")),
        "content/info/b.md": entry(title="第二条", publication="xinxi", issue="{number: 7, item: 2}",
                                   body=BODY.format(note="第二条的注释")),
    })
    result = run_bulletin("build", "--source", site, "--now", SAMPLE_NOW)
    assert result.returncode == 0, result.stderr
    return urljoin(serve_folder((site / "output").resolve()), "xinxi/2026/7/print/")


def style(page: Page, selector: str, prop: str) -> str:
    return page.locator(selector).first.evaluate(f"e => getComputedStyle(e).{prop}")


def test_headings_follow_the_standards_three_levels(page: Page, headed_issue: str) -> None:
    page.goto(headed_issue)
    assert style(page, ".print-item-body h3", "fontFamily").startswith('SimHei, 黑体')  # 一、
    assert style(page, ".print-item-body h4", "fontFamily").startswith('KaiTi, 楷体')  # （一）
    assert style(page, ".print-item-body h5", "fontFamily").startswith('FangSong, 仿宋')  # 1.
    assert style(page, ".print-item-body h5", "fontWeight") == "700"
    assert style(page, ".print-item-body p", "fontSize") == "21.3333px"  # 16 pt, 三号
    assert "Noto Serif CJK SC" in style(page, ".print-item-body p", "fontFamily")  # works without 仿宋
    assert style(page, ".print-name", "color") == "rgb(255, 51, 51)"
    assert style(page, ".print-item-title", "textAlign") == "center"


def test_each_items_ids_and_footnote_links_stay_its_own(page: Page, headed_issue: str) -> None:
    page.goto(headed_issue)
    ids = page.evaluate("[...document.querySelectorAll('[id]')].map(e => e.id)")
    assert len(ids) == len(set(ids)), f"repeated ids: {sorted(i for i in ids if ids.count(i) > 1)}"
    second = page.locator(".print-item").nth(1)
    target = second.locator("a.footnote-ref").get_attribute("href") or ""
    assert second.locator(f"[id='{target[1:]}']").inner_text().startswith("第二条的注释")
    heading = second.get_by_role("link", name="上文").get_attribute("href") or ""
    expect(second.locator(f"[id='{heading[1:]}']")).to_have_text("一、总体情况")


def test_first_page_marks_and_last_page_distribution(page: Page, headed_issue: str) -> None:
    pdf = keep(pdf_of(page, headed_issue), "marks")
    first = {word: (left, right) for word, left, right, *_ in words(pdf, 1)}
    assert abs(first["秘密★1年"][0] - TEXT_LEFT) < 2, "the classification stands top left"
    assert abs(first["000123"][1] - TEXT_RIGHT) < 2, "the copy number stands top right"
    text = flat(pdf_text(pdf, 1))
    assert "2026年第7期总第412期" in text
    last = flat(pdf_text(pdf, len(page_sizes(pdf))))
    assert "报：市委常委。" in last and "发：各县（区）委办公室。" in last and "（共印80份）" in last


DISTRIBUTED_ISSUE = """\
publication: xinxi
number: {number}
year: 2026
date: 2026-11-20
report_to: [市委常委, 市人大常委会、市政府、市政协主要领导]
copy_to: [市纪委监委, 市中级法院, 市检察院]
distribute_to: [各县（区）委办公室, 市直各部门（单位）]
copies: 80
"""
EARLY, FULL = 8, 9  # issues whose one item ends high on page 2, and on the last line of page 2


def body_lines(count: int) -> str:
    """Paragraphs of one printed line each (24 characters after the two-character indent, on a 28-character line)."""
    return "\n\n".join(f"第{n:02d}行正文用于测试版记在末页底部的位置是否正确" for n in range(1, count + 1))


@pytest.fixture
def distributed_site(make_site: MakeSite, serve_folder: Callable[[Path], str]) -> str:
    """Issues with a 版记 whose text ends early on a page, or fills it; and one without: the site's URL."""
    site = make_site({
        f"content/issues/xinxi-{EARLY}.yaml": DISTRIBUTED_ISSUE.format(number=EARLY),
        f"content/issues/xinxi-{FULL}.yaml": DISTRIBUTED_ISSUE.format(number=FULL),
        # 13 lines under the masthead fill page 1, 22 lines page 2.
        "content/info/early.md": entry(title="早早结束", publication="xinxi", issue=f"{{number: {EARLY}, item: 1}}",
                                       body=body_lines(20)),
        "content/info/full.md": entry(title="排满末页", publication="xinxi", issue=f"{{number: {FULL}, item: 1}}",
                                      body=body_lines(35)),
        "content/info/plain.md": entry(title="没有版记", publication="xinxi", issue="{number: 10, item: 1}",
                                       body=body_lines(3)),
    })
    result = run_bulletin("build", "--source", site, "--now", SAMPLE_NOW)
    assert result.returncode == 0, result.stderr
    return serve_folder((site / "output").resolve())


# Chromium's page.pdf() fires beforeprint; a tool that prints without it gets the 版记 placed on load.
NO_BEFOREPRINT = "window.addEventListener('beforeprint', event => event.stopImmediatePropagation(), true);"


@pytest.mark.parametrize(("number", "path", "init"), [
    pytest.param(EARLY, "print/", "", id="early-print-view"),
    pytest.param(EARLY, "", "", id="early-issue-page"),
    pytest.param(FULL, "print/", "", id="full-print-view"),
    pytest.param(FULL, "", "", id="full-issue-page"),
    pytest.param(FULL, "", NO_BEFOREPRINT, id="full-issue-page-without-beforeprint"),
])
def test_the_distribution_block_stands_at_the_foot_of_the_last_page(page: Page, distributed_site: str, number: int,
                                                                    path: str, init: str) -> None:
    if init:
        page.add_init_script(init)
    url = urljoin(distributed_site, f"xinxi/2026/{number}/{path}")
    pdf = keep(pdf_of(page, url), f"foot-{number}-{'view' if path else 'issue'}{'-without-beforeprint' * bool(init)}")
    lines = page.locator(".print-distribution p").all_inner_texts()
    assert [line[:2] for line in lines] == ["报：", "送：", "发：", "（共"]
    pages = len(page_sizes(pdf))
    assert pages == (2 if number == EARLY else 3), f"{url} prints on {pages} pages"
    assert_distribution_at_the_foot(pdf, lines, url)
    last_body = "第20行" if number == EARLY else "第35行"
    body_page = next(n for n in range(1, pages + 1) if last_body in pdf_text(pdf, n))
    body_bottom = max(bottom for word, *_, bottom in words(pdf, body_page) if word.startswith(last_body))
    if number == EARLY:
        # The text ends high on the last page, and the 版记 stands far below it, not right after it.
        assert body_page == pages and body_bottom < TEXT_BOTTOM - 8 * LINE, f"{url}: the text ends too low"
        first = min(top for word, _, _, top, _ in words(pdf, pages) if word.startswith("报："))
        assert first > body_bottom + 4 * LINE, f"{url}: the 版记 follows the text"
    else:
        # The text takes page 2 to its last line: the 版记 goes whole to page 3, alone, at its foot.
        assert body_page == pages - 1 and abs(body_bottom - TEXT_BOTTOM) < LINE / 2, f"{url}: page 2 is not full"
        assert "正文" not in pdf_text(pdf, pages), f"{url}: the text runs on to the 版记's page"


def test_the_foot_is_measured_alike_in_any_medium_and_window(page: Page, distributed_site: str) -> None:
    """The 版记's place is measured on a copy laid out as the paper: a narrow window or print media change nothing."""
    found = set()
    for media, width in (("screen", 1280), ("screen", 480), ("print", 1280)):
        page.set_viewport_size({"width": width, "height": 900})
        page.emulate_media(media=media)
        for path in ("print/", ""):
            page.goto(urljoin(distributed_site, f"xinxi/2026/{EARLY}/{path}"))
            found.add(page.locator(".print-distribution").evaluate("e => e.style.getPropertyValue('--print-foot')"))
    assert len(found) == 1, f"measured differently: {found}"
    assert float(found.pop().removesuffix("px")) * 0.75 > 5 * LINE  # px to pt: the text ends well up the page
    # Without a 版记 there is nothing to place (and the page fixture sees no script error).
    page.goto(urljoin(distributed_site, "xinxi/2026/10/print/"))
    expect(page.locator(".print-item-title")).to_have_text("没有版记")
    expect(page.locator(".print-distribution")).to_have_count(0)


def test_a_page_changed_after_loading_is_measured_again_when_printed(page: Page, distributed_site: str) -> None:
    url = urljoin(distributed_site, f"xinxi/2026/{EARLY}/print/")
    page.goto(url)
    page.evaluate("for (const p of [...document.querySelectorAll('.print-item-body p')].slice(-5)) p.remove()")
    pdf = keep(page.pdf(prefer_css_page_size=True), f"foot-{EARLY}-changed")
    assert "第15行" in pdf_text(pdf) and "第16行" not in pdf_text(pdf)
    assert_distribution_at_the_foot(pdf, page.locator(".print-distribution p").all_inner_texts(), url)
