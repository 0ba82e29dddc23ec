"""Front-matter values are always escaped; raw HTML in a body is escaped, or sanitised when allowed.

Every value that reaches a page carries a script tag, quotes that would close an attribute,
an event handler and an ampersand. Each page is then parsed as a browser would: no element
or attribute may come from the content, and the value must read back exactly as written.
"""

from __future__ import annotations

import gzip
import html
import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import MakeSite, entry, run_bulletin

NOW = "2026-11-27T12:00"
ATOM = "{http://www.w3.org/2005/Atom}"


def evil(field: str) -> str:
    """A value that breaks out of text and of a quoted attribute unless escaped."""
    return f'<script>alert("XSS-{field}")</script>" onmouseover="alert(1)" x=\'y\' & <b>粗</b>&amp;'


def yaml_quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


TITLE, SUMMARY, SOURCE, TAG, AUTHOR, ATTACHMENT = (evil(f) for f in ("TITLE", "SUMMARY", "SOURCE", "TAG",
                                                                       "AUTHOR", "ATTACHMENT"))
RAW_BODY = """\
正文开始。<script>alert("XSS-BODY")</script> <img src=x onerror=alert("XSS-IMG")> <b>粗体</b>

<div onmouseover="alert('XSS-DIV')"><script>alert("XSS-BLOCK")</script><iframe src="http://x/"></iframe>
<a href="javascript:alert('XSS-HREF')" onclick="alert('XSS-CLICK')">链接</a> <em>强调</em></div>
"""
SCRIPT_LINKS = "[脚本链接](javascript:alert(1)) [大写脚本](JaVaScRiPt:alert(2)) [普通链接](https://example.org/)\n"


class Elements(HTMLParser):
    """What a browser would build from a page: tags with attributes, and script contents."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self.in_script = tag == "script"
        if self.in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script:
            self.scripts[-1] += data


def elements(page: Path) -> Elements:
    parser = Elements()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def assert_nothing_injected(page: Path) -> None:
    found = elements(page)
    text = page.read_text(encoding="utf-8")
    assert "XSS" not in " ".join(found.scripts), f"{page}: a script from the content"
    for tag, attrs in found.tags:
        handlers = [a for a in attrs if a.startswith("on")]
        assert not handlers, f"{page}: <{tag}> has event handler {handlers}"
        for name in ("href", "src", "action", "formaction"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("javascript:", "vbscript:")), f"{page}: <{tag} {name}={value}>"
        assert tag not in ("iframe", "object", "embed"), f"{page}: <{tag}>"
        assert "x" not in attrs or tag != "script", page
    assert '<script>alert("XSS' not in text, page


@pytest.fixture
def evil_site(make_site: MakeSite) -> Path:
    site = make_site({
        "content/info/evil.md": entry(
            title=yaml_quoted(TITLE), summary=yaml_quoted(SUMMARY), source=yaml_quoted(SOURCE),
            tags=f"[{yaml_quoted(TAG)}]", authors=f"[{yaml_quoted(AUTHOR)}]", publication="xinxi", issue="3",
            attachments=f"[{{path: note.txt, title: {yaml_quoted(ATTACHMENT)}}}]", urgency="特急",
            pinned_until="2026-12-31", body=RAW_BODY),
        "content/info/note.txt": "附件\n",
        "content/info/plain.md": entry(title="普通信息", body="[看那一篇](evil.md)", tags=f"[{yaml_quoted(TAG)}]"),
        "content/info/links.md": entry(title="脚本链接", body=SCRIPT_LINKS),
    })
    result = run_bulletin("build", "--source", site, "--now", NOW)
    assert result.returncode == 0, result.stderr
    return (site / "output").resolve()


def test_front_matter_values_are_escaped_in_every_page(evil_site: Path) -> None:
    pages = sorted(p for p in evil_site.rglob("*.html") if p.parent.name != "links")
    assert len(pages) > 20
    for page in pages:
        assert_nothing_injected(page)
    # ... and each value reads back exactly as the editor wrote it, where it is shown
    shown = {"info/evil/index.html": (TITLE, SUMMARY, SOURCE, TAG, AUTHOR, ATTACHMENT),
             "index.html": (TITLE,), "xinxi/index.html": (TITLE,), "xinxi/2026/3/index.html": (TITLE, SOURCE),
             "xinxi/2026/3/print/index.html": (TITLE,), "info/index.html": (TITLE, SOURCE, SUMMARY),
             "tags/index.html": (TAG,), "sources/index.html": (SOURCE,), "search/index.html": (SOURCE,),
             "info/plain/index.html": (TITLE, TAG), "stats/index.html": (SOURCE,)}
    for page, values in shown.items():
        text = html.unescape((evil_site / page).read_text(encoding="utf-8"))
        for value in values:
            assert value in text, (page, value)
    meta = [attrs.get("content") for tag, attrs in elements(evil_site / "info/evil/index.html").tags if tag == "meta"]
    assert SUMMARY in meta, "the description meta tag holds the summary, quotes and all"


def test_feeds_and_sitemap_stay_well_formed_and_hold_the_exact_values(evil_site: Path) -> None:
    feeds = sorted(evil_site.rglob("*.xml"))
    assert any(f.name == "feed.xml" for f in feeds)
    titles, authors = [], []
    for feed in feeds:
        root = ET.parse(feed).getroot()  # raises on a broken document
        titles += [t.text for t in root.iter(f"{ATOM}title")]
        authors += [n.text for n in root.iter(f"{ATOM}name")]
        assert '<script>alert("XSS' not in feed.read_text(encoding="utf-8")
    assert TITLE in titles and SOURCE in authors


def test_the_search_files_hold_the_exact_values_as_json(evil_site: Path) -> None:
    docs = [json.loads(gzip.decompress(p.read_bytes())) for p in (evil_site / "search").rglob("*.json.gz")]
    evil_doc = next(d for d in docs if d["url"] == "/info/evil/")
    assert evil_doc["title"] == TITLE and evil_doc["source"] == SOURCE
    assert evil_doc["text"].startswith(SUMMARY)
    meta = json.loads((evil_site / "search/meta.json").read_text(encoding="utf-8"))
    assert SOURCE in [name for _, name, _ in meta["facets"]["source"]]


def test_raw_html_in_a_body_is_shown_as_text_by_default(evil_site: Path) -> None:
    page = evil_site / "info/evil/index.html"
    text = page.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(" in text and "&lt;b&gt;粗体&lt;/b&gt;" in text
    assert "&lt;iframe" in text
    body_tags = [tag for tag, _ in elements(page).tags]
    assert "iframe" not in body_tags and "img" not in body_tags


def test_markdown_links_to_script_urls_are_not_clickable_by_default(evil_site: Path) -> None:
    """Not raw HTML, but a link a reader clicks runs script all the same: javascript: must not
    survive in the default (safest) mode when allow_html: true removes it."""
    page = evil_site / "info/links/index.html"
    links = [attrs.get("href") or "" for tag, attrs in elements(page).tags if tag == "a"]
    assert "https://example.org/" in links
    assert not [h for h in links if h.strip().lower().startswith("javascript:")], links


def test_allowed_raw_html_is_kept_but_sanitised(make_site: MakeSite) -> None:
    site = make_site({"content/info/evil.md": entry(title="允许HTML", body=RAW_BODY + "\n" + SCRIPT_LINKS)},
                     config="allow_html: true\n")
    result = run_bulletin("build", "--source", site, "--now", NOW)
    assert result.returncode == 0, result.stderr
    output = (site / "output").resolve()
    page = output / "info/evil/index.html"
    for any_page in output.rglob("*.html"):
        assert_nothing_injected(any_page)
    text = page.read_text(encoding="utf-8")
    assert "<b>粗体</b>" in text and "<em>强调</em>" in text, "formatting is kept"
    assert "&lt;b&gt;" not in text
    assert ">链接</a>" in text, "the link stays, without its script URL and handler"
